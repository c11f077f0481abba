package io.viaemu;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import io.viaemu.internal.Housekeeper;
import io.viaemu.internal.Liveness;
import io.viaemu.internal.ProcessBells;
import io.viaemu.internal.StaleConnections;
import io.viaemu.worker.WorkerPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A server's housekeeper task that deletes connection directories no live process uses any more (left by a crashed
 * run, by peers that died, or closed and past their retention), stale worker directories and process doorbells.
 * A sweep lists every directory of the endpoint, so it runs on events, not on a timer: after a process exited
 * (a peer's directories may be stale now), after anything woke the housekeeper (a client that deleted its idle
 * connection slots rings the server), when a directory left by the last sweep becomes stale by time (a creation's
 * grace or a retention ends), at most every {@value #SWEEP_INTERVAL_MILLIS} ms; and, as a backstop, every
 * {@value #FOREIGN_SWEEP_INTERVAL_MILLIS} ms with the base directory's other endpoints (their own servers, if any,
 * sweep them sooner). Idle connections cost no sweeps.
 */
final class StaleDirectorySweeper implements Housekeeper.Task {
    private static final Logger log = LoggerFactory.getLogger(ViaServer.class);
    private static final long SWEEP_INTERVAL_MILLIS = 2_000;
    private static final long FOREIGN_SWEEP_INTERVAL_MILLIS = 30_000;

    private final ViaConfig config;
    private final String endpoint;
    /** Connection ids this process serves now: never deleted. */
    private final Predicate<String> inUseHere;
    private WorkerPool workers;
    /** Run after each sweep of this endpoint: the acceptor forgets the slots whose directories went. */
    private Runnable afterOwnSweep = () -> { };
    private long nextSweep;
    private long nextForeignSweep;
    /** When a directory the last sweep left becomes stale by time alone (epoch millis). */
    private long pendingAt = Long.MAX_VALUE;
    /** Process exits and housekeeper wake-ups seen at the last sweep. */
    private long exitsSeen = -1;
    private long eventsSeen = -1;
    private volatile boolean stopped;

    StaleDirectorySweeper(ViaConfig config, String endpoint, Predicate<String> inUseHere) {
        this.config = config;
        this.endpoint = endpoint;
        this.inUseHere = inUseHere;
    }

    /** The first sweep, at start, before the listen queue opens: this endpoint's and the others'. */
    void sweepAtStart() throws IOException {
        sweepOwnEndpoint();
        StaleConnections.sweepOtherEndpoints(config, endpoint); // endpoints whose server may never run again
        nextForeignSweep = System.currentTimeMillis() + FOREIGN_SWEEP_INTERVAL_MILLIS;
    }

    /** From now on the periodic sweeps include the pool's stale worker directories. */
    void start(WorkerPool pool, Runnable afterOwnSweep) {
        this.workers = pool;
        this.afterOwnSweep = afterOwnSweep;
        Housekeeper.get(config.pollInterval().toNanos()).add(this);
    }

    /** Stops the periodic sweeps (the housekeeper drops the task at its next tick). */
    void stop() {
        stopped = true;
    }

    /** This endpoint's connection directories only. */
    void sweepOwnEndpoint() throws IOException {
        pendingAt = StaleConnections.sweepEndpoint(config, endpoint, true, inUseHere);
    }

    @Override
    public boolean tick(long now) {
        if (stopped) {
            return false;
        }
        if (now < nextSweep) {
            return true;
        }
        long exits = Liveness.PROCESSES.exits();
        long events = Housekeeper.events();
        if (exits == exitsSeen && events == eventsSeen && now < pendingAt && now < nextForeignSweep) {
            return true; // nothing happened that could make a directory stale
        }
        exitsSeen = exits;
        eventsSeen = events;
        nextSweep = now + SWEEP_INTERVAL_MILLIS;
        try {
            sweepOwnEndpoint();
            afterOwnSweep.run();
            workers.cleanStaleWorkerDirectories();
            ProcessBells.sweep(config.baseDir());
        } catch (IOException e) {
            log.warn("sweep of {} failed: {}", endpoint, e.toString());
        }
        if (now >= nextForeignSweep) {
            nextForeignSweep = now + FOREIGN_SWEEP_INTERVAL_MILLIS;
            StaleConnections.sweepOtherEndpoints(config, endpoint);
        }
        return true;
    }

    /** Looked at every {@value #SWEEP_INTERVAL_MILLIS} ms (a comparison of counters) and at every event. */
    @Override
    public long idleIntervalNanos() {
        return TimeUnit.MILLISECONDS.toNanos(SWEEP_INTERVAL_MILLIS);
    }
}
