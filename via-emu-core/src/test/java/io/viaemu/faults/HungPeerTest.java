package io.viaemu.faults;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.viaemu.testapp.EchoServerMain;
import io.viaemu.testapp.StreamingClientMain;
import io.viaemu.testing.JvmProcess;
import io.viaemu.testing.SeparateProcessTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A peer that is alive but answers nothing (here: stopped with SIGSTOP) is not noticed by the process check; its
 * heartbeat in the flag block goes stale, and after the peer timeout the server fails the connection with a reason.
 */
class HungPeerTest extends SeparateProcessTest {
    @AfterEach
    void resumeClient() throws Exception {
        if (client != null) {
            signal("CONT", client.pid()); // leave no stopped process behind if a kill below were to fail
        }
    }

    @Test
    void aStoppedClientIsFailedAfterThePeerTimeout() throws Exception {
        server = JvmProcess.start(tmp.resolve("logs"), "server", List.of(), EchoServerMain.class, base.toString(),
                "echo").awaitOutput("LISTENING", Duration.ofSeconds(60));
        client = JvmProcess.start(tmp.resolve("logs"), "client", List.of(), StreamingClientMain.class,
                base.toString(), "echo", "none", out.toString()).awaitOutput("CONNECTED", Duration.ofSeconds(60));
        long stoppedAt = System.nanoTime();
        signal("STOP", client.pid());
        // the peer timeout is the default 5 s; the housekeeper looks every 20 ms when idle
        server.awaitOutput("ECHO-ERROR", Duration.ofSeconds(30));
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stoppedAt);
        assertThat(server.output()).contains("the peer stopped answering (heartbeat timeout)");
        assertThat(millis).as("failed after the peer timeout, not before").isGreaterThanOrEqualTo(4_500);
    }

    private static void signal(String sig, long pid) throws Exception {
        new ProcessBuilder("kill", "-" + sig, Long.toString(pid)).inheritIO().start().waitFor(10, TimeUnit.SECONDS);
    }
}
