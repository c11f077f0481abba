package io.viaemu.worker;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import io.viaemu.idle.Doorbell;
import io.viaemu.internal.FilePermissions;

/**
 * The shared-memory status block of one worker (the {@code status} file in its directory): the one way parent and
 * worker tell each other how many connections the worker has, so that the parent never reads the disk or waits to
 * choose a worker. The parent creates it before it launches the worker and writes the worker's limits; the worker
 * publishes its pid, its state and every connection it finished. Every word is read and written atomically
 * (volatile / CAS on the mapping).
 *
 * <p>Admission is one word, {@link Word#ADMISSION}: the count of connections the parent assigned (it increments it
 * by CAS before it sends ASSIGN) and a {@link #CLOSED} bit that either side sets to stop new assignments (the worker
 * when it recycles itself, the parent when it retires the worker). Because both live in one word, the worker knows,
 * the moment it closes admission, exactly how many ASSIGNs it must still serve, and the parent can never assign to a
 * worker that has decided to go: the drain is race-free.
 */
public final class WorkerStatus {

    /** The words of the block; each takes 8 bytes at {@code ordinal * 8}. */
    enum Word {
        MAGIC,
        /** The worker's pid and start (epoch millis), written by the worker before it is READY. */
        PID, START,
        /** {@link State} code, written by the worker. */
        STATE,
        /** Connections the worker takes in all (with jitter), 0 = unlimited; written by the parent at launch. */
        LIMIT,
        /** Connections the worker serves at once; written by the parent at launch. */
        CONCURRENCY,
        /** Assigned-connection count (parent, CAS) and the {@link #CLOSED} bit (either side). */
        ADMISSION,
        /** Connections whose handler ended (or that failed before it started), written by the worker. */
        FINISHED,
        /** {@link Recycle} code: why the worker stopped taking connections; 0 while it takes them. */
        RECYCLE_REASON,
        /** Epoch millis the worker became ready. */
        AT_READY;

        int offset() {
            return ordinal() * 8;
        }
    }

    /** What the worker says it is doing. */
    public enum State {
        STARTING, READY, DRAINING, EXITED;

        static State of(long code) {
            return code >= 0 && code < values().length ? values()[(int) code] : EXITED;
        }
    }

    /** Why a worker stopped taking connections. */
    public enum Recycle {
        NONE, MAX_CONNECTIONS, HEAP_LIMIT, RSS_LIMIT, HANDLER_TIMEOUT, RETIRED_BY_PARENT, PARENT_DIED;

        static Recycle of(long code) {
            return code >= 0 && code < values().length ? values()[(int) code] : NONE;
        }
    }

    /** Set in {@link Word#ADMISSION}: no more connections. */
    static final long CLOSED = 1L << 62;
    static final long COUNT_MASK = CLOSED - 1;
    static final String FILE_NAME = "status";
    private static final long MAGIC_VALUE = 0x3154535244524b57L; // "WKRDRST1" little-endian
    private static final int SIZE = 4096;
    private static final VarHandle LONGS = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    /** Where the {@link #stateBell() state doorbell} is: the block's last cache line. */
    private static final int BELL_OFFSET = SIZE - Doorbell.SIZE;

    private final MappedByteBuffer buffer;
    private final Doorbell stateBell;

    private WorkerStatus(MappedByteBuffer buffer) {
        this.buffer = buffer;
        this.stateBell = new Doorbell(buffer, BELL_OFFSET, "worker state");
    }

    /**
     * Rung by the worker whenever its {@link Word#STATE} changes and when it finished a connection: a parent waiting
     * for a starting worker to get ready parks on it (the JVM start is hundreds of milliseconds; no poll), and so
     * does a fork waiting for room in a full worker.
     */
    Doorbell stateBell() {
        return stateBell;
    }

    /** Creates (0600) the block in {@code workerDir} with the worker's limits; the parent does this at launch. */
    static WorkerStatus create(Path workerDir, long limit, int concurrency) throws IOException {
        FilePermissions.createPrivateDirectories(workerDir);
        Path file = workerDir.resolve(FILE_NAME);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            FilePermissions.makePrivate(file);
            WorkerStatus s = new WorkerStatus(ch.map(FileChannel.MapMode.READ_WRITE, 0, SIZE));
            s.set(Word.LIMIT, limit);
            s.set(Word.CONCURRENCY, concurrency);
            s.set(Word.MAGIC, MAGIC_VALUE); // last: a worker that sees the magic sees the limits
            return s;
        }
    }

    /** Opens the block the parent created. */
    static WorkerStatus open(Path workerDir) throws IOException {
        Path file = workerDir.resolve(FILE_NAME);
        if (!Files.exists(file)) {
            throw new NoSuchFileException(file.toString(), null, "no worker status block");
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            if (ch.size() < SIZE) {
                throw new IOException("worker status block " + file + " is truncated (" + ch.size() + " bytes)");
            }
            WorkerStatus s = new WorkerStatus(ch.map(FileChannel.MapMode.READ_WRITE, 0, SIZE));
            if (s.get(Word.MAGIC) != MAGIC_VALUE) {
                throw new IOException("worker status block " + file + " has no via-emu magic word");
            }
            return s;
        }
    }

    long get(Word w) {
        return (long) LONGS.getVolatile(buffer, w.offset());
    }

    void set(Word w, long value) {
        LONGS.setVolatile(buffer, w.offset(), value);
    }

    public State state() {
        return State.of(get(Word.STATE));
    }

    public long pid() {
        return get(Word.PID);
    }

    public long limit() {
        return get(Word.LIMIT);
    }

    public int concurrency() {
        return (int) get(Word.CONCURRENCY);
    }

    /** Connections assigned so far. */
    public long assigned() {
        return get(Word.ADMISSION) & COUNT_MASK;
    }

    public long finished() {
        return get(Word.FINISHED);
    }

    /** Assigned and not finished (an ASSIGN on its way included). */
    public long current() {
        return Math.max(0, assigned() - finished());
    }

    public boolean admissionClosed() {
        return (get(Word.ADMISSION) & CLOSED) != 0;
    }

    public Recycle recycleReason() {
        return Recycle.of(get(Word.RECYCLE_REASON));
    }

    /** Whether one more connection may be assigned now (open, under the limit and the concurrency). */
    boolean canAdmit() {
        long v = get(Word.ADMISSION);
        return canAdmit(v);
    }

    private boolean canAdmit(long v) {
        long n = v & COUNT_MASK;
        long limit = get(Word.LIMIT);
        return (v & CLOSED) == 0 && (limit == 0 || n < limit) && n - get(Word.FINISHED) < get(Word.CONCURRENCY);
    }

    /**
     * Admission open and under the connection limit, but as many connections current as the concurrency: room comes
     * with the next {@link #finishedOne()}.
     */
    boolean onlyFull() {
        long v = get(Word.ADMISSION);
        long n = v & COUNT_MASK;
        long limit = get(Word.LIMIT);
        return (v & CLOSED) == 0 && (limit == 0 || n < limit) && n - get(Word.FINISHED) >= get(Word.CONCURRENCY);
    }

    /**
     * The parent reserves one connection (before it sends ASSIGN).
     *
     * @return the number of this connection (1 for the first), or 0 if the worker takes none now
     */
    long admit() {
        while (true) {
            long v = get(Word.ADMISSION);
            if (!canAdmit(v)) {
                return 0;
            }
            if (LONGS.compareAndSet(buffer, Word.ADMISSION.offset(), v, v + 1)) {
                return (v & COUNT_MASK) + 1;
            }
        }
    }

    /**
     * The parent retires an idle worker: closes admission only if nothing is assigned and unfinished.
     *
     * @return true if the worker is idle and takes no more connections (closed now or before)
     */
    boolean closeIfIdle() {
        while (true) {
            long v = get(Word.ADMISSION);
            if ((v & COUNT_MASK) != get(Word.FINISHED)) {
                return false; // a worker that closed admission itself may still be serving (a one-shot one is)
            }
            if ((v & CLOSED) != 0) {
                return true;
            }
            if (LONGS.compareAndSet(buffer, Word.ADMISSION.offset(), v, v | CLOSED)) {
                LONGS.compareAndSet(buffer, Word.RECYCLE_REASON.offset(), 0L, (long) Recycle.RETIRED_BY_PARENT.ordinal());
                return true;
            }
        }
    }

    /**
     * Closes admission (either side); the reason is recorded by whoever closed it first.
     *
     * @return the count of connections assigned when it closed: the ones the worker still owes
     */
    long close(Recycle reason) {
        long v = (long) LONGS.getAndBitwiseOr(buffer, Word.ADMISSION.offset(), CLOSED);
        if ((v & CLOSED) == 0) {
            LONGS.compareAndSet(buffer, Word.RECYCLE_REASON.offset(), 0L, (long) reason.ordinal());
        }
        return v & COUNT_MASK;
    }

    /**
     * The worker records a finished connection; a parent's fork waiting for room in this full worker is woken
     * (the doorbell's ring is a fence and a read while nobody waits).
     */
    void finishedOne() {
        LONGS.getAndAdd(buffer, Word.FINISHED.offset(), 1L);
        stateBell.ring();
    }

    void announce(long pid, long start) {
        set(Word.PID, pid);
        set(Word.START, start);
        set(Word.AT_READY, System.currentTimeMillis());
        set(Word.STATE, State.READY.ordinal());
        stateBell.ring();
    }

    void state(State s) {
        set(Word.STATE, s.ordinal());
        stateBell.ring();
    }
}
