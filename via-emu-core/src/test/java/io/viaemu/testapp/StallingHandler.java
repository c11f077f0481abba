package io.viaemu.testapp;

import io.viaemu.ViaConnection;
import io.viaemu.ViaConnectionHandler;

/** A misbehaving handler: echoes what it first receives, then hangs (for the handler time limit). */
public final class StallingHandler implements ViaConnectionHandler {
    @Override
    public void handle(ViaConnection connection) throws Exception {
        byte[] buf = new byte[8192];
        int n = connection.receive(buf, 0, buf.length, 30_000);
        if (n > 0) {
            connection.send(buf, 0, n);
        }
        Thread.sleep(120_000);
    }
}
