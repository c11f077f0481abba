package io.viaemu.testapp;

import java.io.FileOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

import io.viaemu.ViaConnection;
import io.viaemu.ViaConnectionHandler;

/**
 * The child of the handover tests, run in a worker JVM: records every byte it receives until end of stream and
 * sends its own numbered longs (first, if -Dvia.test.childSendsFirst=true, which makes its send the T4 trigger).
 */
public final class RecordingHandler implements ViaConnectionHandler {
    public static final long CHILD_BASE = 2_000_000_000L;
    public static final int CHILD_LONGS = 50;

    @Override
    public void handle(ViaConnection c) throws Exception {
        Path out = Path.of(System.getProperty("via.test.out"));
        boolean sendFirst = Boolean.getBoolean("via.test.childSendsFirst");
        long received = 0;
        String error = "none";
        try (FileOutputStream in = new FileOutputStream(out.resolve("child-in.bin").toFile())) {
            if (sendFirst) {
                sendLongs(c);
            }
            byte[] buf = new byte[4096];
            int n;
            while ((n = c.receive(buf, 0, buf.length, 60_000)) >= 0) {
                in.write(buf, 0, n);
                received += n;
            }
            if (!sendFirst) {
                sendLongs(c);
            }
        } catch (Exception e) {
            error = e.toString().replace('\n', ' ');
        } finally {
            Files.writeString(out.resolve("child-done.txt"), "received=" + received + " error=" + error + "\n");
            c.close();
        }
    }

    private static void sendLongs(ViaConnection c) throws Exception {
        for (int i = 0; i < CHILD_LONGS; i++) {
            c.send(ByteBuffer.allocate(8).putLong(CHILD_BASE + i).array());
        }
    }
}
