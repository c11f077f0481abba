package io.viaemu.sample;

import static io.viaemu.sample.SampleLines.line;
import static io.viaemu.sample.SampleLines.send;
import static io.viaemu.sample.SampleLines.workerPid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.jayway.jsonpath.JsonPath;
import io.viaemu.ConnectionSnapshot;
import io.viaemu.ViaClient;
import io.viaemu.ViaConfig;
import io.viaemu.ViaConnection;
import io.viaemu.spring.boot.ViaServers;
import io.viaemu.testing.JvmProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The sample as configured in its application.yml (all triggers, one warm worker per endpoint), with real worker
 * JVMs, the actuator over HTTP and the client command in a JVM of its own.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@DirtiesContext
class SampleApplicationTests {
    private static final long TEST_PID = ProcessHandle.current().pid();
    private static final List<String> EITHER_TRIGGER = List.of("T1_PARENT_CLOSE", "T3_CHILD_RECEIVE");

    @TempDir
    static Path tmp;

    @DynamicPropertySource
    static void baseDir(DynamicPropertyRegistry registry) {
        registry.add("via.base-dir", () -> tmp.resolve("via").toString());
    }

    @LocalServerPort
    int port;

    @Autowired
    ViaConfig config;

    @Autowired
    ViaServers servers;

    /** Sends one line on a chat connection and checks that a worker, not this JVM, echoed it; returns its pid. */
    private static long echoedByAWorker(ViaConnection c, String text) throws Exception {
        send(c, text + "\n");
        String reply = line(c);
        long worker = workerPid(reply);
        assertThat(worker).isNotEqualTo(TEST_PID);
        assertThat(reply).isEqualTo("[worker " + worker + "] " + text);
        return worker;
    }

    @Test
    void chatIsServedByAWorkerAndTheActuatorShowsTheHandedOverConnection() throws Exception {
        try (ViaConnection c = ViaClient.connect(config, "chat")) {
            long worker = echoedByAWorker(c, "hello");
            // S13 is the parent's answer to the client's report (S51), which may come after the worker's reply
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
                    servers.get("chat").orElseThrow().snapshot(c.id()).orElseThrow().flags())
                    .containsEntry("reconnectionCompletion", true));

            String json = get("/actuator/viaconnections/" + c.id());
            Map<String, Object> conn = JsonPath.parse(json).read("$");
            assertThat(conn).containsEntry("state", "HANDED_OVER").containsEntry("endpoint", "chat");
            // the parent closes its end right after the fork (T1) while the worker receives at once (T3):
            // whichever comes first hands the connection over
            assertThat((String) conn.get("triggerFired")).isIn(EITHER_TRIGGER);
            assertThat(((Number) conn.get("childPid")).longValue()).isEqualTo(worker);
            assertThat(JsonPath.parse(json).<Boolean>read("$.flags.P")).isTrue();
            assertThat(JsonPath.parse(json).<Boolean>read("$.flags.reconnectionCompletion")).isTrue();

            String all = get("/actuator/viaconnections");
            List<Integer> poolSizes = JsonPath.parse(all).read("$.servers[*].workerPool.size");
            assertThat(poolSizes).containsExactly(1, 1); // chat and text, from application.yml
        }
    }

    @Test
    void textParentReadsTheCommandAndTheWorkerTransformsTheLinesSentWithIt() throws Exception {
        try (ViaConnection c = ViaClient.connect(config, "text")) {
            send(c, "UPPER\nhello\nworld\n"); // one send: the lines arrive at the parent with the command
            assertThat(line(c)).isEqualTo("OK UPPER: parent pid " + TEST_PID + " hands this connection to a worker");
            String first = line(c);
            long worker = workerPid(first);
            assertThat(worker).isNotEqualTo(TEST_PID);
            assertThat(first).isEqualTo("[worker " + worker + "] HELLO");
            assertThat(line(c)).isEqualTo("[worker " + worker + "] WORLD");

            ConnectionSnapshot s = servers.get("text").orElseThrow().snapshot(c.id()).orElseThrow();
            assertThat(s.bytesCopied()).isEqualTo("hello\nworld\n".length());
            assertThat(s.flags()).containsEntry("copyRequest", true);
            assertThat(s.triggerFired()).isIn(EITHER_TRIGGER);
        }
    }

    @Test
    void textParentAnswersAnUnknownCommandItselfAndCloses() throws Exception {
        try (ViaConnection c = ViaClient.connect(config, "text")) {
            send(c, "SHOUT\n");
            assertThat(line(c)).isEqualTo("ERR unknown command 'SHOUT' (parent pid " + TEST_PID
                    + "); use UPPER or REVERSE");
            assertThat(line(c)).isNull();
        }
    }

    /**
     * Worker JVMs boot trimmed (the starter's worker mode) on Spring AOT's worker-mode bean definitions: the worker
     * that serves a forked connection has no web server (no listening socket, a plain application context, none of
     * the actuator or web auto-configurations in its log), while this parent keeps its web server and actuator.
     */
    @Test
    void theWorkerBootsWithoutAWebServerWhileTheParentKeepsItsWebServerAndActuator() throws Exception {
        try (ViaConnection c = ViaClient.connect(config, "chat")) {
            long worker = echoedByAWorker(c, "trimmed");

            assertThat(ListeningSockets.tcpPorts(worker)).as("TCP ports worker %d listens on", worker).isEmpty();
            assertThat(ListeningSockets.tcpPorts(TEST_PID)).contains(port);

            String log = workerLog(worker);
            assertThat(log).contains("via-emu worker ")
                    // a plain context (Generic on AOT definitions), not a ServletWebServerApplicationContext
                    .containsPattern("ready after \\d+ ms: (Generic|AnnotationConfig)ApplicationContext with \\d+ "
                            + "beans, trimmed boot on")
                    .doesNotContain("Tomcat").doesNotContain("/actuator")
                    // the build generates the worker-mode AOT definitions (sample-app/pom.xml), the starter uses them
                    .contains("Starting AOT-processed SampleApplication");
            assertThat(get("/actuator/health")).contains("\"via\"");
            assertThat(get("/actuator/viaconnections/" + c.id())).contains("\"childPid\":" + worker);
        }
    }

    /** The log of the worker JVM with this pid (BASE/ENDPOINT/logs/worker-ID.log; its pid is in its first lines). */
    private static String workerLog(long pid) throws Exception {
        try (var logs = Files.list(tmp.resolve("via").resolve("chat").resolve("logs"))) {
            for (Path f : (Iterable<Path>) logs::iterator) {
                String text = Files.readString(f);
                if (text.contains(" with PID " + pid + " ")) {
                    return text;
                }
            }
        }
        throw new AssertionError("no worker log of pid " + pid);
    }

    /** The README's client command, in its own JVM, talking to this test's server. */
    @Test
    void clientCommandSendsStandardInputAndPrintsTheReplies() throws Exception {
        try (JvmProcess client = JvmProcess.start(tmp.resolve("client-logs"), "client", List.of(),
                SampleApplication.class, "client", "text", "--via.base-dir=" + tmp.resolve("via"))) {
            try (OutputStream stdin = client.process().getOutputStream()) {
                stdin.write("REVERSE\nstressed\nlevel up\n".getBytes(StandardCharsets.UTF_8));
            }
            assertThat(client.awaitExit(Duration.ofSeconds(120))).as(client.output()).isZero();
            String out = client.output();
            assertThat(out).contains("OK REVERSE: parent pid " + TEST_PID)
                    .containsPattern("\\[worker \\d+\\] desserts\n")
                    .containsPattern("\\[worker \\d+\\] pu level\n")
                    .contains("connected to endpoint 'text'");
        }
    }

    private String get(String path) throws Exception {
        HttpResponse<String> r = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build().send(
                HttpRequest.newBuilder(URI.create("http://localhost:" + port + path)).timeout(Duration.ofSeconds(20))
                        .GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return r.body();
    }
}
