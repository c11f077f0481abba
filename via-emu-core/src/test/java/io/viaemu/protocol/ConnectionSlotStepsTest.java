package io.viaemu.protocol;

import static io.viaemu.protocol.OneJvmConnection.EP;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import io.viaemu.Trigger;
import io.viaemu.protocol.FlagBlock.Word;
import io.viaemu.transport.Channel;
import io.viaemu.transport.ChannelReader;
import io.viaemu.transport.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The steps of a connection slot's life in one JVM (in-memory transport and flag block, fake clock and liveness):
 * made, claimed (CAS from IDLE), reset for a use, used, closed by both ends and kept, reused with nothing of the
 * previous use readable; and never kept once a handover started or the use failed.
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
                h.serverDown(), null, new ParentRole.Listener() {
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
            long upEnd1 = c.flags.get(Word.UP_END);
            long downEnd1 = c.flags.get(Word.DOWN_END);
            assertThat(upEnd1).isGreaterThan(upEnd0);
            assertThat(downEnd1).isGreaterThan(downEnd0);
            long upSegment = c.flags.get(Word.UP_SEGMENT);

            c.flags.set(Word.STATE, ConnectionState.IDLE.code()); // the pool, once it saw the release
            ControlMessages.Connect second = use(c, h, listen, clientKeeper, serverKeeper);
            assertThat(second.slotUse()).isEqualTo(2);
            assertThat(second.upStart()).isEqualTo(upEnd1);
            assertThat(second.downStart()).isEqualTo(downEnd1);
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
    void aSlotOnWhichAHandoverStartedIsNeverKept() throws Exception {
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
