package io.viaemu.socket;

import java.io.IOException;

import javax.net.ServerSocketFactory;

import io.viaemu.socket.classic.ClassicUppercaseServer;

/**
 * Runs {@link ClassicUppercaseServer} in its own JVM. The only via-emu line is the choice of factory:
 * {@code via} takes {@link ViaServerSocketFactory#fromSystemProperties()} (-Dvia.socket.base-dir, -Dvia.socket.map.*),
 * {@code tcp} the JDK default. Arguments: {@code via|tcp PORT LIFETIME_SECONDS}; prints {@code LISTENING port=N}
 * and exits after the lifetime, so that a leftover never outlives a broken test run for long.
 */
public final class ClassicServerMain {
    private ClassicServerMain() {
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        ServerSocketFactory factory = args[0].equals("via") ? ViaServerSocketFactory.fromSystemProperties()
                : ServerSocketFactory.getDefault();
        try (ClassicUppercaseServer server = new ClassicUppercaseServer(factory, Integer.parseInt(args[1]))) {
            System.out.println("LISTENING port=" + server.port());
            Thread.sleep(Long.parseLong(args[2]) * 1000);
        }
        System.exit(0);
    }
}
