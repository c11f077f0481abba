package io.viaemu.idle;

import java.util.concurrent.locks.LockSupport;

/**
 * Spins, then yields, for a short budget, then parks on the doorbell until it is rung or the deadline passes: an idle
 * waiter costs no CPU at all, and a writer wakes it with one system call. The first idle past the budget only
 * announces the waiter ({@link Doorbell#arm()}) and returns, so that the caller's next poll is the re-check that
 * makes the park safe; the strategy stays announced until {@link #reset()}.
 *
 * <p>Without a doorbell (or without a futex on this platform) it parks for times growing from {@code minParkNanos}
 * to {@code maxParkNanos}: bounded, timed polling.
 */
public final class BackoffIdleStrategy implements IdleStrategy {
    private final int maxSpins;
    private final int maxYields;
    private final long minParkNanos;
    private final long maxParkNanos;

    private int spins;
    private int yields;
    private long parkNanos;
    /** The doorbell this thread is announced on, null if none. */
    private Doorbell armed;
    private int armedSequence;

    public BackoffIdleStrategy(int maxSpins, int maxYields, long minParkNanos, long maxParkNanos) {
        this.maxSpins = maxSpins;
        this.maxYields = maxYields;
        this.minParkNanos = minParkNanos;
        this.maxParkNanos = maxParkNanos;
        this.parkNanos = minParkNanos;
    }

    @Override
    public void idle(Doorbell doorbell, long deadlineNanos) {
        if (spins < maxSpins) {
            spins++;
            Thread.onSpinWait();
            return;
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
