package io.viaemu.protocol;

import static io.viaemu.protocol.OneJvmConnection.EP;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import io.viaemu.Trigger;
import io.viaemu.ViaProtocolException;
import io.viaemu.protocol.FlagBlock.Word;
import io.viaemu.transport.Channel;
import io.viaemu.transport.ChannelReader;
import io.viaemu.transport.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The steps of a connection slot's life in one JVM (in-memory transport and flag block, fake clock and liveness):
 * made, claimed (CAS from IDLE), reset for a use, used, closed by both ends and kept, reused with nothing of the
 * previous use readable; handed over by T1, released by the child and reused the same way; and never kept once a
 * handover started and did not complete, or the use failed.
 */
class ConnectionSlotStepsTest {
    @TempDir
    Path tmp;

    /** Records what it was given; keeps everything. */
    static final class RecordingKeeper implements SlotKeeper {
        final List<ConnectionEnd> kept = new ArrayList<>();

        @Override
        public boolean keep(ConnectionEnd end, Channel inbound, Channel outbound) {
            kept.add(end);
            return true;
        }
    }

    /** The slot's two sides' queue handles, as the client's pool and the server's cache hold them. */
    private record Handles(Channel clientUp, Channel clientDown, Channel serverUp, Channel serverDown) {
    }

    /** As the pool makes a slot: use 0 ends with an END_OF_STREAM in each queue; idle. */
    private static Handles makeSlot(OneJvmConnection c) {
        FlagBlock f = c.flags;
        Channel up = ConnectionQueues.up(c.transport, c.dir, f, c.config);
        Channel down = ConnectionQueues.down(c.transport, c.dir, f, c.config);
        Messages.Writer eos = ControlMessages.Close.END_OF_STREAM.writeTo(new Messages.Writer());
        f.set(Word.UP_END, up.append(eos.bytes(), eos.length(), eos.bytes(), 0, 0));
        f.set(Word.DOWN_END, down.append(eos.bytes(), eos.length(), eos.bytes(), 0, 0));
        f.set(Word.STATE, ConnectionState.IDLE.code());
        return new Handles(up, down, ConnectionQueues.up(c.transport, c.dir, f, c.config),
                ConnectionQueues.down(c.transport, c.dir, f, c.config));
    }

    /** Claims and resets the slot, connects the client on it and grants as the acceptor does; returns the CONNECT. */
    private static ControlMessages.Connect use(OneJvmConnection c, Handles h, ChannelReader listen,
            RecordingKeeper clientKeeper, RecordingKeeper serverKeeper) throws Exception {
        return use(c, h, listen, clientKeeper, serverKeeper, h.serverDown());
    }

    /** As above, the parent appending to the down queue through {@code parentDown}. */
    private static ControlMessages.Connect use(OneJvmConnection c, Handles h, ChannelReader listen,
            RecordingKeeper clientKeeper, RecordingKeeper serverKeeper, Channel parentDown) throws Exception {
        assertThat(c.flags.claimSlot()).isTrue();
        assertThat(c.flags.claimSlot()).as("claimed once").isFalse();
        c.flags.resetForNextUse();
        c.client = ClientRole.openOnSlot(c.clientEnv, c.config, c.transport, EP, c.connectionId, c.dir, c.flags,
                h.clientUp(), h.clientDown());
        c.client.recycleOnCleanClose(clientKeeper);
        Future<?> connecting = c.threads.submit(() -> {
            c.client.requestConnection();
            return null;
        });
        Document d = c.nextDocument(listen);
        ControlMessages.Connect connect = ControlMessages.Connect.read(new Messages.Reader().reset(d));
        c.parent = new ParentRole(c.parentEnv, c.config, EP, c.connectionId, c.dir, c.flags, h.serverUp(),
                parentDown, null, new ParentRole.Listener() {
                    @Override
                    public void onReleased(ParentRole connection) {
                        c.released.add(connection.id());
                    }

                    @Override
                    public void onHandoverStarted(ParentRole connection, Trigger trigger) {
                    }
                });
        c.parent.recycleOnCleanClose(serverKeeper);
        c.parent.grant();
        connecting.get(OneJvmConnection.WAIT.toMillis(), TimeUnit.MILLISECONDS);
        return connect;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static String receive(ConnectionEnd end, int length) throws Exception {
        byte[] buf = new byte[length];
        int off = 0;
        while (off < length) {
            int n = end.receive(buf, off, length - off, 5_000);
            assertThat(n).isPositive();
            off += n;
        }
        return new String(buf, StandardCharsets.US_ASCII);
    }

    @Test
    void aSlotIsClaimedResetUsedKeptAndReusedWithNothingOfThePreviousUse() throws Exception {
        try (OneJvmConnection c = new OneJvmConnection(tmp, b -> { })) {
            Handles h = makeSlot(c);
            ChannelReader listen = c.transport.open(c.listenDir()).reader();
            RecordingKeeper clientKeeper = new RecordingKeeper();
            RecordingKeeper serverKeeper = new RecordingKeeper();
            long upEnd0 = c.flags.get(Word.UP_END);
            long downEnd0 = c.flags.get(Word.DOWN_END);

            ControlMessages.Connect first = use(c, h, listen, clientKeeper, serverKeeper);
            assertThat(first).isEqualTo(new ControlMessages.Connect(c.connectionId, OneJvmConnection.CLIENT_PID, 1,
                    1, upEnd0, downEnd0));
            c.client.send(bytes("first-up"));
            assertThat(receive(c.parent, 8)).isEqualTo("first-up");
            c.client.send(bytes("never-read-by-the-parent"));
            c.parent.send(bytes("never-read-by-the-client"));
            c.client.close();
            assertThat(c.flags.slotFree()).as("the parent has not released it yet").isFalse();
            c.parent.close();
            assertThat(c.flags.slotFree()).isTrue();
            assertThat(clientKeeper.kept).containsExactly(c.client);
            assertThat(serverKeeper.kept).containsExactly(c.parent);
            assertThat(c.flags.get(Word.UP_END)).isGreaterThan(upEnd0);
            assertThat(c.flags.get(Word.DOWN_END)).isGreaterThan(downEnd0);
            long upSegment = c.flags.get(Word.UP_SEGMENT);

            secondUse(c, h, listen, clientKeeper, serverKeeper);
            assertThat(c.flags.get(Word.UP_SEGMENT)).as("the queues' clocks stay").isEqualTo(upSegment);
            assertThat(c.flags.get(Word.UP_APPENDED)).as("counts start again").isZero();
            assertThat(c.flags.get(Word.CLOSED_MASK)).isZero();
            c.client.send(bytes("second-up"));
            assertThat(receive(c.parent, 9)).as("not the first use's unread bytes").isEqualTo("second-up");
            c.parent.send(bytes("second-down"));
            assertThat(receive(c.client, 11)).as("not the first use's unread bytes").isEqualTo("second-down");
            // the parent closes first this time: released, and the client's close keeps it
            c.parent.close();
            assertThat(c.flags.slotFree()).isFalse();
            c.client.close();
            assertThat(c.flags.slotFree()).isTrue();
        }
    }

    @Test
    void aSlotHandedOverByT1IsReleasedByTheChildAndReusedWithNothingOfThePreviousUse() throws Exception {
        handOverByT1AndReuse("abcdef");
    }

    @Test
    void aSlotHandedOverWithABacklogTheParentNeverReadIsReusedWithNothingOfThePreviousUse() throws Exception {
        handOverByT1AndReuse("abcdef", "ghij", "klmn"); // a backlog: documents the parent never reads, the child does
    }

    /**
     * The slot's second use, once the pool saw the first released: it is use 2, and each direction starts where the
     * first use ended (its UP_END and DOWN_END), so nothing of the first use is read.
     */
    private static void secondUse(OneJvmConnection c, Handles h, ChannelReader listen,
            RecordingKeeper clientKeeper, RecordingKeeper serverKeeper) throws Exception {
        long upEnd = c.flags.get(Word.UP_END);
        long downEnd = c.flags.get(Word.DOWN_END);
        c.flags.set(Word.STATE, ConnectionState.IDLE.code()); // the pool, once it saw the release
        ControlMessages.Connect second = use(c, h, listen, clientKeeper, serverKeeper);
        assertThat(second.slotUse()).isEqualTo(2);
        assertThat(second.upStart()).isEqualTo(upEnd);
        assertThat(second.downStart()).isEqualTo(downEnd);
    }

    /**
     * The client sends {@code firstUp} (documents), the parent reads 2 bytes and hands the use over by T1; the child
     * reads the rest and the client's next, and both close; the slot's second use reads nothing of the first.
     */
    private void handOverByT1AndReuse(String... firstUp) throws Exception {
        try (OneJvmConnection c = new OneJvmConnection(tmp, b -> b.triggers(Trigger.T1_PARENT_CLOSE))) {
            Handles h = makeSlot(c);
            ChannelReader listen = c.transport.open(c.listenDir()).reader();
            RecordingKeeper clientKeeper = new RecordingKeeper();
            RecordingKeeper serverKeeper = new RecordingKeeper();
            RecordingKeeper childKeeper = new RecordingKeeper();
            use(c, h, listen, clientKeeper, serverKeeper);
            for (String document : firstUp) {
                c.client.send(bytes(document));
            }
            String up = String.join("", firstUp);
            assertThat(receive(c.parent, 2)).isEqualTo(up.substring(0, 2));
            c.parent.send(bytes("P1"));
            c.fork();
            c.child.recycleOnCleanClose(childKeeper); // as the worker does on a slot's use
            c.pumpInbox();
            c.tickClientContinuously();
            c.parent.close(); // T1: S7-S13
            assertThat(c.flags.handedOver()).isTrue();
            assertThat(serverKeeper.kept).as("the parent's handles go to its keeper at S13").containsExactly(c.parent);
            assertThat(c.flags.reusable()).isTrue();

            c.client.send(bytes("gh"));
            assertThat(receive(c.child, up.length())).isEqualTo(up.substring(2) + "gh");
            c.client.send(bytes("never-read-by-the-child"));
            c.child.send(bytes("C1"));
            assertThat(receive(c.client, 4)).isEqualTo("P1C1");
            c.child.send(bytes("never-read-by-the-client"));
            c.client.close();
            assertThat(c.flags.slotFree()).as("the child has not released it yet").isFalse();
            c.child.close();
            assertThat(c.flags.slotFree()).as("the child released the use as the parent would").isTrue();
            assertThat(clientKeeper.kept).containsExactly(c.client);
            assertThat(childKeeper.kept).containsExactly(c.child);
            assertThat(c.flags.state()).isEqualTo(ConnectionState.HANDED_OVER);

            secondUse(c, h, listen, clientKeeper, serverKeeper);
            assertThat(c.flags.handoverStarted()).as("the handover's words are reset").isFalse();
            assertThat(c.flags.get(Word.RECONNECTION_COMPLETION)).isZero();
            c.client.send(bytes("second-up"));
            assertThat(receive(c.parent, 9)).as("nothing of the first use").isEqualTo("second-up");
            c.parent.send(bytes("second-down"));
            assertThat(receive(c.client, 11)).as("nothing of the first use").isEqualTo("second-down");
            c.client.close();
            c.parent.close();
            assertThat(c.flags.slotFree()).isTrue();
        }
    }

    /**
     * A client that half-closed before the handover (HandoverPauseBench's client streams and shuts its output down
     * before the parent's trigger): its INTERMISSION_DONE and RECONNECTION_DONE come after its END_OF_STREAM in the up
     * queue. The use ends at the last of them, so the slot's next parent never reads the old cut ("unexpected
     * INTERMISSION_DONE document on the PARENT's inbound queue: no handover was started").
     */
    @Test
    void aUseHalfClosedBeforeItsHandoverEndsAfterTheHandoversLastUpDocument() throws Exception {
        try (OneJvmConnection c = new OneJvmConnection(tmp, b -> b.triggers(Trigger.T1_PARENT_CLOSE))) {
            Handles h = makeSlot(c);
            ChannelReader listen = c.transport.open(c.listenDir()).reader();
            RecordingKeeper clientKeeper = new RecordingKeeper();
            RecordingKeeper serverKeeper = new RecordingKeeper();
            use(c, h, listen, clientKeeper, serverKeeper);
            c.client.send(bytes("abcdef"));
            c.client.shutdownOutput(); // its END_OF_STREAM before the handover
            assertThat(receive(c.parent, 2)).isEqualTo("ab");
            c.fork();
            c.child.recycleOnCleanClose(new RecordingKeeper());
            c.pumpInbox();
            c.tickClientContinuously(); // the client's housekeeper confirms and reconnects: it does not send
            c.parent.close(); // T1
            assertThat(receive(c.child, 4)).isEqualTo("cdef");
            assertThat(c.child.receive(new byte[1], 0, 1, 5_000)).as("the client's end of stream").isNegative();
            c.child.send(bytes("C1"));
            assertThat(receive(c.client, 2)).isEqualTo("C1");
            c.client.close();
            c.child.close();
            assertThat(c.flags.slotFree()).isTrue();
            List<byte[]> up = c.transport.documents(c.upDir());
            assertThat(c.flags.get(Word.UP_END)).as("the use's last up document (RECONNECTION_DONE)")
                    .isEqualTo((long) up.size());

            c.flags.set(Word.STATE, ConnectionState.IDLE.code()); // the pool, once it saw the release
            use(c, h, listen, clientKeeper, serverKeeper);
            c.client.send(bytes("second-up"));
            assertThat(receive(c.parent, 9)).as("nothing of the first use").isEqualTo("second-up");
            c.client.close();
            c.parent.close();
            assertThat(c.flags.slotFree()).isTrue();
        }
    }

    /**
     * The parent's down channel, slowed where a loaded machine preempts it: its append of RECONNECT_REQUEST (S11)
     * waits until {@code until} holds (at most {@code maxMillis}), as if the parent lost its CPU right before it.
     */
    private static final class PreemptedBeforeReconnectRequest implements Channel {
        private final Channel channel;
        private final BooleanSupplier until;
        private final long maxMillis;
        volatile boolean waitedOut;
        /** Where RECONNECT_REQUEST went (0: not yet). */
        volatile long reconnectRequestIndex;

        PreemptedBeforeReconnectRequest(Channel channel, BooleanSupplier until, long maxMillis) {
            this.channel = channel;
            this.until = until;
            this.maxMillis = maxMillis;
        }

        @Override
        public Path directory() {
            return channel.directory();
        }

        @Override
        public long append(byte[] header, int headerLength, byte[] payload, int off, int len) {
            Document d = new Document(headerLength);
            System.arraycopy(header, 0, d.prepare(0, headerLength), 0, headerLength);
            if (typeOf(d) == MessageType.RECONNECT_REQUEST) {
                long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(maxMillis);
                while (!until.getAsBoolean() && System.nanoTime() - deadline < 0) {
                    Thread.onSpinWait();
                }
                waitedOut = !until.getAsBoolean();
                reconnectRequestIndex = channel.append(header, headerLength, payload, off, len);
                return reconnectRequestIndex;
            }
            return channel.append(header, headerLength, payload, off, len);
        }

        private static MessageType typeOf(Document d) {
            try {
                return new Messages.Reader().reset(d).type();
            } catch (ViaProtocolException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void prepareToAppend() {
            channel.prepareToAppend();
        }

        @Override
        public ChannelReader reader() {
            return channel.reader();
        }

        @Override
        public void reclaimBefore(long index) {
            channel.reclaimBefore(index);
        }

        @Override
        public boolean isReclaimed(long index) {
            return channel.isReclaimed(index);
        }

        @Override
        public void close() {
            channel.close();
        }
    }

    /**
     * The flag block's words, with the child's grant ({@code CHILD_GRANTED}) held back until the child's application
     * thread looked for it (at most 5 s): the gap between the child's state OWNER and that write, widened.
     */
    private static final class GrantHeldBack extends ForwardingCoordination {
        final CountDownLatch lookedFor = new CountDownLatch(1);
        volatile Thread childApplication;
        volatile boolean heldUntilLookedFor;

        GrantHeldBack(Coordination words) {
            super(words);
        }

        @Override
        public long getVolatile(int offset) {
            if (offset == Word.CHILD_GRANTED.offset() && Thread.currentThread() == childApplication) {
                lookedFor.countDown();
            }
            return words.getVolatile(offset);
        }

        @Override
        public void setVolatile(int offset, long value) {
            if (offset == Word.CHILD_GRANTED.offset() && value != 0) {
                try {
                    heldUntilLookedFor = lookedFor.await(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            words.setVolatile(offset, value);
        }
    }

    /**
     * The child's state says OWNER (S27) before the flag block's {@code CHILD_GRANTED} does, so an application
     * thread that saw it may send and close in between (on a loaded machine it did: the use was not kept, the slot
     * never released). That close's part of the handover is done all the same: it waits for S13 and keeps the use.
     */
    @Test
    void aChildThatClosesBeforeItsGrantIsWrittenStillKeepsTheUse() throws Exception {
        List<GrantHeldBack> made = new ArrayList<>();
        try (OneJvmConnection c = new OneJvmConnection(tmp, b -> b.triggers(Trigger.T1_PARENT_CLOSE), w -> {
            GrantHeldBack held = new GrantHeldBack(w);
            made.add(held);
            return held;
        })) {
            GrantHeldBack held = made.get(0);
            Handles h = makeSlot(c);
            ChannelReader listen = c.transport.open(c.listenDir()).reader();
            RecordingKeeper clientKeeper = new RecordingKeeper();
            RecordingKeeper childKeeper = new RecordingKeeper();
            use(c, h, listen, clientKeeper, new RecordingKeeper());
            c.fork();
            c.child.recycleOnCleanClose(childKeeper);
            c.pumpInbox();
            c.tickClientContinuously();
            Future<?> childSide = c.threads.submit(() -> {
                held.childApplication = Thread.currentThread();
                c.child.send(bytes("C1")); // waits for the state OWNER only
                c.child.close();
                return null;
            });
            Future<?> handover = c.threads.submit(() -> {
                c.parent.close(); // T1: S7-S13
                return null;
            });
            assertThat(receive(c.client, 2)).isEqualTo("C1");
            handover.get(OneJvmConnection.WAIT.toMillis(), TimeUnit.MILLISECONDS);
            c.client.close();
            childSide.get(OneJvmConnection.WAIT.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(held.heldUntilLookedFor).as("the child's close ran before its grant was written").isTrue();
            assertThat(c.flags.handedOver()).isTrue();
            OneJvmConnection.await("the slot released: kept " + c.flags.get(Word.SLOT_KEPT) + ", use "
                    + c.flags.get(Word.SLOT_USE) + ", " + c.flags.state(), c.flags::slotFree);
            assertThat(childKeeper.kept).as("the child kept the use").containsExactly(c.child);
        }
    }

    /**
     * The interleaving behind "expected GRANT, got RECONNECT_REQUEST" on a slot's next use (2 of 4,000 forked
     * connections in the reverted attempt): the parent loses its CPU at S11 between setting P and appending
     * RECONNECT_REQUEST. Had P come first, the client would reconnect on P, the child grant, answer and close, and
     * the parent's RECONNECT_REQUEST land after the child's END_OF_STREAM (the use's DOWN_END), where the slot's
     * next use reads it first. The parent appends RECONNECT_REQUEST before it sets P: whatever the scheduling, the
     * child's GRANT and output come after it, and the next use starts clean.
     */
    @Test
    void aParentPreemptedAtS11NeverLeavesItsReconnectRequestInTheNextUse() throws Exception {
        try (OneJvmConnection c = new OneJvmConnection(tmp, b -> b.triggers(Trigger.T1_PARENT_CLOSE))) {
            Handles h = makeSlot(c);
            ChannelReader listen = c.transport.open(c.listenDir()).reader();
            RecordingKeeper clientKeeper = new RecordingKeeper();
            RecordingKeeper serverKeeper = new RecordingKeeper();
            RecordingKeeper childKeeper = new RecordingKeeper();
            // the parent stays off its CPU until the child answered and appended its END_OF_STREAM (its close), half
            // a second at most (well inside the roles' 2 s handover timeout)
            PreemptedBeforeReconnectRequest down = new PreemptedBeforeReconnectRequest(h.serverDown(),
                    () -> c.child != null && !c.child.isOpen(), 500);
            use(c, h, listen, clientKeeper, serverKeeper, down);
            c.fork();
            c.child.recycleOnCleanClose(childKeeper);
            c.pumpInbox();
            c.tickClientContinuously();
            Future<?> childSide = c.threads.submit(() -> {
                c.child.send(bytes("C1")); // waits until the child owns the connection
                c.child.close();
                return null;
            });
            Future<?> handover = c.threads.submit(() -> {
                c.parent.close(); // T1: S7-S13, preempted at S11
                return null;
            });
            assertThat(receive(c.client, 2)).isEqualTo("C1");
            handover.get(OneJvmConnection.WAIT.toMillis(), TimeUnit.MILLISECONDS);
            c.client.close();
            childSide.get(OneJvmConnection.WAIT.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(c.flags.handedOver()).isTrue();
            // the release is the child's close's last write, which may come after the client's close returned (on a
            // loaded machine it once did: "kept 1, released 0")
            OneJvmConnection.await("the slot released: kept " + c.flags.get(Word.SLOT_KEPT) + ", use "
                    + c.flags.get(Word.SLOT_USE) + ", " + c.flags.state(), c.flags::slotFree);

            long downEnd1 = c.flags.get(Word.DOWN_END);
            long downEnd1Size = c.transport.documents(c.downDir()).size();

            c.flags.set(Word.STATE, ConnectionState.IDLE.code()); // the pool, once it saw the release
            use(c, h, listen, clientKeeper, serverKeeper); // the client's GRANT wait reads the next use's first
            c.parent.send(bytes("second-down"));
            assertThat(receive(c.client, 11)).isEqualTo("second-down");
            c.client.close();
            c.parent.close();
            assertThat(c.flags.slotFree()).isTrue();
            assertThat(down.waitedOut).as("the child cannot take the connection before RECONNECT_REQUEST").isTrue();
            assertThat(down.reconnectRequestIndex).as("the parent's last document, before the child's END_OF_STREAM")
                    .isPositive().isLessThan(downEnd1);
            assertThat(downEnd1).as("the child's END_OF_STREAM ends the use: nothing after it")
                    .isEqualTo(downEnd1Size);
        }
    }

    @Test
    void aUseWhoseHandoverDidNotCompleteIsNeverKept() throws Exception {
        try (OneJvmConnection c = new OneJvmConnection(tmp, b -> b.triggers(Trigger.T1_PARENT_CLOSE))) {
            Handles h = makeSlot(c);
            RecordingKeeper clientKeeper = new RecordingKeeper();
            RecordingKeeper childKeeper = new RecordingKeeper();
            use(c, h, c.transport.open(c.listenDir()).reader(), clientKeeper, new RecordingKeeper());
            c.fork();
            c.child.recycleOnCleanClose(childKeeper);
            // the trigger fired, but neither the client's report (S51) nor the child's grant came: both ends close
            // at once, without waiting for a completion that cannot come from them, and keep nothing
            assertThat(c.flags.fireTrigger(Trigger.T1_PARENT_CLOSE)).isTrue();
            assertThat(c.flags.reusable()).isFalse();
            c.client.close();
            c.child.close();
            assertThat(clientKeeper.kept).isEmpty();
            assertThat(childKeeper.kept).isEmpty();
            assertThat(c.flags.slotFree()).isFalse();
        }
    }

    @Test
    void aForkedUseThatWasNotHandedOverIsNeverKept() throws Exception {
        try (OneJvmConnection c = new OneJvmConnection(tmp, b -> b.triggers(EnumSet.noneOf(Trigger.class)))) {
            Handles h = makeSlot(c);
            RecordingKeeper clientKeeper = new RecordingKeeper();
            RecordingKeeper serverKeeper = new RecordingKeeper();
            use(c, h, c.transport.open(c.listenDir()).reader(), clientKeeper, serverKeeper);
            c.fork(); // EMU_FORK: a worker is assigned, the child announced
            assertThat(c.flags.reusable()).isFalse();
            c.client.close();
            c.parent.close(); // T1 off: no handover, but a worker was assigned: the slot is not reused
            assertThat(c.flags.state()).isEqualTo(ConnectionState.CLOSED);
            assertThat(clientKeeper.kept).isEmpty();
            assertThat(serverKeeper.kept).isEmpty();
            assertThat(c.flags.slotFree()).isFalse();
        }
    }

    @Test
    void aFailedUseIsNeverKeptAndAnIdleSlotIsClaimedOnce() throws Exception {
        try (OneJvmConnection c = new OneJvmConnection(tmp, b -> { })) {
            Handles h = makeSlot(c);
            RecordingKeeper clientKeeper = new RecordingKeeper();
            RecordingKeeper serverKeeper = new RecordingKeeper();
            use(c, h, c.transport.open(c.listenDir()).reader(), clientKeeper, serverKeeper);
            c.parent.fail(ErrorCode.PROTOCOL, "test");
            assertThatThrownBy(() -> c.client.send(bytes("x"))).hasMessageContaining("failed");
            c.client.close();
            c.parent.close();
            assertThat(clientKeeper.kept).isEmpty();
            assertThat(serverKeeper.kept).isEmpty();
            assertThat(c.flags.slotFree()).isFalse();
            assertThat(c.flags.claimSlot()).as("FAILED is not IDLE").isFalse();
        }
    }
}
