package io.viaemu.aeron;

import java.io.FileOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import io.viaemu.ViaConnection;
import io.viaemu.ViaRefusedException;

/**
 * The remote client of the tests, run in the client namespace. Args: mode gateway endpoint token-file [more].
 * Modes: {@code echo BYTES} (sends seeded random bytes while reading the echo, compares byte for byte),
 * {@code refused TOKEN} (connects with that token literally, expects a refusal), {@code loop OUT} (1 KiB numbered
 * echoes, each checked, until OUT/stop), {@code stream OUT} (the core's streaming client over Aeron: numbered longs
 * without pause until OUT/stop, then shutdown output and record what came back until end of stream), {@code flood
 * BYTES} (sends BYTES of {@link #patternByte} in 64 KiB sends without reading, saying {@code SENT n} after each;
 * then shuts output down and waits for the server's verdict; a {@link RemoteBackPressureException} exits 5),
 * {@code many COUNT} (COUNT connections one after the other, each echoing 1 KiB, checked, then closed).
 */
public final class RemoteClientMain {
    public static void main(String[] args) throws Exception {
        String mode = args[0];
        String gateway = args[1];
        String endpoint = args[2];
        if (mode.equals("refused")) {
            try {
                AeronViaClient.connect(gateway, endpoint, args[3]).close();
                System.out.println("NOT-REFUSED");
                System.exit(1);
            } catch (ViaRefusedException e) {
                System.out.println("REFUSED " + e.getMessage());
                System.exit(0);
            }
        }
        if (mode.equals("socket")) { // through AeronSocketFactory: -Dvia.aeron.map.* and -Dvia.aeron.token-file
            socketEcho(Integer.parseInt(args[4]));
            return;
        }
        String token = Files.readString(Path.of(args[3]), StandardCharsets.UTF_8).trim();
        if (mode.equals("many")) {
            many(gateway, endpoint, token, Integer.parseInt(args[4]));
            return;
        }
        ViaConnection c = AeronViaClient.connect(gateway, endpoint, token);
        System.out.println("CONNECTED " + c.id());
        switch (mode) {
            case "echo": echo(c, Integer.parseInt(args[4])); break;
            case "loop": loop(c, Path.of(args[4])); break;
            case "stream": stream(c, Path.of(args[4])); break;
            case "flood": flood(c, Long.parseLong(args[4])); break;
            default: throw new IllegalArgumentException(mode);
        }
    }

    /** {@code count} connections one after the other, each echoing 1 KiB (checked) and closed. */
    private static void many(String gateway, String endpoint, String token, int count) throws Exception {
        byte[] msg = new byte[1024];
        byte[] got = new byte[msg.length];
        for (int i = 0; i < count; i++) {
            try (ViaConnection c = AeronViaClient.connect(gateway, endpoint, token)) {
                new Random(i).nextBytes(msg);
                c.send(msg, 0, msg.length);
                int at = 0;
                while (at < got.length) {
                    int n = c.receive(got, at, got.length - at, 30_000);
                    if (n < 0) {
                        System.out.println("MANY-EOF at connection " + i);
                        System.exit(2);
                    }
                    at += n;
                }
                if (!Arrays.equals(msg, got)) {
                    System.out.println("MANY-MISMATCH at connection " + i);
                    System.exit(3);
                }
            }
            if ((i + 1) % 100 == 0) {
                System.out.println("MANY " + (i + 1));
            }
        }
        System.out.println("MANY-OK " + count);
        System.exit(0);
    }

    private static void echo(ViaConnection c, int bytes) throws Exception {
        byte[] sent = new byte[bytes];
        new Random(42).nextBytes(sent);
        AtomicReference<Exception> sendError = new AtomicReference<>();
        Thread writer = new Thread(() -> {
            try {
                for (int off = 0; off < bytes; off += 65536) {
                    c.send(sent, off, Math.min(65536, bytes - off));
                }
            } catch (Exception e) {
                sendError.set(e);
            }
        });
        writer.start();
        byte[] got = new byte[bytes];
        int at = 0;
        while (at < bytes) {
            int n = c.receive(got, at, bytes - at, 30_000);
            if (n < 0) {
                break;
            }
            at += n;
        }
        writer.join(30_000);
        if (sendError.get() != null) {
            throw sendError.get();
        }
        c.close();
        System.out.println(at == bytes && Arrays.equals(sent, got) ? "ECHO-OK bytes=" + at
                : "ECHO-MISMATCH received=" + at + " firstDiff=" + Arrays.mismatch(sent, got));
        System.exit(0);
    }

    private static void socketEcho(int bytes) throws Exception {
        byte[] sent = new byte[bytes];
        new Random(7).nextBytes(sent);
        try (Socket s = AeronSocketFactory.fromSystemProperties().createSocket("db.example", 5432)) {
            System.out.println("SOCKET " + s.getClass().getSimpleName());
            Thread writer = new Thread(() -> {
                try {
                    s.getOutputStream().write(sent);
                    s.shutdownOutput();
                } catch (IOException e) {
                    System.out.println("SOCKET-WRITE-ERROR " + e);
                }
            });
            writer.start();
            byte[] got = s.getInputStream().readAllBytes();
            writer.join(30_000);
            System.out.println(Arrays.equals(sent, got) ? "SOCKET-ECHO-OK bytes=" + got.length
                    : "SOCKET-ECHO-MISMATCH received=" + got.length);
        }
        System.exit(0);
    }

    private static void loop(ViaConnection c, Path out) throws IOException {
        byte[] msg = new byte[1024];
        byte[] back = new byte[1024];
        long n = 0;
        Path stop = out.resolve("stop");
        try {
            while (!Files.exists(stop)) {
                Arrays.fill(msg, (byte) n);
                ByteBuffer.wrap(msg).putLong(n);
                c.send(msg);
                int at = 0;
                while (at < back.length) {
                    int k = c.receive(back, at, back.length - at, 0);
                    if (k < 0) {
                        throw new IOException("end of stream");
                    }
                    at += k;
                }
                if (!Arrays.equals(msg, back)) {
                    System.out.println("LOOP-MISMATCH at " + n);
                    System.exit(4);
                }
                n++;
                if (n % 200 == 0) {
                    System.out.println("ECHOED " + n);
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
        } catch (IOException e) {
            System.out.println("CLIENT-FAILED after " + n + " echoes: " + e.getMessage());
            System.exit(3);
        }
        c.close();
        System.out.println("LOOP-DONE " + n);
        System.exit(0);
    }

    /** As the core's StreamingClientMain (16 longs per send), over the gateway. */
    private static void stream(ViaConnection c, Path out) throws Exception {
        CountDownLatch eof = new CountDownLatch(1);
        Thread reader = new Thread(() -> {
            try (FileOutputStream in = new FileOutputStream(out.resolve("client-in.bin").toFile())) {
                byte[] buf = new byte[4096];
                int n;
                while ((n = c.receive(buf, 0, buf.length, 90_000)) >= 0) {
                    in.write(buf, 0, n);
                }
                eof.countDown();
            } catch (Exception e) {
                System.out.println("CLIENT-READ-ERROR " + e);
            }
        });
        reader.setDaemon(true);
        reader.start();
        ByteBuffer batch = ByteBuffer.allocate(16 * 8);
        long seq = 0;
        Path stop = out.resolve("stop");
        try {
            while (!Files.exists(stop)) {
                batch.clear();
                for (int i = 0; i < 16; i++) {
                    batch.putLong(seq++);
                }
                c.send(batch.array(), 0, batch.capacity());
                LockSupport.parkNanos(100_000);
            }
            c.shutdownOutput();
        } catch (Exception e) {
            System.out.println("CLIENT-SEND-ERROR " + e);
            Files.writeString(out.resolve("client-sent.txt"), Long.toString(seq - 16));
            System.exit(2);
        }
        Files.writeString(out.resolve("client-sent.txt"), Long.toString(seq));
        boolean gotEof = eof.await(60, TimeUnit.SECONDS);
        System.out.println("CLIENT-DONE sent=" + seq + " eof=" + gotEof);
        c.close();
        System.exit(gotEof ? 0 : 3);
    }

    /** The byte at stream position {@code i} of a flood: not periodic in 64 KiB, so a lost or repeated chunk shows. */
    static byte patternByte(long i) {
        return (byte) (i * 31 + (i >>> 13));
    }

    private static void flood(ViaConnection c, long total) throws Exception {
        byte[] chunk = new byte[65536];
        long sent = 0;
        try {
            while (sent < total) {
                int n = (int) Math.min(chunk.length, total - sent);
                for (int i = 0; i < n; i++) {
                    chunk[i] = patternByte(sent + i);
                }
                c.send(chunk, 0, n);
                sent += n;
                System.out.println("SENT " + sent);
            }
            c.shutdownOutput();
        } catch (RemoteBackPressureException e) {
            System.out.println("BACKPRESSURE sent=" + (sent + e.bytesSent()) + " " + e.getMessage());
            System.exit(5);
        }
        byte[] verdict = new byte[256];
        int n = c.receive(verdict, 0, verdict.length, 60_000);
        System.out.println("VERDICT " + (n > 0 ? new String(verdict, 0, n, StandardCharsets.UTF_8) : "none"));
        c.close();
        System.exit(0);
    }
}
