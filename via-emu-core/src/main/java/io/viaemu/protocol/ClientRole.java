package io.viaemu.protocol;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

import io.viaemu.Trigger;
import io.viaemu.ViaConfig;
import io.viaemu.ViaException;
import io.viaemu.ViaProtocolException;
import io.viaemu.ViaRefusedException;
import io.viaemu.ViaTimeoutException;
import io.viaemu.internal.EndpointLock;
import io.viaemu.internal.FilePermissions;
import io.viaemu.internal.Housekeeper;
import io.viaemu.internal.Layout;
import io.viaemu.internal.ListenChannels;
import io.viaemu.internal.Processes;
import io.viaemu.internal.StaleConnections;
import io.viaemu.protocol.FlagBlock.Intermission;
import io.viaemu.protocol.FlagBlock.Word;
import io.viaemu.transport.Channel;
import io.viaemu.transport.Document;
import io.viaemu.transport.Transport;
import io.viaemu.idle.IdleStrategy;

/**
 * The client's end. Its part of the handover, driven by flags the parent sets in the flag block:
 * <ol>
 * <li>transmission-intermission REQUESTED: finish the send in progress, append INTERMISSION_DONE to the up queue
 * (the cut between the parent's and the child's input), set INTERMITTED, and send nothing more;</li>
 * <li>P set: connect to the child (RECONNECT with the token and the request's nonce, in the child's inbox), wait
 * for the child's grant, append RECONNECTION_DONE (the report to the parent), resume sending.</li>
 * </ol>
 * If the parent dies (unexpected T2) with a child forked, the client does step 2 on its own, without a nonce. The
 * down queue needs no cut: the parent's last document precedes the child's grant, so order is kept by the queue.
 */
public final class ClientRole extends ConnectionEnd {

    private final Transport transport;
    private long token;
    private long parentPid;
    private long parentStart;
    /** Set once this client has reconnected to the child; from then on the child is the peer. */
    private volatile boolean reconnected;
    /** The parent died with a child forked and T2 active: the client must reconnect on its own. */
    private volatile boolean recoveryNeeded;
    private final AtomicBoolean handoverTaskQueued = new AtomicBoolean();
    /** Made with the connection: a lambda's call site is linked when it first runs, not in mid-handover. */
    private final BooleanSupplier childGrantedOrGone = () -> flags.get(Word.CHILD_GRANTED) != 0
            || !alive(flags.get(Word.CHILD_PID), flags.get(Word.CHILD_START));
    /** The forked child's inbox, opened ahead of the reconnection (housekeeper thread only). */
    private Path childInbox;

    private ClientRole(ViaConfig config, Transport transport, String endpoint, long connectionId, Path dir,
            FlagBlock flags, Channel up, Channel down) {
        super(config, endpoint, connectionId, dir, flags, down, up);
        this.transport = transport;
    }

    @Override
    public Role role() {
        return Role.CLIENT;
    }

    /** Creates the connection's queues and flag block, asks the endpoint's server, and waits for its grant. */
    public static ClientRole connect(ViaConfig config, Transport transport, String endpoint) throws IOException {
        // connections (of any endpoint) whose processes all died: no server of theirs may ever come to delete them
        StaleConnections.sweepOtherEndpointsSoon(config, null);
        if (EndpointLock.ownerPid(Layout.endpointDir(config.baseDir(), endpoint)) < 0) {
            throw new ViaRefusedException("connection refused: no server listens on endpoint '" + endpoint
                    + "' under " + config.baseDir());
        }
        long connectionId = Layout.randomId();
        Path dir = Layout.connectionDir(config.baseDir(), endpoint, connectionId);
        FilePermissions.createPrivateDirectories(dir);
        FlagBlock flags = FlagBlock.create(dir);
        flags.set(Word.CLIENT_START, Processes.currentStart());
        flags.set(Word.CLIENT_PID, Processes.currentPid());
        flags.set(Word.CLIENT_HEARTBEAT, System.currentTimeMillis()); // a client stopped before its first tick is seen too
        flags.set(Word.STATE, ConnectionState.CONNECTING.code());
        flags.stamp(Word.AT_CONNECTED);
        Channel up = ConnectionQueues.up(transport, dir, flags, config);
        Channel down = ConnectionQueues.down(transport, dir, flags, config);
        ClientRole client = new ClientRole(config, transport, endpoint, connectionId, dir, flags, up, down);
        try {
            Messages.Writer w = new Messages.Writer().start(MessageType.CONNECT)
                    .putLong(connectionId).putLong(Processes.currentPid()).putLong(Processes.currentStart());
            flags.set(Word.NANOS_CONNECT_SENT, System.nanoTime());
            ListenChannels.append(transport, Layout.listenDir(config.baseDir(), endpoint), w);
            client.awaitGrant();
            flags.set(Word.NANOS_CLIENT_GRANTED, System.nanoTime());
        } catch (IOException | RuntimeException e) {
            client.releaseResources();
            FilePermissions.deleteTree(dir);
            throw e;
        }
        watch(client.parentPid, client.parentStart);
        Housekeeper.get(config.pollInterval().toNanos()).add(client, config.baseDir());
        return client;
    }

    private void awaitGrant() throws IOException {
        long timeout = config.connectTimeout().toMillis();
        long deadline = System.nanoTime() + timeout * 1_000_000L;
        Document d = new Document(256);
        Messages.Reader r = new Messages.Reader();
        IdleStrategy idle = config.pauser().newIdleStrategy();
        readLock.lock();
        try {
            while (true) {
                if (reader.next(d)) {
                    MessageType type = r.reset(d).type();
                    if (type == MessageType.GRANT) {
                        token = r.getLong();
                        parentPid = r.getLong();
                        parentStart = flags.get(Word.PARENT_START);
                        log.debug("connection {} granted by parent pid {}", id, parentPid);
                        return;
                    }
                    if (type == MessageType.CLOSE) {
                        long code = r.getLong();
                        throw new ViaRefusedException("connection to '" + endpoint + "' refused: "
                                + ErrorCode.of(code).description() + " (" + r.getString() + ")");
                    }
                    throw new ViaProtocolException("expected GRANT, got " + type);
                }
                if (System.nanoTime() - deadline > 0) {
                    throw new ViaTimeoutException("no server granted the connection to endpoint '" + endpoint
                            + "' under " + config.baseDir() + " within " + timeout + " ms (is the server running?)");
                }
                idle.idle(ownDoorbell(), deadline);
            }
        } finally {
            idle.reset();
            readLock.unlock();
        }
    }

    @Override
    protected void beforeReceive(long deadlineNanos) {
        // the client reads its down queue straight through: parent's documents, then the child's
    }

    @Override
    protected void beforeSend() throws IOException {
        long intermission = flags.get(Word.TRANSMISSION_INTERMISSION);
        if ((intermission == Intermission.NONE || intermission == Intermission.RESUMED) && !recoveryNeeded) {
            return;
        }
        driveHandover(true);
    }

    /**
     * The client's handover state machine; runs under the send lock, in the sending thread or, when the
     * application is not sending, in a helper thread queued by the housekeeper.
     *
     * @param waitForRequest true when called by a sender, which must not send until the handover is done
     */
    private void driveHandover(boolean waitForRequest) throws IOException {
        long deadline = System.nanoTime() + config.handoverTimeout().toNanos();
        IdleStrategy idle = sendIdle;
        idle.reset();
        try {
            driveHandoverSteps(waitForRequest, deadline, idle);
        } finally {
            idle.reset();
        }
    }

    private void driveHandoverSteps(boolean waitForRequest, long deadline, IdleStrategy idle) throws IOException {
        while (true) {
            checkUsable();
            long intermission = flags.get(Word.TRANSMISSION_INTERMISSION);
            if (intermission == Intermission.REQUESTED) {
                confirmIntermission();
                intermission = Intermission.INTERMITTED;
            }
            if (recoveryNeeded || (intermission == Intermission.INTERMITTED && flags.get(Word.P) != 0)) {
                reconnectToChild();
                return;
            }
            if (intermission != Intermission.INTERMITTED || !waitForRequest) {
                return;
            }
            if (System.nanoTime() - deadline > 0) {
                fail(ErrorCode.PEER_HUNG, "no reconnection request after the intermission");
                throw new ViaTimeoutException("connection " + id + ": the parent sent no reconnection request within "
                        + config.handoverTimeout().toMillis() + " ms of the intermission");
            }
            idle.idle(ownDoorbell(), deadline); // the parent's P rings it
        }
    }

    /** Step 4: stop, then confirm. The send lock guarantees no send is half done. */
    private void confirmIntermission() {
        flags.set(Word.NANOS_INTERMISSION_SEEN, System.nanoTime());
        long mark = appendControl(outbound, control(MessageType.INTERMISSION_DONE));
        flags.set(Word.INTERMISSION_MARK, mark);
        flags.set(Word.NANOS_INTERMITTED, System.nanoTime());
        flags.set(Word.TRANSMISSION_INTERMISSION, Intermission.INTERMITTED);
        flags.stamp(Word.AT_INTERMITTED);
        log.info("connection {} client: transmission intermitted (INTERMISSION_DONE at {})", id,
                Long.toHexString(mark));
    }

    /** Connects to the child named by the flag block, waits for its grant, reports completion. */
    private void reconnectToChild() throws IOException {
        flags.set(Word.NANOS_RECONNECT_SEEN, System.nanoTime());
        long workerId = flags.get(Word.WORKER_ID);
        long childPid = flags.get(Word.CHILD_PID);
        long childStart = flags.get(Word.CHILD_START);
        if (workerId == 0 || childPid == 0) {
            fail(ErrorCode.PARENT_DIED, "no child to reconnect to");
            throw new ViaException("connection " + id + ": " + ErrorCode.PARENT_DIED.description());
        }
        long nonce = flags.get(Word.P) != 0 ? flags.get(Word.NONCE) : 0;
        Messages.Writer w = new Messages.Writer().start(MessageType.RECONNECT)
                .putLong(connectionId).putString(endpoint).putLong(token).putLong(nonce);
        flags.set(Word.NANOS_RECONNECT_SENT, System.nanoTime()); // before: the child may answer before append returns
        ListenChannels.append(transport,
                Layout.inboxDir(Layout.workerDir(config.baseDir(), endpoint, workerId)), w);
        log.info("connection {} client: reconnecting to child pid {}{}", id, childPid,
                recoveryNeeded ? " (parent died)" : "");
        boolean granted = await(childGrantedOrGone, config.handoverTimeout().toMillis());
        if (!granted || flags.get(Word.CHILD_GRANTED) == 0) {
            ErrorCode code = granted ? ErrorCode.CHILD_DIED : ErrorCode.GRANT_TIMEOUT;
            fail(code, "child pid " + childPid);
            throw new ViaException("connection " + id + ": " + code.description());
        }
        flags.set(Word.NANOS_GRANT_SEEN, System.nanoTime());
        appendControl(outbound, control(MessageType.RECONNECTION_DONE));
        flags.set(Word.NANOS_REPORTED, System.nanoTime());
        flags.set(Word.CLIENT_REPORTED, Processes.currentPid());
        if (recoveryNeeded && flags.compareAndSet(Word.RECONNECTION_COMPLETION, 0, 1)) {
            // unexpected T2: no parent to set the completion flag, so the client that reports it does (CAS: once)
            flags.set(Word.NANOS_COMPLETED, System.nanoTime());
            flags.stamp(Word.AT_COMPLETED);
            flags.advance(ConnectionState.HANDED_OVER);
        }
        reconnected = true;
        recoveryNeeded = false;
        flags.set(Word.TRANSMISSION_INTERMISSION, Intermission.RESUMED);
        log.info("connection {} client: reconnected to child pid {}, resumed sending", id, childPid);
        ListenChannels.forget(Layout.inboxDir(Layout.workerDir(config.baseDir(), endpoint, workerId)));
    }

    @Override
    protected void onControl(MessageType type, Messages.Reader r, Document d) throws IOException {
        switch (type) {
            case INTERMISSION_REQUEST:
            case RECONNECT_REQUEST:
                return; // the flags carry these; in the stream they only mark where the parent's output ends
            case GRANT:
                if (r.getLong() != token) {
                    throw new ViaProtocolException("GRANT with a wrong token on connection " + id);
                }
                return;
            default:
                super.onControl(type, r, d);
        }
    }

    @Override
    public boolean tick(long now) {
        if (closed) {
            return false;
        }
        flags.set(Word.CLIENT_HEARTBEAT, now);
        if (childInbox == null && !reconnected && flags.get(Word.CHILD_PID) != 0) {
            // forked: open the child's inbox now, so that the reconnection does not pay for opening a queue
            long workerId = flags.get(Word.WORKER_ID);
            childInbox = Layout.inboxDir(Layout.workerDir(config.baseDir(), endpoint, workerId));
            Async.run("via-client-prepare-" + id, () -> {
                ListenChannels.prepare(transport, childInbox);
                watch(flags.get(Word.CHILD_PID), flags.get(Word.CHILD_START)); // its first check is the slow one
            });
        }
        long intermission = flags.get(Word.TRANSMISSION_INTERMISSION);
        boolean work = intermission == Intermission.REQUESTED
                || (intermission == Intermission.INTERMITTED && flags.get(Word.P) != 0);
        if (livenessDue(now) && !flags.state().isTerminal()
                && (flags.get(Word.CLOSED_MASK) & FlagBlock.CLOSED_SERVER) == 0) {
            if (!reconnected && !recoveryNeeded && !alive(parentPid, parentStart)) {
                boolean t2 = (flags.get(Word.TRIGGERS_ENABLED) & Trigger.T2_PARENT_ABORT.bit()) != 0;
                if (t2 && flags.get(Word.CHILD_PID) != 0 && flags.get(Word.RECONNECTION_COMPLETION) == 0) {
                    log.warn("connection {} client: parent pid {} died; reconnecting to the child (T2)", id, parentPid);
                    if (flags.compareAndSet(Word.TRIGGER_FIRED, 0, Trigger.T2_PARENT_ABORT.code())) {
                        flags.stamp(Word.AT_TRIGGER);
                        flags.set(Word.NANOS_TRIGGER, System.nanoTime());
                    }
                    recoveryNeeded = true;
                    flags.ringBoth(); // a sender parked in the handover must see it
                    work = true;
                } else if (flags.get(Word.RECONNECTION_COMPLETION) == 0) {
                    fail(ErrorCode.PARENT_DIED, "parent pid " + parentPid);
                }
            } else if (reconnected && !alive(flags.get(Word.CHILD_PID), flags.get(Word.CHILD_START))) {
                fail(ErrorCode.CHILD_DIED, "child pid " + flags.get(Word.CHILD_PID));
            } else if (!recoveryNeeded
                    && heartbeatStale(reconnected ? Word.CHILD_HEARTBEAT : Word.PARENT_HEARTBEAT, now)) {
                // Alive but silent (stopped, or wedged): a dead peer is seen at once, a hung one only this way.
                // A silent parent is never handed over from (no T2 recovery): it could resume and append to the
                // down queue or consume the up queue at any moment, and two writers or readers of one stream is
                // what the handover exists to prevent. Killing it first is not ours to decide (a debugger, job
                // control or a long GC pause stop processes too), so the connection fails for all three instead.
                // A zombie is dead, not silent: Processes says so, and T2 recovery runs above.
                fail(ErrorCode.PEER_HUNG, (reconnected ? "child" : "parent") + " heartbeat older than "
                        + config.peerTimeout().toMillis() + " ms");
            }
        }
        if (work && handoverTaskQueued.compareAndSet(false, true)) {
            Async.run("via-client-handover-" + id, () -> {
                sendLock.lock();
                try {
                    handoverTaskQueued.set(false);
                    if (!closed) {
                        driveHandover(false);
                    }
                } catch (IOException e) {
                    log.warn("connection {} client: handover failed: {}", id, e.getMessage());
                } finally {
                    sendLock.unlock();
                }
            });
        }
        return true;
    }

    /**
     * A handover is under way (or, where nothing can wake the housekeeper, may start: forked and not reconnected).
     * Otherwise the parent rings this process's doorbell for each step the client must take while idle.
     */
    @Override
    public boolean urgent() {
        if (!Housekeeper.woken()) {
            return recoveryNeeded || (!reconnected && flags.get(Word.WORKER_ID) != 0);
        }
        return recoveryNeeded || (!reconnected && flags.get(Word.TRIGGER_FIRED) != 0);
    }

    @Override
    protected boolean peerAlive() {
        return reconnected ? alive(flags.get(Word.CHILD_PID), flags.get(Word.CHILD_START))
                : alive(parentPid, parentStart);
    }

    @Override
    public void close() {
        closeEnd(FlagBlock.CLOSED_CLIENT);
    }
}
