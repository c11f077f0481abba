package io.viaemu.protocol;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import io.viaemu.PauserKind;
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
import io.viaemu.internal.Liveness;
import io.viaemu.internal.ProcessExitWatch;
import io.viaemu.internal.StaleConnections;
import io.viaemu.protocol.FlagBlock.Intermission;
import io.viaemu.protocol.FlagBlock.Word;
import io.viaemu.transport.Channel;
import io.viaemu.transport.Document;
import io.viaemu.transport.Transport;
import io.viaemu.idle.IdleStrategy;
import io.viaemu.idle.SchedulerSlice;

/**
 * The client's end (Fig. 6 of the design, steps S41-S52). Its part of the handover, driven by flags the parent sets
 * in the flag block; its states ({@link State}) move only by {@code state(next, reason)}, against
 * {@link #TRANSITIONS}:
 * <ol>
 * <li>S41-S43 ({@link #connect}): CONNECT to the endpoint's listen queue, wait for the parent's GRANT:
 * ESTABLISHED (S44: the client sends, and its housekeeping watches the transmission-intermission flag).</li>
 * <li>S45-S47 ({@code confirmIntermission}): transmission-intermission REQUESTED: finish the send in progress, append
 * INTERMISSION_DONE to the up queue (the cut between the parent's and the child's input), set INTERMITTED, and
 * send nothing more. S48: wait for P.</li>
 * <li>S49-S51 ({@code reconnectToChild}): P set: connect to the child (RECONNECT with the token and the request's
 * nonce, in the child's inbox, S49), wait for the child's grant (S50), append RECONNECTION_DONE (the report to the
 * parent, S51). S52: resume sending, to the child.</li>
 * </ol>
 * If the parent dies (unexpected T2) with a child forked, the client goes from PARENT_LOST to S49 on its own,
 * without a nonce, and sets the completion (S13) in the parent's stead. The down queue needs no cut: the parent's
 * last document precedes the child's grant, so order is kept by the queue.
 *
 * <p>The handover runs under the send lock, in the sending thread or, when the application is not sending, in a
 * task the housekeeper queues ({@link #tick}: heartbeat, pre-opening the child's inbox, the peers' liveness and T2,
 * then the dispatch of handover work, each its own step).
 */
public final class ClientRole extends ConnectionEnd {

    /** The client's states, by the steps of Fig. 6. */
    public enum State implements StateMachine.Step {
        /** S41-S43: CONNECT sent, waiting for the parent's permission. */
        CONNECTING("S42", "connection request", false),
        /** S44: granted; sending to the parent, the intermission request watched. */
        ESTABLISHED("S43", "connection permission", false),
        /** S45-S47: sending stopped and INTERMISSION_DONE reported; S48: waiting for the reconnection request. */
        INTERMITTED("S47", "intermission done", true),
        /** Unexpected T2: the parent died with a child forked and T2 active; the client reconnects on its own. */
        PARENT_LOST("T2", "parent died", true),
        /** S49: RECONNECT sent to the child; S50: waiting for its grant. */
        RECONNECTING("S49", "reconnect", true),
        /** S51: the reconnection reported; S52: sending resumed, the child is the peer. */
        RECONNECTED("S51", "reconnection report", true),
        /** The client's end closed. */
        CLOSED("-", "closed", false),
        /** The connection failed. */
        FAILED("-", "failed", false);

        private final StateMachine.Label label;

        State(String step, String description, boolean handover) {
            this.label = new StateMachine.Label(step, description, handover);
        }

        @Override
        public StateMachine.Label label() {
            return label;
        }

        @Override
        public boolean terminal() {
            return this == CLOSED || this == FAILED;
        }
    }

    /** Every move the client's state may make. */
    static final StateMachine.Table<State> TRANSITIONS = new StateMachine.Table<>(State.class)
            .allow(State.CONNECTING, State.ESTABLISHED, State.CLOSED, State.FAILED)
            .allow(State.ESTABLISHED, State.INTERMITTED, State.PARENT_LOST, State.CLOSED, State.FAILED)
            .allow(State.INTERMITTED, State.RECONNECTING, State.PARENT_LOST, State.CLOSED, State.FAILED)
            .allow(State.PARENT_LOST, State.RECONNECTING, State.CLOSED, State.FAILED)
            .allow(State.RECONNECTING, State.RECONNECTED, State.CLOSED, State.FAILED)
            .allow(State.RECONNECTED, State.CLOSED, State.FAILED);

    private final Transport transport;
    private final StateMachine<State> state;
    private long token;
    private long parentPid;
    private long parentStart;
    /** The process at the other end of the stream: the parent from the grant, the child from the reconnection. */
    private volatile long peerPid;
    private volatile long peerStart;
    /** Most worker inboxes a process keeps open between reconnections (see {@link #keepChildInbox}). */
    static final int MAX_CHILD_INBOXES = 32;
    /** Worker inboxes kept open after a reconnection: the worker's {pid, start}. */
    private static final Map<Path, long[]> CHILD_INBOXES = new ConcurrentHashMap<>();
    private static final AtomicBoolean CHILD_INBOX_LISTENER = new AtomicBoolean();
    /** A handover task is queued by the housekeeper and has not started: one at a time. */
    private final AtomicBoolean handoverTaskQueued = new AtomicBoolean();
    /** Threads in a receive that take the handover's steps themselves (see {@link #receive}). */
    private final AtomicInteger handoverReceivers = new AtomicInteger();
    /**
     * Made with the connection, and a class, not a lambda: nothing to link in mid-handover, nor in a fresh JVM's
     * first connect (a lambda's bootstrap there costs milliseconds).
     */
    private final BooleanSupplier childGrantedOrGone = new ChildGrantedOrGone();

    private final class ChildGrantedOrGone implements BooleanSupplier {
        @Override
        public boolean getAsBoolean() {
            return flags.childGranted() || childGone();
        }
    }
    /** The grant wait's last liveness check of the child: the exits count then, and when (under the send lock). */
    private long childCheckExits = -1;
    private long childCheckNanos;
    /** The forked child's inbox, opened ahead of the reconnection (housekeeper thread only). */
    private Path childInbox;

    private ClientRole(RoleEnvironment env, ViaConfig config, Transport transport, String endpoint,
            long connectionId, Path dir, FlagBlock flags, Channel up, Channel down) {
        super(env, config, endpoint, connectionId, dir, flags, down, up);
        this.transport = transport;
        this.state = new StateMachine<>(TRANSITIONS, State.CONNECTING, LOG_NAME, "connection " + id + " client");
    }

    @Override
    public Role role() {
        return Role.CLIENT;
    }

    /** The client's state. */
    public State state() {
        return state.get();
    }

    /**
     * The one way the client's state moves: checked against {@link #TRANSITIONS} and logged with its step; a move
     * the table does not allow fails the connection and throws {@link IllegalTransitionException}.
     */
    private void state(State next, String reason) {
        try {
            state.move(next, reason);
        } catch (IllegalTransitionException e) {
            fail(ErrorCode.PROTOCOL, e.getMessage());
            throw e;
        }
    }

    @Override
    protected void onFailed() {
        state.moveIfAllowed(State.FAILED, flags.error().description());
    }

    /**
     * S41-S43: creates the connection's queues and flag block, asks the endpoint's server, and waits for its
     * grant.
     */
    public static ClientRole connect(ViaConfig config, Transport transport, String endpoint) throws IOException {
        checkListening(config, endpoint);
        return connectOnNewDirectory(config, transport, endpoint);
    }

    /** Refuses at once if no server listens on the endpoint; sweeps dead connections in the background. */
    static void checkListening(ViaConfig config, String endpoint) throws ViaRefusedException {
        // connections (of any endpoint) whose processes all died: no server of theirs may ever come to delete them
        StaleConnections.sweepOtherEndpointsSoon(config, null);
        // the server's liveness from its pidfd once its exit is watched (after the first grant), else from /proc
        long[] server = EndpointLock.recordedOwner(Layout.endpointDir(config.baseDir(), endpoint));
        if (server == null || !Liveness.PROCESSES.isAlive(server[0], server[1])) {
            throw new ViaRefusedException("connection refused: no server listens on endpoint '" + endpoint
                    + "' under " + config.baseDir());
        }
    }

    /** S41-S43 on a directory made for this connection only (deleted after it). */
    static ClientRole connectOnNewDirectory(ViaConfig config, Transport transport, String endpoint)
            throws IOException {
        long connectionId = Layout.randomId();
        Path dir = Layout.connectionDir(config.baseDir(), endpoint, connectionId);
        FilePermissions.createPrivateDirectories(dir);
        ClientRole client = open(RoleEnvironment.host(config), config, transport, endpoint, connectionId, dir,
                FlagBlock.create(dir));
        try {
            client.requestConnection();
        } catch (IOException | RuntimeException e) {
            client.releaseResources();
            FilePermissions.deleteTree(dir);
            throw e;
        }
        return client;
    }

    /** S41: the client's identity into the new flag block, the connection's queues opened. */
    static ClientRole open(RoleEnvironment env, ViaConfig config, Transport transport, String endpoint,
            long connectionId, Path dir, FlagBlock flags) {
        identify(env, config, flags);
        Channel up = ConnectionQueues.up(transport, dir, flags, config);
        Channel down = ConnectionQueues.down(transport, dir, flags, config);
        return new ClientRole(env, config, transport, endpoint, connectionId, dir, flags, up, down);
    }

    /**
     * S41 on a connection slot (see {@link ConnectionSlots}) claimed and reset for its next use: the client's
     * identity into its flag block; its queues are open already. The reader starts after the previous use's last
     * document (the flag block's DOWN_START).
     */
    static ClientRole openOnSlot(RoleEnvironment env, ViaConfig config, Transport transport, String endpoint,
            long connectionId, Path dir, FlagBlock flags, Channel up, Channel down) {
        identify(env, config, flags);
        return new ClientRole(env, config, transport, endpoint, connectionId, dir, flags, up, down);
    }

    private static void identify(RoleEnvironment env, ViaConfig config, FlagBlock flags) {
        // this process's heartbeat before its pid is there to look it up: a client stopped before its first tick is
        // seen too
        env.liveness().beat(config.baseDir(), config.peerTimeout().toMillis(), env.clock().currentTimeMillis());
        flags.set(Word.CLIENT_START, env.start());
        flags.set(Word.CLIENT_PID, env.pid());
        flags.set(Word.STATE, ConnectionState.CONNECTING.code());
        flags.stamp(Word.AT_CONNECTED);
    }

    /** S42: CONNECT to the endpoint's listen queue; S43: the parent's grant; then housekeeping starts. */
    void requestConnection() throws IOException {
        Messages.Writer w = new ControlMessages.Connect(connectionId, env.pid(), env.start(),
                flags.get(Word.SLOT_USE), flags.get(Word.UP_START), flags.get(Word.DOWN_START))
                .writeTo(new Messages.Writer());
        flags.set(Word.NANOS_CONNECT_SENT, System.nanoTime());
        ListenChannels.append(transport, Layout.listenDir(config.baseDir(), endpoint), w);
        awaitGrant();
        flags.set(Word.NANOS_CLIENT_GRANTED, System.nanoTime());
        watch(parentPid, parentStart);
        env.housekeeping().add(this, config.baseDir());
    }

    private void awaitGrant() throws IOException {
        long timeout = config.connectTimeout().toMillis();
        long deadline = env.clock().nanoTime() + timeout * 1_000_000L;
        Document d = new Document(256);
        Messages.Reader r = new Messages.Reader();
        IdleStrategy idle = config.pauser().newIdleStrategy();
        readLock.lock();
        try {
            while (true) {
                if (reader.next(d)) {
                    MessageType type = r.reset(d).type();
                    if (type == MessageType.GRANT) {
                        ControlMessages.Grant grant = ControlMessages.Grant.read(r);
                        if (grant.upStart() != flags.get(Word.UP_START)
                                || grant.downStart() != flags.get(Word.DOWN_START)) {
                            throw new ViaProtocolException("GRANT for other start indices (up "
                                    + Long.toHexString(grant.upStart()) + ", down "
                                    + Long.toHexString(grant.downStart()) + ") than the CONNECT's on connection " + id);
                        }
                        token = grant.token();
                        parentPid = grant.granterPid();
                        parentStart = flags.parentStart();
                        peerPid = parentPid;
                        peerStart = parentStart;
                        state(State.ESTABLISHED, "granted by parent pid " + parentPid);
                        return;
                    }
                    if (type == MessageType.CLOSE) {
                        ControlMessages.Close refusal = ControlMessages.Close.read(r);
                        throw new ViaRefusedException("connection to '" + endpoint + "' refused: "
                                + refusal.error().description() + " (" + refusal.reason() + ")");
                    }
                    throw new ViaProtocolException("expected GRANT, got " + type);
                }
                if (env.clock().nanoTime() - deadline > 0) {
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

    /**
     * A receive without a deadline shorter than the handover timeout takes the handover's steps itself while it
     * waits: the flag words it waits on ring its doorbell, so S7 (intermit) and S11 (P, reconnect) cost the client
     * one wake-up of the thread that was parked anyway, not a wake-up of the housekeeper and one of a helper thread.
     * The client reads its down queue straight through: the parent's documents, then the child's.
     */
    @Override
    public int receive(byte[] bytes, int off, int len, long timeoutMillis) throws IOException {
        if (!drivesHandover(timeoutMillis)) {
            return super.receive(bytes, off, len, timeoutMillis);
        }
        handoverReceivers.incrementAndGet();
        try {
            return super.receive(bytes, off, len, timeoutMillis);
        } finally {
            handoverReceivers.decrementAndGet();
            dispatchHandoverWork(); // a step that came as it left is the housekeeper's helper's again
        }
    }

    private boolean drivesHandover(long timeoutMillis) {
        return timeoutMillis <= 0 || timeoutMillis >= config.handoverTimeout().toMillis();
    }

    @Override
    protected void beforeReceive(long deadlineNanos) {
        if (!handoverWorkDue()) {
            return;
        }
        if (deadlineNanos != Long.MAX_VALUE && deadlineNanos - System.nanoTime() < config.handoverTimeout().toNanos()) {
            // This receive counts as one that drives the handover (so the housekeeper leaves the step to it), but
            // its deadline comes before a step could end: the helper takes the step, or it would wait for the
            // next receive or the handover timeout.
            queueHandoverTask();
            return;
        }
        if (!sendLock.tryLock()) {
            return; // a sender or the helper takes the step
        }
        try {
            if (!closed && handoverWorkDue()) {
                driveHandover(false);
            }
        } catch (IOException e) {
            // the connection is failed: the receive says so at its next check
            log().warn("connection {} client: handover failed: {}", id, e.getMessage());
        } finally {
            sendLock.unlock();
        }
    }

    /** Before every send: nothing to do unless a handover step is due (S45 stops the send until S52). */
    @Override
    protected void beforeSend() throws IOException {
        State s = state.get();
        if (s == State.RECONNECTED || (s == State.ESTABLISHED && flags.intermission() != Intermission.REQUESTED)) {
            return;
        }
        driveHandover(true);
    }

    /**
     * The client's part of the handover; runs under the send lock, in the sending thread or, when the application
     * is not sending, in a helper thread queued by the housekeeper.
     *
     * @param waitForRequest true when called by a sender, which must not send until the handover is done
     */
    private void driveHandover(boolean waitForRequest) throws IOException {
        long deadline = env.clock().nanoTime() + config.handoverTimeout().toNanos();
        IdleStrategy idle = sendIdle;
        idle.reset();
        // woken by P and by the grant while the child and the parent may hold every core: a short slice if asked for
        // (-Dvia.idle.short-slice-us, 100 µs by default, 0: off; see SchedulerSlice)
        long slice = SchedulerSlice.shorten(config.pauser() == PauserKind.BUSY);
        try {
            driveHandoverSteps(waitForRequest, deadline, idle);
        } catch (IllegalTransitionException e) {
            throw new ViaProtocolException(e.getMessage()); // the connection is failed already
        } finally {
            SchedulerSlice.restore(slice);
            idle.reset();
        }
    }

    private void driveHandoverSteps(boolean waitForRequest, long deadline, IdleStrategy idle) throws IOException {
        while (true) {
            checkUsable();
            switch (state.get()) {
                case ESTABLISHED:
                    if (flags.intermission() != Intermission.REQUESTED) {
                        return;
                    }
                    confirmIntermission();
                    continue;
                case INTERMITTED:
                    if (flags.reconnectionRequested()) {
                        // the wait for P is over: its spin permit goes back before the grant wait asks for one
                        // (held, the grant wait found none free on 2 cores and parked at once)
                        idle.reset();
                        reconnectToChild();
                        return;
                    }
                    if (!waitForRequest) {
                        return;
                    }
                    if (env.clock().nanoTime() - deadline > 0) {
                        fail(ErrorCode.PEER_HUNG, "no reconnection request after the intermission");
                        throw new ViaTimeoutException("connection " + id + ": the parent sent no reconnection request"
                                + " within " + config.handoverTimeout().toMillis() + " ms of the intermission");
                    }
                    idle.idle(ownDoorbell(), deadline); // the parent's P rings it
                    continue;
                case PARENT_LOST:
                    if (flags.intermission() == Intermission.REQUESTED) {
                        confirmIntermission(); // the parent asked before it died: the cut goes in all the same
                    }
                    reconnectToChild();
                    return;
                default:
                    return;
            }
        }
    }

    /** S45-S47: stop, then confirm. The send lock guarantees no send is half done. */
    private void confirmIntermission() {
        flags.set(Word.NANOS_INTERMISSION_SEEN, System.nanoTime());
        long mark = appendControl(outbound, ControlMessages.IntermissionDone.INSTANCE);
        flags.set(Word.INTERMISSION_MARK, mark);
        flags.set(Word.NANOS_INTERMITTED, System.nanoTime());
        // from PARENT_LOST the state stays: the client reconnects on its own next
        state.moveFrom(State.ESTABLISHED, State.INTERMITTED, "INTERMISSION_DONE at " + Long.toHexString(mark));
        flags.set(Word.TRANSMISSION_INTERMISSION, Intermission.INTERMITTED);
        flags.stamp(Word.AT_INTERMITTED);
        log().info("connection {} client: transmission intermitted (INTERMISSION_DONE at {})", id,
                Long.toHexString(mark));
    }

    /** S49: connects to the child named by the flag block; S50: waits for its grant; S51: reports completion. */
    private void reconnectToChild() throws IOException {
        boolean recovering = state.get() == State.PARENT_LOST;
        flags.set(Word.NANOS_RECONNECT_SEEN, System.nanoTime());
        long workerId = flags.get(Word.WORKER_ID);
        long childPid = flags.childPid();
        long childStart = flags.childStart();
        if (workerId == 0 || childPid == 0) {
            fail(ErrorCode.PARENT_DIED, "no child to reconnect to");
            throw new ViaException("connection " + id + ": " + ErrorCode.PARENT_DIED.description());
        }
        long nonce = flags.reconnectionRequested() ? flags.get(Word.NONCE) : 0;
        state(State.RECONNECTING, "child pid " + childPid + (recovering ? ", the parent died" : ""));
        Messages.Writer w = new ControlMessages.Reconnect(connectionId, endpoint, token, nonce)
                .writeTo(new Messages.Writer());
        flags.set(Word.NANOS_RECONNECT_SENT, System.nanoTime()); // before: the child may answer before append returns
        Path inbox = Layout.inboxDir(Layout.workerDir(config.baseDir(), endpoint, workerId));
        ListenChannels.append(transport, inbox, w);
        log().info("connection {} client: reconnecting to child pid {}{}", id, childPid,
                recovering ? " (parent died)" : "");
        boolean granted = await(childGrantedOrGone, config.handoverTimeout().toMillis());
        if (!granted || !flags.childGranted()) {
            ErrorCode code = granted ? ErrorCode.CHILD_DIED : ErrorCode.GRANT_TIMEOUT;
            fail(code, "child pid " + childPid);
            throw new ViaException("connection " + id + ": " + code.description());
        }
        flags.set(Word.NANOS_GRANT_SEEN, System.nanoTime());
        appendControl(outbound, ControlMessages.ReconnectionDone.INSTANCE);
        flags.set(Word.NANOS_REPORTED, System.nanoTime());
        flags.set(Word.CLIENT_REPORTED, env.pid());
        // unexpected T2: no parent to set the completion flag (S13), so the client that reports it does (once)
        boolean completed = recovering && flags.complete();
        peerPid = childPid;
        peerStart = childStart;
        state(State.RECONNECTED, "child pid " + childPid + (completed ? "; S13 set without the parent" : ""));
        flags.set(Word.TRANSMISSION_INTERMISSION, Intermission.RESUMED);
        log().info("connection {} client: reconnected to child pid {}, resumed sending", id, childPid);
        keepChildInbox(inbox, childPid, childStart);
        if (YIELD_AFTER_REPORT && !flags.isCompleted()) {
            // S51 just woke the parent for S13, and this thread is about to stream into the child, which reads: on a
            // host whose cores are all busy the woken parent waits for one of the two to end its slice. One yield
            // lets it go first where it was queued on this CPU (a system call well under a microsecond otherwise).
            Thread.yield();
        }
    }

    /** {@code -Dvia.client.yield-after-report=false} turns off the yield after the client's report (S51). */
    private static final boolean YIELD_AFTER_REPORT =
            Boolean.parseBoolean(System.getProperty("via.client.yield-after-report", "true"));

    /**
     * Keeps a reusable worker's inbox open after a reconnection for the next one to the same worker (opening and
     * closing it per forked connection was a queue's mapping and unmapping each time); it is closed when the worker's
     * exit is reported. Without an exit watch, or past {@link #MAX_CHILD_INBOXES}, it is closed at once, as before.
     */
    private void keepChildInbox(Path inbox, long childPid, long childStart) {
        if (!ProcessExitWatch.available()) {
            ListenChannels.forget(inbox);
            return;
        }
        if (CHILD_INBOX_LISTENER.compareAndSet(false, true)) {
            ProcessExitWatch.addListener(ClientRole::forgetExitedChildInboxes);
        }
        watch(childPid, childStart); // its exit closes the inbox (cheap when watched already)
        long[] worker = {childPid, childStart};
        long[] before = CHILD_INBOXES.put(inbox, worker);
        if (before == null && CHILD_INBOXES.size() > MAX_CHILD_INBOXES) {
            forgetExitedChildInboxes();
            if (CHILD_INBOXES.size() > MAX_CHILD_INBOXES && CHILD_INBOXES.remove(inbox, worker)) {
                ListenChannels.forget(inbox);
                return;
            }
        }
        if (!alive(childPid, childStart) && CHILD_INBOXES.remove(inbox, worker)) {
            ListenChannels.forget(inbox); // it exited before it was kept: the listener may have run already
        }
    }

    /** On the exit watch's thread after each reported exit: closes the kept inboxes of workers that exited. */
    private static void forgetExitedChildInboxes() {
        for (Map.Entry<Path, long[]> e : CHILD_INBOXES.entrySet()) {
            long[] w = e.getValue();
            if (!Liveness.PROCESSES.isAlive(w[0], w[1]) && CHILD_INBOXES.remove(e.getKey(), w)) {
                ListenChannels.forget(e.getKey());
            }
        }
    }

    /** Worker inboxes kept open in this process (tests). */
    static int keptChildInboxes() {
        return CHILD_INBOXES.size();
    }

    /**
     * The grant wait's check of the child's death. A liveness check is a system call (a pidfd poll) and the wait
     * spins before it parks: checked on every spin it was 16% of a forking client's CPU. So it is checked when a
     * watched process's exit was reported since the last check, and at most every millisecond otherwise (a child
     * dead unreported: not watched yet, or no pidfds).
     */
    private boolean childGone() {
        long exits = env.liveness().exits();
        long now = System.nanoTime();
        if (exits == childCheckExits && now - childCheckNanos < 1_000_000L) {
            return false;
        }
        childCheckExits = exits;
        childCheckNanos = now;
        return !alive(flags.childPid(), flags.childStart());
    }

    @Override
    protected void onControl(MessageType type, Messages.Reader r, Document d) throws IOException {
        switch (type) {
            case INTERMISSION_REQUEST:
            case RECONNECT_REQUEST:
                return; // the flags carry these; in the stream they only mark where the parent's output ends
            case GRANT:
                if (ControlMessages.Grant.read(r).token() != token) {
                    throw new ViaProtocolException("GRANT with a wrong token on connection " + id);
                }
                return;
            default:
                super.onControl(type, r, d);
        }
    }

    // ------------------------------------------------------------------------------------------------ housekeeping

    /** One housekeeping pass: child's inbox, the peers' liveness (and T2), handover work. */
    @Override
    public boolean tick(long now) {
        if (closed) {
            return false;
        }
        if (flags.state() == ConnectionState.FAILED) {
            onFailed(); // failed by another process: this role's state follows
        }
        prepareChildInbox();
        checkPeers(now);
        dispatchHandoverWork();
        return true;
    }

    /** Forked: open the child's inbox now, so that the reconnection (S49) does not pay for opening a queue. */
    private void prepareChildInbox() {
        if (childInbox == null && !state.reached(State.RECONNECTED) && flags.childPid() != 0) {
            long workerId = flags.get(Word.WORKER_ID);
            childInbox = Layout.inboxDir(Layout.workerDir(config.baseDir(), endpoint, workerId));
            if (CHILD_INBOXES.containsKey(childInbox)) {
                return; // open since a reconnection to this worker, and the worker watched
            }
            Async.run("via-client-prepare-" + id, () -> {
                ListenChannels.prepare(transport, childInbox);
                watch(flags.childPid(), flags.childStart()); // its first check is the slow one
            });
        }
    }

    /**
     * The peer's liveness: a dead parent (unexpected T2 with a child forked: the client reconnects on its own; else
     * the connection fails), a dead child after the reconnection, or a silent one (heartbeat).
     */
    private void checkPeers(long now) {
        if (!livenessDue(now) || flags.state().isTerminal() || flags.closedBy(FlagBlock.CLOSED_SERVER)) {
            return;
        }
        State s = state.get();
        switch (s) {
            case ESTABLISHED:
            case INTERMITTED:
            case RECONNECTING:
                if (!alive(parentPid, parentStart)) {
                    onParentDied(s);
                } else if (peerSilent(parentPid, parentStart, now)) {
                    failSilentPeer("parent");
                }
                return;
            case RECONNECTED:
                if (!alive(flags.childPid(), flags.childStart())) {
                    fail(ErrorCode.CHILD_DIED, "child pid " + flags.childPid());
                } else if (peerSilent(flags.childPid(), flags.childStart(), now)) {
                    failSilentPeer("child");
                }
                return;
            default:
                // CONNECTING: not housekept yet; PARENT_LOST: the reconnection is under way; ended
        }
    }

    /** The parent is dead (gone or a zombie): T2 recovery if a child is forked and T2 active, else a failure. */
    private void onParentDied(State s) {
        if (flags.triggerEnabled(Trigger.T2_PARENT_ABORT) && flags.childPid() != 0 && !flags.isCompleted()) {
            log().warn("connection {} client: parent pid {} died; reconnecting to the child (T2)", id, parentPid);
            flags.fireTrigger(Trigger.T2_PARENT_ABORT); // unless the parent fired one before it died
            if (s != State.RECONNECTING) {
                // a reconnection under way goes on; the child completes it for the dead parent
                state.moveIfAllowed(State.PARENT_LOST, "parent pid " + parentPid + " died (T2)");
            }
            flags.ringBoth(); // a sender parked in the handover must see it
        } else if (!flags.isCompleted()) {
            fail(ErrorCode.PARENT_DIED, "parent pid " + parentPid);
        }
    }

    /**
     * Alive but silent (stopped, or wedged): a dead peer is seen at once, a hung one only this way. A silent parent
     * is never handed over from (no T2 recovery): it could resume and append to the down queue or consume the up
     * queue at any moment, and two writers or readers of one stream is what the handover exists to prevent. Killing
     * it first is not ours to decide (a debugger, job control or a long GC pause stop processes too), so the
     * connection fails for all three instead. A zombie is dead, not silent: Liveness says so, and T2 recovery runs.
     */
    private void failSilentPeer(String which) {
        fail(ErrorCode.PEER_HUNG, which + " heartbeat older than " + config.peerTimeout().toMillis() + " ms");
    }

    /** A handover step is due while the application does not send: a task takes the send lock and does it. */
    private void dispatchHandoverWork() {
        // a receiving thread parked on the connection's doorbell is woken by the same flag and takes the step
        if (handoverReceivers.get() == 0) {
            queueHandoverTask();
        }
    }

    /** Queues one task that takes the send lock and does the due step; at most one is queued at a time. */
    private void queueHandoverTask() {
        if (handoverWorkDue() && handoverTaskQueued.compareAndSet(false, true)) {
            Async.run("via-client-handover-" + id, () -> {
                sendLock.lock();
                try {
                    handoverTaskQueued.set(false);
                    if (!closed) {
                        driveHandover(false);
                    }
                } catch (IOException e) {
                    log().warn("connection {} client: handover failed: {}", id, e.getMessage());
                } finally {
                    sendLock.unlock();
                }
            });
        }
    }

    @Override
    protected boolean handoverStepDue() {
        return handoverWorkDue();
    }

    /** S44 finds the intermission requested, S48 finds P, or the parent died (T2). */
    private boolean handoverWorkDue() {
        switch (state.get()) {
            case ESTABLISHED:
                return flags.intermission() == Intermission.REQUESTED;
            case INTERMITTED:
                return flags.reconnectionRequested();
            case PARENT_LOST:
                return true;
            default:
                return false;
        }
    }

    /**
     * A handover is under way (or, where nothing can wake the housekeeper, may start: forked and not reconnected).
     * Otherwise the parent rings this process's doorbell for each step the client must take while idle.
     */
    @Override
    public boolean urgent() {
        State s = state.get();
        boolean reconnected = state.reached(State.RECONNECTED);
        if (!Housekeeper.woken()) {
            return s == State.PARENT_LOST || (!reconnected && flags.get(Word.WORKER_ID) != 0);
        }
        return s == State.PARENT_LOST || (!reconnected && flags.firedTrigger() != null);
    }

    @Override
    protected boolean peerAlive() {
        return alive(peerPid, peerStart);
    }

    @Override
    public void close() {
        closeEnd(FlagBlock.CLOSED_CLIENT);
        state.moveIfAllowed(State.CLOSED, "closed");
    }
}
