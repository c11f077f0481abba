package io.viaemu.aeron;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import io.viaemu.ParentConnection;
import io.viaemu.ViaServer;
import io.viaemu.testapp.TestConfigs;

/**
 * A server on the server host that does not read its one connection until the file {@code GO} exists (a stalled
 * reader), then reads it to the end, checks every byte against {@link RemoteClientMain#patternByte} and answers
 * {@code READ-OK bytes=N} or {@code READ-BAD ...}. Args: base endpoint go-file.
 */
public final class StalledReaderServerMain {
    public static void main(String[] args) throws Exception {
        ViaServer server = ViaServer.listen(TestConfigs.config(Path.of(args[0]), "none", 0), args[1]);
        Path go = Path.of(args[2]);
        System.out.println("LISTENING");
        try (ParentConnection c = server.accept(0)) {
            System.out.println("ACCEPTED " + c.id() + " send window " + c.sendWindow());
            while (!Files.exists(go)) {
                TimeUnit.MILLISECONDS.sleep(20);
            }
            System.out.println("READING");
            byte[] buf = new byte[65536];
            long at = 0;
            String verdict = null;
            int n;
            while ((n = c.receive(buf, 0, buf.length, 60_000)) >= 0) {
                for (int i = 0; i < n && verdict == null; i++) {
                    if (buf[i] != RemoteClientMain.patternByte(at + i)) {
                        verdict = "READ-BAD at " + (at + i);
                    }
                }
                at += n;
            }
            if (verdict == null) {
                verdict = "READ-OK bytes=" + at;
            }
            System.out.println(verdict);
            c.send(verdict.getBytes(StandardCharsets.UTF_8));
            c.shutdownOutput();
            TimeUnit.SECONDS.sleep(2);
        }
        System.exit(0);
    }
}
