package io.viaemu.testapp;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.viaemu.ViaClient;
import io.viaemu.ViaConnection;

/**
 * The client of the idle tests: opens n connections and blocks a thread in receive (no timeout) on each. Prints
 * {@code CONNECTED n}, then one line per event with {@link System#nanoTime()} (the monotonic clock is the same for
 * every process of the host): {@code DATA i nanos text}, {@code EOF i nanos}, {@code ERROR i nanos message}.
 * Args: base endpoint n [triggers].
 */
public final class IdleClientMain {
    public static void main(String[] args) throws Exception {
        int n = Integer.parseInt(args[2]);
        String triggers = args.length > 3 ? args[3] : "none";
        List<ViaConnection> connections = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            connections.add(ViaClient.connect(TestConfigs.config(Path.of(args[0]), triggers, 0), args[1]));
        }
        for (int i = 0; i < n; i++) {
            ViaConnection c = connections.get(i);
            int index = i;
            Thread t = new Thread(() -> {
                byte[] buf = new byte[4096];
                try {
                    int r;
                    while ((r = c.receive(buf, 0, buf.length, 0)) >= 0) {
                        System.out.println("DATA " + index + " " + System.nanoTime() + " "
                                + new String(buf, 0, r, StandardCharsets.UTF_8));
                    }
                    System.out.println("EOF " + index + " " + System.nanoTime());
                } catch (Exception e) {
                    System.out.println("ERROR " + index + " " + System.nanoTime() + " "
                            + e.toString().replace('\n', ' '));
                }
            }, "reader-" + i);
            t.start();
        }
        System.out.println("CONNECTED " + n);
        Thread.sleep(300_000); // bounded: the test ends it
    }
}
