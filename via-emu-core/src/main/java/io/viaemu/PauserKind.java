package io.viaemu;

import io.viaemu.idle.BackoffIdleStrategy;
import io.viaemu.idle.BusySpinIdleStrategy;
import io.viaemu.idle.IdleStrategy;
import io.viaemu.idle.YieldingIdleStrategy;

/**
 * How a thread waiting for the peer (its next document, a handover step) spends its time: between latency and CPU.
 */
public enum PauserKind {
    /** Spin on the CPU: lowest latency, one core per waiting thread. For benchmarks and dedicated cores. */
    BUSY,
    /** Spin, yielding the CPU between polls. Never parks: a core per waiting thread while others do not need it. */
    YIELDING,
    /**
     * The default. Spin for a few hundred microseconds, then park on a kernel wait (a futex in
     * the connection's flag block) that the peer's next write wakes: idle connections cost no CPU, and a document
     * sent to a parked reader costs one wake-up. Where futexes are unavailable it parks for bounded times instead.
     */
    BACKOFF;

    /** Polls spent spinning before BACKOFF yields. */
    static final int BACKOFF_SPINS = 2_000;
    /**
     * Yields before BACKOFF parks: none. On a loaded machine a yield hands the CPU to another runnable process for up
     * to a scheduler slice (milliseconds), while a thread woken from a futex wait is scheduled promptly: with 50
     * yields the parked-reader round trip's p99 was 2.9 ms at load 2.5 (bench figure wake64), against 0.4 ms for TCP.
     */
    static final int BACKOFF_YIELDS = 0;

    /** A new idle strategy of this kind, for one waiting thread. */
    public IdleStrategy newIdleStrategy() {
        switch (this) {
            case BUSY:
                return BusySpinIdleStrategy.bounded();
            case YIELDING:
                return new YieldingIdleStrategy(2_000);
            default:
                // without a doorbell, or without a futex: parks from 1 µs doubling up to 200 µs, as before
                return new BackoffIdleStrategy(BACKOFF_SPINS, BACKOFF_YIELDS, 1_000, 200_000);
        }
    }
}
