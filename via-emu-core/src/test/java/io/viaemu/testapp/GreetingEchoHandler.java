package io.viaemu.testapp;

import java.nio.charset.StandardCharsets;

import io.viaemu.ViaConnection;
import io.viaemu.ViaConnectionHandler;

/** Sends {@link #GREETING} first (so T4, the child's first send, takes the connection), then echoes. */
public final class GreetingEchoHandler implements ViaConnectionHandler {
    public static final byte[] GREETING = "HELLO".getBytes(StandardCharsets.US_ASCII);

    @Override
    public void handle(ViaConnection connection) throws Exception {
        connection.send(GREETING);
        new EchoHandler().handle(connection);
    }
}
