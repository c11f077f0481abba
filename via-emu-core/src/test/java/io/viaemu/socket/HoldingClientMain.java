package io.viaemu.socket;

import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A client that connects with {@link ViaSocketFactory#fromSystemProperties()}, writes {@code HELLO\n}, prints
 * {@code CONNECTED} and then holds the connection open without reading until it is killed (at most the lifetime).
 * Arguments: {@code HOST PORT LIFETIME_SECONDS}.
 */
public final class HoldingClientMain {
    private HoldingClientMain() {
    }

    public static void main(String[] args) throws Exception {
        Socket s = ViaSocketFactory.fromSystemProperties().createSocket(args[0], Integer.parseInt(args[1]));
        OutputStream out = s.getOutputStream();
        out.write("HELLO\n".getBytes(StandardCharsets.UTF_8));
        out.flush();
        System.out.println("CONNECTED");
        System.out.flush();
        Thread.sleep(Long.parseLong(args[2]) * 1000);
        System.exit(0);
    }
}
