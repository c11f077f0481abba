package io.viaemu.transport.ring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import io.viaemu.transport.Channel;
import io.viaemu.transport.ChannelReader;
import io.viaemu.transport.Document;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import java.nio.ByteBuffer;
import java.nio.file.attribute.PosixFilePermissions;

/** The ring channel in one JVM: laps, reclaim, the reserve, blocking for room, positioning, bad files. */
@Timeout(60)
class RingChannelTest {
    private static final long CAPACITY = 256 * 1024;
    /** Small records so that a 256 KiB ring has a reserve well below its capacity. */
    private static final int MAX_RECORD = RingLayout.recordSize(8 * 1024);
    private static final byte[] NO_HEADER = new byte[0];
    private static final VarHandle LONGS = MethodHandles.byteBufferViewVarHandle(long[].class,
            ByteOrder.nativeOrder());

    @TempDir
    Path tmp;

    private RingTransport transport() {
        return new RingTransport(CAPACITY, true, MAX_RECORD);
    }

    private static byte[] payload(Random random, int length, int seq) {
        byte[] b = new byte[length];
        random.nextBytes(b);
        if (length >= 4) {
            b[0] = (byte) (seq >>> 24);
            b[1] = (byte) (seq >>> 16);
            b[2] = (byte) (seq >>> 8);
            b[3] = (byte) seq;
        }
        return b;
    }

    @Test
    void manyLapsOfRandomSizesArriveByteExactWithPaddingAtTheEnd() throws IOException {
        Random random = new Random(42);
        try (Channel ch = transport().open(tmp.resolve("c")); ChannelReader reader = ch.reader()) {
            Document doc = new Document(16);
            long appendedBytes = 0;
            long lastIndex = 0;
            int seq = 0;
            int read = 0;
            List<byte[]> inFlight = new ArrayList<>();
            while (appendedBytes < 20 * CAPACITY) { // 20 laps
                int burst = 1 + random.nextInt(20);
                for (int i = 0; i < burst; i++) {
                    byte[] h = {(byte) random.nextInt(), (byte) random.nextInt()};
                    byte[] p = payload(random, random.nextInt(MAX_RECORD - RingLayout.RECORD_HEADER - 2), seq++);
                    long index = ch.append(h, h.length, p, 0, p.length, () -> { });
                    assertThat(index).isGreaterThan(lastIndex);
                    lastIndex = index;
                    byte[] whole = new byte[2 + p.length];
                    whole[0] = h[0];
                    whole[1] = h[1];
                    System.arraycopy(p, 0, whole, 2, p.length);
                    inFlight.add(whole);
                    appendedBytes += whole.length;
                }
                while (reader.next(doc)) {
                    byte[] expected = inFlight.remove(0);
                    assertThat(Arrays.copyOf(doc.bytes(), doc.length())).as("document %d", read).isEqualTo(expected);
                    ch.reclaimBefore(doc.index());
                    read++;
                }
                assertThat(inFlight).isEmpty();
            }
            assertThat(read).isEqualTo(seq);
            assertThat(Files.size(tmp.resolve("c").resolve(RingLayout.FILE_NAME)))
                    .isEqualTo(RingLayout.HEADER_SIZE + CAPACITY);
        }
    }

    @Test
    void aReaderNeverSeesThePreviousLap() throws IOException {
        try (Channel ch = transport().open(tmp.resolve("c")); ChannelReader reader = ch.reader()) {
            Document doc = new Document(16);
            byte[] p = new byte[1000];
            int n = 0;
            // fill and consume several laps; the reader is then exactly at the end
            for (int lap = 0; lap < 5 * CAPACITY / 1024; lap++) {
                Arrays.fill(p, (byte) n++);
                ch.append(NO_HEADER, 0, p, 0, p.length, () -> { });
                assertThat(reader.next(doc)).isTrue();
                ch.reclaimBefore(doc.index());
            }
            assertThat(reader.next(doc)).isFalse();
            // a second reader at the start reads only what is not reclaimed (the last document), nothing older
            try (ChannelReader other = ch.reader()) {
                assertThat(other.next(doc)).isTrue();
                assertThat(doc.bytes()[0]).isEqualTo((byte) (n - 1));
                assertThat(other.next(doc)).isFalse();
            }
            // a reader placed a lap ahead of the end finds the old lap's bytes there and must not take them
            assertThat(reader.moveToIndex(doc.index() + CAPACITY)).isFalse();
        }
    }

    @Test
    void reclaimFreesTheRoomAndLeavesTheNextDocumentForANewReader() throws IOException {
        Path dir = tmp.resolve("c");
        try (Channel ch = transport().open(dir); ChannelReader reader = ch.reader()) {
            byte[] p = new byte[4000];
            Arrays.fill(p, (byte) 0x5A);
            Document doc = new Document(16);
            ch.append(NO_HEADER, 0, p, 0, p.length, () -> { });
            ch.append(NO_HEADER, 0, p, 0, p.length, () -> { });
            assertThat(reader.next(doc)).isTrue();
            assertThat(reader.next(doc)).isTrue();
            long second = doc.index();
            ch.reclaimBefore(second);
            assertThat(header(dir, RingLayout.RECLAIMED_OFFSET)).isEqualTo(RingLayout.position(second));
            assertThat(ch.isReclaimed(second - 1)).isTrue();
            assertThat(ch.isReclaimed(second)).isFalse();
            // the second is still there for a new reader
            try (ChannelReader other = ch.reader()) {
                assertThat(other.next(doc)).isTrue();
                assertThat(doc.index()).isEqualTo(second);
            }
        }
    }

    /**
     * What {@link Channel#roomNow} says one append takes must go in without a wait, whatever the ring's state (near the
     * end of the data area, across the wrap, full): the wait given here fails the test if the append ever waits.
     */
    @Test
    void anAppendOfTheRoomNowNeverWaits() throws IOException {
        Random random = new Random(11);
        Channel.SpaceWait mustNotWait = () -> {
            throw new AssertionError("an append of roomNow() bytes waited for room");
        };
        byte[] h = {1, 2, 3};
        try (Channel ch = transport().open(tmp.resolve("room")); ChannelReader reader = ch.reader()) {
            Document doc = new Document(16);
            for (int round = 0; round < 200; round++) {
                long room = ch.roomNow(h.length);
                assertThat(room).isBetween(0L, (long) MAX_RECORD - RingLayout.RECORD_HEADER - h.length);
                if (room > 0) {
                    int n = (int) Math.min(room, random.nextBoolean() ? room : 1 + random.nextInt((int) room));
                    ch.append(h, h.length, new byte[n], 0, n, mustNotWait);
                }
                if (room == 0 || random.nextInt(4) == 0) { // consume some, sometimes all
                    int k = room == 0 ? Integer.MAX_VALUE : random.nextInt(3);
                    long last = -1;
                    for (int i = 0; i < k && reader.next(doc); i++) {
                        last = doc.index();
                    }
                    if (last > 0) {
                        ch.reclaimBefore(last);
                    }
                }
            }
        }
    }

    /**
     * Freed space is not zeroed, so the next lap's records land on an earlier lap's content. Here every content byte
     * is a forged record header claiming exactly the position it will have one and two laps later: a reader that took
     * a slot's position and length from old content would read a forged document. Every document must arrive as
     * written, in order, for many laps of sizes that put record boundaries everywhere.
     */
    @Test
    void contentThatLooksLikeALaterLapsHeaderIsNeverReadAsARecord() throws IOException {
        Path dir = tmp.resolve("forged");
        Random random = new Random(7);
        try (Channel ch = transport().open(dir); ChannelReader reader = ch.reader()) {
            Document doc = new Document(16);
            long expectedSeq = 0;
            long seq = 0;
            while (seq < 4000) {
                int burst = 1 + random.nextInt(8);
                for (int i = 0; i < burst; i++, seq++) {
                    long tail = header(dir, RingLayout.TAIL_OFFSET);
                    int length = 16 * (1 + random.nextInt(200)); // content, a multiple of 16: slots line up
                    int size = RingLayout.recordSize(length);
                    long at = (tail & (CAPACITY - 1)) + size > CAPACITY ? tail + (CAPACITY - (tail & (CAPACITY - 1)))
                            : tail;
                    byte[] p = forgedContent(at + RingLayout.RECORD_HEADER, length, seq);
                    long index = ch.append(NO_HEADER, 0, p, 0, p.length, () -> { });
                    assertThat(RingLayout.position(index)).as("where the test expected the record").isEqualTo(at);
                }
                for (int i = 0; i < burst; i++, expectedSeq++) {
                    assertThat(reader.next(doc)).isTrue();
                    byte[] got = Arrays.copyOf(doc.bytes(), doc.length());
                    assertThat(ByteBuffer.wrap(got).order(ByteOrder.nativeOrder()).getLong(0))
                            .as("sequence of document %d", expectedSeq).isEqualTo(expectedSeq);
                    assertThat(got).isEqualTo(forgedContent(RingLayout.position(doc.index()) + RingLayout.RECORD_HEADER,
                            got.length, expectedSeq));
                    ch.reclaimBefore(doc.index()); // keeps the document read last, as a consumer does
                }
                assertThat(reader.next(doc)).as("nothing past the last document").isFalse();
            }
        }
    }

    /**
     * Content of {@code length} bytes to be stored at ring position {@code start}: its first 8 bytes are the
     * sequence number, and every other aligned 16 bytes a DATA header of 32 bytes claiming the position it sits at
     * one lap later (or two laps, every other slot).
     */
    private static byte[] forgedContent(long start, int length, long seq) {
        ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.nativeOrder());
        for (int k = 16; k + 16 <= length; k += 16) {
            long laps = (k / 16) % 2 == 0 ? 1 : 2;
            b.putInt(k + RingLayout.LENGTH_FIELD, 32);
            b.putInt(k + RingLayout.TYPE_FIELD, RingLayout.TYPE_DATA);
            b.putLong(k + RingLayout.POSITION_FIELD, start + k + laps * CAPACITY);
        }
        b.putLong(0, seq);
        return b.array();
    }

    @Test
    void aWriterBlocksWhenFullAndResumesOnReclaim() throws Exception {
        try (Channel ch = transport().open(tmp.resolve("c")); ChannelReader reader = ch.reader()) {
            byte[] p = new byte[4000];
            int appended = 0;
            // fill to the ordinary limit (the reserve stays free): the next ordinary append must wait
            long limit = CAPACITY - ((RingChannel) ch).reserve();
            while ((long) (appended + 1) * RingLayout.recordSize(p.length) <= limit) {
                ch.append(NO_HEADER, 0, p, 0, p.length, () -> { });
                appended++;
            }
            CompletableFuture<Long> blocked = CompletableFuture.supplyAsync(() -> {
                try {
                    return ch.append(NO_HEADER, 0, p, 0, p.length, () -> { });
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            Thread.sleep(300);
            assertThat(blocked).isNotDone();
            Document doc = new Document(16);
            assertThat(reader.next(doc)).isTrue();
            assertThat(reader.next(doc)).isTrue();
            ch.reclaimBefore(doc.index()); // frees the first record
            long index = blocked.get(10, TimeUnit.SECONDS);
            assertThat(index).isGreaterThan(doc.index());
        }
    }

    @Test
    void theReserveTakesControlDocumentsWhenDataCannotGoOn() throws Exception {
        try (Channel ch = transport().open(tmp.resolve("c")); ChannelReader reader = ch.reader()) {
            byte[] p = new byte[4000];
            long limit = CAPACITY - ((RingChannel) ch).reserve();
            int appended = 0;
            while ((long) (appended + 1) * RingLayout.recordSize(p.length) <= limit) {
                ch.append(NO_HEADER, 0, p, 0, p.length, () -> { });
                appended++;
            }
            AtomicReference<Integer> checks = new AtomicReference<>(0);
            CompletableFuture<Long> data = CompletableFuture.supplyAsync(() -> {
                try {
                    return ch.append(NO_HEADER, 0, p, 0, p.length, () -> checks.updateAndGet(c -> c + 1));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            // a largest copy and control documents still go in without any reclaim
            byte[] copy = new byte[MAX_RECORD - RingLayout.RECORD_HEADER];
            long copyIndex = ch.append(NO_HEADER, 0, copy, 0, copy.length);
            for (int i = 0; i < 20; i++) {
                ch.append(new byte[] {1, 2}, 2, NO_HEADER, 0, 0);
            }
            Thread.sleep(100);
            assertThat(data).isNotDone();
            assertThat(checks.get()).as("the waiting data append checks its wait between parks").isPositive();
            Document doc = new Document(16);
            for (int i = 0; i < appended; i++) {
                assertThat(reader.next(doc)).isTrue();
            }
            assertThat(reader.next(doc)).isTrue();
            assertThat(doc.index()).isEqualTo(copyIndex);
            assertThat(doc.length()).isEqualTo(copy.length);
            ch.reclaimBefore(copyIndex);
            assertThat(data.get(10, TimeUnit.SECONDS)).isGreaterThan(copyIndex);
        }
    }

    @Test
    void closeFromAnotherThreadEndsABlockedAppend() throws Exception {
        Channel ch = transport().open(tmp.resolve("c"));
        byte[] p = new byte[4000];
        long limit = CAPACITY - ((RingChannel) ch).reserve();
        for (int i = 0; (long) (i + 1) * RingLayout.recordSize(p.length) <= limit; i++) {
            ch.append(NO_HEADER, 0, p, 0, p.length, () -> { });
        }
        CompletableFuture<Long> blocked = CompletableFuture.supplyAsync(() -> {
            try {
                return ch.append(NO_HEADER, 0, p, 0, p.length, () -> { });
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        Thread.sleep(200);
        assertThat(blocked).isNotDone();
        long start = System.nanoTime();
        ch.close();
        assertThatThrownBy(() -> blocked.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(IllegalStateException.class).hasMessageContaining("is closed");
        assertThat(System.nanoTime() - start).isLessThan(TimeUnit.SECONDS.toNanos(2));
        assertThatThrownBy(() -> ch.append(NO_HEADER, 0, p, 0, 1)).hasMessageContaining("is closed");
    }

    @Test
    void aFailingWaitEndsABlockedAppend() throws Exception {
        try (Channel ch = transport().open(tmp.resolve("c"))) {
            byte[] p = new byte[4000];
            long limit = CAPACITY - ((RingChannel) ch).reserve();
            for (int i = 0; (long) (i + 1) * RingLayout.recordSize(p.length) <= limit; i++) {
                ch.append(NO_HEADER, 0, p, 0, p.length, () -> { });
            }
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
            assertThatThrownBy(() -> ch.append(NO_HEADER, 0, p, 0, p.length, () -> {
                if (System.nanoTime() > deadline) {
                    throw new IOException("the reader died");
                }
            })).isInstanceOf(IOException.class).hasMessage("the reader died");
        }
    }

    @Test
    void moveToIndexToStartAndToEnd() throws IOException {
        try (Channel ch = transport().open(tmp.resolve("c")); ChannelReader reader = ch.reader()) {
            long[] idx = new long[10];
            for (int i = 0; i < idx.length; i++) {
                idx[i] = ch.append(new byte[] {(byte) i}, 1, NO_HEADER, 0, 0);
            }
            Document doc = new Document(16);
            assertThat(reader.moveToIndex(idx[5])).isTrue();
            assertThat(reader.next(doc)).isTrue();
            assertThat(doc.bytes()[0]).isEqualTo((byte) 5);
            assertThat(doc.index()).isEqualTo(idx[5]);
            assertThat(reader.moveToIndex(idx[5] + 1)).as("not a record boundary").isFalse();
            assertThat(reader.moveToIndex(0)).isFalse();
            assertThat(reader.moveToIndex(-1)).isFalse();
            reader.toEnd();
            assertThat(reader.next(doc)).isFalse();
            long next = ch.append(new byte[] {42}, 1, NO_HEADER, 0, 0);
            assertThat(reader.next(doc)).isTrue();
            assertThat(doc.index()).isEqualTo(next);
            reader.toStart();
            assertThat(reader.next(doc)).isTrue();
            assertThat(doc.index()).isEqualTo(idx[0]);
            ch.reclaimBefore(idx[3]);
            assertThat(reader.moveToIndex(idx[2])).as("reclaimed").isFalse();
            reader.toStart();
            assertThat(reader.next(doc)).isTrue();
            assertThat(doc.index()).isEqualTo(idx[3]);
            assertThat(reader.moveToIndex(next + RingLayout.recordSize(1))).as("the end").isTrue();
            assertThat(reader.next(doc)).isFalse();
        }
    }

    @Test
    void nextDirectCopiesAMatchingDocumentStraightIntoTheCallersArray() throws IOException {
        try (Channel ch = transport().open(tmp.resolve("c")); ChannelReader reader = ch.reader()) {
            byte[] prefix = {1, 7};
            ch.append(prefix, 2, "hello".getBytes(), 0, 5);
            ch.append(new byte[] {1, 8}, 2, "other".getBytes(), 0, 5);
            ch.append(prefix, 2, "too long for it".getBytes(), 0, 15);
            Document doc = new Document(4);
            byte[] dst = new byte[10];
            assertThat(reader.nextDirect(doc, prefix, dst, 3, 7)).isEqualTo(5);
            assertThat(new String(dst, 3, 5)).isEqualTo("hello");
            assertThat(reader.nextDirect(doc, prefix, dst, 0, 10)).isEqualTo(ChannelReader.HELD);
            assertThat(new String(doc.bytes(), 2, 5)).isEqualTo("other");
            assertThat(reader.nextDirect(doc, prefix, dst, 0, 10)).isEqualTo(ChannelReader.HELD);
            assertThat(doc.length()).isEqualTo(17);
            assertThat(reader.nextDirect(doc, prefix, dst, 0, 10)).isEqualTo(ChannelReader.NONE);
        }
    }

    @Test
    void aDocumentLargerThanTheLargestRecordIsRefused() throws IOException {
        try (Channel ch = transport().open(tmp.resolve("c"))) {
            byte[] p = new byte[MAX_RECORD];
            assertThatThrownBy(() -> ch.append(NO_HEADER, 0, p, 0, p.length))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("largest record");
        }
    }

    @Test
    void aFileOfWrongMagicOrCapacityIsRefusedClearly() throws IOException {
        Path dir = tmp.resolve("c");
        transport().open(dir).close();
        // another configured capacity
        assertThatThrownBy(() -> new RingTransport(2 * CAPACITY, true, MAX_RECORD).open(dir))
                .hasMessageContaining("capacity " + CAPACITY).hasMessageContaining("via.ring-capacity");
        // a derived capacity adopts the file's
        try (Channel ch = new RingTransport(2 * CAPACITY, false, MAX_RECORD).open(dir)) {
            assertThat(((RingChannel) ch).capacity()).isEqualTo(CAPACITY);
        }
        Path file = dir.resolve(RingLayout.FILE_NAME);
        try (FileChannel fc = FileChannel.open(file, StandardOpenOption.WRITE)) {
            fc.write(ByteBuffer.wrap(new byte[] {1, 2, 3, 4}), 0);
        }
        assertThatThrownBy(() -> transport().open(dir)).isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining("wrong magic");
        Path truncated = tmp.resolve("t");
        transport().open(truncated).close();
        try (FileChannel fc = FileChannel.open(truncated.resolve(RingLayout.FILE_NAME), StandardOpenOption.WRITE)) {
            fc.truncate(RingLayout.HEADER_SIZE + CAPACITY / 2);
        }
        assertThatThrownBy(() -> transport().open(truncated)).hasMessageContaining("capacity " + CAPACITY);
        Path garbage = Files.createDirectories(tmp.resolve("g"));
        Files.writeString(garbage.resolve(RingLayout.FILE_NAME), "garbage");
        assertThatThrownBy(() -> transport().open(garbage)).hasMessageContaining("not a ring channel");
    }

    @Test
    void aSparseFreshRingHoldsNoDescriptorAndTheFileIsPrivate() throws IOException {
        Path dir = tmp.resolve("c");
        long before = openDescriptors();
        List<Channel> channels = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            channels.add(transport().open(dir.resolveSibling("c" + i)));
        }
        assertThat(openDescriptors() - before).isLessThan(5); // 20 channels, no descriptor each
        channels.forEach(Channel::close);
        Path file = dir.resolveSibling("c0").resolve(RingLayout.FILE_NAME);
        assertThat(Files.getPosixFilePermissions(file)).containsExactlyInAnyOrderElementsOf(
                PosixFilePermissions.fromString("rw-------"));
        // sparse: the blocks allocated are far fewer than the length
        Object blocks = Files.getAttribute(file, "unix:size");
        assertThat((long) blocks).isEqualTo(RingLayout.HEADER_SIZE + CAPACITY);
    }

    private static long openDescriptors() throws IOException {
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }

    /**
     * A writer killed inside an append leaves the lock word holding its pid and may have written part of a record
     * past TAIL without committing it. The next writer must take the lock (after it was held over a millisecond by a
     * process that no longer exists), clear the slot the dead one began and append; a reader sees the committed
     * records and nothing of the partial one.
     */
    @Test
    void aLockHeldByADeadProcessIsTakenOverAndItsPartialRecordNeverRead() throws Exception {
        Path dir = tmp.resolve("dead-holder");
        Process gone = new ProcessBuilder("true").start();
        assertThat(gone.waitFor(10, TimeUnit.SECONDS)).isTrue();
        long deadPid = gone.pid();
        try (Channel ch = transport().open(dir); ChannelReader reader = ch.reader()) {
            byte[] first = "committed before the death".getBytes();
            ch.append(NO_HEADER, 0, first, 0, first.length, () -> { });
            long tail = header(dir, RingLayout.TAIL_OFFSET);
            try (FileChannel fc = FileChannel.open(dir.resolve(RingLayout.FILE_NAME), StandardOpenOption.READ,
                    StandardOpenOption.WRITE)) {
                MappedByteBuffer m = fc.map(FileChannel.MapMode.READ_WRITE, 0, RingLayout.HEADER_SIZE + CAPACITY);
                m.order(ByteOrder.nativeOrder());
                m.putInt(RingLayout.LOCK_OFFSET, (int) deadPid); // the dead writer holds the lock
                int at = RingLayout.HEADER_SIZE + (int) tail;
                m.putInt(at + RingLayout.TYPE_FIELD, RingLayout.TYPE_DATA); // and began a record: no length yet
                m.putLong(at + RingLayout.POSITION_FIELD, tail);
                for (int i = RingLayout.RECORD_HEADER; i < 3000; i++) {
                    m.put(at + i, (byte) 0x7E);
                }
                m.force();
            }
            byte[] second = "appended by the next writer".getBytes();
            CompletableFuture<Long> append = CompletableFuture.supplyAsync(() -> {
                try {
                    return ch.append(NO_HEADER, 0, second, 0, second.length, () -> { });
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            append.get(10, TimeUnit.SECONDS);
            Document doc = new Document(16);
            assertThat(reader.next(doc)).isTrue();
            assertThat(Arrays.copyOf(doc.bytes(), doc.length())).isEqualTo(first);
            assertThat(reader.next(doc)).isTrue();
            assertThat(Arrays.copyOf(doc.bytes(), doc.length())).as("the dead writer's partial record is not read")
                    .isEqualTo(second);
            assertThat(reader.next(doc)).isFalse();
            assertThat(header(dir, RingLayout.LOCK_OFFSET) & 0xFFFF_FFFFL).as("the lock is free again").isZero();
            assertThat(dataBytes(dir, (int) header(dir, RingLayout.TAIL_OFFSET), RingLayout.RECORD_HEADER))
                    .as("the header slot after the last record is cleared").containsOnly((byte) 0);
        }
    }

    private static byte[] dataBytes(Path dir, int offset, int length) throws IOException {
        try (FileChannel fc = FileChannel.open(dir.resolve(RingLayout.FILE_NAME), StandardOpenOption.READ)) {
            MappedByteBuffer m = fc.map(FileChannel.MapMode.READ_ONLY, RingLayout.HEADER_SIZE + offset, length);
            byte[] b = new byte[length];
            m.get(b);
            return b;
        }
    }

    private static long header(Path dir, int offset) throws IOException {
        try (FileChannel fc = FileChannel.open(dir.resolve(RingLayout.FILE_NAME), StandardOpenOption.READ)) {
            MappedByteBuffer m = fc.map(FileChannel.MapMode.READ_ONLY, 0, RingLayout.HEADER_SIZE);
            return (long) LONGS.getVolatile(m, offset);
        }
    }
}
