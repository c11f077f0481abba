package io.viaemu.faults;

import static io.viaemu.testing.ByteStreams.assertChildContinuesWhereKilledParentStopped;
import static io.viaemu.testing.ByteStreams.concat;
import static io.viaemu.testing.ByteStreams.longs;
import static io.viaemu.faults.Faults.EP;
import static io.viaemu.faults.Faults.STEP;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.viaemu.Trigger;
import io.viaemu.internal.JvmOptions;
import io.viaemu.internal.ProcessBells;
import io.viaemu.protocol.ConnectionState;
import io.viaemu.protocol.ErrorCode;
import io.viaemu.protocol.FlagBlock;
import io.viaemu.protocol.FlagBlock.Word;
import io.viaemu.testapp.HandoverServerMain;
import io.viaemu.testapp.RecordingHandler;
import io.viaemu.testapp.StreamingClientMain;
import io.viaemu.testing.TestTransport;
import io.viaemu.testing.JvmProcess;
import io.viaemu.testing.SeparateProcessTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * T2 with a parent that is not simply gone.
 * <ul>
 * <li>Killed but not reaped: its own parent (here a shell that forks the JVM and then execs {@code sleep}, which
 * never calls wait()) leaves it a zombie, state Z in /proc/PID/stat. It is dead: child and client must finish the
 * handover alone, byte-exact, as for any other kill -9.</li>
 * <li>Stopped (SIGSTOP): it could resume and write at any moment, so the child must never take over. The client
 * fails the connection after the peer timeout ("the peer stopped answering"), the child never owns it, and the
 * parent, once resumed, finds its connection failed: it can neither send nor hand it over.</li>
 * </ul>
 */
class UnreapedAndStoppedParentTest extends SeparateProcessTest {
    private Process wrapper;
    private long stoppedPid;

    @AfterEach
    void stopWrapper() throws Exception {
        if (stoppedPid != 0) {
            signal("CONT", stoppedPid);
        }
        if (wrapper != null) {
            wrapper.destroyForcibly(); // the zombie goes to init, which reaps it
            wrapper.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aKilledParentThatNobodyReapsIsDeadAndTheChildTakesOver() throws Exception {
        Path serverOut = tmp.resolve("logs").resolve("server.out");
        long parentPid = startParentUnderNonReapingWrapper(serverOut);
        client = startClient();
        awaitText(serverOut, "CONSUMING");
        Thread.sleep(300); // the parent is mid-stream, with read-but-unconsumed input
        signal("KILL", parentPid);
        Faults.await("the killed parent is a zombie", Duration.ofSeconds(10), () -> "Z".equals(state(parentPid)));

        Thread.sleep(500); // the client keeps streaming, to the child once it took over
        assertThat(state(parentPid)).as("the parent stays unreaped throughout").isEqualTo("Z");
        int exit = stopStreamingClient(STEP);
        assertThat(exit).as(client.output()).isZero();
        assertThat(awaitChildDone(STEP)).contains("error=none");
        byte[] parentIn = Files.readAllBytes(out.resolve("parent-in.bin"));
        byte[] childIn = Files.readAllBytes(out.resolve("child-in.bin"));
        long sent = longsSent();
        assertThat(childIn.length).as("child received input").isPositive();
        assertChildContinuesWhereKilledParentStopped(longs(0, (int) sent), parentIn, childIn,
                flags().get(Word.UP_CONSUMED), HandoverServerMain.LARGEST_PIECE);
        assertThat(Files.readAllBytes(out.resolve("client-in.bin"))).as("parent's longs, then the child's")
                .isEqualTo(concat(longs(HandoverServerMain.PARENT_BASE, HandoverServerMain.PARENT_LONGS),
                        longs(RecordingHandler.CHILD_BASE, RecordingHandler.CHILD_LONGS)));
        FlagBlock flags = flags();
        assertThat(flags.get(Word.TRIGGER_FIRED)).isEqualTo(Trigger.T2_PARENT_ABORT.code());
        assertThat(flags.get(Word.RECONNECTION_COMPLETION)).isEqualTo(1);
    }

    @Test
    void aStoppedParentIsNeverTakenOverAndTheConnectionFailsAfterThePeerTimeout() throws Exception {
        server = JvmProcess.start(tmp.resolve("logs"), "server", List.of("-Dvia.test.out=" + out,
                "-Dvia.test.childSendsFirst=false"), HandoverServerMain.class, base.toString(), EP, "T2", "1", "KILL",
                "3001", out.toString()).awaitOutput("LISTENING", STEP);
        client = startClient();
        server.awaitOutput("CONSUMING", STEP);
        Thread.sleep(300);
        long stoppedAt = System.nanoTime();
        stoppedPid = server.pid();
        signal("STOP", stoppedPid);

        // the client's sends fail once the parent's heartbeat is older than the peer timeout (5 s by default)
        int exit = client.awaitExit(Duration.ofSeconds(60));
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stoppedAt);
        assertThat(exit).as(client.output()).isNotZero();
        assertThat(client.output()).contains("CLIENT-SEND-ERROR")
                .contains(ErrorCode.PEER_HUNG.description());
        assertThat(millis).as("failed after the peer timeout, not before").isGreaterThanOrEqualTo(4_500);
        assertThat(awaitChildDone(STEP)).as("the child never owned the connection")
                .startsWith("received=0 ").doesNotContain("error=none");

        FlagBlock flags = flags();
        long resumedAt = System.currentTimeMillis();
        signal("CONT", stoppedPid);
        stoppedPid = 0;
        // the resumed parent runs again (its housekeeper beats), and still nothing hands the connection over
        long parentPid = flags.get(Word.PARENT_PID);
        long parentStart = flags.get(Word.PARENT_START);
        Faults.await("the resumed parent's heartbeat", STEP,
                () -> ProcessBells.heartbeat(base, parentPid, parentStart) > resumedAt);
        Thread.sleep(500);
        assertThat(server.process().isAlive()).as("the parent is alive and running").isTrue();
        assertThat(flags.state()).isEqualTo(ConnectionState.FAILED);
        assertThat(flags.error()).isEqualTo(ErrorCode.PEER_HUNG);
        assertThat(flags.get(Word.CHILD_GRANTED)).as("child granted a reconnection").isZero();
        assertThat(flags.get(Word.RECONNECTION_COMPLETION)).isZero();
        assertThat(flags.get(Word.P)).isZero();
    }

    // ---------------------------------------------------------------------------------------------------------

    /**
     * Runs the parent JVM as the child of {@code sh}, which then execs {@code sleep}: the JVM's parent process
     * never waits for it, so once killed it stays a zombie until the wrapper goes.
     */
    private long startParentUnderNonReapingWrapper(Path serverOut) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("sh", "-c",
                "\"$@\" > \"$VIA_TEST_SERVER_OUT\" 2>&1 & echo $! > \"$VIA_TEST_PID_FILE\"; exec sleep 600", "sh"));
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.addAll(JvmOptions.channelOptions());
        cmd.addAll(TestTransport.peerJvmOptions());
        cmd.addAll(List.of("-Dvia.test.out=" + out, "-Dvia.test.childSendsFirst=false", "-cp",
                System.getProperty("java.class.path"), HandoverServerMain.class.getName(), base.toString(), EP,
                "T2", "1", "KILL", "3001", out.toString()));
        Files.createDirectories(serverOut.getParent());
        Path pidFile = tmp.resolve("parent.pid");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(tmp.resolve("logs").resolve("wrapper.out").toFile());
        pb.environment().put("VIA_TEST_SERVER_OUT", serverOut.toString());
        pb.environment().put("VIA_TEST_PID_FILE", pidFile.toString());
        wrapper = pb.start();
        Faults.await("the wrapper wrote the parent's pid", STEP, () -> {
            try {
                return Files.exists(pidFile) && !Files.readString(pidFile).isBlank();
            } catch (IOException e) {
                return false;
            }
        });
        long pid = Long.parseLong(Files.readString(pidFile).trim());
        assertThat(ProcessHandle.of(pid).flatMap(ProcessHandle::parent).map(ProcessHandle::pid))
                .as("the JVM's parent is the non-reaping wrapper").contains(wrapper.pid());
        awaitText(serverOut, "LISTENING");
        return pid;
    }

    private JvmProcess startClient() {
        return JvmProcess.start(tmp.resolve("logs"), "client", List.of(), StreamingClientMain.class,
                base.toString(), EP, "T2", out.toString()).awaitOutput("CONNECTED", STEP);
    }

    private FlagBlock flags() throws IOException {
        List<Path> dirs = Faults.list(base.resolve(EP).resolve("conn"));
        assertThat(dirs).hasSize(1);
        return FlagBlock.openReadOnly(dirs.get(0));
    }

    /** The state letter of /proc/PID/stat, or "gone". */
    private static String state(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            return stat.substring(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
        } catch (IOException e) {
            return "gone";
        }
    }

    private static void awaitText(Path file, String text) {
        Faults.await("'" + text + "' in " + file, STEP, () -> {
            try {
                return Files.exists(file) && Files.readString(file).contains(text);
            } catch (IOException e) {
                return false;
            }
        });
    }

    private static void signal(String sig, long pid) throws Exception {
        new ProcessBuilder("kill", "-" + sig, Long.toString(pid)).inheritIO().start().waitFor(10, TimeUnit.SECONDS);
    }

}
