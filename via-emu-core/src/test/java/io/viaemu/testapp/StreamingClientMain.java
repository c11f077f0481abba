package io.viaemu.testapp;

import java.io.FileOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import io.viaemu.ViaClient;
import io.viaemu.ViaConnection;

/**
 * The client of the handover tests: streams numbered longs (0, 1, 2, ...; 16 per send) without pause for the
 * handover until the file {@code stop} appears in the out directory, then shuts its output down and records all it
 * received until end of stream. Args: base endpoint triggers outDir.
 */
public final class StreamingClientMain {
    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[3]);
        ViaConnection c = ViaClient.connect(TestConfigs.config(Path.of(args[0]), args[2], 0), args[1]);
        System.out.println("CONNECTED " + c.id());
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
        int batchLongs = Integer.getInteger("via.test.batchLongs", 16); // more than a window: a write sent in pieces
        ByteBuffer batch = ByteBuffer.allocate(batchLongs * 8);
        long seq = 0;
        Path stop = out.resolve("stop");
        long sentAt = System.nanoTime();
        long maxStallNanos = 0;
        try {
            while (!Files.exists(stop)) {
                batch.clear();
                for (int i = 0; i < batchLongs; i++) {
                    batch.putLong(seq++);
                }
                long t0 = System.nanoTime();
                c.send(batch.array(), 0, batch.capacity());
                maxStallNanos = Math.max(maxStallNanos, System.nanoTime() - t0);
                LockSupport.parkNanos(100_000);
            }
            c.shutdownOutput();
        } catch (Exception e) {
            System.out.println("CLIENT-SEND-ERROR " + e);
            Files.writeString(out.resolve("client-sent.txt"), Long.toString(seq - batchLongs));
            System.exit(2);
        }
        Files.writeString(out.resolve("client-sent.txt"), Long.toString(seq));
        boolean gotEof = eof.await(60, TimeUnit.SECONDS);
        System.out.println("CLIENT-DONE sent=" + seq + " eof=" + gotEof + " maxSendStallMicros="
                + maxStallNanos / 1000 + " streamedMillis=" + (System.nanoTime() - sentAt) / 1_000_000);
        c.close();
        System.exit(gotEof ? 0 : 3);
    }
}
