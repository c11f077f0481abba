package io.viaemu;

import java.io.IOException;
import java.util.concurrent.CompletionStage;

/** The server's end of an accepted connection, in the parent process: it can fork the connection to a worker. */
public interface ParentConnection extends ViaConnection {

    /**
     * EMU_FORK: takes a worker process (from the warm pool, or starts one), sets up the connection's flag block for
     * the handover and has the worker run {@code handlerName} on it. Returns once the child is ready. Nothing more
     * happens until an active trigger fires; until then the parent keeps using the connection as before.
     *
     * @throws ViaException if no worker became ready within the child start timeout (the parent keeps the
     *                      connection)
     */
    void fork(String handlerName) throws IOException;

    /** True after a successful {@link #fork}. */
    boolean isForked();

    /** True once the child owns the connection. */
    boolean isHandedOver();

    /**
     * The handover of this connection to its child: completes with the trigger that fired once the client has
     * reported its reconnection and the parent set reconnection-completion (S13), after the parent's end was
     * released; completes exceptionally with a {@link ViaException} (dependent stages see it as the cause of a
     * {@code CompletionException}, as with any {@code CompletableFuture}) when no handover will come from this
     * parent: the handover failed, the connection failed or was closed without one, or the forked child exited
     * before a trigger fired (the parent keeps the connection; a later {@link #fork} gets a new stage). Pending before a fork and
     * until a trigger fires. Completed by the threads that observe the outcome (the handover's, the housekeeper's,
     * the closing one): dependent actions should be quick or run asynchronously.
     */
    CompletionStage<Trigger> handoverCompletion();

    /**
     * T2 (expected): the parent aborts its end; with a child forked and T2 active the child takes the connection
     * over, otherwise the connection fails.
     */
    void abort() throws IOException;
}
