package io.viaemu.bench.handover;

import java.io.EOFException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

import io.viaemu.ViaConnection;
import io.viaemu.ViaConnectionHandler;

/** The child of the handover benchmark: reads numbered 64-byte messages to end of stream and counts them. */
public final class CountingHandler implements ViaConnectionHandler {
    @Override
    public void handle(ViaConnection c) throws Exception {
        MessageCounter counter = new MessageCounter();
        byte[] msg = new byte[HandoverBench.MESSAGE];
        String error = "none";
        try {
            while (readFully(c, msg)) {
                counter.add(ByteBuffer.wrap(msg).getLong());
            }
        } catch (Exception e) {
            error = e.toString().replace('\n', ' ');
        }
        Files.writeString(Path.of(System.getProperty("via.bench.out")).resolve("child.result"),
                counter.toProperties() + "error=" + error + "\n");
        c.close();
    }

    static boolean readFully(ViaConnection c, byte[] b) throws Exception {
        int off = 0;
        while (off < b.length) {
            int n = c.receive(b, off, b.length - off, 60_000);
            if (n < 0) {
                if (off == 0) {
                    return false;
                }
                throw new EOFException("end of stream inside a message");
            }
            off += n;
        }
        return true;
    }
}
