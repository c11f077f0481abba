package io.viaemu.aeron;

import java.nio.file.Path;

import io.viaemu.ParentConnection;
import io.viaemu.ViaServer;
import io.viaemu.testapp.TestConfigs;

/** The server-host echo server of the tests: echoes each connection, and says when one ends. Args: base endpoint. */
public final class RemoteEchoServerMain {
    public static void main(String[] args) throws Exception {
        ViaServer server = ViaServer.listen(TestConfigs.config(Path.of(args[0]), "none", 0), args[1]);
        System.out.println("LISTENING");
        while (true) {
            ParentConnection c = server.accept(0);
            System.out.println("ACCEPTED " + c.id());
            Thread t = new Thread(() -> {
                byte[] buf = new byte[8192];
                try (c) {
                    int n;
                    while ((n = c.receive(buf, 0, buf.length, 0)) >= 0) {
                        c.send(buf, 0, n);
                    }
                    System.out.println("EOF " + c.id() + " at " + System.currentTimeMillis());
                } catch (Exception e) {
                    System.out.println("SERVER-ERROR " + c.id() + " " + e.toString().replace('\n', ' '));
                }
            });
            t.setDaemon(true);
            t.start();
        }
    }
}
