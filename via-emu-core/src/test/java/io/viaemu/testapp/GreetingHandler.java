package io.viaemu.testapp;

import java.nio.charset.StandardCharsets;

import io.viaemu.ViaConnection;
import io.viaemu.ViaConnectionHandler;

/** A child that greets the client once it owns the connection (its send is not a trigger here), then echoes. */
public final class GreetingHandler implements ViaConnectionHandler {
    @Override
    public void handle(ViaConnection c) throws Exception {
        c.send("hello from the child".getBytes(StandardCharsets.UTF_8));
        byte[] buf = new byte[4096];
        int n;
        while ((n = c.receive(buf, 0, buf.length, 60_000)) >= 0) {
            c.send(buf, 0, n);
        }
        c.close();
    }
}
