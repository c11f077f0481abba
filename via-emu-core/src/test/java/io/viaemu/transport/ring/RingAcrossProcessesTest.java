package io.viaemu.transport.ring;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;

import io.viaemu.testing.JvmProcess;
import io.viaemu.testing.SeparateProcessTest;
import io.viaemu.testing.Signals;
import io.viaemu.transport.Channel;
import io.viaemu.transport.ChannelReader;
import io.viaemu.transport.Document;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import java.util.concurrent.TimeUnit;

/**
 * One ring, writers in separate JVMs (as clients appending to a listen channel), the reader here: nothing lost,
 * reordered or garbled per writer; a writer killed with kill -9 in its append loop, perhaps holding the append lock,
 * does not stop the other.
 */
@Timeout(120)
class RingAcrossProcessesTest extends SeparateProcessTest {
    private static final long CAPACITY = 256 * 1024;
    private static final int MAX_RECORD = RingLayout.recordSize(8 * 1024);
    private static final int MAX_LENGTH = 4 * 1024;
    private static final VarHandle INTS = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.nativeOrder());

    private JvmProcess writer(Path dir, int id, long count) {
        return JvmProcess.start(out, "writer-" + id + "-" + System.nanoTime(), List.of(), RingWriterMain.class,
                dir.toString(), Integer.toString(id), Long.toString(count), Integer.toString(MAX_LENGTH),
                Long.toString(CAPACITY), Integer.toString(MAX_RECORD));
    }

    /** Checks one document against what its writer appends; returns its writer and sequence. */
    private static long[] check(Document doc) {
        byte[] b = Arrays.copyOf(doc.bytes(), doc.length());
        assertThat(b.length).as("a record's length").isGreaterThanOrEqualTo(9);
        int writer = b[0];
        long seq = 0;
        for (int i = 0; i < 8; i++) {
            seq |= (b[1 + i] & 0xFFL) << (8 * i);
        }
        assertThat(writer).as("writer id").isBetween(1, 2);
        assertThat(b).as("writer %d record %d", writer, seq)
                .isEqualTo(RingWriterMain.record(writer, seq, RingWriterMain.length(writer, seq, MAX_LENGTH)));
        return new long[] {writer, seq};
    }

    @Test
    void twoWriterProcessesAppendToOneRingNothingLostOrReordered() {
        Path dir = base.resolve("listen");
        long count = 20_000;
        try (Channel ch = new RingTransport(CAPACITY, true, MAX_RECORD).open(dir);
                ChannelReader reader = ch.reader()) {
            JvmProcess w1 = writer(dir, 1, count);
            JvmProcess w2 = writer(dir, 2, count);
            long[] next = new long[3];
            Document doc = new Document(64);
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            while ((next[1] < count || next[2] < count) && System.nanoTime() < deadline) {
                if (!reader.next(doc)) {
                    Thread.onSpinWait();
                    continue;
                }
                long[] ws = check(doc);
                assertThat(ws[1]).as("writer %d's next record", ws[0]).isEqualTo(next[(int) ws[0]]);
                next[(int) ws[0]]++;
                ch.reclaimBefore(doc.index());
            }
            assertThat(next[1]).isEqualTo(count);
            assertThat(next[2]).isEqualTo(count);
            assertThat(w1.awaitExit(Duration.ofSeconds(30))).isZero();
            assertThat(w2.awaitExit(Duration.ofSeconds(30))).isZero();
            assertThat(reader.next(doc)).isFalse();
        }
    }

    /**
     * A writer killed with kill -9 while it holds the append lock (caught there by SIGSTOP probes while a reader here
     * keeps the ring draining, so both writers keep appending): the other writer takes the lock over from the dead
     * pid and goes on; every record read is whole and the next of its writer, before and after. A victim stopped
     * outside the lock is let go on and probed again; each killed victim is replaced, five attempts at most.
     */
    @Test
    void aWriterKilledHoldingTheAppendLockLeavesTheRingUsableToTheOther() throws Exception {
        Path dir = base.resolve("listen");
        try (Channel ch = new RingTransport(CAPACITY, true, MAX_RECORD).open(dir);
                ChannelReader reader = ch.reader()) {
            JvmProcess survivor = writer(dir, 2, -1);
            survivor.awaitOutput("ready", Duration.ofSeconds(30));
            AtomicLongArray next = new AtomicLongArray(3);
            AtomicBoolean draining = new AtomicBoolean(true);
            CompletableFuture<Void> drain = CompletableFuture.runAsync(() -> {
                Document doc = new Document(64);
                while (draining.get()) {
                    if (!reader.next(doc)) {
                        Thread.onSpinWait();
                        continue;
                    }
                    long[] ws = check(doc);
                    assertThat(ws[1]).as("writer %d's next record", ws[0]).isEqualTo(next.get((int) ws[0]));
                    next.incrementAndGet((int) ws[0]);
                    ch.reclaimBefore(doc.index());
                }
            });
            boolean killedHoldingLock = false;
            for (int attempt = 0; attempt < 5 && !killedHoldingLock; attempt++) {
                // a new victim starts its sequence at 0; the last one's records were all read (the survivor's 500
                // records after its death come after them in the ring)
                next.set(1, 0);
                JvmProcess victim = writer(dir, 1, -1);
                long victimPid = victim.pid();
                victim.awaitOutput("ready " + victimPid, Duration.ofSeconds(30));
                awaitProgress(next, 1, 100, drain);
                for (int tries = 0; tries < 500 && !killedHoldingLock; tries++) {
                    Signals.stop(victimPid); // returns once every thread of it is stopped: the lock word is final
                    killedHoldingLock = lockHolder(dir) == (int) victimPid;
                    if (!killedHoldingLock) {
                        Signals.resume(victimPid);
                        Thread.sleep(1);
                    }
                }
                victim.kill9();
                long survivorBefore = next.get(2);
                awaitProgress(next, 2, survivorBefore + 500, drain);
            }
            draining.set(false);
            drain.get(10, TimeUnit.SECONDS);
            assertThat(killedHoldingLock).as("a probe caught the victim holding the append lock").isTrue();
            assertThat(survivor.output()).contains("took the append lock from pid");
            survivor.kill9();
        }
    }

    /** Waits (20 s at most) until writer {@code writer}'s next expected record is at least {@code atLeast}. */
    private static void awaitProgress(AtomicLongArray next, int writer, long atLeast, CompletableFuture<Void> drain)
            throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (next.get(writer) < atLeast) {
            if (drain.isDone()) {
                drain.get(); // the reader's assertion failed: report it
            }
            assertThat(System.nanoTime() - deadline).as("records of writer %d read: %d of %d", writer,
                    next.get(writer), atLeast).isNegative();
            Thread.sleep(1);
        }
    }

    private static int lockHolder(Path dir) throws Exception {
        try (FileChannel fc = FileChannel.open(dir.resolve(RingLayout.FILE_NAME), StandardOpenOption.READ)) {
            MappedByteBuffer m = fc.map(FileChannel.MapMode.READ_ONLY, 0, RingLayout.HEADER_SIZE);
            return (int) INTS.getVolatile(m, RingLayout.LOCK_OFFSET);
        }
    }
}
