package io.viaemu;

import static io.viaemu.testing.ByteStreams.concat;
import static io.viaemu.testing.ByteStreams.longs;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;

import io.viaemu.testapp.HandoverServerMain;
import io.viaemu.testapp.RecordingHandler;
import io.viaemu.testapp.TestConfigs;
import io.viaemu.testing.JvmProcess;
import io.viaemu.testing.SeparateProcessTest;
import org.junit.jupiter.api.Test;

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
        byte[] sent = longs(0, 625); // 5000 bytes: the parent consumes 4001 of them
        try (ViaConnection c = ViaClient.connect(TestConfigs.config(base, "T1", 0), "ep")) {
            c.send(sent);
            c.shutdownOutput();
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            byte[] buf = new byte[4096];
            int n;
            while ((n = c.receive(buf, 0, buf.length, 60_000)) >= 0) {
                got.write(buf, 0, n);
            }
            assertThat(got.toByteArray()).isEqualTo(concat(
                    longs(HandoverServerMain.PARENT_BASE, HandoverServerMain.PARENT_LONGS),
                    longs(RecordingHandler.CHILD_BASE, RecordingHandler.CHILD_LONGS)));
        }
        server.awaitOutput("CLOSED handedOver=true", Duration.ofSeconds(30));
        assertThat(Files.readString(out.resolve("child-done.txt"))).isEqualTo("received=999 error=none\n");
        assertThat(concat(Files.readAllBytes(out.resolve("parent-in.bin")),
                Files.readAllBytes(out.resolve("child-in.bin")))).isEqualTo(sent);
    }
}
