package io.viaemu.spring.boot.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;

import io.micrometer.core.instrument.Timer;

import io.viaemu.ConnectionSnapshot;
import io.viaemu.spring.boot.actuate.ViaMetrics;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.annotation.DirtiesContext;

/**
 * T1 off: a {@code fork = true} connection stays with the parent, untouched, until the worker's first receive (T3)
 * or first send (T4) asks for it. Without a web server, as an application that only serves via-emu would run.
 */
@SpringBootTest(classes = ViaTestApplication.class, webEnvironment = SpringBootTest.WebEnvironment.NONE,
        properties = {"via.endpoint=echo", "via.worker.pool-size=0", "via.triggers.t1-parent-close=false",
                "via.triggers.t2-parent-abort=true", "via.triggers.t3-child-receive=true",
                "via.triggers.t4-child-send=true"})
@DirtiesContext
class LazyTriggerTests extends WorkerJvmApplicationTest {
    @Test
    void theWorkersFirstReceiveHandsTheConnectionOverByT3() throws Exception {
        try (LineClient client = LineClient.connect(config, "echo")) {
            // sent while the parent still owns the connection: the parent consumes nothing, the child gets it all
            client.sendLine("sent before the fork");
            String reply = client.line();
            long workerPid = LineClient.pidOf(reply);
            assertThat(workerPid).isNotEqualTo(TEST_PID);
            assertThat(reply).isEqualTo("[" + workerPid + "] sent before the fork");
            client.sendLine("and after");
            assertThat(client.line()).isEqualTo("[" + workerPid + "] and after");

            // the parent sets the completion (S13) when it sees the client's report (S51), which can be after the
            // child already answered: the client's replies do not wait for it
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                ConnectionSnapshot s = servers.get("echo").orElseThrow().snapshot(client.id()).orElseThrow();
                assertThat(s.triggerFired()).isEqualTo("T3_CHILD_RECEIVE");
                assertThat(s.flags()).containsEntry("C", true).containsEntry("P", true)
                        .containsEntry("reconnectionCompletion", true);
                assertThat(s.childPid()).isEqualTo(workerPid);
            });

            // the handover ran on a core thread, not in the dispatcher's close: it is measured all the same
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                Timer t = meters.find(ViaMetrics.HANDOVER_DURATION).tags("endpoint", "echo", "trigger",
                        "T3_CHILD_RECEIVE").timer();
                assertThat(t).isNotNull();
                assertThat(t.count()).isEqualTo(1);
            });
        }
    }

    @Test
    void theWorkersFirstSendHandsTheConnectionOverByT4() throws Exception {
        try (LineClient client = LineClient.connect(config, "greeter")) {
            String greeting = client.line(); // the worker speaks first
            assertThat(greeting).startsWith("hello from ");
            long workerPid = Long.parseLong(greeting.substring("hello from ".length()));
            assertThat(workerPid).isNotEqualTo(TEST_PID);
            client.sendLine("hi");
            assertThat(client.line()).isEqualTo("[" + workerPid + "] hi");

            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> { // S13 may come after the child's answer
                ConnectionSnapshot s = servers.get("greeter").orElseThrow().snapshot(client.id()).orElseThrow();
                assertThat(s.triggerFired()).isEqualTo("T4_CHILD_SEND");
                assertThat(s.state()).isEqualTo("HANDED_OVER");
                assertThat(s.flags()).containsEntry("reconnectionCompletion", true);
            });
        }
    }
}
