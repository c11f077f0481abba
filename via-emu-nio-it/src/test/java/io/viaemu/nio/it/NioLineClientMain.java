package io.viaemu.nio.it;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;

/**
 * A blocking NIO client, no via-emu in it: greets "HELLO\n", expects "parent:HELLO\n", then "inherited\n" and its
 * {@code bytes} seeded lower-case letters upper-cased, byte for byte. Args: host port bytes.
 */
public final class NioLineClientMain {
    public static void main(String[] args) throws Exception {
        int bytes = Integer.parseInt(args[2]);
        byte[] letters = new byte[bytes];
        Random r = new Random(42);
        for (int i = 0; i < bytes; i++) {
            letters[i] = (byte) ('a' + r.nextInt(26));
        }
        try (SocketChannel ch = SocketChannel.open(new InetSocketAddress(args[0], Integer.parseInt(args[1])))) {
            ch.write(ByteBuffer.wrap("HELLO\n".getBytes(StandardCharsets.US_ASCII)));
            expect(ch, "parent:HELLO\n".getBytes(StandardCharsets.US_ASCII));
            ByteBuffer out = ByteBuffer.wrap(letters);
            while (out.hasRemaining()) {
                ch.write(out);
            }
            ch.shutdownOutput();
            expect(ch, "inherited\n".getBytes(StandardCharsets.US_ASCII));
            expect(ch, new String(letters, StandardCharsets.US_ASCII).toUpperCase(Locale.ROOT)
                    .getBytes(StandardCharsets.US_ASCII));
            if (ch.read(ByteBuffer.allocate(1)) != -1) {
                throw new IllegalStateException("more than expected");
            }
        }
        System.out.println("OK parent, then worker: " + bytes + " bytes upper-cased byte for byte");
        System.exit(0);
    }

    private static void expect(SocketChannel ch, byte[] expected) throws Exception {
        ByteBuffer got = ByteBuffer.allocate(expected.length);
        while (got.hasRemaining()) {
            if (ch.read(got) < 0) {
                throw new IllegalStateException("end of stream after " + got.position() + " of " + expected.length
                        + ": " + new String(got.array(), 0, got.position(), StandardCharsets.US_ASCII));
            }
        }
        if (!Arrays.equals(got.array(), expected)) {
            throw new IllegalStateException("expected " + expected.length + " bytes differ: "
                    + new String(got.array(), 0, Math.min(60, got.position()), StandardCharsets.US_ASCII));
        }
    }
}
