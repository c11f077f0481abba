package io.viaemu.nio.it;

import java.io.DataInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A classic blocking echo client, {@code new Socket(host, port)}, no via-emu in it: sends {@code bytes} seeded random
 * bytes from a second thread while it reads the echo, compares, prints "OK ..." and the socket's class. Args: host
 * port bytes seed.
 */
public final class ClassicEchoClientMain {
    public static void main(String[] args) throws Exception {
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        int bytes = Integer.parseInt(args[2]);
        byte[] data = new byte[bytes];
        new Random(Long.parseLong(args[3])).nextBytes(data);
        try (Socket s = new Socket(host, port)) {
            s.setSoTimeout(30_000);
            OutputStream out = s.getOutputStream();
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    for (int off = 0; off < bytes; off += 8192) {
                        out.write(data, off, Math.min(8192, bytes - off));
                    }
                    out.flush();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            InputStream in = s.getInputStream();
            byte[] got = new byte[bytes];
            new DataInputStream(in).readFully(got);
            writer.get(30, TimeUnit.SECONDS);
            if (!Arrays.equals(got, data)) {
                System.out.println("MISMATCH");
                System.exit(1);
            }
            System.out.println("OK " + bytes + " bytes echoed byte for byte over " + s);
        }
        System.exit(0);
    }
}
