package io.viaemu.transport.chronicle;

import java.io.File;
import java.lang.ref.WeakReference;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.stream.Stream;

import io.viaemu.internal.FilePermissions;
import io.viaemu.internal.Processes;
import io.viaemu.idle.Doorbell;
import io.viaemu.idle.QueueDoorbells;
import io.viaemu.transport.Channel;
import io.viaemu.transport.ChannelReader;
import io.viaemu.transport.Document;
import io.viaemu.transport.Transport;
import io.viaemu.transport.Transport.SegmentCounter;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.bytes.MappedBytesStore;
import net.openhft.chronicle.core.time.TimeProvider;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.RollCycle;
import net.openhft.chronicle.queue.RollCycles;
import net.openhft.chronicle.queue.impl.StoreFileListener;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.queue.impl.single.TableStoreWriteLock;
import net.openhft.chronicle.queue.rollcycles.TestRollCycles;
import net.openhft.chronicle.threads.Pauser;
import net.openhft.chronicle.threads.TimingPauser;
import net.openhft.chronicle.wire.DocumentContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Transport} over Chronicle Queue: each channel is a {@link SingleChronicleQueue} in its own directory,
 * documents are raw bytes (no wire format on the hot path), files are memory-mapped and shared between processes
 * through the page cache.
 */
public final class ChronicleTransport implements Transport {

    private final RollCycle rollCycle;
    private final long blockSize;

    public ChronicleTransport(ChronicleOptions options) {
        this.rollCycle = rollCycle(options.rollCycle());
        this.blockSize = options.blockSize();
    }

    public ChronicleTransport(String rollCycle, long blockSize) {
        this(ChronicleOptions.of(rollCycle, blockSize));
    }

    /** A RollCycles or TestRollCycles constant by name, e.g. FAST_DAILY or TEST_SECONDLY. */
    public static RollCycle rollCycle(String name) {
        for (RollCycles c : RollCycles.values()) {
            if (c.name().equals(name)) {
                return c;
            }
        }
        for (TestRollCycles c : TestRollCycles.values()) {
            if (c.name().equals(name)) {
                return c;
            }
        }
        throw new IllegalArgumentException("Unknown roll cycle '" + name + "'");
    }

    @Override
    public Channel open(Path directory) {
        try {
            FilePermissions.createPrivateDirectories(directory);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new ChronicleChannel(directory, rollCycle, blockSize, null, 0);
    }

    /**
     * A channel that rolls by size. Chronicle Queue rolls by time only, so the queue gets a logical clock: its
     * "time" is the shared segment number times the roll cycle's length, and a writer that filled the current file
     * past {@code rollBytes} advances the segment (CAS); each process's queue asks its clock at every append and
     * read, so all appenders roll to the next file and tailers follow the end-of-file marker the rolling appender
     * writes, as with a time roll. {@link #SEGMENT_CYCLE}: one second per segment gives 2^31 files per channel.
     */
    @Override
    public Channel open(Path directory, SegmentCounter segments, long rollBytes) {
        try {
            FilePermissions.createPrivateDirectories(directory);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new ChronicleChannel(directory, SEGMENT_CYCLE, blockSize, segments, rollBytes);
    }

    /**
     * The roll cycle of size-rolled channels: only its file naming and index layout matter (the clock is logical);
     * one cycle per second of logical time and 2^32 documents per file.
     */
    static final RollCycle SEGMENT_CYCLE = TestRollCycles.TEST_SECONDLY;

    /** The logical clock of a size-rolled queue: segment {@code n} is cycle {@code n + 1} (cycle 0 is 1970's). */
    static final class SegmentClock implements TimeProvider {
        private final SegmentCounter segments;
        private final long cycleMillis;

        SegmentClock(SegmentCounter segments, RollCycle cycle) {
            this.segments = segments;
            this.cycleMillis = cycle.lengthInMillis();
        }

        @Override
        public long currentTimeMillis() {
            return (segments.get() + 1) * cycleMillis;
        }

        @Override
        public long currentTimeMicros() {
            return currentTimeMillis() * 1000;
        }

        @Override
        public long currentTimeNanos() {
            return currentTimeMillis() * 1_000_000;
        }
    }

    /**
     * Chronicle's own timeout for a queue's write lock (it waits 1.5 times this, then forces the lock). Only a
     * fallback now: a waiting appender takes the lock back from a dead holder itself ({@link DeadHolderRecovery})
     * within about a millisecond of noticing the death; Chronicle's timeout is left for what that cannot see (a
     * holder's pid reused by a new process before anyone looked).
     */
    static final long LOCK_TIMEOUT_MILLIS = 2_000;

    /** How often a thread waiting in Chronicle (for the write lock, mostly) looks whether the lock's holder died. */
    static final long HOLDER_CHECK_INTERVAL_NANOS = 1_000_000;

    /** Populate the next this many bytes of a size-rolled queue's file ahead of its writer (see PagePopulator). */
    static final long POPULATE_STEP = 1L << 20;
    /** ... when the writer comes within this of the populated end. */
    static final long POPULATE_LOW_WATER = 256L << 10;
    /**
     * ... once it wrote this much into the file: a connection that only exchanges control documents or short
     * messages never has pages allocated ahead of it (an idle connection costs no memory for populating).
     */
    static final long POPULATE_AFTER = 256L << 10;

    static final class ChronicleChannel implements Channel {
        private final Path directory;
        private final SingleChronicleQueue queue;
        private final RollCycle rollCycle;
        /** Files this process has mapped, by cycle: the ones {@link #reclaimBefore} may delete. */
        private final Map<Integer, File> filesByCycle = new ConcurrentSkipListMap<>();
        private ExcerptAppender appender;
        /** Where this channel's readers park (see QueueDoorbells); resolved at the first append, null if none. */
        private Doorbell readersBell;
        private boolean readersBellResolved;
        private int reclaimedBelow = Integer.MIN_VALUE;
        /** Made the first time a writer waits for the lock; guarded by this channel. */
        private volatile DeadHolderRecovery lockRecovery;
        private boolean closed;
        /** The shared segment number of a size-rolled channel, null for a time-rolled one. */
        private final SegmentCounter segments;
        private final long rollBytes;
        /** Cycle this appender wrote last, and the file position of its first document in that cycle. */
        private int appendCycle = Integer.MIN_VALUE;
        private long appendCycleStart;
        /** Pages of {@code populatedStore} (the mapping last written) below file position {@code populatedTo} are mapped. */
        private long populatedTo;
        private MappedBytesStore populatedStore;

        ChronicleChannel(Path directory, RollCycle rollCycle, long blockSize, SegmentCounter segments, long rollBytes) {
            this.directory = directory;
            this.rollCycle = rollCycle;
            this.segments = segments;
            this.rollBytes = rollBytes;
            SingleChronicleQueueBuilder builder = SingleChronicleQueueBuilder.binary(directory);
            Supplier<TimingPauser> chroniclePausers = builder.pauserSupplier(); // Chronicle's default
            if (segments != null) {
                builder.timeProvider(new SegmentClock(segments, rollCycle));
            }
            this.queue = builder
                    .rollCycle(rollCycle)
                    .blockSize(blockSize)
                    // A writer killed while appending leaves the queue's write lock held. Chronicle takes it back
                    // from a dead holder only when this timeout expires (default 10 s, ~15 s in practice: longer
                    // than the handover and connect timeouts), so every other writer of the queue stalled that
                    // long. Its waiting threads pause in these pausers, which free the lock as soon as its holder
                    // is dead (see DeadHolderRecovery); the timeout stays as the last resort.
                    .pauserSupplier(() -> new HolderWatchingPauser(chroniclePausers.get(), this))
                    .timeoutMS(LOCK_TIMEOUT_MILLIS)
                    .storeFileListener(new StoreFileListener() {
                        @Override
                        public boolean isActive() {
                            return true;
                        }

                        @Override
                        public void onAcquired(int cycle, File file) {
                            filesByCycle.put(cycle, file);
                            FilePermissions.makePrivate(file.toPath());
                        }

                        @Override
                        public void onReleased(int cycle, File file) {
                            // nothing: a file is deleted only once every reader is past it (reclaimBefore)
                        }
                    })
                    .build();
            // the listener sees the cycle files; the queue's metadata file is created at build, with the umask's mode
            try (Stream<Path> files = Files.list(directory)) {
                files.forEach(FilePermissions::makePrivate);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public Path directory() {
            return directory;
        }

        private ExcerptAppender appender() {
            ExcerptAppender a = appender;
            if (a == null) {
                a = appender = queue.createAppender();
                // callers serialise appends (a lock per connection), but not always from one thread
                a.singleThreadedCheckDisabled(true);
            }
            return a;
        }

        @Override
        public void prepareToAppend() {
            appender(); // not pretouch(): the open-source queue only recurses in it until the stack overflows
        }

        @Override
        public long append(byte[] header, int headerLength, byte[] payload, int off, int len) {
            ExcerptAppender a = appender();
            long start;
            long end;
            Bytes<?> written;
            try (DocumentContext dc = a.writingDocument()) {
                Bytes<?> bytes = dc.wire().bytes();
                start = bytes.writePosition(); // the store's bytes: positions in the cycle file
                bytes.write(header, 0, headerLength);
                if (len > 0) {
                    bytes.write(payload, off, len);
                }
                end = bytes.writePosition();
                written = bytes;
            }
            long index = a.lastIndexAppended();
            if (segments != null) {
                int cycle = rollCycle.toCycle(index);
                if (cycle != appendCycle) {
                    // the file's header and index come first: count from this appender's first document in it
                    appendCycle = cycle;
                    appendCycleStart = start;
                }
                if (end - appendCycleStart > rollBytes) {
                    long segment = cycle - 1L;
                    segments.compareAndSet(segment, segment + 1); // lost CAS: another writer rolled it already
                }
                populateAhead(written, end);
            }
            if (!readersBellResolved) {
                readersBell = QueueDoorbells.forQueue(directory);
                readersBellResolved = true;
            }
            Doorbell bell = readersBell;
            if (bell != null) {
                bell.ring(); // wakes a parked reader; a fence and a read when none is parked
            }
            return index;
        }

        /**
         * Keeps the pages ahead of the write position mapped (see {@link PagePopulator}): once the writer wrote
         * {@link #POPULATE_AFTER} into the file, and whenever it then comes within
         * {@link #POPULATE_LOW_WATER} of what is populated, the next {@link #POPULATE_STEP} is, in one call, but
         * never past the mapping in hand nor past where the file rolls (so a file on disk stays a window long).
         * Called after the append, while the appender still holds the mapping it wrote to.
         */
        private void populateAhead(Bytes<?> bytes, long end) {
            Object current = bytes.bytesStore();
            if ((current == populatedStore && end + POPULATE_LOW_WATER <= populatedTo) || !PagePopulator.available()) {
                return; // the common case: well inside what is populated (or nothing to do)
            }
            if (!(current instanceof MappedBytesStore store) || end - appendCycleStart < POPULATE_AFTER) {
                return; // control documents and short exchanges fault their few pages in: no memory ahead of them
            }
            if (store != populatedStore) { // a new file or the next chunk of this one
                populatedStore = store;
                populatedTo = 0;
            }
            long from = Math.max(Math.max(populatedTo, alignUp(end)), alignUp(store.start()));
            long to = Math.min(Math.min(from + POPULATE_STEP, store.safeLimit()), appendCycleStart + rollBytes)
                    & -PagePopulator.PAGE;
            if (to <= from) {
                populatedTo = Long.MAX_VALUE; // at the roll or the mapping's end: the next file or chunk resets it
                return;
            }
            if (PagePopulator.populateForWrite(store.addressForWrite(from), to - from)) {
                populatedTo = to;
            }
        }

        private static long alignUp(long position) {
            return (position + PagePopulator.PAGE - 1) & -PagePopulator.PAGE;
        }

        @Override
        public ChannelReader reader() {
            return new ChronicleReader(queue.createTailer());
        }

        @Override
        public void reclaimBefore(long index) {
            int cycle = rollCycle.toCycle(index);
            if (cycle <= reclaimedBelow) {
                return; // the common case, once per document: one shift and compare
            }
            reclaimedBelow = cycle;
            for (Map.Entry<Integer, File> e : filesByCycle.entrySet()) {
                if (e.getKey() >= cycle) {
                    break;
                }
                File f = e.getValue();
                filesByCycle.remove(e.getKey());
                // Linux lets us unlink a file other processes still map; their mapping stays valid until released.
                if (!f.delete() && f.exists()) {
                    filesByCycle.put(e.getKey(), f);
                }
            }
        }

        /**
         * Frees the queue's write lock if the process holding it is dead (a zombie included); called by threads
         * waiting in Chronicle, at most every {@link #HOLDER_CHECK_INTERVAL_NANOS} each.
         */
        void recoverLockOfDeadHolder() {
            DeadHolderRecovery r = lockRecovery;
            if (r == null) {
                synchronized (this) {
                    if (closed) {
                        return;
                    }
                    r = lockRecovery;
                    if (r == null) {
                        try {
                            r = lockRecovery = new DeadHolderRecovery(queue);
                        } catch (RuntimeException e) {
                            // the queue is closing, or its table store unreadable: Chronicle's timeout still applies
                            return;
                        }
                    }
                }
            }
            r.recoverIfHolderDead();
        }

        @Override
        public void close() {
            if (appender != null) {
                appender.close();
            }
            synchronized (this) {
                closed = true;
                if (lockRecovery != null) {
                    lockRecovery.close();
                }
            }
            queue.close();
        }
    }

    /**
     * The queue's write lock as Chronicle keeps it: the value under {@code chronicle.write.lock} in the queue's
     * metadata table store, the holder's pid while held and {@link #UNLOCKED} when free (the same value its
     * appenders CAS). Chronicle offers {@code forceUnlockIfProcessIsDead()}, but it takes a process to be alive while
     * /proc/PID exists, which a zombie's does (a killed parent whose own parent does not reap it); so the holder is
     * judged by {@link Processes}, and the lock is freed with Chronicle's {@code forceUnlock(holder)}, a CAS from
     * exactly the dead holder's value: a live process that took the lock meanwhile keeps it.
     */
    static final class DeadHolderRecovery extends TableStoreWriteLock {
        private static final Logger log = LoggerFactory.getLogger(ChronicleTransport.class);

        DeadHolderRecovery(SingleChronicleQueue queue) {
            super(queue.metaStore(), Pauser::balanced, LOCK_TIMEOUT_MILLIS); // never locks: the pauser is unused
        }

        void recoverIfHolderDead() {
            long holder = lockedBy();
            if (holder == UNLOCKED || (int) holder == (int) PID) {
                return; // free, or this process's own (another thread of ours appends)
            }
            if (Processes.isAlive((int) holder, 0)) {
                return;
            }
            forceUnlock(holder);
            log.warn("took the write lock of queue {} back from pid {}, which died holding it", path, (int) holder);
        }
    }

    /**
     * Chronicle's pauser for a queue's waits (the write lock's above all) that also looks, every millisecond of
     * waiting, whether the lock's holder died; everything else is the wrapped pauser's.
     */
    static final class HolderWatchingPauser implements TimingPauser {
        private final TimingPauser delegate;
        /**
         * Weak: Chronicle keeps some of its pausers beyond the queue's close (seen as one connection queue, with its
         * mapped files, retained per closed connection), and a pauser must not keep a closed channel alive.
         */
        private final WeakReference<ChronicleChannel> channel;
        private long nextCheck = System.nanoTime();

        HolderWatchingPauser(TimingPauser delegate, ChronicleChannel channel) {
            this.delegate = delegate;
            this.channel = new WeakReference<>(channel);
        }

        private void checkHolder() {
            long now = System.nanoTime();
            if (now - nextCheck >= 0) {
                nextCheck = now + HOLDER_CHECK_INTERVAL_NANOS;
                ChronicleChannel c = channel.get();
                if (c != null) {
                    c.recoverLockOfDeadHolder();
                }
            }
        }

        @Override
        public void pause(long timeout, TimeUnit timeUnit) throws TimeoutException {
            checkHolder();
            delegate.pause(timeout, timeUnit);
        }

        @Override
        public void pause() {
            checkHolder();
            delegate.pause();
        }

        @Override
        public void reset() {
            delegate.reset();
        }

        @Override
        public void unpause() {
            delegate.unpause();
        }

        @Override
        public long timePaused() {
            return delegate.timePaused();
        }

        @Override
        public long countPaused() {
            return delegate.countPaused();
        }

        @Override
        public boolean isBusy() {
            return delegate.isBusy();
        }
    }

    static final class ChronicleReader implements ChannelReader {
        private final ExcerptTailer tailer;

        ChronicleReader(ExcerptTailer tailer) {
            this.tailer = tailer;
            // readers are used under a lock, by whichever thread polls (application or handover)
            tailer.singleThreadedCheckDisabled(true);
        }

        @Override
        public boolean next(Document into) {
            try (DocumentContext dc = tailer.readingDocument()) {
                if (!dc.isPresent()) {
                    return false;
                }
                Bytes<?> bytes = dc.wire().bytes();
                int n = (int) bytes.readRemaining();
                byte[] target = into.prepare(dc.index(), n);
                bytes.read(target, 0, n);
                return true;
            }
        }

        @Override
        public int nextDirect(Document into, byte[] prefix, byte[] dst, int off, int len) {
            try (DocumentContext dc = tailer.readingDocument()) {
                if (!dc.isPresent()) {
                    return NONE;
                }
                Bytes<?> bytes = dc.wire().bytes();
                int n = (int) bytes.readRemaining();
                long start = bytes.readPosition();
                boolean matches = n >= prefix.length && n - prefix.length <= len;
                for (int i = 0; matches && i < prefix.length; i++) {
                    matches = bytes.readByte(start + i) == prefix[i];
                }
                if (matches) {
                    into.prepare(dc.index(), 0);
                    bytes.readSkip(prefix.length);
                    bytes.read(dst, off, n - prefix.length);
                    return n - prefix.length;
                }
                byte[] target = into.prepare(dc.index(), n);
                bytes.read(target, 0, n);
                return HELD;
            }
        }

        @Override
        public boolean moveToIndex(long index) {
            return tailer.moveToIndex(index);
        }

        @Override
        public void toStart() {
            tailer.toStart();
        }

        @Override
        public void toEnd() {
            tailer.toEnd();
        }

        @Override
        public void close() {
            tailer.close();
        }
    }

}
