package io.viaemu.testapp;

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
 * <li>ACCEPT-CLOSE: accepts connections one after the other; each is read for the number of milliseconds that
 * the file {@code delay-ID} in outDir holds (written by the test before the client connects: the client's halt
 * and this close land in an order the test chooses), then closed (CLOSED ID). Once the file {@code stop} exists,
 * closes the server and exits.</li>
 * </ul>
 */
public final class LifecycleServerMain {
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
                byte[] buf = new byte[8192];
                while (!Files.exists(stop) && System.nanoTime() < deadline) {
                    ParentConnection c;
                    try {
                        c = server.accept(50);
                    } catch (io.viaemu.ViaTimeoutException none) {
                        continue;
                    }
                    long readMillis = Long.parseLong(Files.readString(out.resolve("delay-" + c.id())).trim());
                    long until = System.nanoTime() + readMillis * 1_000_000L;
                    try {
                        while (System.nanoTime() < until && c.receive(buf, 0, buf.length, 1) >= 0) {
                            // the client streams; we only read
                        }
                    } catch (io.viaemu.ViaTimeoutException nothingYet) {
                        // read the rest of the time
                        while (System.nanoTime() < until) {
                            Thread.sleep(1);
                        }
                    } catch (java.io.IOException e) {
                        System.out.println("RECEIVE-FAILED " + c.id() + " " + e.getMessage());
                    }
                    c.close();
                    System.out.println("CLOSED " + c.id());
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
