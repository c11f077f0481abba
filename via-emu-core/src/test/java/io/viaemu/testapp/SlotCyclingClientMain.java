package io.viaemu.testapp;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;

import io.viaemu.ViaClient;
import io.viaemu.ViaConfig;
import io.viaemu.ViaConnection;

/**
 * A client that makes connect / 8-byte echo / close cycles on connection slots, then keeps its idle slots and waits
 * (to be killed by the test). Args: base endpoint cycles.
 */
public final class SlotCyclingClientMain {
    public static void main(String[] args) throws Exception {
        ViaConfig config = ViaConfig.builder(Path.of(args[0])).connectTimeout(Duration.ofSeconds(30)).build();
        int cycles = Integer.parseInt(args[2]);
        for (int i = 0; i < cycles; i++) {
            try (ViaConnection c = ViaClient.connect(config, args[1])) {
                byte[] b = ByteBuffer.allocate(8).putLong(i).array();
                c.send(b);
                byte[] echo = new byte[8];
                for (int off = 0; off < 8; ) {
                    off += c.receive(echo, off, 8 - off, 30_000);
                }
                if (!Arrays.equals(b, echo)) {
                    throw new IllegalStateException("cycle " + i + " echoed " + Arrays.toString(echo));
                }
            }
        }
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (ViaClient.idleSlots(config, args[1]) == 0 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        System.out.println("CYCLED " + cycles + " idle=" + ViaClient.idleSlots(config, args[1]));
        Thread.sleep(120_000);
    }
}
