package io.viaemu;

import java.util.concurrent.TimeUnit;

import net.openhft.chronicle.threads.BusyPauser;
import net.openhft.chronicle.threads.LongPauser;
import net.openhft.chronicle.threads.Pauser;
import net.openhft.chronicle.threads.YieldingPauser;

/**
 * How a thread waiting for the peer's next document spends its time. The channel has no kernel wake-up, so
 * a waiting reader polls; this chooses between latency and CPU.
 */
public enum PauserKind {
    /** Spin on the CPU: lowest latency, one core per waiting thread. For benchmarks and dedicated cores. */
    BUSY,
    /** Spin, yielding the CPU between polls. */
    YIELDING,
    /**
     * Spin briefly, then yield, then park with a growing pause capped at {@code 200 µs}. The default: idle
     * connections cost almost no CPU, and a message arriving at a modest rate waits at most one short park.
     * (Chronicle's {@code Pauser.balanced()} backs off to 20 ms, which adds milliseconds at modest rates.)
     */
    BACKOFF;

    public Pauser newPauser() {
        // Not Pauser.busy()/yielding(): on a machine with fewer cores than Chronicle's MIN_PROCESSORS those quietly
        // return a sleepy or balanced pauser, which made "BUSY" park between polls on 2 cores.
        switch (this) {
            case BUSY:
                return BusyPauser.INSTANCE;
            case YIELDING:
                return new YieldingPauser(2_000);
            default:
                // min busy spins, min yields, then parks from 1 µs doubling up to 200 µs.
                return new LongPauser(2_000, 50, 1, 200, TimeUnit.MICROSECONDS);
        }
    }
}
