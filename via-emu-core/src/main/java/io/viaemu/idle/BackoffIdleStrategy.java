package io.viaemu.idle;

import java.util.concurrent.atomic.AtomicInteger;
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

    /**
     * Threads of this process whose wait (of a strategy that spins) began less than {@link #ACTIVE_PARK_NANOS} ago
     * or that still spin. A wait that begins while more than {@link #MAX_ACTIVE} are counted skips its spins and
     * parks at once: spinning pays while the spinner has a CPU to itself, and with more waiting threads than CPUs
     * (8 connections' handlers and 8 clients on 2 cores, bench figure connrate8) the spinners took the CPUs from
     * the threads they waited for: 80% of the server's CPU was its handlers' spins, and no spinning at all ran
     * 1.18x TCP's rate where spinning ran 0.6x. A thread parked for longer stops counting (its park is cut once at
     * that age to say so), so a server's idle connections do not keep its busy one from spinning.
     */
    private static final AtomicInteger ACTIVE = new AtomicInteger();
    /** The CPUs, unless {@code via.idle.max-active-waiters} says otherwise (0: a spinning strategy never spins). */
    private static final int MAX_ACTIVE = Integer.getInteger("via.idle.max-active-waiters",
            Runtime.getRuntime().availableProcessors());
    static final long ACTIVE_PARK_NANOS = 1_000_000;

    private int spins;
    /** True while this strategy counts in {@link #ACTIVE}. */
    private boolean active;
    /** When the current wait first parked ({@link System#nanoTime()}), 0 if it has not. */
    private long parkedAt;
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
            if (spins == 0 && !active) { // a wait begins
                active = true;
                if (ACTIVE.incrementAndGet() > MAX_ACTIVE) {
                    spins = maxSpins; // more threads of this process wait now than there are CPUs: park at once
                }
            }
            if (spins < maxSpins) {
                spins++;
                Thread.onSpinWait();
                return;
            }
        }
        if (yields < maxYields) {
            yields++;
            Thread.yield();
            return;
        }
        long now = System.nanoTime();
        long remaining = deadlineNanos == Long.MAX_VALUE ? Long.MAX_VALUE : deadlineNanos - now;
        if (remaining <= 0) {
            return;
        }
        if (active) {
            // parked for a while: no longer one of the waiters that keep others from spinning
            if (parkedAt == 0) {
                parkedAt = now;
            }
            long activeLeft = parkedAt + ACTIVE_PARK_NANOS - now;
            if (activeLeft <= 0) {
                leaveActive();
            } else {
                remaining = Math.min(remaining, activeLeft);
            }
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

    private void leaveActive() {
        if (active) {
            active = false;
            ACTIVE.decrementAndGet();
        }
    }

    @Override
    public void reset() {
        leaveActive();
        parkedAt = 0;
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
