package io.viaemu.logging;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;

import io.viaemu.ViaConfig;
import io.viaemu.socket.ViaAddressMap;
import io.viaemu.socket.ViaServerSocketFactory;

/**
 * Opens {@code COUNT} connections over via-emu sockets, server and client in this JVM, each echoing one byte, while
 * an SLF4J provider (logback) logs at INFO; prints {@code DONE}. Arguments: {@code BASE COUNT}.
 */
public final class ConnectionsAtInfoMain {
    private ConnectionsAtInfoMain() {
    }

    public static void main(String[] args) throws Exception {
        ViaConfig config = ViaConfig.builder(Path.of(args[0])).connectTimeout(Duration.ofSeconds(10)).build();
        ViaServerSocketFactory servers = new ViaServerSocketFactory(config, new ViaAddressMap().map(7500, "chatter"));
        int count = Integer.parseInt(args[1]);
        try (ServerSocket listener = servers.createServerSocket(7500)) {
            listener.setSoTimeout(20_000);
            for (int i = 0; i < count; i++) {
                try (Socket client = servers.socketFactory().createSocket("localhost", 7500);
                        Socket accepted = listener.accept()) {
                    client.setSoTimeout(20_000);
                    accepted.setSoTimeout(20_000);
                    OutputStream out = client.getOutputStream();
                    out.write(i);
                    InputStream in = accepted.getInputStream();
                    accepted.getOutputStream().write(in.read());
                    if (client.getInputStream().read() != i) {
                        throw new AssertionError("echo " + i + " came back wrong");
                    }
                }
            }
        }
        System.out.println("DONE");
        System.out.flush();
        System.exit(0);
    }
}
