package io.viaemu.idle;

/**
 * Spins on the CPU: the lowest latency, a whole core per waiting thread, as long as there are cores for the waiters.
 * Bounded by the host's cores ({@link SpinPermits}): past its first polls a waiter spins only while it holds a spin
 * permit (renewed while it spins); with none free it parks on its doorbell (rung by the step it waits for) for at
 * most a millisecond at a time and tries again, so that spinners never take the cores the threads they wait for
 * need. While it spins with a permit it yields once every {@link #YIELD_EVERY} polls, so that a runnable thread
 * of its CPU (the one it waits for, or that one's peer) is not kept waiting for the spinner's slice to end.
 * {@link #INSTANCE} spins unbounded and never parks.
 */
public final class BusySpinIdleStrategy implements IdleStrategy {
    /** Unbounded: spins whatever the number of spinners, never parks. */
    public static final BusySpinIdleStrategy INSTANCE = new BusySpinIdleStrategy(null);
    /** Polls that spin before a waiter needs a permit. */
    static final int FREE_SPINS = 64;
    /**
     * Every this many polls a spinner with a permit yields once ({@code -Dvia.idle.busy-yield-every=N}, a power of
     * two; 0 never yields). A spinner keeps its CPU until the scheduler takes it, and on a host with as many busy
     * threads as cores the thread it waits for (or the one that thread waits for) is runnable but not running: every
     * step of a handover waited for a spinner's slice to end. A yield lets the other runnable thread of that CPU go
     * first (EEVDF moves the yielder's deadline back by a slice); with nothing else runnable it is a system call of
     * well under a microsecond, and an answer that comes within the first polls never meets one.
     */
    static final int YIELD_EVERY = BackoffIdleStrategy.yieldEvery("via.idle.busy-yield-every", 64);
    /** The longest park without a permit before trying again. */
    static final long PERMITLESS_PARK_NANOS = 1_000_000L;

    /** This thread's hold on one of the spin permits (null: unbounded). */
    private final SpinPermits.Hold permit;
    private int spins;
    private Doorbell armed;
    private int armedSequence;

    private BusySpinIdleStrategy(SpinPermits permits) {
        this.permit = permits == null ? null : new SpinPermits.Hold(permits);
    }

    /** A busy-spinning strategy bounded by the host's spin permits (unbounded if they are off); for one thread. */
    public static BusySpinIdleStrategy bounded() {
        SpinPermits p = SpinPermits.shared();
        return p == null ? INSTANCE : new BusySpinIdleStrategy(p);
    }

    /** Bounded by {@code permits} (tests). */
    static BusySpinIdleStrategy bounded(SpinPermits permits) {
        return new BusySpinIdleStrategy(permits);
    }

    @Override
    public void idle(Doorbell doorbell, long deadlineNanos) {
        if (permit == null) {
            Thread.onSpinWait();
            return;
        }
        if (permit.held()) {
            if ((++spins & 1023) == 0) {
                permit.renewIfDue(System.nanoTime()); // lost: the next idle asks again
            }
            if (YIELD_EVERY > 0 && (spins & (YIELD_EVERY - 1)) == 0) {
                Thread.yield();
            } else {
                Thread.onSpinWait();
            }
            return;
        }
        if (spins < FREE_SPINS) {
            spins++;
            Thread.onSpinWait();
            return;
        }
        long now = System.nanoTime();
        if (permit.take(now)) {
            disarm();
            Thread.onSpinWait();
            return;
        }
        if (doorbell == null || !Futex.AVAILABLE) {
            Thread.yield();
            return;
        }
        if (armed != doorbell) {
            disarm();
            armed = doorbell;
            armedSequence = doorbell.arm();
            return; // the caller's next poll is the re-check after the announcement
        }
        long remaining = deadlineNanos == Long.MAX_VALUE ? Long.MAX_VALUE : deadlineNanos - now;
        if (remaining <= 0) {
            return;
        }
        doorbell.await(armedSequence, Math.min(remaining, PERMITLESS_PARK_NANOS));
        armedSequence = doorbell.sequence();
    }

    private void disarm() {
        if (armed != null) {
            armed.disarm();
            armed = null;
        }
    }

    @Override
    public void reset() {
        if (permit != null) {
            permit.release();
        }
        disarm();
        spins = 0;
    }

    @Override
    public String toString() {
        return permit == null ? "busy-spin" : "busy-spin(bounded by " + permit.permits().count() + " spin permits)";
    }
}
