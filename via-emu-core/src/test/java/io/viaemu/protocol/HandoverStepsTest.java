package io.viaemu.protocol;

import io.viaemu.ViaConfig;
import java.util.function.Consumer;
import static io.viaemu.protocol.OneJvmConnection.CHILD_PID;
import static io.viaemu.protocol.OneJvmConnection.CLIENT_PID;
import static io.viaemu.protocol.OneJvmConnection.EP;
import static io.viaemu.protocol.OneJvmConnection.PARENT_PID;
import static io.viaemu.protocol.OneJvmConnection.WAIT;
import static io.viaemu.protocol.OneJvmConnection.WORKER_ID;
import static io.viaemu.protocol.OneJvmConnection.await;
import static io.viaemu.protocol.OneJvmConnection.receive;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import io.viaemu.ConnectionHandedOverException;
import io.viaemu.Trigger;
import io.viaemu.ViaException;
import io.viaemu.ViaTimeoutException;
import io.viaemu.protocol.FlagBlock.Intermission;
import io.viaemu.protocol.FlagBlock.Word;
import io.viaemu.transport.Channel;
import io.viaemu.transport.ChannelReader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each role driven through every step of the handover and every failure branch in one JVM: in-memory transport
 * and flag block, a fake clock for the timeouts, fake liveness for deaths, housekeeping ticked by the test. Each
 * test asserts the roles' states, the flag block's words and the documents in the queues.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HandoverStepsTest {

    @TempDir
    Path base;

    private OneJvmConnection c;

    private OneJvmConnection connection() {
        return connection(b -> { });
    }

    private OneJvmConnection connection(Consumer<ViaConfig.Builder> configure) {
        c = new OneJvmConnection(base, configure);
        return c;
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (c != null) {
            c.close();
        }
    }

    private static byte[] ascii(String s) {
        return s.getBytes(US_ASCII);
    }

    @Test
    void connectWritesConnectAndTheParentGrantsWithTheToken() throws Exception {
        OneJvmConnection c = connection();
        ControlMessages.Connect connect = c.connect();

        assertThat(connect).isEqualTo(new ControlMessages.Connect(c.connectionId, CLIENT_PID, 1));
        assertThat(c.client.state()).isEqualTo(ClientRole.State.ESTABLISHED);
        assertThat(c.parent.state()).isEqualTo(ParentRole.State.GRANTED);
        assertThat(c.flags.state()).isEqualTo(ConnectionState.ESTABLISHED);
        ControlMessages.Grant grant = ControlMessages.Grant.read(c.document(c.downDir(), 1));
        assertThat(grant).isEqualTo(new ControlMessages.Grant(c.flags.get(Word.TOKEN), PARENT_PID));
        assertThat(c.flags.parentPid()).isEqualTo(PARENT_PID);
        assertThat(c.flags.clientPid()).isEqualTo(CLIENT_PID);
        assertThat(c.liveness.watched).contains(CLIENT_PID, PARENT_PID);
    }

    @Test
    void t1HandoverGoesThroughEveryStepInOrderAndKeepsTheStream() throws Exception {
        OneJvmConnection c = connection();
        c.connect();
        c.client.send(ascii("abcdef"), 0, 6);
        assertThat(receive(c.parent, 2)).isEqualTo(ascii("ab"));
        c.parent.send(ascii("P1"), 0, 2);

        c.fork(); // S4
        assertThat(c.worker.assigned).isEqualTo(new ControlMessages.Assign(c.connectionId, "handler"));
        assertThat(c.parent.state()).isEqualTo(ParentRole.State.FORKED);
        assertThat(c.child.state()).isEqualTo(ChildRole.State.ANNOUNCED);
        assertThat(c.flags.state()).isEqualTo(ConnectionState.FORKED);
        assertThat(c.flags.get(Word.WORKER_ID)).isEqualTo(WORKER_ID);
        assertThat(c.flags.childPid()).isEqualTo(CHILD_PID);
        assertThat(c.parent.isForked()).isTrue();

        Future<?> closing = c.threads.submit(() -> {
            c.parent.close(); // T1
            return null;
        });
        // S7: the intermission request, in the flag and as the parent's last data-stream marker
        await("S7", () -> c.flags.intermission() == Intermission.REQUESTED);
        assertThat(c.parent.state()).isEqualTo(ParentRole.State.INTERMISSION);
        assertThat(c.flags.firedTrigger()).isEqualTo(Trigger.T1_PARENT_CLOSE);
        await("the client's housekeeper woken", () -> c.woken.contains(CLIENT_PID));
        assertThat(c.types(c.downDir())).containsExactly(MessageType.GRANT, MessageType.DATA,
                MessageType.INTERMISSION_REQUEST);
        assertThat(c.client.state()).isEqualTo(ClientRole.State.ESTABLISHED);

        c.tickClient(); // S45-S47 in the client's handover task
        await("S47", () -> c.client.state() == ClientRole.State.INTERMITTED);
        assertThat(c.document(c.upDir(), c.flags.get(Word.INTERMISSION_MARK)).type())
                .isEqualTo(MessageType.INTERMISSION_DONE);

        // S10 (the two unconsumed bytes copied after the cut) and S11 (P, the nonce, RECONNECT_REQUEST)
        await("S11", () -> c.flags.get(Word.AT_RECONNECT_REQUESTED) != 0); // stamped after RECONNECT_REQUEST
        assertThat(c.parent.state()).isEqualTo(ParentRole.State.RECONNECTING);
        assertThat(c.flags.reconnectionRequested()).isTrue();
        assertThat(c.flags.get(Word.BYTES_COPIED)).isEqualTo(4);
        assertThat(c.flags.get(Word.COPY_REQUEST)).isEqualTo(1);
        Messages.Reader copy = c.document(c.upDir(), c.flags.get(Word.COPY_INDEX));
        assertThat(copy.type()).isEqualTo(MessageType.COPY);
        assertThat(c.flags.get(Word.COPY_INDEX)).isGreaterThan(c.flags.get(Word.INTERMISSION_MARK));
        assertThat(ControlMessages.ReconnectRequest.read(c.lastDocument(c.downDir())))
                .isEqualTo(new ControlMessages.ReconnectRequest(CHILD_PID, WORKER_ID));

        ChannelReader inbox = c.transport.open(c.inboxDir()).reader();
        c.tickClient(); // S49 in the client's handover task
        ControlMessages.Reconnect reconnect = c.nextReconnect(inbox);
        assertThat(reconnect).isEqualTo(new ControlMessages.Reconnect(c.connectionId, EP, c.flags.get(Word.TOKEN),
                c.flags.get(Word.NONCE)));
        assertThat(c.client.state()).isEqualTo(ClientRole.State.RECONNECTING);

        assertThat(c.child.onReconnect(reconnect.token(), reconnect.nonce())).isNull(); // S27, the child's grant (S50)
        assertThat(c.child.state()).isEqualTo(ChildRole.State.OWNER);
        assertThat(ControlMessages.Grant.read(c.lastDocument(c.downDir())))
                .isEqualTo(new ControlMessages.Grant(c.flags.get(Word.TOKEN), CHILD_PID));

        closing.get(WAIT.toMillis(), TimeUnit.MILLISECONDS); // S51 reported, S13 set
        await("S52", () -> c.flags.intermission() == Intermission.RESUMED); // the client's last write
        assertThat(c.client.state()).isEqualTo(ClientRole.State.RECONNECTED);
        assertThat(c.parent.state()).isEqualTo(ParentRole.State.HANDED_OVER);
        assertThat(c.flags.state()).isEqualTo(ConnectionState.HANDED_OVER);
        assertThat(c.flags.isCompleted()).isTrue();
        assertThat(c.flags.clientReported()).isTrue();
        assertThat(c.types(c.upDir())).containsSubsequence(MessageType.DATA, MessageType.INTERMISSION_DONE,
                MessageType.COPY, MessageType.RECONNECTION_DONE);
        assertThat(c.released).containsExactly(c.parent.id());
        assertThat(c.handoversStarted).containsExactly(Trigger.T1_PARENT_CLOSE);

        // at most once: no second trigger, no second completion
        assertThat(c.flags.complete()).isFalse();
        assertThat(c.flags.fireTrigger(Trigger.T2_PARENT_ABORT)).isFalse();
        assertThat(c.parent.handover(Trigger.T2_PARENT_ABORT)).isFalse();

        // the stream: every byte once, in order; the parent's output before the child's
        c.client.send(ascii("gh"), 0, 2);
        assertThat(receive(c.child, 6)).isEqualTo(ascii("cdefgh"));
        c.child.send(ascii("C1"), 0, 2);
        assertThat(receive(c.client, 4)).isEqualTo(ascii("P1C1"));
        assertThatThrownBy(() -> c.parent.send(ascii("x"), 0, 1)).isInstanceOf(ConnectionHandedOverException.class);
    }

    @Test
    void aSendingClientTakesItsStepsInItsOwnSend() throws Exception {
        OneJvmConnection c = connection();
        c.connect();
        c.fork();
        c.pumpInbox();
        Future<?> aborting = c.threads.submit(() -> {
            c.parent.abort(); // T2, expected
            return null;
        });
        await("S7", () -> c.flags.intermission() == Intermission.REQUESTED);
        c.client.send(ascii("xy"), 0, 2); // S45-S51 in the sending thread, then the bytes go to the child
        assertThat(c.client.state()).isEqualTo(ClientRole.State.RECONNECTED);
        aborting.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(c.flags.firedTrigger()).isEqualTo(Trigger.T2_PARENT_ABORT);
        assertThat(c.parent.state()).isEqualTo(ParentRole.State.HANDED_OVER);
        await("the child's answer recorded", () -> !c.reconnectAnswers.isEmpty());
        assertThat(c.reconnectAnswers).containsExactly("null");
        assertThat(receive(c.child, 2)).isEqualTo(ascii("xy"));
    }

    @Test
    void t3TheChildsFirstReceiveAsksForTheConnection() throws Exception {
        OneJvmConnection c = connection();
        c.connect();
        c.client.send(ascii("123"), 0, 3);
        c.fork();
        c.pumpInbox();
        c.tickClientContinuously();
        Future<byte[]> received = c.threads.submit(() -> receive(c.child, 3));
        await("C, and the parent's housekeeper woken", () -> c.woken.contains(PARENT_PID)); // after C
        assertThat(c.flags.get(Word.C)).isEqualTo(Trigger.T3_CHILD_RECEIVE.code());
        assertThat(c.child.state()).isEqualTo(ChildRole.State.REQUESTED);
        c.tickParent(); // the parent's housekeeper starts the handover
        assertThat(received.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(ascii("123"));
        assertThat(c.flags.firedTrigger()).isEqualTo(Trigger.T3_CHILD_RECEIVE);
        await("S13", () -> c.parent.state() == ParentRole.State.HANDED_OVER);
        assertThat(c.child.state()).isEqualTo(ChildRole.State.OWNER);
        assertThat(c.flags.get(Word.BYTES_COPIED)).as("the parent never read them: no copy").isZero();
    }

    /**
     * A client thread blocked in a receive takes S47 and S49-S51 itself, woken by the flag block's doorbell: the
     * parent rings the client's housekeeper only when no confirmation came within its delay (here longer than the
     * whole handover), so this handover never rings it. Its two wake-ups in the client's process competed with a
     * streaming client for its CPU (see the README, "Where the handover pause's time goes"); the idle client of
     * {@link #t1HandoverGoesThroughEveryStepInOrderAndKeepsTheStream} still gets the ring, after the delay.
     */
    @Test
    void aReceivingClientTakesTheStepsItselfAndItsHousekeeperIsNotRung() throws Exception {
        OneJvmConnection c = connection(b -> b.triggers(Trigger.T1_PARENT_CLOSE));
        c.connect();
        c.fork();
        c.pumpInbox();
        c.parent.clientRingDelays(TimeUnit.SECONDS.toNanos(20), TimeUnit.SECONDS.toNanos(20));
        Future<byte[]> received = c.threads.submit(() -> receive(c.client, 2)); // takes the handover's steps
        Future<?> closing = c.threads.submit(() -> {
            c.parent.close(); // T1
            return null;
        });
        closing.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(c.flags.isCompleted()).isTrue();
        assertThat(c.client.state()).isEqualTo(ClientRole.State.RECONNECTED);
        assertThat(c.woken).as("the client's housekeeper was not rung").doesNotContain(CLIENT_PID);
        c.child.send(ascii("hi"), 0, 2);
        assertThat(received.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(ascii("hi"));
    }

    /**
     * A receive that counts as one driving the handover (its timeout is the handover timeout, so the housekeeper
     * leaves the steps to it) but whose deadline then comes before a step could end declines to take them itself:
     * it hands them to the helper at once. The housekeeper is not rung (its delay is longer than the test), so
     * before that fix the handover waited for this receive to time out, and the receive never saw the child's bytes.
     */
    @Test
    void aReceiveWhoseDeadlineComesBeforeAStepCouldEndHandsTheStepsToTheHelper() throws Exception {
        Duration handoverTimeout = Duration.ofSeconds(5);
        OneJvmConnection c = connection(b -> b.triggers(Trigger.T1_PARENT_CLOSE).handoverTimeout(handoverTimeout));
        c.connect();
        c.fork();
        c.pumpInbox();
        c.parent.clientRingDelays(TimeUnit.SECONDS.toNanos(20), TimeUnit.SECONDS.toNanos(20));
        Future<byte[]> received = c.threads.submit(() -> {
            byte[] b = new byte[2];
            int n = c.client.receive(b, 0, 2, handoverTimeout.toMillis());
            return Arrays.copyOf(b, Math.max(n, 0));
        });
        Future<?> closing = c.threads.submit(() -> {
            c.parent.close(); // T1
            return null;
        });
        closing.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(c.client.state()).isEqualTo(ClientRole.State.RECONNECTED);
        assertThat(received.isDone()).as("the receive still waiting: the handover did not wait for its deadline")
                .isFalse();
        c.child.send(ascii("hi"), 0, 2);
        assertThat(received.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(ascii("hi"));
    }

    @Test
    void t4TheChildsFirstSendAsksForTheConnection() throws Exception {
        OneJvmConnection c = connection();
        c.connect();
        c.fork();
        c.pumpInbox();
        c.tickClientContinuously();
        c.tickParentContinuously();
        Future<?> sent = c.threads.submit(() -> {
            c.child.send(ascii("hi"), 0, 2);
            return null;
        });
        sent.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(c.flags.firedTrigger()).isEqualTo(Trigger.T4_CHILD_SEND);
        assertThat(receive(c.client, 2)).isEqualTo(ascii("hi"));
        await("S13", () -> c.flags.isCompleted());
    }

    @Test
    void aSwitchedOffTriggerStartsNothing() throws Exception {
        OneJvmConnection c = connection(b -> b.triggers(Trigger.T1_PARENT_CLOSE));
        c.connect();
        c.fork();
        assertThatThrownBy(() -> c.child.receive(new byte[1], 0, 1, 50))
                .isInstanceOf(ViaTimeoutException.class).hasMessageContaining("T3_CHILD_RECEIVE is off");
        c.tickParent();
        assertThat(c.flags.get(Word.C)).isZero();
        assertThat(c.flags.firedTrigger()).isNull();
        assertThat(c.parent.state()).isEqualTo(ParentRole.State.FORKED);
        c.parent.abort(); // T2 is off too: the connection just fails
        assertThat(c.flags.error()).isEqualTo(ErrorCode.PARENT_DIED);
        assertThat(c.parent.state()).isEqualTo(ParentRole.State.FAILED);
    }

    @Test
    void intermissionTimeoutFailsTheConnectionForAllThree() throws Exception {
        OneJvmConnection c = connection();
        c.connect();
        c.fork();
        Future<?> closing = c.threads.submit(() -> {
            c.parent.close();
            return null;
        });
        await("S7", () -> !c.handoversStarted.isEmpty()); // called right before the wait
        c.awaitWaiting();
        c.clock.advance(Duration.ofMillis(1999));
        Thread.sleep(20);
        assertThat(closing).as("still waiting before the timeout").isNotDone();
        c.clock.advance(Duration.ofMillis(2));
        assertThatThrownBy(() -> closing.get(WAIT.toMillis(), TimeUnit.MILLISECONDS))
                .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(ViaTimeoutException.class);
        assertThat(c.flags.error()).isEqualTo(ErrorCode.INTERMISSION_TIMEOUT);
        assertThat(c.flags.state()).isEqualTo(ConnectionState.FAILED);
        assertThat(c.parent.state()).isEqualTo(ParentRole.State.FAILED);
        ControlMessages.Close close = ControlMessages.Close.read(c.lastDocument(c.downDir()));
        assertThat(close.error()).isEqualTo(ErrorCode.INTERMISSION_TIMEOUT);
        assertThatThrownBy(() -> c.client.send(ascii("x"), 0, 1)).isInstanceOf(ViaException.class)
                .hasMessageContaining(ErrorCode.INTERMISSION_TIMEOUT.description());
        assertThat(c.client.state()).isEqualTo(ClientRole.State.FAILED);
        assertThat(c.child.onReconnect(c.flags.get(Word.TOKEN), c.flags.get(Word.NONCE)))
                .as("the child does not take a failed connection").isNotNull();
    }

    @Test
    void childDyingWhileTheClientWaitsForItsGrantFailsTheConnection() throws Exception {
        OneJvmConnection c = connection();
        c.connect();
        c.fork();
        c.tickClientContinuously();
        Future<?> closing = c.threads.submit(() -> {
            c.parent.close();
            return null;
        });
        await("S49", () -> c.client.state() == ClientRole.State.RECONNECTING);
        c.liveness.kill(CHILD_PID); // nobody answers the RECONNECT
        assertThatThrownBy(() -> closing.get(WAIT.toMillis(), TimeUnit.MILLISECONDS))
                .isInstanceOf(ExecutionException.class);
        assertThat(c.flags.error()).isEqualTo(ErrorCode.CHILD_DIED);
        await("client failed", () -> c.client.state() == ClientRole.State.FAILED);
        assertThat(c.parent.state()).isEqualTo(ParentRole.State.FAILED);
        assertThat(c.flags.isCompleted()).isFalse();
    }

    @Test
    void unexpectedT2TheClientAndTheChildFinishWithoutTheParent() throws Exception {
        OneJvmConnection c = connection();
        c.connect();
        c.client.send(ascii("abcdef"), 0, 6);
        assertThat(receive(c.parent, 2)).isEqualTo(ascii("ab"));
        c.fork(); // records the consumed position: 2 bytes into the first document
        c.pumpInbox();
        c.liveness.kill(PARENT_PID); // kill -9 of the parent: nobody sends S7 or S11

        c.tickClient();
        await("S52", () -> c.flags.intermission() == Intermission.RESUMED);
        await("the child's answer recorded", () -> !c.reconnectAnswers.isEmpty());
        assertThat(c.client.state()).isEqualTo(ClientRole.State.RECONNECTED);
        assertThat(c.flags.firedTrigger()).isEqualTo(Trigger.T2_PARENT_ABORT);
        assertThat(c.reconnects).hasSize(1);
        assertThat(c.reconnects.get(0).nonce()).as("no reconnection request, no nonce").isZero();
        assertThat(c.reconnectAnswers).containsExactly("null");
        assertThat(c.flags.isCompleted()).as("S13 set by the client in the dead parent's stead").isTrue();
        assertThat(c.flags.state()).isEqualTo(ConnectionState.HANDED_OVER);
        assertThat(c.flags.reconnectionRequested()).isFalse();
        assertThat(receive(c.child, 4)).as("from the parent's consumed position").isEqualTo(ascii("cdef"));
        c.tickChild();
        assertThat(c.flags.complete()).as("never twice").isFalse();
    }

    @Test
    void parentDeathWhileTheClientIntermitsIsRecoveredFromTheConsumedPosition() throws Exception {
        OneJvmConnection c = connection();
        c.connect();
        c.client.send(ascii("abcd"), 0, 4);
        assertThat(receive(c.parent, 1)).isEqualTo(ascii("a"));
        c.fork();
        c.pumpInbox();
        // the parent's S7 (as ParentRole writes it), then its death: in one JVM its thread would go on, so the test
        // takes the step in its place and never runs the parent's handover
        assertThat(c.flags.fireTrigger(Trigger.T1_PARENT_CLOSE)).isTrue();
        c.flags.advance(ConnectionState.INTERMISSION);
        c.flags.set(Word.TRANSMISSION_INTERMISSION, Intermission.REQUESTED);
        c.liveness.kill(PARENT_PID); // dies before it sees the confirmation
        c.tickClient();
        await("S52", () -> c.flags.intermission() == Intermission.RESUMED);
        assertThat(c.client.state()).isEqualTo(ClientRole.State.RECONNECTED);
        assertThat(c.reconnects.get(0).nonce()).isZero();
        assertThat(c.types(c.upDir())).as("the client's cut goes in all the same").containsExactly(
                MessageType.DATA, MessageType.INTERMISSION_DONE, MessageType.RECONNECTION_DONE);
        assertThat(receive(c.child, 3)).as("from the consumed position").isEqualTo(ascii("bcd"));
        assertThat(c.flags.isCompleted()).isTrue();
        assertThat(c.flags.firedTrigger()).as("the parent's trigger stays").isEqualTo(Trigger.T1_PARENT_CLOSE);
    }

    /**
     * A forked parent killed at any instruction leaves a consumed position the child can recover from: each new
     * position is recorded before the documents before it are released (the ring frees them for the sender's next
     * lap). Released first, the position still recorded named the document just freed, and the child of a parent
     * killed between the two found nothing there (a protocol violation, seen once in CI).
     */
    @Test
    void theRecordedConsumedPositionNeverNamesAReleasedDocument() throws Exception {
        PositionWatch[] watch = new PositionWatch[1];
        c = new OneJvmConnection(base, b -> { }, words -> watch[0] = new PositionWatch(words));
        watch[0].upQueue = c.transport.open(c.upDir());
        c.connect();
        for (String piece : new String[] {"ab", "cd", "ef", "gh"}) {
            c.client.send(ascii(piece), 0, 2); // a document each
        }
        assertThat(receive(c.parent, 1)).isEqualTo(ascii("a"));
        c.fork();
        assertThat(receive(c.parent, 5)).isEqualTo(ascii("bcdef")); // records at three documents, releases two
        assertThat(watch[0].records).as("positions recorded after the fork").isGreaterThanOrEqualTo(3);
        assertThat(watch[0].violations).as("recorded positions whose document was already released").isEmpty();
    }

    /** Before each new consumed position is published, checks that the one recorded until now is not released. */
    private static final class PositionWatch extends ForwardingCoordination {
        final List<String> violations = new CopyOnWriteArrayList<>();
        volatile int records;
        volatile Channel upQueue;

        PositionWatch(Coordination words) {
            super(words);
        }

        @Override
        public void setVolatile(int offset, long value) {
            if (offset == Word.CONSUMED_SLOT.offset() && upQueue != null) {
                records++;
                long slot = words.getVolatile(Word.CONSUMED_SLOT.offset());
                long recorded = words.getVolatile((slot == 0 ? Word.CONSUMED_INDEX_0 : Word.CONSUMED_INDEX_1).offset());
                if (recorded != 0 && upQueue.isReclaimed(recorded)) {
                    violations.add(Long.toHexString(recorded));
                }
            }
            words.setVolatile(offset, value);
        }
    }

    @Test
    void parentDeathWithT2OffFailsTheConnection() throws Exception {
        OneJvmConnection c = connection(b -> b.triggers(Trigger.T1_PARENT_CLOSE));
        c.connect();
        c.fork();
        c.liveness.kill(PARENT_PID);
        c.tickClient();
        assertThat(c.flags.error()).isEqualTo(ErrorCode.PARENT_DIED);
        assertThat(c.client.state()).isEqualTo(ClientRole.State.FAILED);
        c.tickChild();
        assertThat(c.child.state()).isEqualTo(ChildRole.State.FAILED);
        assertThatThrownBy(() -> c.client.receive(new byte[1], 0, 1, 1000)).isInstanceOf(ViaException.class)
                .hasMessageContaining(ErrorCode.PARENT_DIED.description());
    }

    @Test
    void childDeathBeforeATriggerRollsTheForkBack() throws Exception {
        OneJvmConnection c = connection();
        c.connect();
        c.fork();
        c.liveness.kill(CHILD_PID);
        c.tickParent();
        assertThat(c.parent.state()).isEqualTo(ParentRole.State.GRANTED);
        assertThat(c.parent.isForked()).isFalse();
        assertThat(c.flags.state()).isEqualTo(ConnectionState.ESTABLISHED);
        c.client.send(ascii("z"), 0, 1);
        assertThat(receive(c.parent, 1)).isEqualTo(ascii("z"));
        c.parent.close(); // no child: S18, no handover
        assertThat(c.parent.state()).isEqualTo(ParentRole.State.CLOSED);
        assertThat(c.flags.firedTrigger()).isNull();
        assertThat(c.client.receive(new byte[1], 0, 1, 1000)).as("end of stream").isEqualTo(-1);
    }

    @Test
    void rollbackDoesNotOverwriteAFailureSetMeanwhile() throws Exception {
        OneJvmConnection c = connection();
        c.connect();
        c.fork();
        c.flags.fail(ErrorCode.QUOTA); // another process failed it
        assertThat(c.flags.rollbackFork(false)).isFalse();
        assertThat(c.flags.state()).isEqualTo(ConnectionState.FAILED);
        c.liveness.kill(CHILD_PID);
        c.tickParent();
        assertThat(c.flags.state()).isEqualTo(ConnectionState.FAILED);
        assertThat(c.flags.error()).isEqualTo(ErrorCode.QUOTA);
    }

    @Test
    void childNeverStartingFailsTheForkAndThParentKeepsTheConnection() throws Exception {
        OneJvmConnection c = connection();
        c.connect();
        c.worker.announceOnAssign = false;
        Future<?> forking = c.threads.submit(() -> {
            c.fork();
            return null;
        });
        await("ASSIGN", () -> c.worker.assigned != null);
        c.awaitWaiting();
        assertThat(c.parent.state()).isEqualTo(ParentRole.State.FORKING);
        c.clock.advance(Duration.ofSeconds(3).plusMillis(1));
        assertThatThrownBy(() -> forking.get(WAIT.toMillis(), TimeUnit.MILLISECONDS))
                .hasCauseInstanceOf(ViaException.class)
                .hasStackTraceContaining(ErrorCode.CHILD_START_TIMEOUT.description());
        assertThat(c.worker.killed).isTrue();
        assertThat(c.parent.state()).isEqualTo(ParentRole.State.GRANTED);
        assertThat(c.parent.isForked()).isFalse();
        assertThat(c.flags.state()).isEqualTo(ConnectionState.ESTABLISHED);
        assertThat(c.flags.get(Word.WORKER_ID)).isZero();
        c.client.send(ascii("k"), 0, 1);
        assertThat(receive(c.parent, 1)).isEqualTo(ascii("k"));
    }

    @Test
    void clientDeathFailsTheServerSide() throws Exception {
        OneJvmConnection c = connection();
        c.connect();
        c.fork();
        c.liveness.kill(CLIENT_PID);
        c.tickParent();
        assertThat(c.flags.error()).isEqualTo(ErrorCode.CLIENT_DIED);
        assertThat(c.parent.state()).isEqualTo(ParentRole.State.FAILED);
        assertThatThrownBy(() -> c.parent.receive(new byte[1], 0, 1, 1000)).isInstanceOf(ViaException.class)
                .hasMessageContaining(ErrorCode.CLIENT_DIED.description());
    }

    @Test
    void aSilentParentIsNeverHandedOverFrom() throws Exception {
        OneJvmConnection c = connection();
        c.connect();
        c.fork();
        c.clock.advance(Duration.ofSeconds(6)); // past the peer timeout without a parent heartbeat: stopped
        c.tickClient();
        assertThat(c.flags.error()).isEqualTo(ErrorCode.PEER_HUNG);
        assertThat(c.client.state()).isEqualTo(ClientRole.State.FAILED);
        assertThat(c.child.isOwner()).isFalse();
        assertThat(c.flags.firedTrigger()).isNull();
    }

    @Test
    void wrongTokenOrNonceIsRefusedAndTheRealClientGetsThrough() throws Exception {
        OneJvmConnection c = connection();
        c.connect();
        c.fork();
        long token = c.flags.get(Word.TOKEN);
        assertThat(c.child.onReconnect(token, 0)).isEqualTo("no reconnection was requested");
        c.tickClientContinuously();
        ChannelReader inbox = c.transport.open(c.inboxDir()).reader();
        Future<?> closing = c.threads.submit(() -> {
            c.parent.close();
            return null;
        });
        ControlMessages.Reconnect real = c.nextReconnect(inbox);
        assertThat(c.child.onReconnect(token + 1, real.nonce())).isEqualTo("wrong token");
        assertThat(c.child.onReconnect(token, real.nonce() + 1)).isEqualTo("wrong nonce");
        assertThat(c.child.state()).isEqualTo(ChildRole.State.ANNOUNCED);
        assertThat(c.child.onReconnect(real.token(), real.nonce())).isNull();
        assertThat(c.child.onReconnect(real.token(), real.nonce())).isEqualTo("already reconnected");
        closing.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(c.parent.state()).isEqualTo(ParentRole.State.HANDED_OVER);
    }

    @Test
    void anIllegalTransitionIsRejectedAndFailsTheConnection() throws Exception {
        OneJvmConnection c = connection();
        c.connect();
        long token = c.flags.get(Word.TOKEN);
        assertThatThrownBy(() -> c.parent.grant()).isInstanceOf(IllegalTransitionException.class)
                .hasMessageContaining("GRANTED -> GRANTED");
        assertThat(c.flags.get(Word.TOKEN)).as("rejected before it wrote").isEqualTo(token);
        assertThat(c.parent.state()).isEqualTo(ParentRole.State.FAILED);
        assertThat(c.flags.error()).isEqualTo(ErrorCode.PROTOCOL);
        ControlMessages.Close close = ControlMessages.Close.read(c.lastDocument(c.downDir()));
        assertThat(close.error()).isEqualTo(ErrorCode.PROTOCOL);
        assertThat(close.reason()).contains("illegal transition");
        assertThatThrownBy(() -> c.client.receive(new byte[1], 0, 1, 1000)).isInstanceOf(ViaException.class);
    }

    @Test
    void aSecondAnnouncementIsRejected() throws Exception {
        OneJvmConnection c = connection();
        c.connect();
        c.fork();
        assertThatThrownBy(() -> c.child.announce()).isInstanceOf(IllegalTransitionException.class)
                .hasMessageContaining("ANNOUNCED -> ANNOUNCED");
        assertThat(c.child.state()).isEqualTo(ChildRole.State.FAILED);
        assertThat(c.flags.error()).isEqualTo(ErrorCode.PROTOCOL);
    }

    @Test
    void completionSetByAnotherProcessIsNotSetAgain() throws Exception {
        OneJvmConnection c = connection();
        c.connect();
        c.fork();
        c.pumpInbox();
        c.tickClientContinuously();
        Future<?> closing = c.threads.submit(() -> {
            c.parent.close();
            return null;
        });
        await("S50", () -> c.flags.childGranted());
        boolean byOther = c.flags.complete(); // another process got there first (a race the CAS decides)
        closing.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(c.parent.state()).isEqualTo(ParentRole.State.HANDED_OVER);
        assertThat(c.flags.isCompleted()).isTrue();
        assertThat(c.flags.complete()).isFalse();
        assertThat(byOther || c.flags.get(Word.NANOS_COMPLETED) != 0).isTrue();
    }
}
