package io.viaemu.spring.boot.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.jayway.jsonpath.DocumentContext;
import io.micrometer.core.instrument.Timer;
import io.viaemu.ConnectionSnapshot;
import io.viaemu.spring.boot.actuate.ViaMetrics;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;

/**
 * Real worker JVMs, handover by T1 (T3/T4 off, so the trigger is deterministic): a {@code fork = true} handler, a
 * parent-side handler that forks after reading a request, and the actuator endpoint over HTTP.
 */
@SpringBootTest(classes = ViaTestApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"via.endpoint=echo", "via.worker.pool-size=0", "via.triggers.t1-parent-close=true",
                "via.triggers.t2-parent-abort=true", "via.triggers.t3-child-receive=false",
                "via.triggers.t4-child-send=false"})
@DirtiesContext
class ForkedHandlerTests extends WorkerJvmApplicationTest {
    @LocalServerPort
    int port;

    @Test
    void forkTrueHandlerRunsInAWorkerOfThisApplicationAndTheActuatorShowsTheHandover() throws Exception {
        long workerPid;
        try (LineClient client = LineClient.connect(config, "echo")) {
            client.sendLine("hello");
            String reply = client.line();
            assertThat(reply).endsWith("] hello");
            workerPid = LineClient.pidOf(reply);
            assertThat(workerPid).isNotEqualTo(TEST_PID);
            List<String> workerArgs = commandLine(workerPid);
            // the worker is this application, started without a web server, in worker mode
            assertThat(workerArgs).contains(ViaTestApplication.class.getName(),
                    "--spring.main.web-application-type=none", "--via.endpoint=echo")
                    .anyMatch(a -> a.startsWith("--via.worker.id="));

            client.sendLine("again");
            assertThat(client.line()).isEqualTo("[" + workerPid + "] again");
            awaitReconnectionCompletion("echo", client);

            Http.Response all = Http.get(port, "/actuator/viaconnections");
            assertThat(all.status()).isEqualTo(200);
            DocumentContext json = all.json();
            List<Map<String, Object>> echoServer = json.read("$.servers[?(@.endpoint == 'echo')]");
            assertThat(echoServer).hasSize(1);
            assertThat(echoServer.get(0)).containsEntry("baseDir", tmp.resolve("via").toString())
                    .containsEntry("triggers", List.of("T1_PARENT_CLOSE", "T2_PARENT_ABORT"));
            List<Integer> poolSize = json.read("$.servers[?(@.endpoint == 'echo')].workerPool.size");
            assertThat(poolSize).containsExactly(0);
            // the one-shot worker serving this connection is listed with its pid and its one current connection
            List<Map<String, Object>> worker = json.read(
                    "$.servers[?(@.endpoint == 'echo')].workers[?(@.pid == " + workerPid + ")]");
            assertThat(worker).hasSize(1);
            assertThat(worker.get(0)).containsEntry("currentConnections", 1).containsEntry("connectionLimit", 1)
                    .containsEntry("state", "DRAINING").containsEntry("recycleReason", "MAX_CONNECTIONS");
            List<Map<String, Object>> found = json.read(
                    "$.servers[*].connections[?(@.id == '" + client.id() + "')]");
            assertThat(found).hasSize(1);
            assertHandedOverByT1(found.get(0), workerPid);

            Http.Response one = Http.get(port, "/actuator/viaconnections/" + client.id());
            assertThat(one.status()).isEqualTo(200);
            assertHandedOverByT1(one.json().read("$"), workerPid);
            assertThat(Http.get(port, "/actuator/viaconnections/0123456789abcdef").status()).isEqualTo(404);

            Http.Response health = Http.get(port, "/actuator/health");
            assertThat(health.json().<String>read("$.components.via.status")).isEqualTo("UP");
            assertThat(health.json().<String>read("$.components.via.details.endpoints.echo.listenQueue"))
                    .isEqualTo("ok");

            // the dispatcher records the handover's duration right after T1 returned
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                Timer t = meters.find(ViaMetrics.HANDOVER_DURATION).tags("endpoint", "echo", "trigger",
                        "T1_PARENT_CLOSE").timer();
                assertThat(t).isNotNull();
                assertThat(t.count()).isGreaterThanOrEqualTo(1);
            });
            assertThat(meters.get(ViaMetrics.HANDOVERS_COMPLETED).tag("endpoint", "echo").functionCounter()
                    .count()).isGreaterThanOrEqualTo(1);
            assertThat(meters.get(ViaMetrics.CONNECTIONS_OPEN).tag("endpoint", "echo").gauge().value()).isZero();
        }
        // its one connection is done: the worker application exits
        ProcessHandle worker = ProcessHandle.of(workerPid).orElse(null);
        if (worker != null) {
            assertThat(worker.onExit().completeOnTimeout(null, 30, TimeUnit.SECONDS).get())
                    .as("worker pid %d exits after its connection", workerPid).isNotNull();
        }
    }

    @SuppressWarnings("unchecked")
    private static void assertHandedOverByT1(Map<String, Object> c, long workerPid) {
        assertThat(c).containsEntry("state", "HANDED_OVER").containsEntry("triggerFired", "T1_PARENT_CLOSE")
                .containsEntry("endpoint", "echo");
        assertThat(((Number) c.get("parentPid")).longValue()).isEqualTo(TEST_PID);
        assertThat(((Number) c.get("childPid")).longValue()).isEqualTo(workerPid);
        assertThat(((Number) c.get("clientPid")).longValue()).isEqualTo(TEST_PID);
        assertThat((Map<String, Object>) c.get("flags")).containsEntry("P", true).containsEntry("C", false)
                .containsEntry("reconnectionCompletion", true).containsKeys("copyRequest", "dataReceived",
                        "transmissionIntermission");
        assertThat((Map<String, Object>) c.get("timestamps")).containsKeys("connected", "forked", "triggered",
                "reconnectionRequested", "granted", "completed");
        assertThat(((Number) c.get("handoverMillis")).longValue()).isGreaterThanOrEqualTo(0);
    }

    @Test
    void parentSideHandlerReadsItsRequestAndTheWorkerGetsEveryUnconsumedByte() throws Exception {
        String afterRequest = "first line\nsecond line\n";
        try (LineClient client = LineClient.connect(config, "request")) {
            // one send, so request and data arrive together: the parent must consume the request line only
            client.send("SHOUT\n" + afterRequest);
            assertThat(client.line()).isEqualTo("parent " + TEST_PID + " forks SHOUT");
            String first = client.line();
            long workerPid = LineClient.pidOf(first);
            assertThat(workerPid).isNotEqualTo(TEST_PID);
            assertThat(first).isEqualTo("[" + workerPid + "] FIRST LINE");
            assertThat(client.line()).isEqualTo("[" + workerPid + "] SECOND LINE");
            client.sendLine("third line");
            assertThat(client.line()).isEqualTo("[" + workerPid + "] THIRD LINE");

            awaitReconnectionCompletion("request", client);
            ConnectionSnapshot s = servers.get("request").orElseThrow().snapshot(client.id()).orElseThrow();
            assertThat(s.triggerFired()).isEqualTo("T1_PARENT_CLOSE");
            assertThat(s.bytesCopied()).isEqualTo(afterRequest.length());
            assertThat(s.flags()).containsEntry("copyRequest", true).containsEntry("dataReceived", true)
                    .containsEntry("reconnectionCompletion", true);
        }
    }

    @Test
    void parentSideHandlerMayAnswerItselfWithoutForking() throws Exception {
        try (LineClient client = LineClient.connect(config, "request")) {
            client.sendLine("WHISPER");
            assertThat(client.line()).isEqualTo("parent " + TEST_PID + " refuses WHISPER");
            assertThat(client.line()).isNull(); // the handler returned: the starter closed the parent's end
        }
        // the client saw the parent's CLOSE; the server forgets the connection right after
        await().atMost(Duration.ofSeconds(10))
                .until(() -> servers.get("request").orElseThrow().connections().isEmpty());
    }

    /**
     * S13 is the parent's answer to the client's S51 report, which the client sends once it talks to the child: the
     * client may read the child's reply before the parent has set reconnection-completion, so the test waits for it.
     */
    private void awaitReconnectionCompletion(String endpoint, LineClient client) {
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
                servers.get(endpoint).orElseThrow().snapshot(client.id()).orElseThrow().flags())
                .containsEntry("reconnectionCompletion", true));
    }

    /** The full command line; ProcessHandle.Info gives nothing for one as long as a test class path. */
    static List<String> commandLine(long pid) throws IOException {
        String raw = Files.readString(Path.of("/proc/" + pid + "/cmdline"));
        return List.of(raw.split("\u0000"));
    }
}
