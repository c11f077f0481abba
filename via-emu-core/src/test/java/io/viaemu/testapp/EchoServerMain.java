package io.viaemu.testapp;

import java.nio.file.Path;

import io.viaemu.ParentConnection;
import io.viaemu.ViaServer;

/** Echoes every connection's bytes back until the client closes. Args: base endpoint. */
public final class EchoServerMain {
    public static void main(String[] args) throws Exception {
        ViaServer server = ViaServer.listen(TestConfigs.config(Path.of(args[0]), "none", 0), args[1]);
        System.out.println("LISTENING");
        while (true) {
            echoOnItsOwnThread(server.accept(0), "echo");
        }
    }

    /** A daemon thread blocked in receive (no timeout) echoes what arrives until the client closes. */
    static void echoOnItsOwnThread(ParentConnection c, String threadName) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[8192];
            try (c) {
                int n;
                while ((n = c.receive(buf, 0, buf.length, 0)) >= 0) {
                    c.send(buf, 0, n);
                }
            } catch (Exception e) {
                System.out.println("ECHO-ERROR " + e.toString().replace('\n', ' '));
            }
        }, threadName);
        t.setDaemon(true);
        t.start();
    }
}
