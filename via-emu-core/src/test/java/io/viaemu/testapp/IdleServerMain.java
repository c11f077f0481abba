package io.viaemu.testapp;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import io.viaemu.ParentConnection;
import io.viaemu.ViaServer;

/**
 * The server of the idle tests. Args: base endpoint mode [triggers poolSize].
 * Mode "echo": every accepted connection gets a thread blocked in receive (no timeout) that echoes what arrives.
 * Mode "handover": accepts one connection, forks it to {@link GreetingHandler}, waits a second (the client idles,
 * its reader parked), then closes it: T1 hands it over while the client's application is not sending.
 */
public final class IdleServerMain {
    public static void main(String[] args) throws Exception {
        String mode = args[2];
        String triggers = args.length > 3 ? args[3] : "none";
        int pool = args.length > 4 ? Integer.parseInt(args[4]) : 0;
        ViaServer server = ViaServer.listen(TestConfigs.config(Path.of(args[0]), triggers, pool), args[1]);
        System.out.println("LISTENING");
        if (mode.equals("handover")) {
            ParentConnection c = server.accept(60_000);
            c.fork(GreetingHandler.class.getName());
            System.out.println("FORKED");
            Thread.sleep(1_000);
            long start = System.nanoTime();
            c.close();
            System.out.println("HANDED-OVER " + c.isHandedOver() + " micros=" + (System.nanoTime() - start) / 1000);
            Thread.sleep(120_000); // bounded: the test ends it
            return;
        }
        int accepted = 0;
        while (true) {
            ParentConnection c = server.accept(0);
            System.out.println("ACCEPTED " + ++accepted);
            EchoServerMain.echoOnItsOwnThread(c, "echo-" + accepted);
        }
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
