package io.viaemu.nio;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.locks.LockSupport;

import io.viaemu.idle.Doorbell;
import io.viaemu.idle.LinuxCalls;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Waits on several doorbells at once: Linux's {@code futex_waitv} (5.16+), one system call that sleeps until any of
 * up to {@value #MAX} futex words is woken or no longer holds its expected value. A selector arms the doorbell of
 * every via-emu channel it watches ({@link Doorbell#arm()}: the peers' writers then ring it), re-checks readiness,
 * and only then waits here with the sequences {@code arm()} returned: no wake-up is lost, and an idle selector costs
 * no CPU. Without {@code futex_waitv} (older kernel, not Linux) a wait parks for at most {@link #FALLBACK_NANOS} and
 * the caller re-checks: bounded polling, logged once.
 *
 * <p>Instances hold the native argument array and belong to one thread.
 */
final class DoorbellWait {
    private static final Logger log = LoggerFactory.getLogger(DoorbellWait.class);

    /** The kernel's limit per call (FUTEX_WAITV_MAX). */
    static final int MAX = 128;
    /** The longest park without futex_waitv, or with more doorbells than one call takes. */
    static final long FALLBACK_NANOS = 1_000_000L;
    private static final long SYS_FUTEX_WAITV = 449; // the unified syscall table: x86_64 and aarch64 alike
    private static final int FUTEX2_SIZE_U32 = 0x02;  // shared (not FUTEX2_PRIVATE): the words are in mapped files
    private static final int CLOCK_MONOTONIC = 1;      // System.nanoTime()'s clock on Linux
    private static final int ENTRY = 24;               // struct futex_waitv { u64 val; u64 uaddr; u32 flags; u32 pad; }

    static final boolean AVAILABLE = selfTest();
    private static volatile boolean overflowLogged;

    private final ByteBuffer entries = ByteBuffer.allocateDirect(ENTRY * MAX).order(ByteOrder.nativeOrder());
    private final ByteBuffer timespec = ByteBuffer.allocateDirect(16).order(ByteOrder.nativeOrder());
    private final long entriesAddress;
    private final long timespecAddress;

    DoorbellWait() {
        entriesAddress = AVAILABLE ? LinuxCalls.address(entries) : 0;
        timespecAddress = AVAILABLE ? LinuxCalls.address(timespec) : 0;
    }

    /**
     * Sleeps until one of {@code bells[0..count)} is rung after its {@code sequences[i]} was read (by
     * {@link Doorbell#arm()}), until {@code deadlineNanos} ({@link System#nanoTime()} scale, {@code Long.MAX_VALUE}
     * for none), a signal, or spuriously. The caller re-checks its conditions in every case.
     */
    void await(Doorbell[] bells, int[] sequences, int count, long deadlineNanos) {
        long now = System.nanoTime();
        if (deadlineNanos != Long.MAX_VALUE && deadlineNanos - now <= 0) {
            return;
        }
        if (!AVAILABLE || count > MAX) {
            if (count > MAX && !overflowLogged) {
                overflowLogged = true;
                log.info("via-emu selector: {} doorbells are more than one futex_waitv takes ({}); the rest are "
                        + "polled every {} µs", count, MAX, FALLBACK_NANOS / 1000);
            }
            if (AVAILABLE) {
                waitv(bells, sequences, MAX, Math.min(deadlineNanos, now + FALLBACK_NANOS));
            } else {
                LockSupport.parkNanos(deadlineNanos == Long.MAX_VALUE ? FALLBACK_NANOS
                        : Math.min(FALLBACK_NANOS, deadlineNanos - now));
            }
            return;
        }
        waitv(bells, sequences, count, deadlineNanos);
    }

    private void waitv(Doorbell[] bells, int[] sequences, int count, long deadlineNanos) {
        int n = 0;
        for (int i = 0; i < count; i++) {
            long address = bells[i].futexAddress();
            if (address == 0) {
                continue;
            }
            int at = n++ * ENTRY;
            entries.putLong(at, sequences[i] & 0xFFFF_FFFFL);
            entries.putLong(at + 8, address);
            entries.putInt(at + 16, FUTEX2_SIZE_U32);
            entries.putInt(at + 20, 0);
        }
        if (n == 0) {
            LockSupport.parkNanos(deadlineNanos == Long.MAX_VALUE ? FALLBACK_NANOS
                    : Math.max(0, Math.min(FALLBACK_NANOS, deadlineNanos - System.nanoTime())));
            return;
        }
        long ts = 0;
        if (deadlineNanos != Long.MAX_VALUE) {
            timespec.putLong(0, deadlineNanos / 1_000_000_000L);
            timespec.putLong(8, deadlineNanos % 1_000_000_000L);
            ts = timespecAddress;
        }
        LinuxCalls.syscall(SYS_FUTEX_WAITV, entriesAddress, n, 0, ts, CLOCK_MONOTONIC, 0);
    }

    /**
     * futex_waitv works if a wait on a word holding the expected value sleeps until its (absolute, monotonic)
     * deadline, and one on a word that differs returns at once. ENOSYS or EINVAL return at once in both cases.
     */
    private static boolean selfTest() {
        try {
            if (!LinuxCalls.BOUND || !Doorbell.futexAvailable()) {
                log.warn("via-emu selector: no futex here; selectors wait in parks of at most {} µs",
                        FALLBACK_NANOS / 1000);
                return false;
            }
            Doorbell bell = Doorbell.local("futex_waitv self-test");
            ByteBuffer e = ByteBuffer.allocateDirect(ENTRY).order(ByteOrder.nativeOrder());
            ByteBuffer t = ByteBuffer.allocateDirect(16).order(ByteOrder.nativeOrder());
            e.putLong(0, bell.sequence() & 0xFFFF_FFFFL);
            e.putLong(8, bell.futexAddress());
            e.putInt(16, FUTEX2_SIZE_U32);
            long start = System.nanoTime();
            long deadline = start + 2_000_000L;
            t.putLong(0, deadline / 1_000_000_000L);
            t.putLong(8, deadline % 1_000_000_000L);
            long r = LinuxCalls.syscall(SYS_FUTEX_WAITV, LinuxCalls.address(e), 1, 0, LinuxCalls.address(t),
                    CLOCK_MONOTONIC, 0);
            long slept = System.nanoTime() - start;
            e.putLong(0, (bell.sequence() + 1) & 0xFFFF_FFFFL);
            long mismatchStart = System.nanoTime();
            long r2 = LinuxCalls.syscall(SYS_FUTEX_WAITV, LinuxCalls.address(e), 1, 0, 0, CLOCK_MONOTONIC, 0);
            long mismatch = System.nanoTime() - mismatchStart;
            if (r == -1 && slept >= 1_000_000L && r2 == -1 && mismatch < 1_000_000_000L) {
                return true;
            }
            log.warn("via-emu selector: futex_waitv unusable (timed wait {} after {} µs, mismatch {}); selectors "
                    + "wait in parks of at most {} µs", r, slept / 1000, r2, FALLBACK_NANOS / 1000);
        } catch (Throwable e) {
            log.warn("via-emu selector: futex_waitv unavailable ({}); selectors wait in parks of at most {} µs",
                    e.toString(), FALLBACK_NANOS / 1000);
        }
        return false;
    }
}
