package io.viaemu.socket;

import java.net.Socket;

import io.viaemu.ViaConnection;
import io.viaemu.ViaConnectionHandler;

/**
 * A {@link ViaConnectionHandler} for socket code: a worker that was handed a connection (see
 * {@link ViaSocket#handOver(String)}) runs {@link #handle(Socket)} on a {@link ViaSocket} over it, so the per-client
 * code of a {@code ServerSocket}-based server can serve the rest of the conversation in the worker unchanged. The
 * socket is closed when {@code handle} returns. Subclasses need a public no-argument constructor: the worker
 * instantiates them by class name.
 */
public abstract class ViaSocketHandler implements ViaConnectionHandler {

    @Override
    public final void handle(ViaConnection connection) throws Exception {
        try (Socket socket = ViaSocket.wrap(connection)) {
            handle(socket);
        }
    }

    /** Serves the connection; the first read or write waits until this worker owns it. */
    protected abstract void handle(Socket socket) throws Exception;
}
