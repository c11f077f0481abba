package io.viaemu.testapp;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

import io.viaemu.ParentConnection;
import io.viaemu.ViaServer;

/**
 * The server of the lifecycle tests (directories left behind, worker shutdown); configuration from
 * {@code via.test.*} properties ({@link FaultConfigs}). Args: base endpoint mode outDir. Modes:
 * <ul>
 * <li>CLOSE-ON-STOP: serves nothing; once the file {@code stop} exists in outDir, closes the server (SERVER-CLOSED)
 * and stays up (bounded);</li>
 * <li>ACCEPT-CLOSE: accepts connections one after the other; each is read for as many milliseconds as its
 * client's first 8 bytes say (so the client's halt and this close land in an order the test chooses), then closed
 * (CLOSED ID). Once the file {@code stop} exists, closes the server and exits.</li>
 * </ul>
 */
public final class LifecycleServerMain {
    /**
     * Reads the client's first 8 bytes (how long to go on reading, in ms), reads (and drops) the client's stream
     * that long, even past its end, and closes. A client that dies meanwhile makes a receive fail: the connection is closed anyway.
     */
    static void readThenClose(ParentConnection c) throws IOException {
        byte[] buf = new byte[8192];
        String result = "read";
        try {
            int got = 0;
            while (got < 8) {
                int n = c.receive(buf, got, 8 - got, 30_000);
                if (n < 0) {
                    throw new EOFException("end of stream before the delay");
                }
                got += n;
            }
            long readMillis = ByteBuffer.wrap(buf, 0, 8).getLong();
            long until = System.nanoTime() + readMillis * 1_000_000L;
            while (System.nanoTime() < until) {
                try {
                    if (c.receive(buf, 0, buf.length, 1) < 0) {
                        Thread.sleep(1); // the client closed: this end stays open until its time is up
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                } catch (io.viaemu.ViaTimeoutException nothingYet) {
                    // go on until the time is up
                }
            }
        } catch (IOException e) {
            result = "failed: " + e.getMessage();
        }
        c.close();
        System.out.println("CLOSED " + c.id() + " " + result);
    }

    public static void main(String[] args) throws Exception {
        Path base = Path.of(args[0]);
        String endpoint = args[1];
        String mode = args[2];
        Path out = Path.of(args[3]);
        ViaServer server = ViaServer.listen(FaultConfigs.fromSystemProperties(base), endpoint);
        System.out.println("LISTENING pid=" + ProcessHandle.current().pid());
        Path stop = out.resolve("stop");
        long deadline = System.nanoTime() + 300_000_000_000L;
        switch (mode) {
            case "CLOSE-ON-STOP":
                while (!Files.exists(stop) && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                server.close();
                System.out.println("SERVER-CLOSED");
                Thread.sleep(60_000);
                break;
            case "ACCEPT-CLOSE":
                while (!Files.exists(stop) && System.nanoTime() < deadline) {
                    ParentConnection c;
                    try {
                        c = server.accept(50);
                    } catch (io.viaemu.ViaTimeoutException none) {
                        continue;
                    }
                    readThenClose(c);
                }
                server.close();
                System.out.println("SERVER-CLOSED");
                System.exit(0);
                break;
            default:
                throw new IllegalArgumentException(mode);
        }
    }
}
