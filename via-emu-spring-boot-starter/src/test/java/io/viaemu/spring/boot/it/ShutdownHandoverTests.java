package io.viaemu.spring.boot.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;

import io.viaemu.ConnectionSnapshot;
import io.viaemu.ViaConfig;
import io.viaemu.ViaServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * T2, expected: with only T2 active a forked connection stays with the parent until the application shuts down;
 * closing the context must then hand it to the worker (the dispatcher must not close it, the server aborts it) and
 * the client goes on with the worker as if nothing happened.
 */
class ShutdownHandoverTests {

    @TempDir
    static Path tmp;

    @RegisterExtension
    final WorkerLogsOnFailure logs = new WorkerLogsOnFailure(tmp == null ? null : tmp.resolve("via"));

    private ConfigurableApplicationContext context;

    @AfterEach
    void closeContext() {
        if (context != null) {
            context.close();
        }
    }

    @Test
    void closingTheApplicationHandsForkedConnectionsToTheirWorkers() throws Exception {
        context = new SpringApplicationBuilder(ViaTestApplication.class).web(WebApplicationType.NONE).run(
                "--via.base-dir=" + tmp.resolve("via"), "--via.endpoint=echo", "--via.worker.pool-size=0",
                "--via.triggers.t1-parent-close=false", "--via.triggers.t2-parent-abort=true",
                "--via.triggers.t3-child-receive=false", "--via.triggers.t4-child-send=false");
        ViaConfig config = context.getBean(ViaConfig.class);
        ViaServer server = context.getBean(ViaServer.class);

        try (LineClient client = LineClient.connect(config, "echo")) {
            client.sendLine("sent to the parent");
            // the fork is done (a worker announced itself) but no trigger fired: the parent keeps the connection
            await().atMost(Duration.ofSeconds(90)).until(() -> server.snapshot(client.id())
                    .map(s -> s.childPid() != 0).orElse(false));
            ConnectionSnapshot forked = server.snapshot(client.id()).orElseThrow();
            assertThat(forked.state()).isEqualTo("FORKED");
            assertThat(forked.triggerFired()).isNull();

            context.close();
            context = null;

            String reply = client.line();
            long workerPid = LineClient.pidOf(reply);
            assertThat(reply).isEqualTo("[" + workerPid + "] sent to the parent");
            client.sendLine("after the parent's shutdown");
            assertThat(client.line()).isEqualTo("[" + workerPid + "] after the parent's shutdown");

            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> { // S13 may come after the child's answer
                ConnectionSnapshot s = server.snapshot(client.id()).orElseThrow(); // the files outlive the server
                assertThat(s.triggerFired()).isEqualTo("T2_PARENT_ABORT");
                assertThat(s.flags()).containsEntry("reconnectionCompletion", true);
            });
        }
    }
}
