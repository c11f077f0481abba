package io.viaemu.idle;

/** Spins on the CPU: the lowest latency, a whole core per waiting thread. Never parks. */
public final class BusySpinIdleStrategy implements IdleStrategy {
    public static final BusySpinIdleStrategy INSTANCE = new BusySpinIdleStrategy();

    private BusySpinIdleStrategy() {
    }

    @Override
    public void idle(Doorbell doorbell, long deadlineNanos) {
        Thread.onSpinWait();
    }

    @Override
    public void reset() {
    }

    @Override
    public String toString() {
        return "busy-spin";
    }
}
