package io.viaemu.faults;

import static io.viaemu.testing.ByteStreams.concat;
import static io.viaemu.testing.ByteStreams.longs;
import static io.viaemu.faults.Faults.EP;
import static io.viaemu.faults.Faults.STEP;
import static io.viaemu.faults.Faults.append;
import static io.viaemu.faults.Faults.appendRaw;
import static io.viaemu.faults.Faults.await;
import static io.viaemu.faults.Faults.bytes;
import static io.viaemu.faults.Faults.doc;
import static io.viaemu.faults.Faults.line;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import io.viaemu.Trigger;
import io.viaemu.ViaClient;
import io.viaemu.ViaConfig;
import io.viaemu.ViaConnection;
import io.viaemu.internal.Layout;
import io.viaemu.protocol.ConnectionState;
import io.viaemu.protocol.ErrorCode;
import io.viaemu.protocol.FlagBlock;
import io.viaemu.protocol.FlagBlock.Word;
import io.viaemu.protocol.MessageType;
import io.viaemu.protocol.Messages;
import io.viaemu.testapp.FaultConfigs;
import io.viaemu.testapp.FaultServerMain;
import io.viaemu.testapp.HandoverServerMain;
import io.viaemu.testapp.KillSwitch;
import io.viaemu.testapp.RecordingHandler;
import io.viaemu.testapp.SleepingMain;
import io.viaemu.testapp.StreamingClientMain;
import io.viaemu.testing.JvmProcess;
import io.viaemu.transport.Channel;
import io.viaemu.transport.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Handovers that go wrong: a deaf client, a child that never starts, forged reconnections, a parent killed mid-way. */
class HandoverFaultTest extends FaultProcessTest {



    @Test
    void clientThatNeverConfirmsTheIntermissionFailsTheHandoverAfterTheTimeout() throws Exception {
        Map<String, String> props = FaultConfigs.props("triggers", "T1", "handoverTimeoutMs", "1000",
                "out", out.toString());
        ViaConfig config = startFaultServer(props, "FORK-CLOSE");
        try (DeafClient deaf = new DeafClient(config, EP)) {
            deaf.startStreaming();
            server.awaitOutput("FORKED", STEP);
            long forkedSeen = System.nanoTime();
            String failed = line(server.awaitOutput("CLOSE-FAILED", Duration.ofSeconds(20)).output(), "CLOSE-FAILED");
            long tookMillis = (System.nanoTime() - forkedSeen) / 1_000_000;
            assertThat(failed).contains("ViaTimeoutException: connection " + deaf.idString() + ": "
                    + ErrorCode.INTERMISSION_TIMEOUT.description());
            assertThat(tookMillis).as("the parent waited about the handover timeout").isBetween(900L, 6_000L);
            assertThat(server.output()).contains("(PARENT) failed: " + ErrorCode.INTERMISSION_TIMEOUT.description()
                    + " - waited 1000 ms");
            // the deaf client finds the reason in its down queue: INTERMISSION_REQUEST, then CLOSE with the error
            Messages.Reader r = new Messages.Reader();
            long code = -1;
            String reason = null;
            for (Document d; (d = deaf.next(5_000)) != null; ) {
                if (r.reset(d).type() == MessageType.CLOSE) {
                    code = r.getLong();
                    reason = r.getString();
                    break;
                }
            }
            assertThat(code).as("CLOSE in the down queue").isEqualTo(ErrorCode.INTERMISSION_TIMEOUT.code());
            assertThat(reason).isEqualTo("waited 1000 ms");
            assertThat(deaf.flags.state()).isEqualTo(ConnectionState.FAILED);
            assertThat(deaf.flags.error()).isEqualTo(ErrorCode.INTERMISSION_TIMEOUT);
            assertThat(deaf.flags.get(Word.P)).as("no reconnection was requested").isZero();
        }
        // the child's receive fails with the reason
        Path done = out.resolve("child-done.txt");
        await("the child's handler ended", Duration.ofSeconds(15), () -> Files.exists(done));
        Thread.sleep(50);
        assertThat(Files.readString(done)).startsWith("received=0 ").contains("ViaException")
                .contains(ErrorCode.INTERMISSION_TIMEOUT.description());
    }

    @Test
    void childThatNeverStartsFailsTheForkAndTheParentKeepsTheConnection() throws Exception {
        Map<String, String> props = FaultConfigs.props("triggers", "T1", "childStartTimeoutMs", "1500",
                "workerMain", SleepingMain.class.getName());
        ViaConfig config = startFaultServer(props, "FORK-ECHO");
        try (ViaConnection c = ViaClient.connect(config, EP)) {
            c.send("sent while the fork waits".getBytes());
            String failed = line(server.awaitOutput("FORK-FAILED", STEP).output(), "FORK-FAILED");
            assertThat(failed).contains("ViaException").contains("was not ready within 1500 ms (child start timeout)")
                    .contains("killed it");
            await("the worker that never started is killed", Duration.ofSeconds(10),
                    () -> processesRunning(SleepingMain.class.getName()) == 0);
            assertThat(readFully(c, "sent while the fork waits".length())).isEqualTo("sent while the fork waits");
            c.send("and after".getBytes());
            assertThat(readFully(c, 9)).isEqualTo("and after");
            FlagBlock flags = FlagBlock.openReadOnly(Faults.connDir(base, c));
            assertThat(flags.state()).isEqualTo(ConnectionState.ESTABLISHED);
            c.shutdownOutput();
            assertThat(c.receive(new byte[1], 0, 1, 10_000)).isEqualTo(-1);
        }
        server.awaitOutput("CLOSED handedOver=false", STEP);
    }

    @Test
    void workerThatExitsAtOnceFailsTheForkClearly() throws Exception {
        Map<String, String> props = FaultConfigs.props("triggers", "T1", "workerMain", "no.such.WorkerMain");
        ViaConfig config = startFaultServer(props, "FORK-ECHO");
        try (ViaConnection c = ViaClient.connect(config, EP)) {
            String failed = line(server.awaitOutput("FORK-FAILED", STEP).output(), "FORK-FAILED");
            assertThat(failed).contains("exited before it was ready; see " + Layout.logsDir(base, EP));
            c.send("ok".getBytes());
            assertThat(readFully(c, 2)).isEqualTo("ok");
        }
    }

    /**
     * The client shut its output down and the parent read that end of stream, then handed the connection over
     * (T1): like a socket passed on after EOF, the child must read end of stream too, not wait for input forever.
     */
    @Test
    void handoverAfterTheClientsEndOfStreamGivesTheChildEndOfStream() throws Exception {
        Map<String, String> props = FaultConfigs.props("triggers", "T1", "out", out.toString());
        ViaConfig config = startFaultServer(props, "FORK-ECHO");
        try (ViaConnection c = ViaClient.connect(config, EP)) {
            server.awaitOutput("FORKED", STEP);
            c.send("request".getBytes());
            assertThat(readFully(c, 7)).isEqualTo("request");
            c.shutdownOutput();
            server.awaitOutput("CLOSED handedOver=true", STEP); // the parent read EOF and closed: T1
            // the child reads end of stream at once, then answers with its longs and closes
            Path done = out.resolve("child-done.txt");
            await("the child's handler ended (it must read end of stream)", Duration.ofSeconds(15),
                    () -> Files.exists(done));
            Thread.sleep(50);
            assertThat(Files.readString(done)).startsWith("received=0 error=none");
            byte[] longs = new byte[RecordingHandler.CHILD_LONGS * 8];
            int off = 0;
            while (off < longs.length) {
                int n = c.receive(longs, off, longs.length - off, 10_000);
                assertThat(n).isPositive();
                off += n;
            }
            assertThat(longs).isEqualTo(longs(RecordingHandler.CHILD_BASE, RecordingHandler.CHILD_LONGS));
            assertThat(c.receive(new byte[1], 0, 1, 10_000)).isEqualTo(-1);
        }
    }

    @Test
    void forgedDocumentsInTheWorkerInboxAreRefusedAndTheRealClientGetsThrough() throws Exception {
        Map<String, String> props = FaultConfigs.props("triggers", "T1", "out", out.toString());
        server = Faults.startServer(tmp, "server", props, FaultServerMain.class, base.toString(), EP,
                "FORK-WAIT-CLOSE");
        client = startStreamingClient();
        server.awaitOutput("FORKED", STEP);
        Path connDir = onlyConnectionDir();
        FlagBlock flags = FlagBlock.openReadOnly(connDir);
        long connId = Layout.parseId(connDir.getFileName().toString());
        long token = flags.get(Word.TOKEN);
        long workerId = flags.get(Word.WORKER_ID);
        Path workerLog = Layout.logsDir(base, EP).resolve("worker-" + Layout.idString(workerId) + ".log");
        ViaConfig config = FaultConfigs.config(base, props);
        Channel inbox = Faults.rawChannel(config, Layout.inboxDir(Layout.workerDir(base, EP, workerId)));
        try {
            String id = Layout.idString(connId);
            append(inbox, doc(MessageType.RECONNECT).putLong(connId).putString(EP).putLong(token + 1).putLong(0));
            awaitLog(workerLog, "refused RECONNECT for connection " + id + ": wrong token");
            // the right token (stolen) before the parent asked for a reconnection
            append(inbox, doc(MessageType.RECONNECT).putLong(connId).putString(EP).putLong(token).putLong(77));
            awaitLog(workerLog, "refused RECONNECT for connection " + id + ": no reconnection was requested");
            append(inbox, doc(MessageType.RECONNECT).putLong(connId + 1).putString(EP).putLong(token).putLong(0));
            awaitLog(workerLog, "refused RECONNECT for unknown connection " + Layout.idString(connId + 1));
            append(inbox, doc(MessageType.RECONNECT).putLong(connId).putString("other").putLong(token).putLong(0));
            awaitLog(workerLog, "of endpoint 'other'");
            appendRaw(inbox, bytes(Messages.VERSION, 99));
            awaitLog(workerLog, "refused a bad inbox document: unknown message type 99");
            appendRaw(inbox, bytes(Messages.VERSION, MessageType.RECONNECT.code(), 1, 2));
            awaitLog(workerLog, "refused a bad inbox document: truncated RECONNECT document");
            append(inbox, doc(MessageType.ASSIGN).putLong(connId + 2).putString(RecordingHandler.class.getName()));
            awaitLog(workerLog, "refused a second ASSIGN");
            assertThat(flags.get(Word.CHILD_GRANTED)).as("nothing was granted").isZero();
        } finally {
            inbox.close();
        }
        // the real handover still works: the parent never consumed, so the child gets the whole stream
        Files.writeString(out.resolve("close"), "");
        server.awaitOutput("CLOSED handedOver=true", STEP);
        Thread.sleep(300);
        Files.writeString(out.resolve("stop"), "");
        assertThat(client.awaitExit(STEP)).as(client.output()).isZero();
        Path done = out.resolve("child-done.txt");
        await("the child's handler ended", STEP, () -> Files.exists(done));
        Thread.sleep(50);
        assertThat(Files.readString(done)).contains("error=none");
        long sent = longsSent();
        assertThat(Files.readAllBytes(out.resolve("child-in.bin"))).isEqualTo(longs(0, (int) sent));
        assertThat(Files.readAllBytes(out.resolve("client-in.bin")))
                .isEqualTo(longs(RecordingHandler.CHILD_BASE, RecordingHandler.CHILD_LONGS));
        assertThat(flags.get(Word.RECONNECTION_COMPLETION)).isEqualTo(1);
    }

    /**
     * The parent dies (halts like kill -9) at a step of a T1 handover, with T2 active: the client and the child
     * must finish the handover alone, every byte exactly once and in order (the README's guarantee for a parent
     * killed with T2 active and a child forked; no "both fail clearly" way out).
     */
    @ParameterizedTest(name = "parent killed at {0}")
    @ValueSource(strings = {"INTERMITTED", "COPIED", "RECONNECT_REQUESTED"})
    void parentKilledDuringTheHandoverLosesAndDuplicatesNothing(String step) throws Exception {
        server = JvmProcess.start(tmp.resolve("logs"), "server", List.of("-Dvia.test.out=" + out,
                "-D" + KillSwitch.PROPERTY + "=" + step), HandoverServerMain.class,
                base.toString(), EP, "T1,T2", "0", "T1", "3001", out.toString()).awaitOutput("LISTENING", STEP);
        client = JvmProcess.start(tmp.resolve("logs"), "client", List.of(), StreamingClientMain.class,
                base.toString(), EP, "T1,T2", out.toString()).awaitOutput("CONNECTED", STEP);
        server.awaitOutput("KILL-SWITCH armed", STEP);
        assertThat(server.awaitExit(STEP)).as("the parent halted at " + step + ":\n" + server.output())
                .isEqualTo(137);
        FlagBlock flags = FlagBlock.openReadOnly(onlyConnectionDir());
        String reached = "P=" + flags.get(Word.P) + " copied=" + (flags.get(Word.AT_COPIED) != 0)
                + " reconnectRequested=" + (flags.get(Word.AT_RECONNECT_REQUESTED) != 0)
                + " bytesCopied=" + flags.get(Word.BYTES_COPIED);
        Thread.sleep(500); // the client goes on streaming, to the child if all is well
        int exit = stopStreamingClient(STEP);
        Path done = out.resolve("child-done.txt");
        await("the child's handler ended", STEP, () -> Files.exists(done));
        Thread.sleep(50);
        String childDone = Files.readString(done);
        System.out.println("parent killed at " + step + ": " + reached + "; client exit " + exit + "; child "
                + childDone.trim() + "; state " + flags.state() + " error " + flags.error());
        // T2 is active and a child is forked: the README promises that client and child finish the handover
        String context = "parent killed at " + step + " (" + reached + ")\nflags " + flags.snapshot()
                + "\nserver:\n" + server.output() + "\nclient:\n" + client.output() + "\nworker logs:\n"
                + workerLogs();
        assertThat(exit).as(context).isZero();
        assertThat(childDone).as(context).contains("error=none");
        long sent = longsSent();
        byte[] parentIn = Files.readAllBytes(out.resolve("parent-in.bin"));
        byte[] childIn = Files.readAllBytes(out.resolve("child-in.bin"));
        assertThat(childIn.length).as("the child received input; " + context).isPositive();
        assertThat(concat(parentIn, childIn)).as("parent's consumed bytes + child's bytes == the client's "
                + sent + " longs; " + context).isEqualTo(longs(0, (int) sent));
        assertThat(Files.readAllBytes(out.resolve("client-in.bin"))).as("the parent's output, then the child's; "
                + context).isEqualTo(concat(longs(HandoverServerMain.PARENT_BASE, HandoverServerMain.PARENT_LONGS),
                longs(RecordingHandler.CHILD_BASE, RecordingHandler.CHILD_LONGS)));
        assertThat(flags.get(Word.RECONNECTION_COMPLETION)).as("completion flag; " + context).isEqualTo(1);
        assertThat(flags.get(Word.TRIGGER_FIRED)).as(context).isEqualTo(Trigger.T1_PARENT_CLOSE.code());
    }

    // ---------------------------------------------------------------------------------------------------------

    private JvmProcess startStreamingClient() {
        return JvmProcess.start(tmp.resolve("logs"), "client", List.of(), StreamingClientMain.class,
                base.toString(), EP, "none", out.toString()).awaitOutput("CONNECTED", STEP);
    }

    private Path onlyConnectionDir() {
        List<Path> dirs = Faults.list(base.resolve(EP).resolve("conn"));
        assertThat(dirs).hasSize(1);
        return dirs.get(0);
    }

    private String workerLogs() {
        StringBuilder b = new StringBuilder();
        for (Path p : Faults.list(Layout.logsDir(base, EP))) {
            try {
                b.append("--- ").append(p.getFileName()).append('\n').append(Files.readString(p));
            } catch (IOException e) {
                b.append(e);
            }
        }
        return b.toString();
    }

    private static void awaitLog(Path log, String text) {
        await("'" + text + "' in " + log, Duration.ofSeconds(10), () -> {
            try {
                return Files.exists(log) && Files.readString(log).contains(text);
            } catch (IOException e) {
                return false;
            }
        });
    }

    private long processesRunning(String marker) {
        String b = base.toString();
        try (Stream<ProcessHandle> s = ProcessHandle.allProcesses()) {
            return s.filter(ProcessHandle::isAlive).filter(p -> {
                List<String> args = p.info().arguments().map(List::of).orElse(List.of());
                return args.contains(marker) && args.stream().anyMatch(a -> a.contains(b));
            }).count();
        }
    }

    private static String readFully(ViaConnection c, int n) throws IOException {
        byte[] got = new byte[n];
        int off = 0;
        while (off < n) {
            int k = c.receive(got, off, n - off, 10_000);
            assertThat(k).isPositive();
            off += k;
        }
        return new String(got);
    }

}
