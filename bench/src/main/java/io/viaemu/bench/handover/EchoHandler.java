package io.viaemu.bench.handover;

import io.viaemu.ViaConnection;
import io.viaemu.ViaConnectionHandler;

/** The forked connections' handler of {@link ForkRateBench}: echoes until the client closes. */
public final class EchoHandler implements ViaConnectionHandler {
    @Override
    public void handle(ViaConnection connection) throws Exception {
        byte[] buf = new byte[4096];
        int n;
        while ((n = connection.receive(buf, 0, buf.length, 30_000)) >= 0) {
            connection.send(buf, 0, n);
        }
    }
}
