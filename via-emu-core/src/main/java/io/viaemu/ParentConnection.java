package io.viaemu;

import java.io.IOException;

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
     * T2 (expected): the parent aborts its end; with a child forked and T2 active the child takes the connection
     * over, otherwise the connection fails.
     */
    void abort() throws IOException;
}
