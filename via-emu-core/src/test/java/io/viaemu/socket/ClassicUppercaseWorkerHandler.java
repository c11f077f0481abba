package io.viaemu.socket;

import java.net.Socket;

import io.viaemu.socket.classic.ClassicUppercaseServer;

/**
 * What a worker runs on a connection handed over to it: the classic server's own per-client code,
 * {@link ClassicUppercaseServer#serve(Socket)}, unchanged, on a socket over the connection. Instantiated by class
 * name in the worker JVM (io.viaemu.worker.WorkerMain), hence public with a no-argument constructor.
 */
public class ClassicUppercaseWorkerHandler extends ViaSocketHandler {
    public ClassicUppercaseWorkerHandler() {
    }

    @Override
    protected void handle(Socket socket) throws Exception {
        ClassicUppercaseServer.serve(socket);
    }
}
