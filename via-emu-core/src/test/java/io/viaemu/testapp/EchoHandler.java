package io.viaemu.testapp;

import io.viaemu.ViaConnection;
import io.viaemu.ViaConnectionHandler;

/** A forked connection's handler: echoes until the client closes. */
public final class EchoHandler implements ViaConnectionHandler {
    @Override
    public void handle(ViaConnection connection) throws Exception {
        byte[] buf = new byte[8192];
        int n;
        while ((n = connection.receive(buf, 0, buf.length, 30_000)) >= 0) {
            connection.send(buf, 0, n);
        }
    }
}
