package io.viaemu;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import io.viaemu.testapp.HandoverServerMain;
import io.viaemu.testapp.RecordingHandler;
import io.viaemu.testapp.TestConfigs;
import io.viaemu.testing.JvmProcess;
import io.viaemu.testing.SeparateProcessTest;
import io.viaemu.testing.TestDirs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client that half-closes before the handover: its end of stream was read by the parent before the cut, and the
 * child must still see it after the copied bytes (or it would wait for input for ever).
 */
class HalfCloseHandoverTest extends SeparateProcessTest {
    @Test
    void endOfStreamSentBeforeTheHandoverReachesTheChildAfterTheCopies() throws Exception {
        server = JvmProcess.start(tmp.resolve("logs"), "server", List.of("-Dvia.test.out=" + out),
                HandoverServerMain.class, base.toString(), "ep", "T1", "1", "T1", "3001", out.toString())
                .awaitOutput("LISTENING", Duration.ofSeconds(60));
        byte[] sent = HandoverProcessTest.longs(0, 625); // 5000 bytes: the parent consumes 4001 of them
        try (ViaConnection c = ViaClient.connect(TestConfigs.config(base, "T1", 0), "ep")) {
            c.send(sent);
            c.shutdownOutput();
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            byte[] buf = new byte[4096];
            int n;
            while ((n = c.receive(buf, 0, buf.length, 60_000)) >= 0) {
                got.write(buf, 0, n);
            }
            assertThat(got.toByteArray()).isEqualTo(HandoverProcessTest.concat(
                    HandoverProcessTest.longs(HandoverServerMain.PARENT_BASE, HandoverServerMain.PARENT_LONGS),
                    HandoverProcessTest.longs(RecordingHandler.CHILD_BASE, RecordingHandler.CHILD_LONGS)));
        }
        server.awaitOutput("CLOSED handedOver=true", Duration.ofSeconds(30));
        assertThat(Files.readString(out.resolve("child-done.txt"))).isEqualTo("received=999 error=none\n");
        assertThat(HandoverProcessTest.concat(Files.readAllBytes(out.resolve("parent-in.bin")),
                Files.readAllBytes(out.resolve("child-in.bin")))).isEqualTo(sent);
    }
}
