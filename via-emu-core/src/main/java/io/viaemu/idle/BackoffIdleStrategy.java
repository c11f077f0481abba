package io.viaemu.idle;

import java.util.concurrent.locks.LockSupport;

/**
 * Spins, then yields, for a short budget, then parks on the doorbell until it is rung or the deadline passes: an idle
 * waiter costs no CPU at all, and a writer wakes it with one system call. The first idle past the budget only
 * announces the waiter ({@link Doorbell#arm()}) and returns, so that the caller's next poll is the re-check that
 * makes the park safe; the strategy stays announced until {@link #reset()}.
 *
 * <p>Spinning is bounded by the host's cores ({@link SpinPermits}): past its first {@link #FREE_SPINS} polls a waiter
 * spins on only while it holds a spin permit; with none free it parks at once.
 *
 * <p>Without a doorbell (or without a futex on this platform) it parks for times growing from {@code minParkNanos}
 * to {@code maxParkNanos}: bounded, timed polling.
 */
public final class BackoffIdleStrategy implements IdleStrategy {
    /**
     * Every this many polls the spin yields once. A spinner holds its CPU until the scheduler preempts it, and
     * CFS lets a running thread finish its slice before a woken one on the same CPU: where the thread that will
     * answer shares the spinner's CPU (an Aeron gateway and the server behind it on a 2-core host), the answer
     * waited for the whole spin budget (176 µs of 2,000 polls). A yield with nothing else runnable is a system call
     * of well under a microsecond, and an answer that comes within the first polls (a round trip of a few hundred
     * nanoseconds) never meets one. Every 8 polls (about 0.6 µs of spinning), not 64 (about 5 µs): behind an Aeron
     * gateway on a shared core each round trip paid the spin between yields twice (16.4 µs against 9.95 with 8 and
     * 8.98 for a server that only polls and yields); local round trips and streams stay at their figures (README,
     * "Waiting without polling"). A power of two; {@code -Dvia.idle.yield-every=0} never yields.
     */
    static final int YIELD_EVERY = yieldEvery("via.idle.yield-every", 8);
    /** Polls that spin before a waiter needs a spin permit ({@link SpinPermits}). */
    static final int FREE_SPINS = 64;
    private final int maxSpins;
    private final int maxYields;
    private final long minParkNanos;
    private final long maxParkNanos;

    /** This thread's hold on one of the host's spin permits (null: spinning is not bounded). */
    private final SpinPermits.Hold permit;
    private int spins;
    private int yields;
    private long parkNanos;
    /** The doorbell this thread is announced on, null if none. */
    private Doorbell armed;
    private int armedSequence;

    /** A spin's yield period from system property {@code property}: 0 (never) or a power of two. */
    static int yieldEvery(String property, int defaultPolls) {
        int polls = Integer.getInteger(property, defaultPolls);
        if (polls < 0 || (polls & (polls - 1)) != 0) {
            throw new IllegalArgumentException(property + " must be 0 or a power of two, not " + polls);
        }
        return polls;
    }

    public BackoffIdleStrategy(int maxSpins, int maxYields, long minParkNanos, long maxParkNanos) {
        this.maxSpins = maxSpins;
        this.maxYields = maxYields;
        this.minParkNanos = minParkNanos;
        this.maxParkNanos = maxParkNanos;
        this.parkNanos = minParkNanos;
        SpinPermits permits = SpinPermits.shared();
        this.permit = permits == null ? null : new SpinPermits.Hold(permits);
    }

    @Override
    public void idle(Doorbell doorbell, long deadlineNanos) {
        if (spins < maxSpins) {
            // the first FREE_SPINS polls spin without a permit (a document that comes within them costs no shared
            // write); past them a waiter spins only with one of the host's permits
            if (spins == FREE_SPINS && permit != null && !permit.take(System.nanoTime())) {
                spins = maxSpins; // as many spinners as cores already: park at once, the ring wakes us
            } else {
                spins++;
                if (YIELD_EVERY > 0 && (spins & (YIELD_EVERY - 1)) == 0) {
                    Thread.yield();
                } else {
                    Thread.onSpinWait();
                }
                return;
            }
        }
        if (permit != null) {
            permit.release(); // done spinning
        }
        if (yields < maxYields) {
            yields++;
            Thread.yield();
            return;
        }
        long remaining = deadlineNanos == Long.MAX_VALUE ? Long.MAX_VALUE : deadlineNanos - System.nanoTime();
        if (remaining <= 0) {
            return;
        }
        if (doorbell == null || !Futex.AVAILABLE) {
            LockSupport.parkNanos(Math.min(remaining, parkNanos));
            parkNanos = Math.min(parkNanos * 2, maxParkNanos);
            return;
        }
        if (armed != doorbell) {
            if (armed != null) {
                armed.disarm();
            }
            armed = doorbell;
            armedSequence = doorbell.arm();
            return; // the caller's next poll is the re-check after the announcement
        }
        doorbell.await(armedSequence, remaining);
        armedSequence = doorbell.sequence(); // still announced: a ring from now on changes it
    }

    @Override
    public void reset() {
        if (permit != null) {
            permit.release();
        }
        spins = 0;
        yields = 0;
        parkNanos = minParkNanos;
        if (armed != null) {
            armed.disarm();
            armed = null;
        }
    }

    /** True while announced on a doorbell (parked or about to be). */
    public boolean isParking() {
        return armed != null;
    }

    @Override
    public String toString() {
        return "backoff(" + maxSpins + " spins, " + maxYields + " yields, then park)";
    }
}
