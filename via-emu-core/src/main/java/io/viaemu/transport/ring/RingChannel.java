package io.viaemu.transport.ring;

import static io.viaemu.transport.ring.RingLayout.CAPACITY_OFFSET;
import static io.viaemu.transport.ring.RingLayout.HEADER_SIZE;
import static io.viaemu.transport.ring.RingLayout.LENGTH_FIELD;
import static io.viaemu.transport.ring.RingLayout.LOCK_OFFSET;
import static io.viaemu.transport.ring.RingLayout.MAGIC;
import static io.viaemu.transport.ring.RingLayout.MAGIC_OFFSET;
import static io.viaemu.transport.ring.RingLayout.MAX_RECORD_OFFSET;
import static io.viaemu.transport.ring.RingLayout.POSITION_FIELD;
import static io.viaemu.transport.ring.RingLayout.RECLAIMED_OFFSET;
import static io.viaemu.transport.ring.RingLayout.RECLAIMING_OFFSET;
import static io.viaemu.transport.ring.RingLayout.RECORD_HEADER;
import static io.viaemu.transport.ring.RingLayout.RESERVE_OFFSET;
import static io.viaemu.transport.ring.RingLayout.SPACE_BELL_OFFSET;
import static io.viaemu.transport.ring.RingLayout.TAIL_OFFSET;
import static io.viaemu.transport.ring.RingLayout.TYPE_DATA;
import static io.viaemu.transport.ring.RingLayout.TYPE_FIELD;
import static io.viaemu.transport.ring.RingLayout.TYPE_PADDING;
import static io.viaemu.transport.ring.RingLayout.VERSION;
import static io.viaemu.transport.ring.RingLayout.VERSION_OFFSET;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.reflect.Field;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import io.viaemu.idle.Doorbell;
import io.viaemu.idle.QueueDoorbells;
import io.viaemu.internal.FilePermissions;
import io.viaemu.internal.Logs;
import io.viaemu.internal.Processes;
import io.viaemu.transport.Channel;
import io.viaemu.transport.ChannelReader;
import io.viaemu.transport.Document;
import org.slf4j.Logger;

/**
 * A channel kept in one memory-mapped file used as a ring ({@link RingLayout}): appends from any process take the
 * append lock word, wait for space outside it, write the record and commit it by its length; the one consuming reader
 * frees what it consumed for the next lap by publishing RECLAIMED ({@link #reclaimBefore}), without touching the
 * bytes. The file descriptor is closed right after the mapping is made: an open channel holds one mapping and no
 * descriptor.
 */
final class RingChannel implements Channel {
    /** Made on use, not at class initialisation: see {@link Logs}. */
    private static Logger log() {
        return Logs.of(RingChannel.class);
    }

    private static final VarHandle INTS = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.nativeOrder());
    private static final VarHandle LONGS = MethodHandles.byteBufferViewVarHandle(long[].class,
            ByteOrder.nativeOrder());

    /** How long an append with the reserve at its disposal (control documents, copies) waits for space at most. */
    static final long RESERVED_WAIT_NANOS = TimeUnit.SECONDS.toNanos(30);
    /** The longest single park of a writer waiting for space: it re-checks what ends the wait at least this often. */
    static final long SPACE_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    /** How long the lock must have been held by one holder before a waiter asks whether that holder is alive. */
    static final long HOLDER_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    /** How long {@link #close} waits for operations in flight before it leaves the unmapping to the collector. */
    static final long CLOSE_WAIT_NANOS = TimeUnit.SECONDS.toNanos(5);

    private static final int PID = (int) ProcessHandle.current().pid();

    private final Path directory;
    private final Path file;
    private final MappedByteBuffer map;
    private final boolean readOnly;
    private final long capacity;
    private final int mask;
    private final int maxRecord;
    private final int reserve;
    private final Doorbell spaceBell;
    /** Where this channel's readers park (see QueueDoorbells); resolved at the first append, null if none. */
    private Doorbell readersBell;
    private boolean readersBellResolved;

    /*
     * Unmapping while another thread still reads or writes the mapping would not throw: the access would hit an
     * unmapped page and the JVM dies of SIGSEGV. So every operation on the mapping runs between enter() and exit(),
     * and close() unmaps only once no operation is in flight (it first makes new ones fail, then waits). enter()
     * increments then reads closed; close() writes closed then reads the count: with both sequentially consistent,
     * either close sees the operation or the operation sees the close.
     */
    private final AtomicInteger inUse = new AtomicInteger();
    private volatile boolean closed;

    private RingChannel(Path directory, Path file, MappedByteBuffer map, boolean readOnly) {
        this.directory = directory;
        this.file = file;
        this.map = map;
        this.readOnly = readOnly;
        this.capacity = (long) LONGS.getVolatile(map, CAPACITY_OFFSET);
        this.mask = (int) (capacity - 1);
        this.maxRecord = (int) INTS.getVolatile(map, MAX_RECORD_OFFSET);
        this.reserve = (int) INTS.getVolatile(map, RESERVE_OFFSET);
        this.spaceBell = readOnly ? null : new Doorbell(map, SPACE_BELL_OFFSET, file + " space");
    }

    /**
     * Opens the ring in {@code directory}, creating it with {@code capacity} data bytes if missing (files made by
     * another process keep their own capacity and largest record unless {@code capacityRequired}).
     */
    static RingChannel open(Path directory, long capacity, boolean capacityRequired, int maxRecord) {
        if (!RingLayout.isPowerOfTwo(capacity) || capacity < RingLayout.MIN_CAPACITY
                || capacity > RingLayout.MAX_CAPACITY) {
            throw new IllegalArgumentException("ring capacity " + capacity + " must be a power of two in ["
                    + RingLayout.MIN_CAPACITY + ", " + RingLayout.MAX_CAPACITY + "]");
        }
        Path file = directory.resolve(RingLayout.FILE_NAME);
        try {
            FilePermissions.createPrivateDirectories(directory);
            if (!Files.exists(file)) {
                create(file, capacity, maxRecord);
            }
            MappedByteBuffer map = map(file, false);
            check(file, map, capacityRequired ? capacity : 0);
            return new RingChannel(directory, file, map, false);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open ring channel " + file + ": " + e, e);
        }
    }

    /**
     * Opens an existing ring read-only, whatever its capacity (the inspector): nothing is created or written.
     *
     * @throws NoSuchFileException if there is no ring in {@code directory}
     */
    static RingChannel openReadOnly(Path directory) throws IOException {
        Path file = directory.resolve(RingLayout.FILE_NAME);
        MappedByteBuffer map = map(file, true);
        check(file, map, 0);
        return new RingChannel(directory, file, map, true);
    }

    /**
     * Makes the file complete under a temporary name and links it into place: a process that finds {@code ring}
     * finds it whole, and of two processes creating it at once one link fails and that one uses the other's file.
     * The file is sparse: only the header is written.
     */
    private static void create(Path file, long capacity, int maxRecord) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp-" + Long.toHexString(ThreadLocalRandom.current()
                .nextLong()));
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                    StandardOpenOption.WRITE)) {
                FilePermissions.makePrivate(tmp);
                // mapping the whole length extends the file (ftruncate): sparse, only the header page is written
                MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_WRITE, 0, HEADER_SIZE + capacity);
                try {
                    INTS.setRelease(m, VERSION_OFFSET, VERSION);
                    LONGS.setRelease(m, CAPACITY_OFFSET, capacity);
                    INTS.setRelease(m, MAX_RECORD_OFFSET, maxRecord);
                    INTS.setRelease(m, RESERVE_OFFSET, RingLayout.reserve(maxRecord));
                    INTS.setRelease(m, MAGIC_OFFSET, MAGIC);
                } finally {
                    unmap(m);
                }
            }
            try {
                Files.createLink(file, tmp);
            } catch (FileAlreadyExistsException e) {
                // another process made it first: use that one
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static MappedByteBuffer map(Path file, boolean readOnly) throws IOException {
        StandardOpenOption[] options = readOnly ? new StandardOpenOption[] {StandardOpenOption.READ}
                : new StandardOpenOption[] {StandardOpenOption.READ, StandardOpenOption.WRITE};
        try (FileChannel ch = FileChannel.open(file, options)) {
            long size = ch.size();
            if (size < HEADER_SIZE + RingLayout.MIN_CAPACITY || size > HEADER_SIZE + RingLayout.MAX_CAPACITY) {
                throw new IOException("ring file " + file + " has " + size + " bytes: not a ring channel");
            }
            // the channel (and its descriptor) is closed at once; the mapping stays valid until unmapped
            return ch.map(readOnly ? FileChannel.MapMode.READ_ONLY : FileChannel.MapMode.READ_WRITE, 0, size);
        }
    }

    /** Refuses a file that is not a complete ring of this layout (or not of the capacity required, when not 0). */
    private static void check(Path file, MappedByteBuffer map, long capacityRequired) throws IOException {
        String problem = null;
        int magic = (int) INTS.getVolatile(map, MAGIC_OFFSET);
        long capacity = (long) LONGS.getVolatile(map, CAPACITY_OFFSET);
        int maxRecord = (int) INTS.getVolatile(map, MAX_RECORD_OFFSET);
        int reserve = (int) INTS.getVolatile(map, RESERVE_OFFSET);
        if (magic != MAGIC) {
            problem = "wrong magic 0x" + Integer.toHexString(magic) + " (expected 0x" + Integer.toHexString(MAGIC) + ")";
        } else if ((int) INTS.getVolatile(map, VERSION_OFFSET) != VERSION) {
            problem = "layout version " + (int) INTS.getVolatile(map, VERSION_OFFSET) + ", this code reads " + VERSION;
        } else if (!RingLayout.isPowerOfTwo(capacity) || HEADER_SIZE + capacity != map.capacity()) {
            problem = "capacity " + capacity + " is not a power of two matching the file's " + map.capacity()
                    + " bytes";
        } else if (capacityRequired != 0 && capacity != capacityRequired) {
            problem = "capacity " + capacity + ", but this process is configured for " + capacityRequired
                    + " (via.ring-capacity must be the same in every process)";
        } else if (maxRecord < RingLayout.recordSize(0) || maxRecord % RingLayout.ALIGNMENT != 0
                || reserve < maxRecord || 2L * maxRecord + reserve > capacity) {
            problem = "largest record " + maxRecord + " / reserve " + reserve + " do not fit capacity " + capacity;
        }
        if (problem != null) {
            unmap(map);
            throw new IOException("ring file " + file + ": " + problem);
        }
    }

    @Override
    public Path directory() {
        return directory;
    }

    long capacity() {
        return capacity;
    }

    int maxRecord() {
        return maxRecord;
    }

    int reserve() {
        return reserve;
    }

    // ---------------------------------------------------------------------------------------------------- guard

    private void enter() {
        inUse.incrementAndGet();
        if (closed) {
            exit();
            throw closedException();
        }
    }

    private void exit() {
        inUse.decrementAndGet();
    }

    private IllegalStateException closedException() {
        return new IllegalStateException("ring channel " + directory + " is closed");
    }

    // --------------------------------------------------------------------------------------------------- append

    @Override
    public long append(byte[] header, int headerLength, byte[] payload, int off, int len) {
        try {
            return append(header, headerLength, payload, off, len, 0, null);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // no wait given: nothing throws it
        }
    }

    /** An ordinary append: it leaves the reserve free, and waits for space as {@code wait} allows. */
    @Override
    public long append(byte[] header, int headerLength, byte[] payload, int off, int len, SpaceWait wait)
            throws IOException {
        return append(header, headerLength, payload, off, len, reserve, wait);
    }

    private long append(byte[] header, int headerLength, byte[] payload, int off, int len, int keepFree,
            SpaceWait wait) throws IOException {
        if (readOnly) {
            throw new IllegalStateException("ring channel " + directory + " is open read-only");
        }
        int content = headerLength + len;
        int size = RingLayout.recordSize(content);
        if (content < 0 || size > maxRecord) {
            throw new IllegalArgumentException("document of " + content + " bytes exceeds the ring's largest record of "
                    + (maxRecord - RECORD_HEADER) + " bytes (" + file + ")");
        }
        long index;
        enter();
        try {
            long deadline = wait == null ? System.nanoTime() + RESERVED_WAIT_NANOS : 0;
            while (true) {
                if (hasSpace(size, keepFree)) {
                    lock();
                    try {
                        long tail = (long) LONGS.getVolatile(map, TAIL_OFFSET);
                        long padding = padding(tail, size);
                        long reclaimed = reclaimed();
                        if (tail + padding + size <= reclaimed + capacity - keepFree) {
                            index = write(tail, padding, size, content, header, headerLength, payload, off, len,
                                    reclaimed);
                            break;
                        }
                    } finally {
                        unlock();
                    }
                }
                awaitSpace(size, keepFree, wait, deadline);
            }
        } finally {
            exit();
        }
        ringReaders();
        return index;
    }

    /** The padding a record of {@code size} at {@code tail} needs first: 0, or the bytes to the end of the buffer. */
    private long padding(long tail, int size) {
        int offset = (int) (tail & mask);
        return offset + size > capacity ? capacity - offset : 0;
    }

    /**
     * The largest content one ordinary append takes now: its record (aligned) must fit the free space before the end
     * of the data area, or after a padding to the end; at most a largest record.
     */
    @Override
    public long roomNow(int headerLength) {
        if (readOnly) {
            return 0;
        }
        enter();
        try {
            long tail = (long) LONGS.getVolatile(map, TAIL_OFFSET);
            long free = reclaimed() + capacity - reserve - tail;
            long toEnd = capacity - (tail & mask);
            long record = Math.min(Math.max(Math.min(free, toEnd), free - toEnd), maxRecord) & -RingLayout.ALIGNMENT;
            return Math.max(0, record - RECORD_HEADER - headerLength);
        } finally {
            exit();
        }
    }

    private boolean hasSpace(int size, int keepFree) {
        long tail = (long) LONGS.getVolatile(map, TAIL_OFFSET);
        return tail + padding(tail, size) + size <= reclaimed() + capacity - keepFree;
    }

    private long reclaimed() {
        return (long) LONGS.getVolatile(map, RECLAIMED_OFFSET);
    }

    /**
     * Under the lock: writes (padding and) the record at {@code tail}, commits it, advances TAIL. The commit order is
     * the one {@link #presentLength} reads in reverse (see {@link RingLayout}): the slot's length is cleared, then its
     * position published (release), then type and content, then the length (release). Before the commit the header
     * slot of the next record is cleared when it lies in free space, so the reader that comes to it after this record
     * finds no bytes of an earlier lap's content there.
     */
    private long write(long tail, long padding, int size, int content, byte[] header, int headerLength,
            byte[] payload, int off, int len, long reclaimed) {
        long position = tail;
        if (padding > 0) {
            int o = begin(position, TYPE_PADDING);
            INTS.setRelease(map, o + LENGTH_FIELD, (int) padding);
            position += padding;
        }
        int o = begin(position, TYPE_DATA);
        if (headerLength > 0) {
            map.put(o + RECORD_HEADER, header, 0, headerLength);
        }
        if (len > 0) {
            map.put(o + RECORD_HEADER + headerLength, payload, off, len);
        }
        clearSlotIfFree(position + size, reclaimed);
        INTS.setRelease(map, o + LENGTH_FIELD, RECORD_HEADER + content); // the commit
        LONGS.setRelease(map, TAIL_OFFSET, position + size);
        return RingLayout.index(position);
    }

    /**
     * Starts the record at {@code position}: clears the slot's length (it may hold an earlier lap's record header),
     * then publishes the position with release ordering, so that a reader that sees this position sees a length of 0
     * or this record's; returns the record's offset in the map.
     */
    private int begin(long position, int type) {
        int o = HEADER_SIZE + (int) (position & mask);
        INTS.set(map, o + LENGTH_FIELD, 0);
        LONGS.setRelease(map, o + POSITION_FIELD, position);
        INTS.set(map, o + TYPE_FIELD, type);
        return o;
    }

    /**
     * Clears the record header slot at {@code position} if the slot is free space (before {@code reclaimed} +
     * capacity). When it is not, the ring is exactly full and the slot is the header of the oldest record still in the
     * ring, whose position is a lap behind: a reader rejects it as well.
     */
    private void clearSlotIfFree(long position, long reclaimed) {
        if (position + RECORD_HEADER <= reclaimed + capacity) {
            int o = HEADER_SIZE + (int) (position & mask);
            LONGS.set(map, o + POSITION_FIELD, 0L);
            LONGS.set(map, o + LENGTH_FIELD, 0L); // and the type, the header's other half
        }
    }

    /**
     * The length of the record at {@code position} (offset {@code o} in the map) if it is committed, else 0. The
     * position is read first (acquire): only the writer of this record stores this position in this slot (an earlier
     * lap's header holds its own position; cleared slots hold 0), and it cleared the length before, so the length read
     * next (acquire) is 0 or the commit, and the content is complete when it is the commit.
     */
    private int presentLength(int o, long position) {
        if ((long) LONGS.getAcquire(map, o + POSITION_FIELD) != position) {
            return 0;
        }
        int length = (int) INTS.getAcquire(map, o + LENGTH_FIELD);
        return Math.max(length, 0);
    }

    /**
     * Parks on the space doorbell until a reclaim may have made room, for at most {@link #SPACE_PARK_NANOS}; before
     * each park checks what ends the wait: this channel's close, {@code wait} (the connection failed or closed), or
     * for an append without one (control documents, copies) a full ring for {@link #RESERVED_WAIT_NANOS}.
     */
    private void awaitSpace(int size, int keepFree, SpaceWait wait, long deadline) throws IOException {
        if (closed) {
            throw closedException();
        }
        if (wait != null) {
            wait.check();
        } else if (System.nanoTime() - deadline > 0) {
            throw new IllegalStateException("ring channel " + directory + " has had no room for a document of " + size
                    + " bytes for " + TimeUnit.NANOSECONDS.toMillis(RESERVED_WAIT_NANOS)
                    + " ms: its reader does not consume");
        }
        int sequence = spaceBell.arm();
        try {
            if (!closed && !hasSpace(size, keepFree)) {
                spaceBell.await(sequence, SPACE_PARK_NANOS);
            }
        } finally {
            spaceBell.disarm();
        }
    }

    private void ringReaders() {
        if (!readersBellResolved) {
            readersBell = QueueDoorbells.forQueue(directory);
            readersBellResolved = true;
        }
        Doorbell bell = readersBell;
        if (bell != null) {
            bell.ring(); // wakes a parked reader; a fence and a read when none is parked
        }
    }

    // ----------------------------------------------------------------------------------------------------- lock

    /**
     * Takes the append lock (CAS 0 to our pid). Appends hold it for microseconds, so a waiter spins, then yields. A
     * holder that has kept it for more than {@link #HOLDER_CHECK_NANOS} is asked whether it is alive; a dead one's
     * lock is taken over (a CAS from exactly its pid) and what it may have left half-written is repaired.
     */
    private void lock() {
        if (INTS.compareAndSet(map, LOCK_OFFSET, 0, PID)) {
            return;
        }
        int seen = 0;
        long since = System.nanoTime();
        for (int spins = 0; ; spins++) {
            int holder = (int) INTS.getVolatile(map, LOCK_OFFSET);
            if (holder == 0) {
                if (INTS.compareAndSet(map, LOCK_OFFSET, 0, PID)) {
                    return;
                }
                continue;
            }
            long now = System.nanoTime();
            if (holder != seen) {
                seen = holder;
                since = now;
            } else if (holder != PID && now - since > HOLDER_CHECK_NANOS) {
                if (!Processes.isAlive(holder, 0) && INTS.compareAndSet(map, LOCK_OFFSET, holder, PID)) {
                    repairAfterDeadHolder(holder);
                    return;
                }
                since = now;
            }
            if (closed) {
                throw closedException();
            }
            if (spins < 100) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
    }

    private void unlock() {
        INTS.setRelease(map, LOCK_OFFSET, 0);
    }

    /**
     * Under the lock taken from {@code deadPid}: a writer killed in an append may have committed records without
     * advancing TAIL (a reader may have read them: they are kept, TAIL moves past them), and may have begun a record
     * after them (its position published, its length still 0): that slot is cleared, as a finished append would have
     * left it.
     */
    private void repairAfterDeadHolder(int deadPid) {
        long tail = (long) LONGS.getVolatile(map, TAIL_OFFSET);
        long reclaimed = reclaimed();
        long limit = reclaimed + capacity;
        long kept = 0;
        while (tail < limit) {
            int o = HEADER_SIZE + (int) (tail & mask);
            int length = presentLength(o, tail);
            if (length <= 0) {
                break;
            }
            int type = (int) INTS.get(map, o + TYPE_FIELD);
            long size = type == TYPE_PADDING ? length : RingLayout.align(length);
            if ((type != TYPE_PADDING && type != TYPE_DATA) || size > capacity || tail + size > limit) {
                break;
            }
            tail += size;
            kept++;
        }
        clearSlotIfFree(tail, reclaimed);
        LONGS.setRelease(map, TAIL_OFFSET, tail);
        log().warn("ring {}: took the append lock from pid {}, which died holding it; kept {} committed record(s) past "
                + "its TAIL", file, deadPid, kept);
    }

    // ---------------------------------------------------------------------------------------------------- misc

    @Override
    public void prepareToAppend() {
        if (readOnly) {
            return;
        }
        enter();
        try {
            // fault the next record's page in now (a read: a page of a sparse file is allocated on its first write)
            long tail = (long) LONGS.getVolatile(map, TAIL_OFFSET);
            map.get(HEADER_SIZE + (int) (tail & mask));
        } finally {
            exit();
        }
        if (!readersBellResolved) {
            readersBell = QueueDoorbells.forQueue(directory);
            readersBellResolved = true;
        }
    }

    @Override
    public ChannelReader reader() {
        return new RingReader();
    }

    /**
     * Frees the documents before {@code index} for the next lap: publishes RECLAIMED, then rings the space doorbell.
     * The bytes stay as they are (a writer clears each record's slot before it commits the record before it, see
     * {@link #write}). RECLAIMING is announced first, for a second reader (the inspector) that copied from this range
     * while a writer of the next lap may already write there. One process consumes a channel at a time (the protocol
     * hands the input over: parent, then child), and only the consumer reclaims.
     */
    @Override
    public void reclaimBefore(long index) {
        if (readOnly || index <= 1) {
            return;
        }
        enter();
        try {
            long position = RingLayout.position(index);
            long from = reclaimed();
            if (position <= from) {
                return; // the common case for a document read in pieces
            }
            long tail = (long) LONGS.getVolatile(map, TAIL_OFFSET);
            // A reader may consume a record between its commit and the append's TAIL store: the position may pass
            // TAIL by what one append writes (a padding and a record), never by more.
            if (position - tail > 2L * maxRecord) {
                throw new IllegalArgumentException("reclaimBefore(" + index + ") beyond the end " + tail + " of " + file);
            }
            if ((position & (RingLayout.ALIGNMENT - 1)) != 0) {
                throw new IllegalArgumentException("reclaimBefore(" + index + "): not a document's index in " + file);
            }
            LONGS.setVolatile(map, RECLAIMING_OFFSET, position);
            if (LONGS.compareAndSet(map, RECLAIMED_OFFSET, from, position)) {
                spaceBell.ring();
            }
        } finally {
            exit();
        }
    }

    /** True if {@code index} is below RECLAIMED: its bytes are free for the next lap (the first document left is not). */
    @Override
    public boolean isReclaimed(long index) {
        enter();
        try {
            return index > 0 && RingLayout.position(index) < reclaimed();
        } finally {
            exit();
        }
    }

    /**
     * Closes this handle: appends and reads on it fail from now on, a blocked append wakes and throws; the mapping is
     * released once no operation is in flight (at most {@link #CLOSE_WAIT_NANOS} later; a thread stuck longer keeps
     * the mapping, which the collector then releases). The file stays: deleting the directory is the connection's.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (spaceBell != null) {
            enterForClose();
        }
        long deadline = System.nanoTime() + CLOSE_WAIT_NANOS;
        while (inUse.get() != 0) {
            if (System.nanoTime() - deadline > 0) {
                log().warn("ring {}: operations still in flight {} ms after close; its mapping is left to the collector",
                        file, TimeUnit.NANOSECONDS.toMillis(CLOSE_WAIT_NANOS));
                return;
            }
            LockSupport.parkNanos(50_000);
        }
        unmap(map);
    }

    /** Wakes appends of this process parked for space (other processes' parked writers re-check and park again). */
    private void enterForClose() {
        inUse.incrementAndGet();
        try {
            spaceBell.ringAlways();
        } finally {
            exit();
        }
    }

    private static final Object UNSAFE = unsafe();

    private static Object unsafe() {
        try {
            Class<?> c = Class.forName("sun.misc.Unsafe");
            Field f = c.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            return f.get(null);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null; // then the collector unmaps
        }
    }

    /** Unmaps now (sun.misc.Unsafe.invokeCleaner), or leaves it to the collector if that is not available. */
    static void unmap(MappedByteBuffer buffer) {
        if (UNSAFE == null) {
            return;
        }
        try {
            ((sun.misc.Unsafe) UNSAFE).invokeCleaner(buffer);
        } catch (RuntimeException e) {
            log().debug("cannot unmap {}: {}", buffer, e.toString());
        }
    }

    @Override
    public String toString() {
        return "RingChannel{" + file + ", capacity " + capacity + "}"; // the map may be gone: not read here
    }

    // --------------------------------------------------------------------------------------------------- reader

    /** Reads the ring from a position; not thread-safe (as every reader). */
    final class RingReader implements ChannelReader {
        /** Position of the next record to read. */
        private long position;

        RingReader() {
            enter();
            try {
                position = reclaimed();
            } finally {
                exit();
            }
        }

        /** The offset in the map of the next record present, or -1; skips padding and what a reclaim overtook. */
        private int nextRecord() {
            while (true) {
                int o = HEADER_SIZE + (int) (position & mask);
                int length = presentLength(o, position);
                if (length <= 0) {
                    long r = reclaimed();
                    if (position < r) {
                        position = r; // another reader consumed and reclaimed past us (we only observe)
                        continue;
                    }
                    return -1;
                }
                int type = (int) INTS.get(map, o + TYPE_FIELD);
                if (type == TYPE_PADDING && length <= capacity && (position & mask) + length == capacity) {
                    position += length;
                    continue;
                }
                if (type != TYPE_DATA || length < RECORD_HEADER || length > maxRecord) {
                    throw new IllegalStateException("ring " + file + ": corrupt record at position " + position
                            + " (type " + type + ", length " + length + ")");
                }
                return o;
            }
        }

        /**
         * True if a reclaim started over the record just copied (it may have been rewritten by the next lap under the
         * copy): then the reader moves to where the reclaim ends and reads on from there.
         */
        private boolean overtaken() {
            VarHandle.loadLoadFence();
            long reclaiming = (long) LONGS.getVolatile(map, RECLAIMING_OFFSET);
            if (reclaiming > position) {
                position = reclaiming;
                return true;
            }
            return false;
        }

        @Override
        public boolean next(Document into) {
            enter();
            try {
                while (true) {
                    int o = nextRecord();
                    if (o < 0) {
                        return false;
                    }
                    int length = (int) INTS.get(map, o + LENGTH_FIELD);
                    int n = length - RECORD_HEADER;
                    byte[] target = into.prepare(RingLayout.index(position), n);
                    map.get(o + RECORD_HEADER, target, 0, n);
                    if (!overtaken()) {
                        position += RingLayout.align(length);
                        return true;
                    }
                }
            } finally {
                exit();
            }
        }

        @Override
        public int nextDirect(Document into, byte[] prefix, byte[] dst, int off, int len) {
            enter();
            try {
                while (true) {
                    int o = nextRecord();
                    if (o < 0) {
                        return NONE;
                    }
                    int length = (int) INTS.get(map, o + LENGTH_FIELD);
                    int n = length - RECORD_HEADER;
                    int start = o + RECORD_HEADER;
                    boolean matches = n >= prefix.length && n - prefix.length <= len;
                    for (int i = 0; matches && i < prefix.length; i++) {
                        matches = map.get(start + i) == prefix[i];
                    }
                    int result;
                    if (matches) {
                        into.prepare(RingLayout.index(position), 0);
                        map.get(start + prefix.length, dst, off, n - prefix.length);
                        result = n - prefix.length;
                    } else {
                        map.get(start, into.prepare(RingLayout.index(position), n), 0, n);
                        result = HELD;
                    }
                    if (!overtaken()) {
                        position += RingLayout.align(length);
                        return result;
                    }
                }
            } finally {
                exit();
            }
        }

        /**
         * True, and positioned there, if {@code index} is a document still in the ring, or the position right after
         * the last one (where the next append goes).
         */
        @Override
        public boolean moveToIndex(long index) {
            if (index <= 0) {
                return false;
            }
            long p = RingLayout.position(index);
            enter();
            try {
                long r = reclaimed();
                long tail = (long) LONGS.getVolatile(map, TAIL_OFFSET);
                if (p < r || p - r > capacity || (p & (RingLayout.ALIGNMENT - 1)) != 0) {
                    return false;
                }
                if (p >= tail) {
                    // the end, or past records committed by an append that has not stored TAIL yet: only a position
                    // reached by walking those records is a record's (the free space past them holds old bytes)
                    long q = tail;
                    while (q < p) {
                        int o = HEADER_SIZE + (int) (q & mask);
                        int length = presentLength(o, q);
                        if (length <= 0) {
                            return false;
                        }
                        q += (int) INTS.get(map, o + TYPE_FIELD) == TYPE_PADDING ? length : RingLayout.align(length);
                    }
                    if (q != p) {
                        return false;
                    }
                    position = p;
                    return true;
                }
                int o = HEADER_SIZE + (int) (p & mask);
                if (presentLength(o, p) <= 0 || (int) INTS.get(map, o + TYPE_FIELD) != TYPE_DATA) {
                    return false;
                }
                position = p;
                return true;
            } finally {
                exit();
            }
        }

        @Override
        public void toStart() {
            enter();
            try {
                position = reclaimed();
            } finally {
                exit();
            }
        }

        /** After the last committed record (TAIL, and past records committed by an append not yet finished). */
        @Override
        public void toEnd() {
            enter();
            try {
                position = (long) LONGS.getVolatile(map, TAIL_OFFSET);
                while (nextRecord() >= 0) {
                    position += RingLayout.align((int) INTS.get(map, HEADER_SIZE + (int) (position & mask)));
                }
            } finally {
                exit();
            }
        }

        @Override
        public void close() {
            // nothing held: the mapping is the channel's
        }
    }
}
