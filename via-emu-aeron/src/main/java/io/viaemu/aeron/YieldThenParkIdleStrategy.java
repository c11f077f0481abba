package io.viaemu.aeron;

import java.util.concurrent.locks.LockSupport;

import org.agrona.concurrent.IdleStrategy;

/**
 * {@code via.aeron.idle=backoff}: yields from the first idle on, for {@code maxYields} idles after the last work, then
 * parks from {@code minParkNanos} doubling up to {@code maxParkNanos}. Agrona's {@code BackoffIdleStrategy} spends its
 * first two idles after work without yielding (one to enter its spin state, at least one spin), and in INVOKER mode
 * each idle is followed by a poll that runs the driver (~1.4 µs here): on a core shared with the via-emu server that
 * delayed the server's turn. A connection in use therefore waits as {@code yield} does (measured: the same round trip),
 * and one idle for longer than the yields (a few milliseconds) costs no CPU.
 */
final class YieldThenParkIdleStrategy implements IdleStrategy {
    private final int maxYields;
    private final long minParkNanos;
    private final long maxParkNanos;
    private int yields;
    private long parkNanos;

    YieldThenParkIdleStrategy(int maxYields, long minParkNanos, long maxParkNanos) {
        this.maxYields = maxYields;
        this.minParkNanos = minParkNanos;
        this.maxParkNanos = maxParkNanos;
        this.parkNanos = minParkNanos;
    }

    @Override
    public void idle(int workCount) {
        if (workCount > 0) {
            reset();
        } else {
            idle();
        }
    }

    @Override
    public void idle() {
        if (yields < maxYields) {
            yields++;
            Thread.yield();
            return;
        }
        LockSupport.parkNanos(parkNanos);
        parkNanos = Math.min(parkNanos << 1, maxParkNanos);
    }

    @Override
    public void reset() {
        yields = 0;
        parkNanos = minParkNanos;
    }

    @Override
    public String alias() {
        return "yield-then-park";
    }

    @Override
    public String toString() {
        return "YieldThenParkIdleStrategy{yields " + maxYields + ", park " + minParkNanos + "-" + maxParkNanos + " ns}";
    }
}
