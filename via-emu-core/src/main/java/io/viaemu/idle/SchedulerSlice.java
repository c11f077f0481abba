package io.viaemu.idle;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A short scheduler slice for a thread that must run as soon as a doorbell wakes it: the parent's handover thread
 * (S7-S13) and the client's handover steps (on by default, 100 µs; {@code -Dvia.idle.short-slice-us=0} turns it off).
 *
 * <p>Why: on a host whose cores are all busy (on 2 cores, a client streaming into the child while the child reads
 * what it streamed), a thread woken from a futex is runnable at once but waits for a CPU. Linux's EEVDF scheduler
 * (6.6 and later) lets the running thread finish its slice first (RUN_TO_PARITY; the default slice is 0.75 ms times
 * 1 + log2 of the CPUs; the kernel reports 1.4 ms on this 2-core host): the parent's handover thread, woken by the client's report (S51), was
 * runnable but not running for 1.8 ms per handover at the median (its {@code /proc/thread-self/schedstat}), which
 * was most of the trigger-to-completion pause. Since Linux 6.12 a thread may ask for a shorter slice
 * ({@code sched_setattr} with {@code sched_runtime}, 0.1-100 ms, no privilege needed), and a woken thread with a
 * shorter slice than the running one preempts it (PREEMPT_SHORT). The share of CPU time is unchanged: a short slice
 * gets the CPU sooner and for less time at once.
 *
 * <p>{@link #shorten()} asks for {@link #SHORT_SLICE_NANOS} for the calling thread and returns what to give
 * {@link #restore} afterwards; both are one or two system calls (about a microsecond each). Where the call is not
 * there (not Linux, an older kernel: the slice is then ignored or refused) nothing changes. A thread with a real-time
 * policy, or one that asked for a shorter slice itself, is left alone. {@code -Dvia.idle.short-slice-us=N} sets it,
 * 0 turns it off (see {@link #SHORT_SLICE_NANOS}).
 */
public final class SchedulerSlice {
    /**
     * The slice asked for, {@code -Dvia.idle.short-slice-us} (100, the default, is the shortest Linux accepts; 0: off).
     * On by default since the eighth session: in steady state on a quiet machine it took BACKOFF's trigger to
     * completion p50 from 201-1,190 to 134-221 µs, and the forked connection rate stayed within its runs' spread
     * (README, "Where the handover pause's time goes"). It had been left off because, on a machine loaded by other
     * builds, it seemed to cost that rate: a woken thread that preempts the running one at once makes more switches.
     */
    public static final long SHORT_SLICE_NANOS = Long.getLong("via.idle.short-slice-us", 100) * 1000L;
    /** The shortest slice Linux accepts, in nanoseconds. */
    static final long MIN_SLICE_NANOS = 100_000L;
    /** What {@link #shorten} returns when it changed nothing: {@link #restore} then does nothing either. */
    public static final long UNCHANGED = -1;

    private static final long SYS_SCHED_SETATTR;
    private static final long SYS_SCHED_GETATTR;
    /** {@code struct sched_attr} as of Linux 5.3 (with the utilisation clamps). */
    private static final int ATTR_SIZE = 56;
    private static final int SCHED_OTHER = 0;
    private static final int SCHED_BATCH = 3;
    private static final int SCHED_IDLE = 5;
    private static final ThreadLocal<ByteBuffer> ATTR = ThreadLocal.withInitial(
            () -> ByteBuffer.allocateDirect(ATTR_SIZE).order(ByteOrder.nativeOrder()));
    /** False once a call failed (no such call, or the kernel refused a slice): no more tries. */
    private static volatile boolean usable;
    private static final long DEFAULT_SLICE;

    static {
        String arch = System.getProperty("os.arch", "");
        boolean x86 = arch.equals("amd64") || arch.equals("x86_64");
        SYS_SCHED_SETATTR = x86 ? 314 : arch.equals("aarch64") ? 274 : -1;
        SYS_SCHED_GETATTR = x86 ? 315 : arch.equals("aarch64") ? 275 : -1;
        usable = SYS_SCHED_SETATTR > 0 && LinuxCalls.BOUND;
        DEFAULT_SLICE = usable ? current() : 0;
    }

    private SchedulerSlice() {
    }

    /**
     * {@link #shorten()} for a waiter that parks (BACKOFF, or a bounded BUSY waiter without a spin permit), nothing
     * for one that spins: a spinner is running when its step comes, and a short slice would only make it preempt the
     * threads it waits for more often (with BUSY the handover's pause was 3x longer in a run with it).
     *
     * @param spins the wait spins (BUSY)
     */
    public static long shorten(boolean spins) {
        return spins ? UNCHANGED : shorten();
    }

    /**
     * Asks for a short slice for the calling thread.
     *
     * @return the thread's slice before, in nanoseconds, for {@link #restore}; {@link #UNCHANGED} if nothing changed
     */
    public static long shorten() {
        return SHORT_SLICE_NANOS > 0 ? shortenTo(SHORT_SLICE_NANOS) : UNCHANGED;
    }

    /** {@link #shorten()} to {@code sliceNanos}, whatever the property says (tests). */
    static long shortenTo(long sliceNanos) {
        if (!usable) {
            return UNCHANGED;
        }
        ByteBuffer attr = ATTR.get();
        long address = LinuxCalls.address(attr);
        if (!read(attr, address)) {
            return UNCHANGED;
        }
        int policy = attr.getInt(4);
        long before = attr.getLong(24);
        if ((policy != SCHED_OTHER && policy != SCHED_BATCH && policy != SCHED_IDLE)
                || (before > 0 && before <= sliceNanos)) {
            return UNCHANGED;
        }
        return write(attr, address, sliceNanos) ? before : UNCHANGED;
    }

    /** Gives the calling thread back the slice {@link #shorten} returned. */
    public static void restore(long before) {
        if (before == UNCHANGED || !usable) {
            return;
        }
        ByteBuffer attr = ATTR.get();
        long address = LinuxCalls.address(attr);
        if (read(attr, address)) {
            // the kernel reports the default slice as the thread's; given back as it was read, it would become a
            // fixed one: 0 returns the thread to the default (custom_slice off)
            write(attr, address, before == defaultSlice() ? 0 : before);
        }
    }

    /** The calling thread's slice in nanoseconds (0 if unknown): tests, diagnostics. */
    public static long current() {
        if (!usable) {
            return 0;
        }
        ByteBuffer attr = ATTR.get();
        return read(attr, LinuxCalls.address(attr)) ? attr.getLong(24) : 0;
    }

    /**
     * The kernel's default slice on this host, as the first thread to use this class reads its own (the kernel reports
     * the default as a thread's slice; 1.4 ms on this 2-core host with Linux 6.18); 0 if unknown.
     */
    static long defaultSlice() {
        return DEFAULT_SLICE;
    }

    private static boolean read(ByteBuffer attr, long address) {
        for (int i = 0; i < ATTR_SIZE; i += 8) {
            attr.putLong(i, 0);
        }
        if (LinuxCalls.syscall(SYS_SCHED_GETATTR, 0, address, ATTR_SIZE, 0, 0, 0) != 0) {
            usable = false;
            return false;
        }
        return true;
    }

    /** The attributes just read, with {@code sliceNanos} (0: the default); policy and nice as they were. */
    private static boolean write(ByteBuffer attr, long address, long sliceNanos) {
        attr.putInt(0, ATTR_SIZE);
        attr.putLong(8, 0); // sched_flags
        attr.putLong(24, sliceNanos);
        attr.putLong(32, 0);
        attr.putLong(40, 0);
        attr.putLong(48, 0); // utilisation clamps: untouched without SCHED_FLAG_UTIL_CLAMP
        if (LinuxCalls.syscall(SYS_SCHED_SETATTR, 0, address, 0, 0, 0, 0) != 0) {
            usable = false;
            return false;
        }
        return true;
    }
}
