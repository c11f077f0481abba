package io.viaemu;

import static io.viaemu.testing.ByteStreams.assertChildContinuesWhereKilledParentStopped;
import static io.viaemu.testing.ByteStreams.concat;
import static io.viaemu.testing.ByteStreams.longs;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import io.viaemu.protocol.FlagBlock;
import io.viaemu.protocol.FlagBlock.Word;
import io.viaemu.testapp.HandoverServerMain;
import io.viaemu.testapp.RecordingHandler;
import io.viaemu.testapp.StreamingClientMain;
import io.viaemu.testing.JvmProcess;
import io.viaemu.testing.SeparateProcessTest;
import org.junit.jupiter.api.Test;

/**
 * The handover between real processes: a client JVM streams numbered longs without pause while the parent JVM
 * hands the connection to a child (worker) JVM by each trigger. Afterwards the bytes the parent consumed followed
 * by the bytes the child received must be exactly the client's stream, and the client must have received all the
 * parent's longs before any of the child's.
 */
class HandoverProcessTest extends SeparateProcessTest {
    private static final Duration STEP = Duration.ofSeconds(60);
    /** The parent was killed -9 while it consumed (its file may lack the piece the kill caught). */
    private boolean killed;




    @Test
    void t1ParentCloseHandsOverWithColdWorker() throws Exception {
        run("T1", "T1", 0, false);
        assertHandedOver(Trigger.T1_PARENT_CLOSE, true);
    }

    @Test
    void t2ExpectedAbortHandsOver() throws Exception {
        run("T2", "T2", 1, false);
        assertHandedOver(Trigger.T2_PARENT_ABORT, true);
    }

    @Test
    void t2Kill9OfParentIsRecoveredByChildAndClient() throws Exception {
        run("T2", "KILL", 1, false);
        assertHandedOver(Trigger.T2_PARENT_ABORT, false);
    }

    @Test
    void t3ChildReceiveHandsOverOnceAndLaterTriggersDoNothing() throws Exception {
        run("T1,T2,T3", "T3", 1, false);
        assertHandedOver(Trigger.T3_CHILD_RECEIVE, false); // whether a document is half read then is chance
        assertThat(server.output()).contains("SECOND-TRIGGERS-IGNORED");
        assertThat(server.output().split("fired; handing over", -1)).hasSize(2); // exactly one handover
        assertThat(server.output()).contains("SEND-AFTER-HANDOVER ConnectionHandedOverException");
    }

    @Test
    void t4ChildSendHandsOver() throws Exception {
        run("T4", "T4", 1, true);
        assertHandedOver(Trigger.T4_CHILD_SEND, false); // whether a document is half read then is chance
        assertThat(server.output()).contains("SEND-AFTER-HANDOVER ConnectionHandedOverException");
    }

    @Test
    void switchedOffTriggerStartsNoReconnection() throws Exception {
        // T1 is off: the parent's close just closes; the child, which never owned the connection, gets nothing
        server = startServer("T2", "OFF", 1, false);
        client = startClient("T2");
        server.awaitOutput("CLOSED_WITHOUT_HANDOVER handedOver=false", STEP);
        Files.writeString(out.resolve("stop"), "");
        client.awaitExit(STEP);
        awaitFile(out.resolve("child-done.txt"));
        FlagBlock flags = flags();
        assertThat(flags.get(Word.TRIGGER_FIRED)).isZero();
        assertThat(flags.get(Word.P)).isZero();
        assertThat(flags.get(Word.RECONNECTION_COMPLETION)).isZero();
        assertThat(Files.readString(out.resolve("child-done.txt"))).startsWith("received=0 ");
        assertThat(Files.readAllBytes(out.resolve("client-in.bin"))).isEqualTo(longs(HandoverServerMain.PARENT_BASE,
                HandoverServerMain.PARENT_LONGS));
    }

    // ---------------------------------------------------------------------------------------------------------

    private void run(String triggers, String mode, int pool, boolean childSendsFirst) throws Exception {
        server = startServer(triggers, mode, pool, childSendsFirst);
        client = startClient(triggers);
        server.awaitOutput("FORKED", STEP);
        switch (mode) {
            case "T1":
                server.awaitOutput("CLOSED handedOver=true", STEP);
                break;
            case "T2":
                server.awaitOutput("ABORTED handedOver=true", STEP);
                break;
            case "KILL":
                server.awaitOutput("CONSUMING", STEP);
                Thread.sleep(300); // the parent is mid-stream, with read-but-unconsumed input
                server.kill9();
                killed = true;
                break;
            default:
                server.awaitOutput("SECOND-TRIGGERS-IGNORED handedOver=true", STEP);
        }
        Thread.sleep(500); // the client keeps streaming, now to the child
        int exit = stopStreamingClient(STEP);
        assertThat(exit).as(client.output()).isZero();
        awaitFile(out.resolve("child-done.txt"));
    }

    private void assertHandedOver(Trigger trigger, boolean expectCopy) throws Exception {
        assertThat(Files.readString(out.resolve("child-done.txt"))).contains("error=none");
        long sent = longsSent();
        byte[] parentIn = Files.readAllBytes(out.resolve("parent-in.bin"));
        byte[] childIn = Files.readAllBytes(out.resolve("child-in.bin"));
        byte[] expected = longs(0, (int) sent);
        assertThat(childIn.length).as("child received input").isPositive();
        if (killed) {
            assertChildContinuesWhereKilledParentStopped(expected, parentIn, childIn,
                    flags().get(Word.UP_CONSUMED), HandoverServerMain.LARGEST_PIECE);
        } else {
            assertThat(concat(parentIn, childIn)).as("parent's consumed bytes + child's bytes == client's stream ("
                    + sent + " longs; parent " + parentIn.length + " B, child " + childIn.length + " B)")
                    .isEqualTo(expected);
        }
        byte[] clientIn = Files.readAllBytes(out.resolve("client-in.bin"));
        assertThat(clientIn).as("client got the parent's longs, then the child's").isEqualTo(concat(
                longs(HandoverServerMain.PARENT_BASE, HandoverServerMain.PARENT_LONGS),
                longs(RecordingHandler.CHILD_BASE, RecordingHandler.CHILD_LONGS)));
        FlagBlock flags = flags();
        assertThat(flags.get(Word.TRIGGER_FIRED)).isEqualTo(trigger.code());
        assertThat(flags.get(Word.RECONNECTION_COMPLETION)).isEqualTo(1);
        assertThat(flags.get(Word.CHILD_GRANTED)).isNotZero();
        if (expectCopy) {
            // The parent consumed 3001 + 1000 bytes of 128-byte documents: it held the other 95 bytes of the
            // document it was reading, and exactly those were copied; the rest the child read from the queue.
            assertThat(flags.get(Word.P)).isEqualTo(1);
            assertThat(flags.get(Word.COPY_REQUEST)).as("parent held unconsumed input").isEqualTo(1);
            assertThat(flags.get(Word.DATA_RECEIVED)).isEqualTo(1);
            assertThat(flags.get(Word.BYTES_COPIED)).isEqualTo(128 - 4001 % 128);
        } else if (flags.get(Word.P) == 1) {
            assertThat(flags.get(Word.COPY_REQUEST)).isEqualTo(flags.get(Word.BYTES_COPIED) > 0 ? 1 : 0);
        }
    }

    private JvmProcess startServer(String triggers, String mode, int pool, boolean childSendsFirst) {
        return JvmProcess.start(tmp.resolve("logs"), "server", List.of("-Dvia.test.out=" + out,
                "-Dvia.test.childSendsFirst=" + childSendsFirst), HandoverServerMain.class,
                base.toString(), "ep", triggers, Integer.toString(pool), mode, "3001", out.toString())
                .awaitOutput("LISTENING", STEP);
    }

    private JvmProcess startClient(String triggers) {
        return JvmProcess.start(tmp.resolve("logs"), "client", List.of(), StreamingClientMain.class,
                base.toString(), "ep", triggers, out.toString()).awaitOutput("CONNECTED", STEP);
    }

    private FlagBlock flags() throws IOException {
        return onlyConnectionFlags("ep");
    }

    private static void awaitFile(Path p) throws InterruptedException {
        awaitFile(p, STEP);
    }

}
