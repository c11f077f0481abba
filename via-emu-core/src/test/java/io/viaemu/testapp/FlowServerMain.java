package io.viaemu.testapp;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import io.viaemu.ParentConnection;
import io.viaemu.ViaConfig;
import io.viaemu.ViaConnection;
import io.viaemu.ViaServer;

/**
 * The server of the flow-control tests: accepts one connection and reads the client's stream of numbered longs
 * (0, 1, 2, ...), checking every one, until end of stream; prints VERIFIED and the byte count, or MISMATCH.
 * Args: base endpoint sendWindow mode outDir. Modes: READ reads at once; HOLD reads nothing until the file
 * {@code read} appears in outDir (a reader that stalls); NEVER never reads (until killed).
 */
public final class FlowServerMain {
    public static void main(String[] args) throws Exception {
        Path base = Path.of(args[0]);
        String mode = args[3];
        Path out = Path.of(args[4]);
        ViaConfig config = ViaConfig.builder(base).sendWindow(Long.parseLong(args[2]))
                .peerTimeout(Duration.ofSeconds(30)) // a loaded CI machine must not take a busy peer for a hung one
                .build();
        try (ViaServer server = ViaServer.listen(config, args[1])) {
            System.out.println("LISTENING");
            ParentConnection c = server.accept(30_000);
            System.out.println("ACCEPTED " + c.id());
            if (mode.equals("NEVER")) {
                Thread.sleep(120_000);
                return;
            }
            if (mode.equals("HOLD")) {
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (!Files.exists(out.resolve("read")) && System.nanoTime() < deadline) {
                    Thread.sleep(5);
                }
            }
            System.out.println("READING");
            System.out.println(verifyNumberedLongs(c, 30_000));
            c.close();
        }
    }

    /** Reads numbered longs to end of stream; "VERIFIED n" (bytes) or "MISMATCH ...". */
    public static String verifyNumberedLongs(ViaConnection c, long timeoutMillis) throws Exception {
        ByteBuffer buf = ByteBuffer.allocate(256 * 1024 + 8);
        long expect = 0;
        long bytes = 0;
        int n;
        while ((n = c.receive(buf.array(), buf.position(), buf.remaining() - 8, timeoutMillis)) >= 0) {
            bytes += n;
            buf.position(buf.position() + n).flip();
            while (buf.remaining() >= 8) {
                long v = buf.getLong();
                if (v != expect) {
                    return "MISMATCH at long " + expect + ": got " + v;
                }
                expect++;
            }
            buf.compact();
        }
        return buf.position() == 0 ? "VERIFIED " + bytes : "MISMATCH trailing " + buf.position() + " bytes";
    }
}
