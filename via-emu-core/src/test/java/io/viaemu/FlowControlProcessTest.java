package io.viaemu;

import static io.viaemu.testing.ByteStreams.concat;
import static io.viaemu.testing.ByteStreams.longs;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import io.viaemu.protocol.ConnectionEnd;
import io.viaemu.protocol.FlagBlock;
import io.viaemu.protocol.FlagBlock.Word;
import io.viaemu.testapp.FlowServerMain;
import io.viaemu.testapp.HandoverServerMain;
import io.viaemu.testapp.RecordingHandler;
import io.viaemu.testapp.StreamingClientMain;
import io.viaemu.testing.DiskUsage;
import io.viaemu.testing.JvmProcess;
import io.viaemu.testing.SeparateProcessTest;
import org.junit.jupiter.api.Test;
import io.viaemu.transport.TransportFactory;
import io.viaemu.testing.TestTransport;
import io.viaemu.transport.ring.RingLayout;

/**
 * Flow control between real processes: a writer blocks at its window and resumes when the reader in the other JVM
 * reads; a long stream keeps the connection's disk within a small multiple of the window (du sampled throughout);
 * a handover (T1) and a kill -9 of the parent in the middle of a blocked write lose and duplicate nothing; a
 * blocked writer gets a clear error when the reader is killed.
 */
class FlowControlProcessTest extends SeparateProcessTest {
    private static final Duration STEP = Duration.ofSeconds(60);
    private static final long WINDOW = 1L << 20;
    /** Bytes of the long stream: the 10 GiB (~16 s here); -Dvia.test.streamGiB=N for another size. */
    private static final long STREAM_BYTES = Long.getLong("via.test.streamGiB", 10) << 30;

    @Test
    void aWriterBlocksAtTheWindowAndResumesWhenTheReaderReads() throws Exception {
        server = startFlowServer("HOLD", WINDOW);
        try (ViaConnection c = ViaClient.connect(clientConfig(WINDOW), "ep")) {
            server.awaitOutput("ACCEPTED", STEP);
            FlagBlock flags = ((ConnectionEnd) c).flags();
            Path dir = ((ConnectionEnd) c).directory();
            long total = 8 * WINDOW;
            AtomicLong sent = new AtomicLong();
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> streamLongs(c, total, 64 * 1024, sent));
            awaitTrue("the writer filled the window", () -> flags.get(Word.UP_APPENDED) >= WINDOW * 3 / 4);
            Thread.sleep(500);
            long appended = flags.get(Word.UP_APPENDED);
            assertThat(writer).as("blocked at the window").isNotDone();
            assertThat(appended).as("bytes in flight").isLessThanOrEqualTo(WINDOW);
            long disk = DiskUsage.allocatedBytes(dir);
            System.out.printf("blocked writer: %d bytes appended, connection dir %d bytes on disk%n", appended, disk);
            // the target: a reader that never reads leaves at most the window plus one file on disk
            assertThat(disk).as("disk of the connection").isLessThanOrEqualTo(WINDOW + oneFile(WINDOW));
            Thread.sleep(300);
            assertThat(flags.get(Word.UP_APPENDED)).as("still blocked").isEqualTo(appended);

            Files.writeString(out.resolve("read"), "");
            writer.get(60, TimeUnit.SECONDS);
            c.shutdownOutput();
            server.awaitOutput("VERIFIED " + total, STEP);
        }
    }

    @Test
    void aLongStreamKeepsTheConnectionsDiskUnderTheBound() throws Exception {
        long window = ViaConfig.DEFAULT_SEND_WINDOW;
        server = startFlowServer("READ", window);
        try (ViaConnection c = ViaClient.connect(clientConfig(window), "ep")) {
            Path dir = ((ConnectionEnd) c).directory();
            AtomicBoolean done = new AtomicBoolean();
            AtomicLong maxDisk = new AtomicLong();
            AtomicLong samples = new AtomicLong();
            Thread sampler = new Thread(() -> {
                while (!done.get()) {
                    try {
                        maxDisk.accumulateAndGet(DiskUsage.allocatedBytes(dir), Math::max);
                        samples.incrementAndGet();
                        Thread.sleep(50);
                    } catch (IOException | InterruptedException e) {
                        return;
                    }
                }
            }, "du-sampler");
            sampler.start();
            long t0 = System.nanoTime();
            streamLongs(c, STREAM_BYTES, 64 * 1024, new AtomicLong());
            c.shutdownOutput();
            server.awaitOutput("VERIFIED " + STREAM_BYTES, STEP);
            long millis = (System.nanoTime() - t0) / 1_000_000;
            done.set(true);
            sampler.join(5_000);
            FlagBlock flags = ((ConnectionEnd) c).flags();
            System.out.printf("streamed %d MiB in %d ms (%.0f MB/s) through a %d KiB window: %d segments; "
                    + "connection dir at most %d KiB on disk (%d du samples)%n", STREAM_BYTES >> 20, millis,
                    STREAM_BYTES / 1000.0 / millis, window >> 10, flags.get(Word.UP_SEGMENT), maxDisk.get() >> 10,
                    samples.get());
            assertThat(samples.get()).as("du samples").isGreaterThan(5);
            // Chronicle: unconsumed bytes (the window) + the rest of the file the reader is in + the file the writer
            // is in. Ring: the up ring's pages once it went round (its capacity, derived from the window), and the
            // few pages of the down ring and the flag block.
            long bound = TransportFactory.RING.equals(TestTransport.name())
                    ? RingLayout.capacityFor(ViaConfig.DEFAULT_MAX_MESSAGE_SIZE, window) + (1 << 20)
                    : window + 2 * oneFile(window);
            assertThat(maxDisk.get()).as("disk of the connection during the stream").isLessThanOrEqualTo(bound);
        }
    }

    @Test
    void aBlockedWriterGetsAClearErrorWhenTheReaderIsKilled() throws Exception {
        server = startFlowServer("NEVER", WINDOW);
        try (ViaConnection c = ViaClient.connect(clientConfig(WINDOW), "ep")) {
            server.awaitOutput("ACCEPTED", STEP);
            FlagBlock flags = ((ConnectionEnd) c).flags();
            CompletableFuture<Void> writer = CompletableFuture.runAsync(
                    () -> streamLongs(c, 4 * WINDOW, 64 * 1024, new AtomicLong()));
            awaitTrue("the writer filled the window", () -> flags.get(Word.UP_APPENDED) >= WINDOW * 3 / 4);
            Thread.sleep(200);
            assertThat(writer).isNotDone();
            server.kill9();
            assertThatThrownBy(() -> writer.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .hasRootCauseInstanceOf(ViaException.class)
                    .rootCause().hasMessageContaining("the parent process died");
        }
    }

    @Test
    void aHandoverInTheMiddleOfABlockedWriteLosesAndDuplicatesNothing() throws Exception {
        runHandover("T1-BLOCKED");
        server.awaitOutput("CLOSED handedOver=true", STEP);
        finishAndAssert(Trigger.T1_PARENT_CLOSE);
    }

    @Test
    void aParentKilledInTheMiddleOfABlockedWriteLosesAndDuplicatesNothing() throws Exception {
        runHandover("KILL-BLOCKED");
        server.kill9();
        finishAndAssert(Trigger.T2_PARENT_ABORT);
    }

    // ---------------------------------------------------------------------------------------------------------

    /** Window 48 KiB, writes of 64 KiB: the blocked write is half appended when the parent goes. */
    private static final long HANDOVER_WINDOW = 48 * 1024;

    private void runHandover(String mode) {
        List<String> props = List.of("-Dvia.test.out=" + out, "-Dvia.test.window=" + HANDOVER_WINDOW);
        server = JvmProcess.start(tmp.resolve("logs"), "server", props, HandoverServerMain.class,
                base.toString(), "ep", "T1,T2", "1", mode, "3001", out.toString()).awaitOutput("LISTENING", STEP);
        client = JvmProcess.start(tmp.resolve("logs"), "client",
                List.of("-Dvia.test.window=" + HANDOVER_WINDOW, "-Dvia.test.batchLongs=8192"),
                StreamingClientMain.class, base.toString(), "ep", "T1,T2", out.toString())
                .awaitOutput("CONNECTED", STEP);
        server.awaitOutput("FORKED", STEP);
        server.awaitOutput("CLIENT-BLOCKED", STEP);
    }

    private void finishAndAssert(Trigger trigger) throws Exception {
        Thread.sleep(1_000); // the client streams on, to the child, through the window
        int exit = stopStreamingClient(STEP);
        assertThat(exit).as(client.output()).isZero();
        assertThat(awaitChildDone(STEP)).contains("error=none");
        long sent = longsSent();
        byte[] parentIn = Files.readAllBytes(out.resolve("parent-in.bin"));
        byte[] childIn = Files.readAllBytes(out.resolve("child-in.bin"));
        assertThat(sent * 8).as("the client streamed well past the window after the handover")
                .isGreaterThan(parentIn.length + 4 * HANDOVER_WINDOW);
        assertThat(concat(parentIn, childIn))
                .as("parent's consumed bytes + child's bytes == client's stream (" + sent + " longs)")
                .isEqualTo(longs(0, (int) sent));
        byte[] clientIn = Files.readAllBytes(out.resolve("client-in.bin"));
        assertThat(clientIn).isEqualTo(concat(
                longs(HandoverServerMain.PARENT_BASE, HandoverServerMain.PARENT_LONGS),
                longs(RecordingHandler.CHILD_BASE, RecordingHandler.CHILD_LONGS)));
        FlagBlock flags = flags();
        assertThat(flags.get(Word.TRIGGER_FIRED)).isEqualTo(trigger.code());
        assertThat(flags.get(Word.RECONNECTION_COMPLETION)).isEqualTo(1);
        // the window's books balance: copies and replayed bytes are not counted twice, nothing is left open
        assertThat(flags.get(Word.UP_APPENDED)).as("appended").isEqualTo(sent * 8);
        assertThat(flags.get(Word.UP_CONSUMED)).as("consumed").isEqualTo(sent * 8);
    }

    private JvmProcess startFlowServer(String mode, long window) {
        return JvmProcess.start(tmp.resolve("logs"), "server", List.of(), FlowServerMain.class, base.toString(), "ep",
                Long.toString(window), mode, out.toString()).awaitOutput("LISTENING", STEP);
    }

    private ViaConfig clientConfig(long window) {
        return ViaConfig.builder(base).sendWindow(window).peerTimeout(Duration.ofSeconds(30)).build();
    }

    /** What one size-rolled file holds at most on disk: a window, one more document, Chronicle's index. */
    private static long oneFile(long window) {
        return window + 64 * 1024 + 256 * 1024;
    }

    /** Sends numbered longs in writes of {@code writeBytes}. */
    private static void streamLongs(ViaConnection c, long totalBytes, int writeBytes, AtomicLong sent) {
        ByteBuffer b = ByteBuffer.allocate(writeBytes);
        long seq = 0;
        try {
            for (long done = 0; done < totalBytes; done += writeBytes) {
                b.clear();
                while (b.hasRemaining()) {
                    b.putLong(seq++);
                }
                c.send(b.array(), 0, writeBytes);
                sent.addAndGet(writeBytes);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private FlagBlock flags() throws IOException {
        return onlyConnectionFlags("ep");
    }

    private static void awaitTrue(String what, BooleanSupplier c) throws InterruptedException {
        long deadline = System.nanoTime() + STEP.toNanos();
        while (!c.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + ": not within " + STEP);
            }
            Thread.sleep(5);
        }
    }
}
