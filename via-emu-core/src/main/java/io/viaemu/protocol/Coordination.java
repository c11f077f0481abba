package io.viaemu.protocol;

import java.nio.file.Path;

import io.viaemu.idle.Doorbell;

/**
 * The memory a connection's processes coordinate through: 64-bit words read and written atomically at byte offsets
 * (the layout is {@link FlagBlock}'s), the four doorbells its waiting threads park on, and a way to wake a peer
 * process's housekeeper. Today's implementation maps the connection's {@code flags} file
 * ({@link MappedCoordination}); {@link MemoryCoordination} keeps the words in this JVM, for roles driven by tests.
 */
public interface Coordination {

    /** Size in bytes: the words and, in the last {@link FlagBlock#DOORBELLS_SIZE} bytes, the doorbells. */
    int SIZE = 4096;

    long getVolatile(int offset);

    void setVolatile(int offset, long value);

    /** A release store, for values read only later (the consumed position). */
    void setRelease(int offset, long value);

    boolean compareAndSet(int offset, long expected, long value);

    long getAndAdd(int offset, long delta);

    long getAndBitwiseOr(int offset, long bits);

    /** The doorbell the client's threads park on; null when the words are read-only. */
    Doorbell clientBell();

    /** The doorbell the parent's and the child's threads park on; null when the words are read-only. */
    Doorbell serverBell();

    /**
     * The doorbell a child's thread parks on while it waits to own the connection, and in its close for S13: rung only
     * on the few changes such a wait ends on ({@link FlagBlock#CHILD_BELL_OFFSET}); null when the words are read-only.
     */
    Doorbell childBell();

    /**
     * The doorbell the parent's thread parks on in the handover's waits (the child's pid, S47, S51): rung only on
     * what ends them ({@link FlagBlock#PARENT_BELL_OFFSET}); null when the words are read-only.
     */
    Doorbell parentBell();

    /**
     * Wakes the housekeeper of process {@code pid} started at {@code startMillis}: a handover step it must take
     * even while none of its threads waits. Best effort.
     */
    void wakeProcess(long pid, long startMillis);

    /** Where the words live (the flags file, or the name of an in-memory block), for messages. */
    Path location();
}
