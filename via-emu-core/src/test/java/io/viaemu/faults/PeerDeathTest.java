package io.viaemu.faults;

import static io.viaemu.faults.Faults.EP;
import static io.viaemu.faults.Faults.STEP;
import static io.viaemu.faults.Faults.await;
import static io.viaemu.faults.Faults.line;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.viaemu.ViaClient;
import io.viaemu.ViaConfig;
import io.viaemu.ViaConnection;
import io.viaemu.internal.Layout;
import io.viaemu.protocol.ErrorCode;
import io.viaemu.protocol.FlagBlock;
import io.viaemu.protocol.FlagBlock.Word;
import io.viaemu.testapp.FaultConfigs;
import io.viaemu.testapp.FaultServerMain;
import io.viaemu.testapp.StreamingClientMain;
import io.viaemu.testing.JvmProcess;
import org.junit.jupiter.api.Test;

/** kill -9 of the client, of the child before it owns the connection and of the child that owns it. */
class PeerDeathTest extends FaultProcessTest {
    /** The housekeeper checks peers every ~10 ms; this bound leaves room for a loaded 2-core machine. */
    private static final long NOTICE_BOUND_MILLIS = 2_000;




    @Test
    void clientKilledMidStreamFailsTheServersReceiveAndTheSweepDeletesTheDirectory() throws Exception {
        // retention 1 s: the close does not delete the directory (retention 0 would); only the sweep can, once
        // the retention is over
        server = Faults.startServer(tmp, "server", FaultConfigs.props("retentionMs", "1000"), FaultServerMain.class,
                base.toString(), EP, "RECEIVE");
        client = startStreamingClient();
        String id = server.awaitOutput("ACCEPTED", STEP).output().lines()
                .filter(l -> l.startsWith("ACCEPTED")).findFirst().orElseThrow().substring(9).trim();
        Path dir = Layout.connectionDir(base, EP, Layout.parseId(id));
        Thread.sleep(300); // mid-stream
        long killedAt = System.currentTimeMillis();
        client.kill9();
        String ended = line(server.awaitOutput("RELEASED", STEP).output(), "RECEIVE-ENDED");
        assertThat(ended).contains("ViaException: connection " + id + " failed: "
                + ErrorCode.CLIENT_DIED.description());
        long noticedAfter = Long.parseLong(ended.replaceAll(".*at=(\\d+).*", "$1")) - killedAt;
        System.out.println("server's receive failed " + noticedAfter + " ms after the client's kill -9");
        assertThat(noticedAfter).as("the server's receive failed within the liveness bound")
                .isLessThan(NOTICE_BOUND_MILLIS);
        assertThat(server.output()).contains("connection " + id + " (PARENT) failed: "
                + ErrorCode.CLIENT_DIED.description());
        await("the sweep deletes " + dir, Duration.ofSeconds(8), () -> !Files.exists(dir));
        assertThat(server.output()).contains("deleting stale connection directory " + id);
    }

    @Test
    void clientKilledAfterTheServerClosedItsEndLeavesNoDirectoryBehind() throws Exception {
        server = Faults.startServer(tmp, "server", FaultConfigs.props("retentionMs", "0"), FaultServerMain.class,
                base.toString(), EP, "CLOSE-FIRST");
        client = startStreamingClient();
        server.awaitOutput("CLOSED", STEP);
        Thread.sleep(200);
        assertThat(Faults.list(base.resolve(EP).resolve("conn"))).as("the client has not closed: dir stays")
                .hasSize(1);
        client.kill9();
        await("the dead client's connection directory is deleted (server alive)", Duration.ofSeconds(8),
                () -> Faults.list(base.resolve(EP).resolve("conn")).isEmpty());
    }

    @Test
    void childKilledBeforeAnyTriggerLeavesTheConnectionWithTheParent() throws Exception {
        Map<String, String> props = FaultConfigs.props("triggers", "T1", "out", out.toString());
        ViaConfig config = startFaultServer(props, "FORK-ECHO");
        try (ViaConnection c = ViaClient.connect(config, EP)) {
            long childPid = childPid(server);
            assertEcho(c, "forked, before the kill");
            ProcessHandle child = ProcessHandle.of(childPid).orElseThrow();
            child.destroyForcibly(); // SIGKILL
            child.onExit().get(10, TimeUnit.SECONDS);
            server.awaitOutput("exited before the handover; the parent keeps the connection", Duration.ofSeconds(5));
            assertEcho(c, "after the child's death");
            FlagBlock flags = FlagBlock.openReadOnly(Faults.connDir(base, c));
            c.shutdownOutput();
            byte[] buf = new byte[16];
            assertThat(c.receive(buf, 0, buf.length, 10_000)).as("plain end of stream from the parent").isEqualTo(-1);
            server.awaitOutput("CLOSED handedOver=false", STEP);
            assertThat(flags.get(Word.TRIGGER_FIRED)).as("T1 did not fire: the close was a plain close").isZero();
            assertThat(flags.get(Word.P)).isZero();
            assertThat(flags.error()).isEqualTo(ErrorCode.NONE);
        }
        assertThat(server.output()).doesNotContain("fired; handing over").doesNotContain("ECHO-ERROR");
    }

    @Test
    void childKilledWhileItOwnsTheConnectionFailsTheClientClearly() throws Exception {
        Map<String, String> props = FaultConfigs.props("triggers", "T1", "out", out.toString());
        server = Faults.startServer(tmp, "server", props, FaultServerMain.class, base.toString(), EP, "FORK-CLOSE");
        client = startStreamingClient();
        long childPid = childPid(server);
        server.awaitOutput("CLOSED handedOver=true", STEP);
        Thread.sleep(300); // the client streams to the child now
        long killedAt = System.nanoTime();
        ProcessHandle.of(childPid).orElseThrow().destroyForcibly();
        int exit = client.awaitExit(Duration.ofSeconds(20));
        long tookMillis = (System.nanoTime() - killedAt) / 1_000_000;
        System.out.println("client failed " + tookMillis + " ms after the owning child's kill -9");
        assertThat(exit).as(client.output()).isEqualTo(2); // StreamingClientMain: a send failed
        assertThat(line(client.output(), "CLIENT-SEND-ERROR")).contains("ViaException")
                .contains(ErrorCode.CHILD_DIED.description());
        assertThat(tookMillis).as("the client's send failed within a bounded time").isLessThan(5_000);
    }

    @Test
    void idleClientLearnsOnItsNextSendAndReceiveThatTheOwningChildDied() throws Exception {
        Map<String, String> props = FaultConfigs.props("triggers", "T1", "out", out.toString());
        ViaConfig config = startFaultServer(props, "FORK-CLOSE");
        try (ViaConnection c = ViaClient.connect(config, EP)) {
            long childPid = childPid(server);
            server.awaitOutput("CLOSED handedOver=true", STEP); // this idle client reconnected in the background
            FlagBlock flags = FlagBlock.openReadOnly(Faults.connDir(base, c));
            await("the client reconnected to the child", Duration.ofSeconds(10),
                    () -> flags.get(Word.CLIENT_REPORTED) != 0);
            ProcessHandle.of(childPid).orElseThrow().destroyForcibly();
            await("the client noticed", Duration.ofSeconds(5), () -> flags.error() == ErrorCode.CHILD_DIED);
            Thread.sleep(100); // the housekeeper has failed the connection (and shut the output) meanwhile
            assertThatThrownBy(() -> c.send(new byte[] {1})).isInstanceOf(io.viaemu.ViaException.class)
                    .hasMessageContaining(ErrorCode.CHILD_DIED.description());
            assertThatThrownBy(() -> c.receive(new byte[1], 0, 1, 5_000)).isInstanceOf(io.viaemu.ViaException.class)
                    .hasMessageContaining(ErrorCode.CHILD_DIED.description());
        }
    }

    // ---------------------------------------------------------------------------------------------------------

    private JvmProcess startStreamingClient() {
        return JvmProcess.start(tmp.resolve("logs"), "client", List.of(), StreamingClientMain.class,
                base.toString(), EP, "none", out.toString()).awaitOutput("CONNECTED", STEP);
    }

    private static long childPid(JvmProcess server) {
        String forked = line(server.awaitOutput("FORKED child=", STEP).output(), "FORKED child=");
        long pid = Long.parseLong(forked.substring(forked.indexOf('=') + 1).trim());
        assertThat(pid).isPositive();
        return pid;
    }

    private static void assertEcho(ViaConnection c, String what) throws IOException {
        byte[] sent = what.getBytes();
        c.send(sent);
        byte[] got = new byte[sent.length];
        int off = 0;
        while (off < got.length) {
            int n = c.receive(got, off, got.length - off, 10_000);
            assertThat(n).as(what).isPositive();
            off += n;
        }
        assertThat(new String(got)).isEqualTo(what);
    }
}
