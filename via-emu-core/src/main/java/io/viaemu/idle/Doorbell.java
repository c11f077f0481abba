package io.viaemu.idle;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.locks.LockSupport;

import io.viaemu.internal.FilePermissions;

/**
 * A wake-up word in shared memory: a 32-bit sequence number (the futex word) and a count of parked waiters, on a
 * cache line of their own. Whoever waits for a condition another process makes true (a document in a queue, a flag)
 * parks on the doorbell of that condition; whoever makes it true rings the doorbell afterwards.
 *
 * <p>The protocol (Dekker-style, both sides with a full fence between their write and their read):
 * <ul>
 * <li>waiter: {@link #arm()} (waiters++, a full fence; returns the sequence), check the condition, and only if it
 * still does not hold {@link #await(int, long) await} the sequence, then {@link #disarm()};</li>
 * <li>ringer: make the condition true, {@link #ring()}: a full fence and a read of the waiter count, and only if
 * somebody is parked: sequence++ and FUTEX_WAKE.</li>
 * </ul>
 * Either the waiter sees the condition, or the ringer sees the waiter and changes the sequence, which the kernel
 * compares before it puts the waiter to sleep: no wake-up is lost. The writer's cost when nobody is parked is the
 * fence and one read.
 *
 * <p>Without a futex ({@link #futexAvailable()} false) {@link #await} parks for at most
 * {@link #FALLBACK_PARK_NANOS}, and ringing changes only the sequence: the waiter finds the condition on its next
 * bounded park.
 */
public final class Doorbell {
    /** Bytes a doorbell takes: one cache line, so that its waiters' count does not share a line with hot data. */
    public static final int SIZE = 64;
    /** Size of a doorbell file ({@link #openFile}). */
    static final int FILE_SIZE = SIZE;
    /** The longest park where no futex is available. */
    public static final long FALLBACK_PARK_NANOS = 1_000_000L;

    private static final VarHandle INTS = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.nativeOrder());
    private static final int SEQ = 0;
    private static final int WAITERS = 4;

    /** {@link #address} before its first use. */
    private static final long UNRESOLVED = -1;

    private final ByteBuffer buffer;
    private final int offset;
    /**
     * The futex word's native address (0: no futex), resolved at the first wait or wake, not at construction:
     * resolving it initialises JNA, and a fresh client makes its slot's doorbells while the {@code NativeWarmup}
     * thread is still doing that (the connecting thread would wait for it there; a doorbell nobody parked on never
     * needs the address).
     */
    private volatile long address = UNRESOLVED;
    private final String name;

    /**
     * The doorbell at {@code offset} (a multiple of {@link #SIZE}) of a direct buffer; a file mapping
     * ({@code MAP_SHARED}) makes it a doorbell between processes.
     */
    public Doorbell(ByteBuffer direct, int offset, String name) {
        if (!direct.isDirect() || offset % SIZE != 0 || offset + SIZE > direct.capacity()) {
            throw new IllegalArgumentException("a doorbell needs " + SIZE + " aligned bytes of a direct buffer");
        }
        this.buffer = direct;
        this.offset = offset;
        this.name = name;
    }

    /** A doorbell for the threads of this process only (the housekeeper's). */
    public static Doorbell local(String name) {
        return new Doorbell(ByteBuffer.allocateDirect(SIZE), 0, name);
    }

    /**
     * Creates (0600) or opens the doorbell file {@code file} and maps it: the doorbell of a listen queue or a worker's
     * inbox, which processes that append there ring. The mapping is released by the garbage collector.
     */
    public static Doorbell openFile(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            FilePermissions.makePrivate(file);
            MappedByteBuffer map = ch.map(FileChannel.MapMode.READ_WRITE, 0, FILE_SIZE);
            return new Doorbell(map, 0, file.toString());
        }
    }

    /**
     * The native address of the futex word, 0 without a futex: for a thread that waits on several doorbells at once
     * (a NIO selector, with {@code futex_waitv}); it must {@link #arm()} each one first, as for {@link #await}.
     */
    public long futexAddress() {
        long a = address;
        if (a == UNRESOLVED) {
            a = Futex.AVAILABLE ? LinuxCalls.address(buffer) + offset : 0;
            address = a; // the same value whichever thread resolves it
        }
        return a;
    }

    public static boolean futexAvailable() {
        return Futex.AVAILABLE;
    }

    /** Wakes whoever is parked on this doorbell; costs a fence and a read when nobody is. */
    public void ring() {
        VarHandle.fullFence();
        if ((int) INTS.getVolatile(buffer, offset + WAITERS) != 0) {
            ringAlways();
        }
    }

    /** Changes the sequence and wakes every waiter, whether or not one said it is parked. */
    public void ringAlways() {
        INTS.getAndAdd(buffer, offset + SEQ, 1);
        long a = futexAddress();
        if (a != 0) {
            Futex.wakeAll(a);
        }
    }

    /** Announces a waiter (a full fence) and returns the sequence to {@link #await}. Pair with {@link #disarm()}. */
    public int arm() {
        INTS.getAndAdd(buffer, offset + WAITERS, 1);
        return sequence();
    }

    public void disarm() {
        INTS.getAndAdd(buffer, offset + WAITERS, -1);
    }

    public int sequence() {
        return (int) INTS.getVolatile(buffer, offset + SEQ);
    }

    /** Waiters that said they are parked (for tests and diagnostics). */
    public int waiters() {
        return (int) INTS.getVolatile(buffer, offset + WAITERS);
    }

    /**
     * Forgets waiters left behind by a process that was killed while parked (its count would make every ring pay a
     * system call). Only for a doorbell whose sole waiter is the calling process, before it waits.
     */
    public void clearWaiters() {
        INTS.setVolatile(buffer, offset + WAITERS, 0);
    }

    /**
     * Parks while the sequence is still {@code sequence}, at most {@code timeoutNanos} ({@code Long.MAX_VALUE}: no
     * limit). Returns on a ring, the timeout, a signal or spuriously: the caller re-checks its condition.
     */
    public void await(int sequence, long timeoutNanos) {
        if (timeoutNanos <= 0) {
            return;
        }
        long a = futexAddress();
        if (a == 0) {
            LockSupport.parkNanos(Math.min(timeoutNanos, FALLBACK_PARK_NANOS));
            return;
        }
        Futex.await(a, sequence, timeoutNanos);
    }

    @Override
    public String toString() {
        return "Doorbell{" + name + ", seq " + sequence() + ", waiters " + waiters() + "}";
    }
}
