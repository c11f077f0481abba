package io.viaemu.worker;

/**
 * One worker process as the parent sees it.
 *
 * @param id the worker's id (its directory under {@code BASE/ENDPOINT/workers})
 * @param pid its process id
 * @param state STARTING (JVM booting), IDLE (ready, no connection), BUSY (serving connections and taking more up
 *        to its concurrency), DRAINING (takes no more; exits when its connections have ended), EXITED
 * @param connectionsServed connections whose handler has ended
 * @param currentConnections connections assigned and not ended
 * @param connectionLimit connections it takes in all before it is recycled (jitter included), 0 = unlimited
 * @param concurrency connections it serves at once
 * @param recycleReason why it takes no more connections: NONE, MAX_CONNECTIONS, HEAP_LIMIT, RSS_LIMIT,
 *        HANDLER_TIMEOUT, RETIRED_BY_PARENT, PARENT_DIED
 * @param startedAtMillis when the parent launched it (epoch millis)
 */
public record WorkerSnapshot(String id, long pid, State state, long connectionsServed, long currentConnections,
        long connectionLimit, int concurrency, String recycleReason, long startedAtMillis) {

    public enum State {
        STARTING, IDLE, BUSY, DRAINING, EXITED
    }
}
