package io.viaemu.testapp;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.locks.LockSupport;

import io.viaemu.ViaClient;
import io.viaemu.ViaConnection;

/**
 * A client of {@link LifecycleServerMain} ACCEPT-CLOSE that ends without closing, or closes and stays. Connects,
 * sends how long the server is to read before it closes ({@code serverCloseMillis}), streams, and after
 * {@code endAfterMillis}: HALT ends the JVM with Runtime.halt (no close, no shutdown hooks: like a crash); CLOSE
 * closes the connection and stays up (bounded) until killed. Args: base endpoint serverCloseMillis endAfterMillis
 * mode.
 */
public final class HaltingClientMain {
    public static void main(String[] args) throws Exception {
        long serverCloseMillis = Long.parseLong(args[2]);
        long endAfterMillis = Long.parseLong(args[3]);
        String mode = args[4];
        ViaConnection c = ViaClient.connect(FaultConfigs.fromSystemProperties(Path.of(args[0])), args[1]);
        long endAt = System.nanoTime() + endAfterMillis * 1_000_000L;
        System.out.println("CONNECTED " + c.id());
        c.send(ByteBuffer.allocate(8).putLong(serverCloseMillis).array());
        byte[] chunk = new byte[512];
        try {
            while (System.nanoTime() < endAt) {
                c.send(chunk);
                LockSupport.parkNanos(200_000);
            }
        } catch (Exception e) {
            System.out.println("SEND-ENDED " + e.getMessage()); // the server closed first
            while (System.nanoTime() < endAt) {
                LockSupport.parkNanos(200_000);
            }
        }
        if (mode.equals("HALT")) {
            Runtime.getRuntime().halt(0);
        }
        c.close();
        System.out.println("CLIENT-CLOSED");
        Thread.sleep(60_000);
    }
}
