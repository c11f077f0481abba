package io.viaemu.aeron;

import static io.viaemu.testing.ByteStreams.concat;
import static io.viaemu.testing.ByteStreams.longs;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import io.viaemu.testapp.HandoverServerMain;
import io.viaemu.testapp.RecordingHandler;
import io.viaemu.testing.JvmProcess;
import io.viaemu.testing.TestDirs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Clients on another host: two network namespaces joined by a veth pair; in the server namespace the gateway
 * daemon ({@link AeronGateway}), the via-emu server (parent) and its workers; in the client namespace the remote
 * client JVM. Every process is real, every kill a kill -9; the namespaces are deleted afterwards.
 */
class RemoteClientsTest {
    private static final Duration STEP = Duration.ofSeconds(60);
    private static final int PEER_TIMEOUT_MILLIS = 2000;
    private static final String TOKEN = "test-token-0123456789abcdef";

    @TempDir
    Path tmp;
    private Path base;
    private Path out;
    private Path logs;
    private Path tokenFile;
    private NetnsPair net;
    private final List<JvmProcess> processes = new ArrayList<>();
    private JvmProcess gateway;

    @BeforeEach
    void setUp() throws Exception {
        net = NetnsPair.create();
        base = TestDirs.privateDir(tmp, "base");
        out = Files.createDirectories(tmp.resolve("out"));
        logs = Files.createDirectories(tmp.resolve("logs"));
        tokenFile = tmp.resolve("token");
        Files.writeString(tokenFile, TOKEN + "\n");
        Files.setPosixFilePermissions(tokenFile, PosixFilePermissions.fromString("rw-------"));
    }

    @AfterEach
    void tearDown() {
        for (JvmProcess p : processes) {
            p.close();
            System.out.println("---- " + p.name() + " ----\n" + p.output()); // into the surefire output file
        }
        if (base != null) {
            TestDirs.killProcessesMentioning(base);
        }
        if (net != null) {
            net.close();
            assertThat(net.remaining()).as("network namespaces left after the test").isEmpty();
        }
        for (JvmProcess p : processes) { // a killed client's embedded driver leaves its directory
            Path dir = Path.of("/dev/shm/via-aeron-client-" + p.pid());
            if (Files.isDirectory(dir)) {
                deleteTree(dir);
            }
        }
    }

    @Test
    void echoOfOneMebibyteIsByteExactAndAWrongTokenOrUnknownEndpointIsRefused() throws Exception {
        server(RemoteEchoServerMain.class, base.toString(), "echo").awaitOutput("LISTENING", STEP);
        startGateway();
        JvmProcess wrong = client("wrong", "refused", "echo", "not-the-token-at-all-0000");
        assertThat(wrong.awaitExit(STEP)).as(wrong.output()).isZero();
        assertThat(wrong.output()).contains("REFUSED").contains("authentication failed: wrong token");
        JvmProcess unknown = client("unknown", "refused", "nope", TOKEN);
        assertThat(unknown.awaitExit(STEP)).as(unknown.output()).isZero();
        assertThat(unknown.output()).contains("REFUSED").contains("endpoint 'nope'");
        JvmProcess echo = client("echo", "echo", "echo", tokenFile.toString(), Integer.toString(1 << 20));
        assertThat(echo.awaitExit(STEP)).as(echo.output()).isZero();
        assertThat(echo.output()).contains("ECHO-OK bytes=1048576");
        assertThat(gateway.output()).contains("refused client").contains("wrong token");
        JvmProcess socket = track(NsJvm.start(net.clientNs, logs, "socket", List.of("-Dvia.aeron.token-file=" + tokenFile,
                "-Dvia.aeron.map.db.example:5432=" + net.serverIp + ":40123/echo"), RemoteClientMain.class,
                "socket", "-", "-", "-", Integer.toString(256 * 1024)));
        assertThat(socket.awaitExit(STEP)).as(socket.output()).isZero();
        assertThat(socket.output()).contains("SOCKET ViaSocket").contains("SOCKET-ECHO-OK bytes=262144");
        JvmProcess replay = track(NsJvm.start(net.clientNs, logs, "replay", List.of(), ReplayedHandshakeMain.class,
                net.serverIp + ":40123", "echo", tokenFile.toString()));
        assertThat(replay.awaitExit(STEP)).as(replay.output()).isZero();
        assertThat(replay.output()).contains("ACCEPTED 0")
                .contains("REPLAY-REFUSED 1 authentication failed").contains("REPLAY-REFUSED 2 authentication failed")
                .doesNotContain("UNEXPECTED");
    }

    @Test
    void t1HandoverWithTheRemoteClientStreamingIsByteExact() throws Exception {
        JvmProcess server = handoverServer("T1", "T1");
        startGateway();
        JvmProcess c = client("client", "stream", "ep", tokenFile.toString(), out.toString());
        c.awaitOutput("CONNECTED", STEP);
        server.awaitOutput("FORKED", STEP);
        server.awaitOutput("CLOSED handedOver=true", STEP);
        finishStreamAndCheck(c);
    }

    @Test
    void t2ExpectedAbortT3ChildReceiveAndT4ChildSendHandOverByteExact() throws Exception {
        String[][] cases = {{"T2", "T2", "ABORTED handedOver=true", "false"},
            {"T1,T2,T3", "T3", "SECOND-TRIGGERS-IGNORED handedOver=true", "false"},
            {"T4", "T4", "SECOND-TRIGGERS-IGNORED handedOver=true", "true"}};
        startGateway();
        for (String[] t : cases) {
            Path caseOut = Files.createDirectories(tmp.resolve("out-" + t[1]));
            JvmProcess server = server(HandoverServerMain.class, List.of("-Dvia.test.out=" + caseOut,
                    "-Dvia.test.childSendsFirst=" + t[3]), base.toString(), "ep-" + t[1], t[0], "1", t[1], "3001",
                    caseOut.toString()).awaitOutput("LISTENING", STEP);
            JvmProcess c = client("client-" + t[1], "stream", "ep-" + t[1], tokenFile.toString(), caseOut.toString());
            c.awaitOutput("CONNECTED", STEP);
            server.awaitOutput(t[2], STEP);
            finishStreamAndCheck(c, caseOut);
            server.kill9();
        }
    }

    @Test
    void kill9OfTheParentMidStreamIsRecoveredByTheChildNothingLostOrDuplicated() throws Exception {
        JvmProcess server = handoverServer("T2", "KILL");
        startGateway();
        JvmProcess c = client("client", "stream", "ep", tokenFile.toString(), out.toString());
        c.awaitOutput("CONNECTED", STEP);
        server.awaitOutput("CONSUMING", STEP);
        Thread.sleep(300); // the parent is mid-stream, with read-but-unconsumed input
        server.kill9();
        finishStreamAndCheck(c);
    }

    /**
     * The gateway keeps nothing on disk per finished connection: after 1,000 connections (each echoing 1 KiB,
     * then closed) its driver's directory and the via-emu base directory are back within a few MiB of what they
     * held after the first connection, and no log buffer of a finished connection is left. (There is no Aeron
     * Archive to purge: the local up queue is the record the child replays from; see the README.)
     */
    @Test
    void aThousandConnectionsLeaveTheGatewaysDiskBounded() throws Exception {
        server(RemoteEchoServerMain.class, base.toString(), "echo").awaitOutput("LISTENING", STEP);
        startGateway();
        Path aeronDir = tmp.resolve("aeron-gateway");
        JvmProcess first = client("first", "many", "echo", tokenFile.toString(), "1");
        assertThat(first.awaitExit(STEP)).as(first.output()).isZero();
        long[] aeronAfterOne = settledDisk(aeronDir);
        long[] baseAfterOne = settledDisk(base);
        JvmProcess many = client("many", "many", "echo", tokenFile.toString(), "1000");
        long peakAeronKib = 0;
        long peakLogBuffers = 0;
        long deadline = System.nanoTime() + Duration.ofMinutes(8).toNanos();
        while (many.isAlive() && System.nanoTime() < deadline) {
            long[] d = disk(aeronDir);
            peakAeronKib = Math.max(peakAeronKib, d[0]);
            if (d[2] != Long.MAX_VALUE) {
                peakLogBuffers = Math.max(peakLogBuffers, d[2]);
            }
            Thread.sleep(500);
        }
        assertThat(many.awaitExit(STEP)).as(many.output()).isZero();
        assertThat(many.output()).contains("MANY-OK 1000");
        long[] aeronAfter = settledDisk(aeronDir);
        long[] baseAfter = settledDisk(base);
        System.out.printf("DISK aeron dir after 1 connection %d KiB allocated (%d KiB apparent, %d log buffers); "
                + "peak during 1,000: %d KiB, %d log buffers; after: %d KiB (%d KiB apparent, %d log buffers); "
                + "base dir after 1: %d KiB, %d files; after 1,000: %d KiB, %d files%n",
                aeronAfterOne[0], aeronAfterOne[1], aeronAfterOne[2], peakAeronKib, peakLogBuffers,
                aeronAfter[0], aeronAfter[1], aeronAfter[2], baseAfterOne[0], baseAfterOne[3], baseAfter[0],
                baseAfter[3]);
        assertThat(aeronAfter[2]).as("log buffers left in the gateway's driver directory").isLessThanOrEqualTo(
                aeronAfterOne[2]);
        assertThat(aeronAfter[0]).as("KiB allocated in the gateway's driver directory").isLessThan(
                aeronAfterOne[0] + 4096);
        assertThat(baseAfter[0]).as("KiB allocated in the via-emu base directory").isLessThan(
                baseAfterOne[0] + 4096);
        assertThat(baseAfter[3]).as("files in the via-emu base directory").isLessThanOrEqualTo(baseAfterOne[3] + 4);
    }

    /**
     * {@link #disk} once the numbers stay put for 15 s (at most 90 s): a finished stream's files go after Aeron's
     * linger (2 s) or image liveness timeout (10 s, the gateway's minimum).
     */
    private static long[] settledDisk(Path dir) throws Exception {
        long[] last = disk(dir);
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        int stable = 0;
        while (stable < 15 && System.nanoTime() < deadline) {
            Thread.sleep(1000);
            long[] d = disk(dir);
            stable = d[0] == last[0] && d[2] == last[2] && d[3] == last[3] ? stable + 1 : 0;
            last = d;
        }
        return last;
    }

    /** KiB allocated (du), KiB apparent, Aeron log buffer files (*.logbuffer), all files, under {@code dir}. */
    private static long[] disk(Path dir) throws Exception {
        long allocated = duKib(dir, false);
        long apparent = duKib(dir, true);
        long logBuffers;
        long files;
        try (Stream<Path> all = Files.walk(dir)) {
            List<Path> regular = all.filter(Files::isRegularFile).toList();
            files = regular.size();
            logBuffers = regular.stream().filter(f -> f.getFileName().toString().endsWith(".logbuffer")).count();
        } catch (IOException | UncheckedIOException e) { // a file went while walking: count again next time
            return new long[] {allocated, apparent, Long.MAX_VALUE, Long.MAX_VALUE};
        }
        return new long[] {allocated, apparent, logBuffers, files};
    }

    private static long duKib(Path dir, boolean apparent) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("du", "-sk"));
        if (apparent) {
            cmd.add("--apparent-size");
        }
        cmd.add(dir.toString());
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        p.waitFor(20, TimeUnit.SECONDS);
        return Long.parseLong(text.split("\\s+")[0]);
    }

    @Test
    void killedClientIsSeenByTheServerSideWithinThePeerTimeout() throws Exception {
        JvmProcess server = server(RemoteEchoServerMain.class, base.toString(), "echo").awaitOutput("LISTENING", STEP);
        startGateway();
        JvmProcess c = client("client", "loop", "echo", tokenFile.toString(), out.toString());
        c.awaitOutput("ECHOED 200", STEP);
        long killedAt = System.currentTimeMillis();
        c.kill9();
        server.awaitOutput("EOF ", Duration.ofMillis(PEER_TIMEOUT_MILLIS + 5000));
        Matcher m = Pattern.compile("EOF \\S+ at (\\d+)").matcher(server.output());
        assertThat(m.find()).isTrue();
        long seenAfter = Long.parseLong(m.group(1)) - killedAt;
        assertThat(seenAfter).as("server side saw the end %d ms after the kill", seenAfter)
                .isLessThan(PEER_TIMEOUT_MILLIS + 1000);
        assertThat(gateway.output()).contains("stopped answering");
    }

    @Test
    void linkOutageShorterThanThePeerTimeoutHealsALongerOneFailsBothSidesClearly() throws Exception {
        JvmProcess server = server(RemoteEchoServerMain.class, base.toString(), "echo").awaitOutput("LISTENING", STEP);
        startGateway();
        JvmProcess c = client("client", "loop", "echo", tokenFile.toString(), out.toString());
        c.awaitOutput("ECHOED 200", STEP);
        net.link(false);
        Thread.sleep(PEER_TIMEOUT_MILLIS / 3);
        net.link(true);
        long before = lastEchoed(c);
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (lastEchoed(c) < before + 400 && System.nanoTime() < deadline) {
            assertThat(c.isAlive()).as(c.output()).isTrue();
            Thread.sleep(20);
        }
        assertThat(lastEchoed(c)).as("echoes go on after a short outage; " + c.output()).isGreaterThan(before + 399);
        assertThat(gateway.output()).doesNotContain("dropped");

        net.link(false);
        try {
            assertThat(c.awaitExit(Duration.ofMillis(PEER_TIMEOUT_MILLIS + 5000))).as(c.output()).isEqualTo(3);
            assertThat(c.output()).contains("CLIENT-FAILED").contains("stopped answering");
            gateway.awaitOutput("dropped", Duration.ofMillis(PEER_TIMEOUT_MILLIS + 5000));
            assertThat(gateway.output()).contains("stopped answering");
            server.awaitOutput("EOF ", STEP);
        } finally {
            net.link(true);
        }
    }

    @Test
    void anEndpointWithItsOwnTokenRefusesTheGatewayWideOneAndTakesItsOwn() throws Exception {
        server(RemoteEchoServerMain.class, base.toString(), "echo").awaitOutput("LISTENING", STEP);
        Path echoToken = tmp.resolve("echo.token");
        Files.writeString(echoToken, "echo-only-token-fedcba9876543210\n");
        Files.setPosixFilePermissions(echoToken, PosixFilePermissions.fromString("rw-------"));
        startGateway("--endpoint-token", "echo=" + echoToken);
        JvmProcess wide = client("wide", "refused", "echo", TOKEN);
        assertThat(wide.awaitExit(STEP)).as(wide.output()).isZero();
        assertThat(wide.output()).contains("REFUSED").contains("authentication failed: wrong token for endpoint "
                + "'echo' (it has its own token)");
        JvmProcess own = client("own", "echo", "echo", echoToken.toString(), Integer.toString(64 * 1024));
        assertThat(own.awaitExit(STEP)).as(own.output()).isZero();
        assertThat(own.output()).contains("ECHO-OK bytes=65536");
        assertThat(gateway.output()).contains("refused client").contains("wrong token for endpoint 'echo'");
    }

    @Test
    void aStalledServerMakesTheRemoteSenderBlockAtItsWindowThenEveryByteArrives() throws Exception {
        long total = 64L << 20;
        Path go = tmp.resolve("go");
        JvmProcess server = server(StalledReaderServerMain.class, base.toString(), "stall", go.toString())
                .awaitOutput("LISTENING", STEP);
        startGateway();
        JvmProcess c = client("flood", "flood", "stall", tokenFile.toString(), Long.toString(total));
        c.awaitOutput("CONNECTED", STEP);
        server.awaitOutput("ACCEPTED", STEP);
        // the sender must stall: nothing more sent for longer than the peer timeout (so heartbeats are not what
        // keeps it alive either), at a bound of the windows on the way, far below what it wants to send
        long stalledAt = -1;
        long sameSince = System.nanoTime();
        long deadline = System.nanoTime() + STEP.toNanos();
        while (System.nanoTime() < deadline) {
            long now = lastSent(c);
            if (now != stalledAt) {
                stalledAt = now;
                sameSince = System.nanoTime();
            } else if (System.nanoTime() - sameSince > Duration.ofMillis(PEER_TIMEOUT_MILLIS + 1000).toNanos()) {
                break;
            }
            assertThat(c.isAlive()).as(c.output()).isTrue();
            Thread.sleep(50);
        }
        // via-emu's window (4 MiB) + the client publication's term window (half its 16 MiB term) + Aeron's
        // receiver window and the gateway's batch: the sender is held there, not buffered without end
        System.out.println("the remote sender stalled at " + stalledAt + " bytes");
        assertThat(stalledAt).as("bytes sent before the sender blocked").isPositive().isLessThan(16L << 20);
        assertThat(c.isAlive()).as(c.output()).isTrue();
        assertThat(gateway.output()).doesNotContain("dropped");
        Files.writeString(go, "");
        assertThat(c.awaitExit(STEP)).as(c.output()).isZero();
        assertThat(c.output()).contains("VERDICT READ-OK bytes=" + total);
        server.awaitOutput("READ-OK bytes=" + total, STEP);

        // with a send timeout the blocked send fails clearly (what went out is said), and nothing is dropped
        JvmProcess stalled = server(StalledReaderServerMain.class, base.toString(), "stall2",
                tmp.resolve("never").toString()).awaitOutput("LISTENING", STEP);
        JvmProcess timed = track(NsJvm.start(net.clientNs, logs, "timed", List.of("-Dvia.aeron.peer-timeout="
                + PEER_TIMEOUT_MILLIS + "ms", "-Dvia.aeron.send-timeout=1s"), RemoteClientMain.class, "flood",
                net.serverIp + ":40123", "stall2", tokenFile.toString(), Long.toString(total)));
        assertThat(timed.awaitExit(STEP)).as(timed.output()).isEqualTo(5);
        assertThat(timed.output()).contains("BACKPRESSURE sent=").contains("back-pressured (Aeron BACK_PRESSURED)")
                .contains("the receiver is alive but does not read");
        stalled.kill9();
    }

    // ---------------------------------------------------------------------------------------------------------

    private static long lastSent(JvmProcess c) {
        Matcher m = Pattern.compile("SENT (\\d+)").matcher(c.output());
        long last = 0;
        while (m.find()) {
            last = Long.parseLong(m.group(1));
        }
        return last;
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            System.out.println("could not delete " + dir + ": " + e);
        }
    }

    private static long lastEchoed(JvmProcess c) {
        Matcher m = Pattern.compile("ECHOED (\\d+)").matcher(c.output());
        long last = 0;
        while (m.find()) {
            last = Long.parseLong(m.group(1));
        }
        return last;
    }

    private JvmProcess handoverServer(String triggers, String mode) {
        return server(HandoverServerMain.class, List.of("-Dvia.test.out=" + out, "-Dvia.test.childSendsFirst=false"),
                base.toString(), "ep", triggers, "1", mode, "3001", out.toString()).awaitOutput("LISTENING", STEP);
    }

    private void finishStreamAndCheck(JvmProcess c) throws Exception {
        finishStreamAndCheck(c, out);
    }

    private void finishStreamAndCheck(JvmProcess c, Path out) throws Exception {
        Thread.sleep(500); // the client keeps streaming, now to the child
        Files.writeString(out.resolve("stop"), "");
        assertThat(c.awaitExit(STEP)).as(c.output()).isZero();
        Path done = out.resolve("child-done.txt");
        long deadline = System.nanoTime() + STEP.toNanos();
        while (!Files.exists(done) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        Thread.sleep(50);
        assertThat(Files.readString(done)).contains("error=none");
        long sent = Long.parseLong(Files.readString(out.resolve("client-sent.txt")).trim());
        byte[] parentIn = Files.readAllBytes(out.resolve("parent-in.bin"));
        byte[] childIn = Files.readAllBytes(out.resolve("child-in.bin"));
        assertThat(childIn.length).as("child received input").isPositive();
        assertThat(concat(parentIn, childIn)).as("parent's consumed bytes + child's bytes == the remote client's "
                + "stream (" + sent + " longs; parent " + parentIn.length + " B, child " + childIn.length + " B)")
                .isEqualTo(longs(0, (int) sent));
        assertThat(Files.readAllBytes(out.resolve("client-in.bin"))).as("the remote client got the parent's "
                + "longs, then the child's").isEqualTo(concat(
                longs(HandoverServerMain.PARENT_BASE, HandoverServerMain.PARENT_LONGS),
                longs(RecordingHandler.CHILD_BASE, RecordingHandler.CHILD_LONGS)));
    }

    private void startGateway(String... more) {
        List<String> args = new ArrayList<>(List.of("--listen", net.serverIp + ":40123", "--token-file",
                tokenFile.toString(), "--aeron-dir", tmp.resolve("aeron-gateway").toString()));
        args.addAll(List.of(more));
        gateway = track(NsJvm.start(net.serverNs, logs, "gateway", List.of("-Dvia.base-dir=" + base,
                "-Dvia.aeron.peer-timeout=" + PEER_TIMEOUT_MILLIS + "ms"), AeronGateway.class,
                args.toArray(new String[0])));
        gateway.awaitOutput("listening on", STEP);
    }

    private JvmProcess server(Class<?> main, String... args) {
        return server(main, List.of(), args);
    }

    private JvmProcess server(Class<?> main, List<String> jvmOptions, String... args) {
        return track(NsJvm.start(net.serverNs, logs, "server", jvmOptions, main, args));
    }

    private JvmProcess client(String name, String mode, String endpoint, String... more) {
        List<String> args = new ArrayList<>(List.of(mode, net.serverIp + ":40123", endpoint));
        args.addAll(List.of(more));
        return track(NsJvm.start(net.clientNs, logs, name, List.of("-Dvia.aeron.peer-timeout=" + PEER_TIMEOUT_MILLIS
                + "ms"), RemoteClientMain.class, args.toArray(new String[0])));
    }

    private JvmProcess track(JvmProcess p) {
        processes.add(p);
        return p;
    }
}
