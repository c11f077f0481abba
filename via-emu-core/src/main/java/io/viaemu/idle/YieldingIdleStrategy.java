package io.viaemu.idle;

/** Spins for a number of polls, then yields the CPU between polls. Never parks. */
public final class YieldingIdleStrategy implements IdleStrategy {
    private final int maxSpins;
    private int spins;

    public YieldingIdleStrategy(int maxSpins) {
        this.maxSpins = maxSpins;
    }

    @Override
    public void idle(Doorbell doorbell, long deadlineNanos) {
        if (spins < maxSpins) {
            spins++;
            Thread.onSpinWait();
        } else {
            Thread.yield();
        }
    }

    @Override
    public void reset() {
        spins = 0;
    }

    @Override
    public String toString() {
        return "yielding(" + maxSpins + ")";
    }
}
