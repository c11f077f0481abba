package io.viaemu.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import javax.xml.parsers.DocumentBuilderFactory;

import io.viaemu.testapp.EchoServerMain;
import io.viaemu.testapp.HandoverServerMain;
import io.viaemu.testapp.StreamingClientMain;
import io.viaemu.testing.JvmProcess;
import io.viaemu.testing.SeparateProcessTest;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The command against a base directory that separate processes made: endpoint {@code ep} with a connection handed
 * over by T1 whose client, parent and child all still run, and endpoint {@code echo} whose server and client were
 * killed (kill -9), leaving their connection's directory behind.
 */
class ViaEmuCommandTest extends SeparateProcessTest {
    private static final Duration STEP = Duration.ofSeconds(60);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    /** The protocol's order: each step is sent after the previous one (marks at their own moment). */
    private static final List<String> HANDOVER_ORDER = List.of("connect", "grant", "EMU_FORK", "trigger", "S7", "S47",
            "S10", "S11", "S49", "S50", "S51", "S13");

    /** A handover server ({@code mode}: T1 hands over at once, KILL consumes slowly) and a client streaming to it. */
    private void startServerAndStreamingClient(String mode) {
        startServerAndStreamingClient(mode, List.of());
    }

    private void startServerAndStreamingClient(String mode, List<String> jvmOptions) {
        List<String> serverOptions = new ArrayList<>(jvmOptions);
        serverOptions.add("-Dvia.test.out=" + out);
        server = JvmProcess.start(tmp.resolve("logs"), "server", serverOptions,
                HandoverServerMain.class, base.toString(), "ep", "T1", "0", mode, "3001", out.toString())
                .awaitOutput("LISTENING", STEP);
        client = JvmProcess.start(tmp.resolve("logs"), "client", jvmOptions, StreamingClientMain.class,
                base.toString(), "ep", "T1", out.toString()).awaitOutput("CONNECTED", STEP);
    }

    @Test
    void listsShowsWatchesAndDrawsLiveAndDeadConnections() throws Exception {
        startServerAndStreamingClient("T1");
        server.awaitOutput("CLOSED handedOver=true", STEP);
        String handedOver = idFrom(client.output());

        try (JvmProcess echo = JvmProcess.start(tmp.resolve("logs"), "echo", List.of(), EchoServerMain.class,
                base.toString(), "echo").awaitOutput("LISTENING", STEP);
                JvmProcess holder = JvmProcess.start(tmp.resolve("logs"), "holder", List.of(),
                        HoldingClientMain.class, base.toString(), "echo").awaitOutput("CONNECTED", STEP)) {
            String dead = idFrom(holder.output());
            echo.kill9();
            holder.kill9();
            Map<Path, String> before = hashes(base.resolve("echo"));

            // ls --json: both endpoints, every connection with state, pids and whether they run, flags, trigger
            Result ls = run("--json", "ls", "-d", base.toString());
            assertThat(ls.code).as(ls.err).isZero();
            JsonNode endpoints = JSON.readTree(ls.out).get("endpoints");
            JsonNode ep = endpoint(endpoints, "ep");
            JsonNode echoEp = endpoint(endpoints, "echo");
            assertThat(ep.get("server").get("alive").asBoolean()).isTrue();
            assertThat(ep.get("server").get("pid").asLong()).isEqualTo(server.pid());
            assertThat(echoEp.get("server").get("alive").asBoolean()).as("killed server").isFalse();

            JsonNode a = connection(ep, handedOver);
            assertThat(a.get("state").asString()).isEqualTo("HANDED_OVER");
            assertThat(a.get("triggerFired").asString()).isEqualTo("T1_PARENT_CLOSE");
            assertThat(a.get("flags").get("P").asBoolean()).isTrue();
            assertThat(a.get("flags").get("reconnectionCompletion").asBoolean()).isTrue();
            assertThat(a.get("flags").get("copyRequest").asBoolean()).isTrue();
            assertThat(a.get("flags").get("transmissionIntermission").asString()).isEqualTo("RESUMED");
            assertThat(a.get("client").get("pid").asLong()).isEqualTo(client.pid());
            assertThat(a.get("client").get("alive").asBoolean()).isTrue();
            assertThat(a.get("parent").get("pid").asLong()).isEqualTo(server.pid());
            assertThat(a.get("child").get("alive").asBoolean()).isTrue();
            assertThat(a.get("bytesInFlight").get("copied").asLong()).isEqualTo(128 - 4001 % 128);
            assertThat(a.get("diskBytes").asLong()).isPositive();
            assertThat(a.get("pauseMicros").asLong()).isPositive();

            JsonNode b = connection(echoEp, dead);
            assertThat(b.get("client").get("pid").asLong()).isEqualTo(holder.pid());
            assertThat(b.get("client").get("alive").asBoolean()).as("killed client").isFalse();
            assertThat(b.get("parent").get("alive").asBoolean()).as("killed parent").isFalse();
            assertThat(b.get("triggerFired").isNull()).isTrue();

            // ls as text, through the real main in its own JVM
            try (JvmProcess cli = JvmProcess.start(tmp.resolve("logs"), "cli-ls", List.of(), ViaEmuCommand.class,
                    "ls", "--base-dir", base.toString())) {
                assertThat(cli.awaitExit(STEP)).as(cli.output()).isZero();
                assertThat(cli.output()).contains("endpoint ep", "endpoint echo", handedOver, dead, "HANDED_OVER",
                        holder.pid() + " (dead)", "P-cdR");
            }

            // show: the step stamps in protocol order, the pause cut into S7 ... S13
            Result show = run("show", handedOver, "-d", base.toString(), "--json");
            assertThat(show.code).as(show.err).isZero();
            JsonNode shown = JSON.readTree(show.out);
            List<String> codes = new ArrayList<>();
            List<Double> sent = new ArrayList<>();
            for (JsonNode s : shown.get("steps")) {
                codes.add(s.get("code").asString());
                sent.add(s.get("sentMs").asDouble());
            }
            assertThat(codes).containsSubsequence(HANDOVER_ORDER);
            assertThat(sent).isSorted();
            List<String> pieces = new ArrayList<>();
            double sum = 0;
            for (JsonNode g : shown.get("pauseSteps")) {
                pieces.add(g.get("step").asString());
                sum += g.get("ms").asDouble();
            }
            assertThat(pieces).containsExactly("S7", "S47", "S10", "S11", "S49", "S50", "S51", "S13");
            assertThat(sum).as("the pieces add up to the pause")
                    .isCloseTo(shown.get("pauseMicros").asLong() / 1000.0, org.assertj.core.data.Offset.offset(0.01));
            Result showText = run("show", handedOver.substring(0, 6), "-d", base.toString());
            assertThat(showText.code).as(showText.err).isZero();
            assertThat(showText.out).contains("connection " + handedOver, "S7 intermission request",
                    "S49 reconnect", "pause (trigger to completion)", "transmission-intermission=RESUMED");

            // workers: the child's worker, ready, serving the handed-over connection
            Result workers = run("workers", "--json", "-d", base.toString());
            assertThat(workers.code).as(workers.err).isZero();
            JsonNode worker = JSON.readTree(workers.out).get(0);
            assertThat(worker.get("connectionId").asString()).isEqualTo(handedOver);
            assertThat(worker.get("ready").asBoolean()).isTrue();
            assertThat(worker.get("process").get("alive").asBoolean()).isTrue();
            assertThat(worker.get("process").get("pid").asLong()).isEqualTo(a.get("child").get("pid").asLong());

            // timeline: an SVG with the three lanes and every step, in time order
            Path svg = tmp.resolve("handover.svg");
            Result timeline = run("timeline", handedOver, "-o", svg.toString(), "-d", base.toString());
            assertThat(timeline.code).as(timeline.err).isZero();
            assertTimeline(svg);
            Files.copy(svg, Path.of("target", "handover-timeline.svg"), StandardCopyOption.REPLACE_EXISTING);

            // watch: bounded by --count
            Result watch = run("watch", "--count", "2", "--interval", "100ms", "-d", base.toString());
            assertThat(watch.code).as(watch.err).isZero();
            assertThat(watch.out).contains("(1/2)", "(2/2)", handedOver);
            Result watchJson = run("watch", "-c", "2", "-n", "50ms", "--json", "-d", base.toString());
            assertThat(watchJson.out.strip().split("\n")).hasSize(2)
                    .allSatisfy(line -> assertThat(JSON.readTree(line).get("endpoints").size()).isEqualTo(2));

            // the dead connection's files are exactly as the killed processes left them
            assertThat(hashes(base.resolve("echo"))).isEqualTo(before);
        }
    }

    /**
     * A forked connection whose parent consumes slowly (KILL mode: 7 to 13 bytes a millisecond, no trigger): the up
     * queue's unconsumed bytes, counted read-only from the parent's recorded position, lie between what the client
     * sent and what the parent had consumed before and after the count.
     */
    @Test
    void countsTheBytesTheServerHasNotConsumedYet() throws Exception {
        startServerAndStreamingClient("KILL");
        server.awaitOutput("CONSUMING", STEP);
        String id = idFrom(client.output());
        Thread.sleep(1000); // a backlog builds up: the client sends far faster than the parent consumes
        Files.writeString(out.resolve("stop"), "");
        Path sentFile = out.resolve("client-sent.txt");
        long deadline = System.nanoTime() + STEP.toNanos();
        while (!Files.exists(sentFile) || Files.readString(sentFile).isBlank()) {
            assertThat(System.nanoTime() - deadline).as("client-sent.txt").isNegative();
            Thread.sleep(20);
        }
        long sentBytes = Long.parseLong(Files.readString(sentFile).trim()) * 8;
        Path upDir = base.resolve("ep").resolve("conn").resolve(id).resolve("up");
        List<String> filesBefore = names(upDir);

        long consumedBefore = Files.size(out.resolve("parent-in.bin"));
        Result show = run("show", id, "--json", "-d", base.toString());
        long consumedAfter = Files.size(out.resolve("parent-in.bin"));
        assertThat(show.code).as(show.err).isZero();
        JsonNode c = JSON.readTree(show.out);
        assertThat(c.get("state").asString()).isEqualTo("FORKED");
        JsonNode inFlight = c.get("bytesInFlight");
        assertThat(inFlight.get("upUnconsumedExact").asBoolean()).isTrue();
        long unconsumed = inFlight.get("upUnconsumed").asLong();
        // the parent records its position in receive(), before it writes the piece to parent-in.bin (13 at most)
        assertThat(unconsumed).as("sent %d, consumed %d..%d", sentBytes, consumedBefore, consumedAfter)
                .isBetween(sentBytes - consumedAfter - 13, sentBytes - consumedBefore)
                .isGreaterThan(10_000);
        assertThat(names(upDir)).as("the count created no file").isEqualTo(filesBefore);
    }

    private static List<String> names(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void saysClearlyWhatIsMissing() {
        Result noDir = run("ls", "-d", tmp.resolve("nowhere").toString());
        assertThat(noDir.code).isEqualTo(2);
        assertThat(noDir.err).contains("no such via-emu base directory", "nowhere");
        Result unknown = run("show", "0123456789abcdef", "-d", base.toString());
        assertThat(unknown.code).isEqualTo(1);
        assertThat(unknown.err).contains("no connection '0123456789abcdef' under " + base);
        Result noOutput = run("timeline", "0123456789abcdef", "-d", base.toString());
        assertThat(noOutput.code).isEqualTo(2);
        assertThat(noOutput.err).contains("--output");
        Result noBase = run("ls", "-d", "");
        assertThat(noBase.code).isEqualTo(2);
        assertThat(noBase.err).contains("no base directory: give --base-dir DIR or set VIA_BASE_DIR");
        Result empty = run("ls", "-d", base.toString());
        assertThat(empty.code).isZero();
        assertThat(empty.out).contains("no via-emu endpoints under " + base);
    }

    static void assertTimeline(Path svg) throws Exception {
        var factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(true);
        Element root = factory.newDocumentBuilder().parse(svg.toFile()).getDocumentElement();
        assertThat(root.getLocalName()).isEqualTo("svg");
        List<String> lanes = new ArrayList<>();
        Map<String, Long> at = new HashMap<>();
        NodeList groups = root.getElementsByTagNameNS("http://www.w3.org/2000/svg", "g");
        for (int i = 0; i < groups.getLength(); i++) {
            Element g = (Element) groups.item(i);
            switch (g.getAttribute("class")) {
                case "lane" -> lanes.add(g.getAttribute("data-lane"));
                case "step" -> {
                    at.put(g.getAttribute("data-step"), Long.parseLong(g.getAttribute("data-sent-ns")));
                    assertThat(g.getTextContent()).as("label of " + g.getAttribute("data-step")).contains(" ms");
                    if (!g.getAttribute("data-step").equals("S51")) {
                        assertThat(Long.parseLong(g.getAttribute("data-received-ns")))
                                .as("noticed after sent").isGreaterThanOrEqualTo(at.get(g.getAttribute("data-step")));
                    }
                }
                case "mark" -> at.put(g.getAttribute("data-mark"), Long.parseLong(g.getAttribute("data-sent-ns")));
                default -> {
                }
            }
        }
        assertThat(lanes).containsExactly("client", "parent", "child");
        assertThat(at.keySet()).containsAll(HANDOVER_ORDER);
        List<Long> times = HANDOVER_ORDER.stream().map(at::get).toList();
        assertThat(times).as("steps in protocol order " + HANDOVER_ORDER).isSorted();
        assertThat(root.getTextContent()).contains("pause ", "(trigger to completion)", "S7 intermission request",
                "S47 intermission done", "S10 copy", "S11 reconnection request", "S49 reconnect",
                "S50 child's grant", "S51 reconnection report", "S13 completion", "T1 parent closes");
    }

    private static JsonNode endpoint(JsonNode endpoints, String name) {
        for (JsonNode e : endpoints) {
            if (e.get("name").asString().equals(name)) {
                return e;
            }
        }
        throw new AssertionError("no endpoint " + name + " in " + endpoints);
    }

    private static JsonNode connection(JsonNode endpoint, String id) {
        for (JsonNode c : endpoint.get("connections")) {
            if (c.get("id").asString().equals(id)) {
                return c;
            }
        }
        throw new AssertionError("no connection " + id + " in " + endpoint);
    }

    private static String idFrom(String output) {
        Matcher m = Pattern.compile("CONNECTED ([0-9a-f]{16})").matcher(output);
        assertThat(m.find()).as(output).isTrue();
        return m.group(1);
    }

    private static Map<Path, String> hashes(Path dir) throws Exception {
        Map<Path, String> m = new HashMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                if (Files.isRegularFile(p)) {
                    byte[] digest = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p));
                    m.put(p, HexFormat.of().formatHex(digest) + " " + Files.getLastModifiedTime(p));
                }
            }
        }
        return m;
    }

    record Result(int code, String out, String err) {
    }

    static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = ViaEmuCommand.run(new PrintWriter(out), new PrintWriter(err), args);
        return new Result(code, out.toString(), err.toString());
    }
}
