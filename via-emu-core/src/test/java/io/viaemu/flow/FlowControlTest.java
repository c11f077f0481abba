package io.viaemu.flow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import io.viaemu.ParentConnection;
import io.viaemu.Trigger;
import io.viaemu.ViaClient;
import io.viaemu.ViaConfig;
import io.viaemu.ViaConnection;
import io.viaemu.ViaException;
import io.viaemu.ViaServer;
import io.viaemu.protocol.ConnectionEnd;
import io.viaemu.protocol.ErrorCode;
import io.viaemu.protocol.FlagBlock;
import io.viaemu.protocol.FlagBlock.Word;
import io.viaemu.testing.DiskUsage;
import io.viaemu.testing.TestDirs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import io.viaemu.testing.TestTransport;

/**
 * The window's accounting in one JVM (client and server ends over real queue files): what a sender may have in
 * flight, when it blocks and resumes, what ends a blocked write, and the size-rolled queue files being released.
 * Across processes: {@code FlowControlProcessTest}.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class FlowControlTest {
    private static final int WINDOW = 64 * 1024;

    @TempDir
    Path tmp;
    private ViaServer server;
    private ViaConnection client;
    private ParentConnection parent;

    @BeforeEach
    void connect() throws IOException {
        ViaConfig config = ViaConfig.builder(TestDirs.privateDir(tmp, "base"))
                .triggers(Trigger.T1_PARENT_CLOSE)
                .sendWindow(WINDOW)
                .shutdownHook(false)
                .build();
        server = ViaServer.listen(config, "flow");
        client = ViaClient.connect(config, "flow");
        parent = server.accept(10_000);
    }

    @AfterEach
    void close() throws IOException {
        client.close();
        parent.close();
        server.close();
    }

    @Test
    void aSenderBlocksAtTheWindowAndResumesAsTheReaderConsumes() throws Exception {
        byte[] data = pattern(3 * WINDOW + 1000); // larger than the window: goes out in pieces
        CompletableFuture<Void> write = CompletableFuture.runAsync(() -> send(client, data));
        FlagBlock flags = flagsOf(parent);
        awaitTrue(() -> flags.get(Word.UP_APPENDED) >= WINDOW * 3 / 4);
        Thread.sleep(200);
        assertThat(write).as("a write beyond the window blocks").isNotDone();
        assertThat(flags.get(Word.UP_APPENDED) - flags.get(Word.UP_CONSUMED)).isLessThanOrEqualTo(WINDOW);

        byte[] got = new byte[data.length];
        int off = readExactly(parent, got, 0, WINDOW / 2);
        awaitTrue(() -> flags.get(Word.UP_APPENDED) > WINDOW);
        assertThat(flags.get(Word.UP_APPENDED) - flags.get(Word.UP_CONSUMED)).isLessThanOrEqualTo(WINDOW);
        assertThat(write).isNotDone();

        readExactly(parent, got, off, data.length - off);
        write.get(10, TimeUnit.SECONDS);
        assertThat(got).isEqualTo(data);
        assertThat(flags.get(Word.UP_APPENDED)).isEqualTo(data.length);
        assertThat(flags.get(Word.UP_CONSUMED)).isEqualTo(data.length);
    }

    @Test
    void theDownDirectionIsFlowControlledToo() throws Exception {
        byte[] data = pattern(2 * WINDOW);
        CompletableFuture<Void> write = CompletableFuture.runAsync(() -> send(parent, data));
        FlagBlock flags = flagsOf(parent);
        awaitTrue(() -> flags.get(Word.DOWN_APPENDED) >= WINDOW * 3 / 4);
        Thread.sleep(200);
        assertThat(write).isNotDone();
        assertThat(flags.get(Word.DOWN_APPENDED)).isLessThanOrEqualTo(WINDOW);
        byte[] got = new byte[data.length];
        readExactly(client, got, 0, got.length);
        write.get(10, TimeUnit.SECONDS);
        assertThat(got).isEqualTo(data);
        assertThat(flags.get(Word.DOWN_CONSUMED)).isEqualTo(data.length);
    }

    @Test
    void aSmallerReceiveWindowTheReceiverAdvertisesWins() throws Exception {
        parent.setReceiveWindow(8 * 1024);
        byte[] data = pattern(WINDOW);
        CompletableFuture<Void> write = CompletableFuture.runAsync(() -> send(client, data));
        FlagBlock flags = flagsOf(parent);
        awaitTrue(() -> flags.get(Word.UP_APPENDED) >= 6 * 1024);
        Thread.sleep(200);
        assertThat(flags.get(Word.UP_APPENDED)).isLessThanOrEqualTo(8 * 1024);
        byte[] got = new byte[data.length];
        readExactly(parent, got, 0, got.length);
        write.get(10, TimeUnit.SECONDS);
        assertThat(got).isEqualTo(data);
    }

    @Test
    void closeFromAnotherThreadEndsABlockedWrite() throws Exception {
        CompletableFuture<Void> write = CompletableFuture.runAsync(() -> send(client, pattern(2 * WINDOW)));
        FlagBlock flags = flagsOf(parent);
        awaitTrue(() -> flags.get(Word.UP_APPENDED) >= WINDOW * 3 / 4);
        Thread.sleep(100);
        client.close();
        assertThatThrownBy(() -> write.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .hasRootCauseInstanceOf(ViaException.class).hasStackTraceContaining("is closed");
    }

    @Test
    void aFailedConnectionEndsABlockedWrite() throws Exception {
        CompletableFuture<Void> write = CompletableFuture.runAsync(() -> send(client, pattern(2 * WINDOW)));
        FlagBlock flags = flagsOf(parent);
        awaitTrue(() -> flags.get(Word.UP_APPENDED) >= WINDOW * 3 / 4);
        ((ConnectionEnd) parent).fail(ErrorCode.CLIENT_DIED, "test");
        assertThatThrownBy(() -> write.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .hasRootCauseInstanceOf(ViaException.class).hasStackTraceContaining("failed");
    }

    @Test
    void noWindowMeansNoBlocking() throws Exception {
        client.setSendWindow(0);
        byte[] data = pattern(4 * WINDOW);
        CompletableFuture.runAsync(() -> send(client, data)).get(10, TimeUnit.SECONDS);
        byte[] got = new byte[data.length];
        readExactly(parent, got, 0, got.length);
        assertThat(got).isEqualTo(data);
    }

    @Test
    void consumedFilesAreReleasedWhileTheConnectionLives() throws Exception {
        TestTransport.assumeChronicle(); // a ring has one file and no rolls (RingChannelTest: reclaim frees the space)
        // 64 KiB window: the queues roll every 64 KiB (one window); 16 MiB make ~256 files
        FlagBlock flags = flagsOf(parent);
        Path up = ((ConnectionEnd) parent).directory().resolve("up");
        long total = 16L << 20;
        CompletableFuture<Void> write = CompletableFuture.runAsync(() -> {
            byte[] chunk = new byte[4096];
            for (long sent = 0; sent < total; sent += chunk.length) {
                Arrays.fill(chunk, (byte) (sent / 4096));
                send(client, chunk);
            }
        });
        byte[] buf = new byte[4096];
        long received = 0;
        int maxFiles = 0;
        long maxBytes = 0;
        while (received < total) {
            int n = readExactly(parent, buf, 0, 4096);
            for (int i = 0; i < n; i++) {
                if (buf[i] != (byte) (received / 4096)) {
                    throw new AssertionError("byte " + (received + i) + " wrong");
                }
            }
            received += n;
            if ((received & 0xFFFFF) == 0) {
                maxFiles = Math.max(maxFiles, cycleFiles(up));
                maxBytes = Math.max(maxBytes, cycleBytes(up));
            }
        }
        write.get(10, TimeUnit.SECONDS);
        System.out.printf("16 MiB through a 64 KiB window: %d segments, at most %d up files, %d bytes allocated%n",
                flags.get(Word.UP_SEGMENT), maxFiles, maxBytes);
        assertThat(flags.get(Word.UP_SEGMENT)).as("segments the up queue rolled through").isGreaterThan(100);
        assertThat(maxFiles).as("up queue files at any time").isLessThanOrEqualTo(4);
        assertThat(maxBytes).as("up queue file bytes at any time").isLessThanOrEqualTo(4L * WINDOW + (1 << 20));
    }

    // ---------------------------------------------------------------------------------------------------------

    static byte[] pattern(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + (i >>> 8));
        }
        return b;
    }

    private static void send(ViaConnection c, byte[] b) {
        try {
            c.send(b);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int readExactly(ViaConnection c, byte[] b, int off, int len) throws IOException {
        int done = 0;
        while (done < len) {
            int n = c.receive(b, off + done, len - done, 10_000);
            if (n < 0) {
                throw new AssertionError("end of stream after " + done + " bytes");
            }
            done += n;
        }
        return off + done;
    }

    private static FlagBlock flagsOf(ViaConnection c) {
        return ((ConnectionEnd) c).flags();
    }

    static int cycleFiles(Path queueDir) throws IOException {
        try (Stream<Path> s = Files.list(queueDir)) {
            return (int) s.filter(p -> p.toString().endsWith(".cq4")).count();
        }
    }

    static long cycleBytes(Path queueDir) throws IOException {
        return DiskUsage.allocatedBytes(queueDir);
    }

    private static void awaitTrue(BooleanSupplier c) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!c.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 10 s");
            }
            Thread.sleep(5);
        }
    }
}
