package io.viaemu.testapp;

import java.io.FileOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import io.viaemu.ViaClient;
import io.viaemu.ViaConfig;
import io.viaemu.ViaConnection;
import io.viaemu.protocol.ConnectionEnd;
import io.viaemu.protocol.FlagBlock;

/**
 * The client of the handover tests: streams numbered longs (0, 1, 2, ...; 16 per send) without pause for the
 * handover until the file {@code stop} appears in the out directory, then shuts its output down and records all it
 * received until end of stream. Args: base endpoint triggers outDir.
 */
public final class StreamingClientMain {
    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[3]);
        ViaConfig config = TestConfigs.config(Path.of(args[0]), args[2], 0);
        int slotWarmups = Integer.getInteger("via.test.slotWarmups", 0);
        if (slotWarmups > 0) {
            // connection slots (no retention: a slot's next use keeps nothing of the last), used and given back
            // first, so that the streamed connection runs on a recycled slot
            config = config.toBuilder().retention(Duration.ZERO).build();
            ViaConnection last = null;
            for (int i = 0; i < slotWarmups; i++) {
                last = ViaClient.connect(config, args[1]);
                byte[] b = ByteBuffer.allocate(8).putLong(-1 - i).array();
                last.send(b);
                byte[] echo = new byte[8];
                for (int off = 0; off < 8; ) {
                    off += last.receive(echo, off, 8 - off, 30_000);
                }
                if (!Arrays.equals(b, echo)) {
                    throw new IllegalStateException("warm-up " + i + " echoed " + Arrays.toString(echo));
                }
                last.close();
            }
            FlagBlock lastFlags = ((ConnectionEnd) last).flags();
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (!lastFlags.slotFree() && System.nanoTime() < deadline) {
                Thread.sleep(1); // the server's close releases it: the next connect takes it
            }
        }
        ViaConnection c = ViaClient.connect(config, args[1]);
        System.out.println("CONNECTED " + c.id() + " use=" + ((ConnectionEnd) c).flags().get(FlagBlock.Word.SLOT_USE));
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
