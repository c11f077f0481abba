package io.viaemu.idle;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Shared (non-private) futex wait and wake on a 32-bit word of a mapped file: the kernel keys a shared futex by the
 * file's inode and offset, so a waiter in one process is woken by a writer in another that mapped the same file.
 */
final class Futex {
    /** The logger, made on first use (only failures log; see {@code LinuxCalls.Log}). */
    private static final class Log {
        static final Logger LOG = LoggerFactory.getLogger(Futex.class);
    }
    private static final int FUTEX_WAIT = 0;
    private static final int FUTEX_WAKE = 1;

    /** False where futexes cannot be used (not Linux, no JNA, a seccomp filter): waits park for bounded times. */
    static final boolean AVAILABLE = selfTest();

    /** One {@code struct timespec} per thread, for the relative timeout of FUTEX_WAIT. */
    private static final ThreadLocal<Timespec> TIMESPEC = new ThreadLocal<>() {
        @Override
        protected Timespec initialValue() { // a class, not a method reference: no bootstrap in a first connect
            return new Timespec();
        }
    };

    private static final class Timespec {
        final ByteBuffer buffer = ByteBuffer.allocateDirect(16).order(ByteOrder.nativeOrder());
        final long address = LinuxCalls.address(buffer);
    }

    private Futex() {
    }

    private static boolean selfTest() {
        try {
            if (!LinuxCalls.BOUND) {
                Log.LOG.warn("via-emu: no futex on this platform; idle waits park for at most {} µs at a time",
                        Doorbell.FALLBACK_PARK_NANOS / 1000);
                return false;
            }
            ByteBuffer word = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder());
            long address = LinuxCalls.address(word);
            long woken = LinuxCalls.syscall(LinuxCalls.SYS_FUTEX, address, FUTEX_WAKE, 1, 0, 0, 0);
            // a wait on a word that does not hold the expected value returns at once (EAGAIN)
            long mismatch = LinuxCalls.syscall(LinuxCalls.SYS_FUTEX, address, FUTEX_WAIT, 1, 0, 0, 0);
            if (woken == 0 && mismatch == -1) {
                return true;
            }
            Log.LOG.warn("via-emu: futex self-test failed (wake {}, wait {}); idle waits park for at most {} µs at a time",
                    woken, mismatch, Doorbell.FALLBACK_PARK_NANOS / 1000);
        } catch (Throwable e) {
            Log.LOG.warn("via-emu: futex unavailable ({}); idle waits park for at most {} µs at a time", e.toString(),
                    Doorbell.FALLBACK_PARK_NANOS / 1000);
        }
        return false;
    }

    /**
     * Sleeps while the word at {@code address} holds {@code expected}, at most {@code timeoutNanos}
     * ({@code Long.MAX_VALUE}: no limit). Returns on a wake, a changed word, the timeout or a signal.
     */
    static void await(long address, int expected, long timeoutNanos) {
        long timespec = 0;
        if (timeoutNanos != Long.MAX_VALUE) {
            Timespec ts = TIMESPEC.get();
            ts.buffer.putLong(0, timeoutNanos / 1_000_000_000L);
            ts.buffer.putLong(8, timeoutNanos % 1_000_000_000L);
            timespec = ts.address;
        }
        LinuxCalls.syscall(LinuxCalls.SYS_FUTEX, address, FUTEX_WAIT, expected, timespec, 0, 0);
    }

    /** Wakes every thread (of any process) waiting on the word at {@code address}. */
    static void wakeAll(long address) {
        LinuxCalls.syscall(LinuxCalls.SYS_FUTEX, address, FUTEX_WAKE, Integer.MAX_VALUE, 0, 0, 0);
    }
}
