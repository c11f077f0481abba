package io.viaemu.cli;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import io.viaemu.ViaClient;
import io.viaemu.ViaConnection;
import io.viaemu.testapp.TestConfigs;

/** Connects, says one line, and holds the connection open until killed (bounded). Args: base endpoint. */
public final class HoldingClientMain {
    public static void main(String[] args) throws Exception {
        ViaConnection c = ViaClient.connect(TestConfigs.config(Path.of(args[0]), "none", 0), args[1]);
        c.send("hello".getBytes(StandardCharsets.US_ASCII));
        System.out.println("CONNECTED " + c.id());
        Thread.sleep(120_000);
        c.close();
    }
}
