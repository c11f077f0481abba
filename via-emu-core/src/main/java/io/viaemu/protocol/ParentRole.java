package io.viaemu.protocol;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

import io.viaemu.ConnectionHandedOverException;
import io.viaemu.ParentConnection;
import io.viaemu.PauserKind;
import io.viaemu.Trigger;
import io.viaemu.ViaConfig;
import io.viaemu.ViaException;
import io.viaemu.ViaProtocolException;
import io.viaemu.ViaTimeoutException;
import io.viaemu.idle.Doorbell;
import io.viaemu.idle.SchedulerSlice;
import io.viaemu.internal.Housekeeper;
import io.viaemu.internal.Layout;
import io.viaemu.protocol.FlagBlock.Intermission;
import io.viaemu.protocol.FlagBlock.Word;
import io.viaemu.transport.Channel;
import io.viaemu.transport.Document;
import io.viaemu.worker.Worker;
import io.viaemu.worker.WorkerPool;

/**
 * The parent's end (Fig. 4 of the design, steps S2-S18): serves the connection until an active trigger fires after
 * EMU_FORK, then runs the handover. Its states ({@link State}) and the one method that moves them
 * ({@code state(next, reason)}, checked against {@link #TRANSITIONS}):
 * <ol>
 * <li>S2, S3 ({@link #grant}): the client's CONNECT was read; GRANT with the connection's token.</li>
 * <li>S4 ({@link #fork}): EMU_FORK; FORKED once the child announced itself. S5/S6: serve on (S14-S17, each receive
 * recording the consumed position) until a trigger fires ({@link #handover}).</li>
 * <li>S7, S8 ({@code requestIntermission}): transmission-intermission REQUESTED, wait for the client's INTERMITTED
 * (its S47).</li>
 * <li>S9, S10 ({@code copyUnconsumedInput}): read the up queue to the client's INTERMISSION_DONE; whatever it read
 * but the application did not consume (data-received) it appends as COPY documents after the cut
 * (copy-request).</li>
 * <li>S11, S12 ({@code requestReconnection}): set P and a fresh nonce, append RECONNECT_REQUEST (its last
 * document to the client), wait for the client's report (its S51).</li>
 * <li>S13 ({@code awaitCompletion}): set reconnection-completion ({@link FlagBlock#complete()}: never twice):
 * HANDED_OVER. S18: the parent's end is released.</li>
 * </ol>
 * Each wait is bounded by the handover timeout; a timeout fails the connection for all three with a reason.
 */
public final class ParentRole extends ConnectionEnd implements ParentConnection {

    /** Lets the server know when a connection leaves the parent. */
    public interface Listener {
        void onReleased(ParentRole connection);

        /**
         * A trigger fired and this parent started the handover: called on the handover's thread once it asked the
         * client to intermit (S7), while the client reacts, so that what the listener does costs the pause nothing.
         */
        default void onHandoverStarted(ParentRole connection, Trigger trigger) {
        }
    }

    /** The parent's states, by the steps of Fig. 4. */
    public enum State implements StateMachine.Step {
        /** S2: the client's CONNECT was read; not granted yet. */
        REQUESTED("S2", "connection request", false),
        /** S3: granted: the parent serves the stream (S14-S17). */
        GRANTED("S3", "connection permission", false),
        /** S4: EMU_FORK: a worker was told to take the connection; the child has not announced itself yet. */
        FORKING("S4", "EMU_FORK", false),
        /** S5, S6: a child is ready; the parent serves on until an active trigger fires. */
        FORKED("S6", "awaiting a trigger", false),
        /** S7, S8: the client was asked to intermit; waiting for its confirmation (S47). */
        INTERMISSION("S7", "intermission request", true),
        /** S9, S10: the client intermitted; the parent's unconsumed input goes to the child. */
        COPYING("S10", "copy", true),
        /** S11, S12: P and the reconnection request are out; waiting for the client's report (S51). */
        RECONNECTING("S11", "reconnection request", true),
        /** S13: reconnection-completion is set; the child owns the connection and this end is released. */
        HANDED_OVER("S13", "completion", true),
        /** S18: the parent's end closed without a handover. */
        CLOSED("S18", "end", false),
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
            return this == HANDED_OVER || this == CLOSED || this == FAILED;
        }
    }

    /** Every move the parent's state may make. */
    static final StateMachine.Table<State> TRANSITIONS = new StateMachine.Table<>(State.class)
            .allow(State.REQUESTED, State.GRANTED, State.CLOSED, State.FAILED)
            .allow(State.GRANTED, State.FORKING, State.CLOSED, State.FAILED)
            // back to GRANTED: no worker, or the child did not start in time (the parent keeps the connection)
            .allow(State.FORKING, State.FORKED, State.GRANTED, State.CLOSED, State.FAILED)
            // back to GRANTED: the child died before any trigger
            .allow(State.FORKED, State.INTERMISSION, State.GRANTED, State.CLOSED, State.FAILED)
            .allow(State.INTERMISSION, State.COPYING, State.FAILED)
            .allow(State.COPYING, State.RECONNECTING, State.FAILED)
            .allow(State.RECONNECTING, State.HANDED_OVER, State.FAILED);

    /** The worker a connection is forked to, as EMU_FORK needs it. */
    interface ChildWorker {
        long id();

        boolean isAlive();

        /** Sends the worker ASSIGN: serve this connection with this handler. */
        void assign(long connectionId, String handlerName);

        void kill();

        /**
         * Runs {@code action} when the worker's process exits (at once if it has); returns what cancels it. A reusable
         * worker serves many connections: an action left registered would keep each one's flag block mapped.
         */
        Runnable onExit(Runnable action);
    }

    /** Where EMU_FORK takes its worker from. */
    interface WorkerSource {
        ChildWorker acquire() throws IOException;
    }

    private final WorkerPool workers;
    private final Listener listener;
    private final long clientPid;
    private final long clientStart;
    private final StateMachine<State> state;
    /** The child a connection was forked to, null before EMU_FORK and after a rollback (it died before a trigger). */
    private volatile ChildWorker child;
    /** The parent's consumed position goes to the flag block (from EMU_FORK on); under readLock. */
    private boolean recordConsumption;
    /**
     * The stream belongs to the child (or is being given to it): the parent's own I/O must stop. Set at S10, or
     * earlier when the parent's reader meets the client's cut, and when a handover fails.
     */
    private volatile boolean handedOver;
    /** A handover task was queued for the child's C (T3/T4): queued once. */
    private final AtomicBoolean handoverQueued = new AtomicBoolean();
    private final HandoverCompletion handoverCompletion = new HandoverCompletion();
    /**
     * How long the parent waits for the client's confirmation (S47) before it rings the client's housekeeper
     * ({@code -Dvia.handover.client-ring-delay-us}; default 500; 0 rings at S7 at once). A client thread blocked in
     * a receive or a send confirms by itself when the flag rings it; ringing the housekeeper as well woke two more
     * threads of the client's process on the same cores (HandoverPauseBench: grant p50 BUSY 725 -> 394 µs, BACKOFF
     * 385 -> 262 µs with the delay). The flaky S11-preemption test once blamed on the delay was a close between
     * OWNER and CHILD_GRANTED in ChildRole (see README, "Waiting without polling").
     */
    static final long CLIENT_RING_DELAY_NANOS = Long.getLong("via.handover.client-ring-delay-us", 500) * 1000L;
    /** Where a client thread confirmed S47 itself: how long the parent waits for S51 before it rings all the same. */
    static final long CLIENT_RING_LATE_NANOS = 2_000_000L;
    /** The client's housekeeper was rung in this handover (S7): rung again at S11. Handover thread only. */
    private boolean clientHousekeeperRung;
    private long clientRingDelayNanos = CLIENT_RING_DELAY_NANOS;
    private long clientRingLateNanos = CLIENT_RING_LATE_NANOS;
    /*
     * The handover's wait conditions, made when the connection is: a lambda's call site is linked the first time it
     * runs, and the handover's code runs for the first time in the middle of a handover.
     */
    private final BooleanSupplier clientIntermitted =
            () -> flags.intermission() == Intermission.INTERMITTED;
    private final BooleanSupplier clientReported = () -> flags.clientReported();

    public ParentRole(ViaConfig config, String endpoint, long connectionId, Path dir, FlagBlock flags, Channel up,
            Channel down, WorkerPool workers, Listener listener) {
        this(RoleEnvironment.host(config), config, endpoint, connectionId, dir, flags, up, down, workers, listener);
    }

    ParentRole(RoleEnvironment env, ViaConfig config, String endpoint, long connectionId, Path dir, FlagBlock flags,
            Channel up, Channel down, WorkerPool workers, Listener listener) {
        super(env, config, endpoint, connectionId, dir, flags, up, down);
        this.workers = workers;
        this.listener = listener;
        this.clientPid = flags.clientPid();
        this.clientStart = flags.clientStart();
        this.state = new StateMachine<>(TRANSITIONS, State.REQUESTED, LOG_NAME, "connection " + id + " parent");
    }

    @Override
    public Role role() {
        return Role.PARENT;
    }

    /** The parent's state. */
    public State state() {
        return state.get();
    }

    /**
     * The one way the parent's state moves: checked against {@link #TRANSITIONS} and logged with its step; a move
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

    /** S3: grants the connection: token and pids into the flag block, GRANT as the first document of the down queue. */
    public void grant() {
        state(State.GRANTED, "client pid " + clientPid); // first: a second grant is rejected before it writes
        long token = Layout.randomId();
        flags.set(Word.TOKEN, token);
        flags.set(Word.PARENT_START, env.start());
        flags.set(Word.PARENT_PID, env.pid());
        beat(); // this process's heartbeat, before the client may look it up
        flags.advance(ConnectionState.ESTABLISHED);
        flags.set(Word.NANOS_PARENT_GRANTED, System.nanoTime());
        sendLock.lock();
        try {
            appendControl(outbound, new ControlMessages.Grant(token, env.pid(), flags.get(Word.UP_START),
                    flags.get(Word.DOWN_START))); // on a slot's later use: where it starts, as the client said
        } finally {
            sendLock.unlock();
        }
        watch(clientPid, clientStart);
        env.housekeeping().add(this, config.baseDir());
    }

    // ------------------------------------------------------------------------------------------------ EMU_FORK

    @Override
    public void fork(String handlerName) throws IOException {
        if (workers == null) {
            throw new IllegalStateException("this server has no worker pool");
        }
        fork(handlerName, () -> new PooledWorker(workers.acquire()));
    }

    /** S4, EMU_FORK, with the worker from {@code source}. */
    void fork(String handlerName, WorkerSource source) throws IOException {
        if (child != null || handedOver) {
            throw new IllegalStateException("connection " + id + " is already forked");
        }
        checkUsable();
        if (!state.moveFrom(State.GRANTED, State.FORKING, "handler '" + handlerName + "'")) {
            throw new IllegalStateException("connection " + id + " is already forked (" + state.get() + ")");
        }
        handoverCompletion.forked();
        ChildWorker w;
        try {
            w = source.acquire();
        } catch (IOException | RuntimeException e) {
            state.moveFrom(State.FORKING, State.GRANTED, "no worker: " + e.getMessage());
            throw e;
        }
        flags.set(Word.TRIGGERS_ENABLED, Trigger.mask(config.triggers()));
        flags.set(Word.WORKER_ID, w.id());
        readLock.lock();
        try {
            long[] pos = consumedPosition();
            flags.recordConsumed(pos[0], pos[1], consumedBytes());
            recordConsumption = true; // from now on every consumed byte is recorded, for a child recovering from our death
        } finally {
            readLock.unlock();
        }
        flags.advance(ConnectionState.FORKED);
        flags.stamp(Word.AT_FORKED);
        flags.set(Word.NANOS_FORKED, System.nanoTime());
        // a worker that dies before announcing itself must wake the wait below as its announcement would
        Runnable cancelExitAction = w.onExit(flags::ringBoth);
        boolean ready;
        try {
            w.assign(connectionId, handlerName);
            // the child's pid in the flag block rings the parent's doorbell: a wake-up, no poll
            ready = awaitHandoverStep(() -> flags.childPid() != 0 || !w.isAlive(), config.childStartTimeout().toMillis());
        } finally {
            cancelExitAction.run(); // from now on the child's death is the liveness watch's (checkPeers)
        }
        if (!ready || flags.childPid() == 0) {
            w.kill();
            flags.rollbackFork(true);
            state.moveFrom(State.FORKING, State.GRANTED, ErrorCode.CHILD_START_TIMEOUT.description());
            throw new ViaException("EMU_FORK of connection " + id + ": " + ErrorCode.CHILD_START_TIMEOUT.description()
                    + " (worker " + Layout.idString(w.id()) + ", " + config.childStartTimeout().toMillis()
                    + " ms); the parent keeps the connection");
        }
        child = w;
        // a close or failure meanwhile keeps its state; the child learns it from the flag block
        state.moveFrom(State.FORKING, State.FORKED, "child pid " + flags.childPid());
        watch(flags.childPid(), flags.childStart());
        log().info("EMU_FORK connection {} -> child pid {} (worker {}, handler '{}'), triggers {}", id,
                flags.childPid(), Layout.idString(w.id()), handlerName, config.triggers());
    }

    @Override
    public boolean isForked() {
        return child != null;
    }

    @Override
    public boolean isHandedOver() {
        return handedOver;
    }

    @Override
    public CompletionStage<Trigger> handoverCompletion() {
        return handoverCompletion.stage();
    }

    /** The server is told, then whoever waits for the handover: it will not come (any more) from this end. */
    private void released() {
        listener.onReleased(this);
        handoverCompletion.failed(id, flags.state() == ConnectionState.FAILED
                ? "failed without a handover: " + flags.error().description() : "closed without a handover");
    }

    // ------------------------------------------------------------------------------------------------ triggers

    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        if (!handedOver && isForked() && handover(Trigger.T1_PARENT_CLOSE)) {
            return;
        }
        if (handedOver) {
            return;
        }
        if (isForked()) {
            // forked, but T1 is off: the connection ends here, and the child must not wait for it
            flags.advance(ConnectionState.CLOSED);
        }
        closeEnd(FlagBlock.CLOSED_SERVER);
        state.moveIfAllowed(State.CLOSED, "closed by the application");
        released();
    }

    @Override
    public synchronized void abort() throws IOException {
        if (handedOver || closed) {
            return;
        }
        if (isForked() && handover(Trigger.T2_PARENT_ABORT)) {
            return;
        }
        fail(ErrorCode.PARENT_DIED, "the parent aborted the connection");
        closeEnd(FlagBlock.CLOSED_SERVER);
        released();
    }

    /**
     * Runs the handover (S7-S13) if {@code trigger} is active and no trigger fired before; blocks until it
     * completed. Synchronized with {@link #close()} and {@link #abort()}: a close that comes while another
     * trigger's handover runs waits for it, then finds the connection handed over (or failed) and does nothing more.
     *
     * @return true if this call handed the connection over
     * @throws ViaException if the handover started but failed (the connection is then failed for everyone)
     */
    public synchronized boolean handover(Trigger trigger) throws IOException {
        if (!isForked() || !flags.triggerEnabled(trigger)) {
            return false;
        }
        if (!flags.fireTrigger(trigger)) {
            return false; // reconnection happens at most once per connection
        }
        long childPid = flags.childPid();
        log().info("connection {}: trigger {} fired; handing over to child pid {}", id, trigger, childPid);
        long start = System.nanoTime();
        boolean completed = false;
        // woken twice (S47, S51) while the client and the child may hold every core: a short slice if asked for
        // (-Dvia.idle.short-slice-us, 100 µs by default, 0: off; see SchedulerSlice)
        long slice = SchedulerSlice.shorten(config.pauser() == PauserKind.BUSY);
        sendLock.lock();
        try {
            requestIntermission(trigger);
            copyUnconsumedInput();
            requestReconnection(childPid);
            awaitCompletion();
            completed = true;
        } catch (IOException | IllegalTransitionException e) {
            handedOver = true;
            log().warn("connection {}: handover ({}) failed: {}", id, trigger, e.getMessage());
            if (e instanceof IllegalTransitionException) {
                throw new ViaProtocolException(e.getMessage());
            }
            throw (IOException) e;
        } finally {
            sendLock.unlock();
            SchedulerSlice.restore(slice);
            releaseAfterHandover(completed);
            closed = true;
            listener.onReleased(this);
            if (completed) {
                handoverCompletion.completed(trigger);
            } else {
                handoverCompletion.failed(id, "the handover (" + trigger + ") failed");
            }
        }
        log().info("connection {}: handed over to child pid {} in {} µs (trigger {}, {} bytes copied)", id, childPid,
                (System.nanoTime() - start) / 1000, trigger, flags.get(Word.BYTES_COPIED));
        return true;
    }

    /** The client housekeeper's rings' delays, at S7 and after a confirmation its own thread made (tests). */
    synchronized void clientRingDelays(long atIntermissionNanos, long lateNanos) {
        clientRingDelayNanos = atIntermissionNanos;
        clientRingLateNanos = lateNanos;
    }

    /** S7: ask the client to intermit; S8: wait for its confirmation (the client's S47). */
    private void requestIntermission(Trigger trigger) throws IOException {
        checkUsable();
        state(State.INTERMISSION, "trigger " + trigger);
        flags.advance(ConnectionState.INTERMISSION);
        flags.set(Word.NANOS_INTERMISSION_REQUESTED, System.nanoTime());
        flags.set(Word.TRANSMISSION_INTERMISSION, Intermission.REQUESTED);
        appendControl(outbound, ControlMessages.IntermissionRequest.INSTANCE);
        // S7 rings the flag block's doorbells: a client thread parked in a send or a receive wakes and confirms
        // itself, and a streaming sender sees the flag at its next send. Only an idle client needs its housekeeper
        // (two wake-ups in the client's process, a ProcessBells thread and the housekeeper, which compete with a
        // streaming sender for its CPU): it is rung if no confirmation came within clientRingDelayNanos.
        clientHousekeeperRung = clientRingDelayNanos <= 0;
        if (clientHousekeeperRung) {
            flags.ringHousekeeper(Word.CLIENT_PID, Word.CLIENT_START);
        }
        listener.onHandoverStarted(this, trigger); // while the client reacts
        if (!clientHousekeeperRung && !awaitBriefly(handoverBell(), clientIntermitted, clientRingDelayNanos)) {
            clientHousekeeperRung = true; // S7: an idle client confirms from its housekeeper
            flags.ringHousekeeper(Word.CLIENT_PID, Word.CLIENT_START);
        }
        if (!awaitHandoverStep(clientIntermitted, config.handoverTimeout().toMillis())) {
            fail(ErrorCode.INTERMISSION_TIMEOUT, "waited " + config.handoverTimeout().toMillis() + " ms");
            throw new ViaTimeoutException("connection " + id + ": " + ErrorCode.INTERMISSION_TIMEOUT.description());
        }
    }

    /**
     * S9, S10: what the parent received but the application did not consume (data-received: the rest of the
     * document being read) goes to the child as COPY documents after the cut (copy-request). Documents the parent
     * never read stay where they are: the child reads them from the queue after the copies, so a backlog costs the
     * handover nothing.
     */
    private void copyUnconsumedInput() {
        flags.set(Word.NANOS_COPY_STARTED, System.nanoTime());
        state(State.COPYING, "the client intermitted (S47)");
        flags.advance(ConnectionState.COPYING);
        readLock.lock();
        try {
            handedOver = true; // the application's next receive learns the child has the input now
            flags.ringBoth(); // and wakes if it is parked
            byte[] bytes = takePending();
            flags.set(Word.READ_INDEX, Math.max(lastReadIndex(), 0));
            if (bytes.length > 0) {
                flags.set(Word.DATA_RECEIVED, 1);
                flags.set(Word.COPY_REQUEST, 1);
                flags.set(Word.COPY_INDEX, appendCopies(bytes)); // the data path frames the copies
                flags.set(Word.BYTES_COPIED, bytes.length);
            }
            if (inputEndedCleanly()) {
                // the client half-closed and we read its CLOSE: the child must see that end of stream too
                appendControl(inbound, ControlMessages.Close.END_OF_STREAM);
            }
            flags.stamp(Word.AT_COPIED);
            flags.set(Word.NANOS_COPIED, System.nanoTime());
        } finally {
            readLock.unlock();
        }
    }

    /**
     * S11: the last document the parent writes to the client, then the nonce and P. RECONNECT_REQUEST goes into the
     * down queue before P: the client acts on P at once (S49), and the child appends its GRANT and output once it
     * accepted the client's RECONNECT, which needs P. With P first, a parent preempted before its append would put
     * RECONNECT_REQUEST after the child's documents, even after its END_OF_STREAM, which ends a connection slot's use:
     * the slot's next use would read it where its GRANT belongs ("expected GRANT, got RECONNECT_REQUEST").
     */
    private void requestReconnection(long childPid) {
        state(State.RECONNECTING, "child pid " + childPid);
        appendControl(outbound, new ControlMessages.ReconnectRequest(childPid, flags.get(Word.WORKER_ID)));
        flags.set(Word.NONCE, Layout.randomId());
        flags.set(Word.NANOS_RECONNECT_REQUESTED, System.nanoTime()); // before P: the client acts on P at once
        flags.set(Word.P, 1);
        flags.advance(ConnectionState.RECONNECTING);
        flags.stamp(Word.AT_RECONNECT_REQUESTED);
        if (clientHousekeeperRung) { // S11: an idle client reconnects from its housekeeper
            flags.ringHousekeeper(Word.CLIENT_PID, Word.CLIENT_START);
        }
    }

    /** S12: wait for the client's report (its S51); S13: the completion flag, set exactly once. */
    private void awaitCompletion() throws IOException {
        if (!clientHousekeeperRung && !awaitBriefly(handoverBell(), clientReported, clientRingLateNanos)) {
            // a client thread confirmed S47 itself but no report yet: should it have left its receive before P came,
            // its housekeeper takes the steps
            clientHousekeeperRung = true;
            flags.ringHousekeeper(Word.CLIENT_PID, Word.CLIENT_START);
        }
        if (!awaitHandoverStep(clientReported, config.handoverTimeout().toMillis())) {
            fail(ErrorCode.COMPLETION_TIMEOUT, "waited " + config.handoverTimeout().toMillis() + " ms");
            throw new ViaTimeoutException("connection " + id + ": " + ErrorCode.COMPLETION_TIMEOUT.description());
        }
        state(State.HANDED_OVER, flags.complete() ? "the client reported (S51)"
                : "the client reported (S51); the completion was set by another process");
    }

    /**
     * The parent's handover waits (the child's pid, S8, S12) park on the parent's doorbell of the flag block, which
     * rings only on what ends them ({@link FlagBlock#ringsParent}), a failure, and the worker's exit; on the server
     * side's doorbell the client's appends to the up queue and the child's grant woke this thread too.
     */
    private boolean awaitHandoverStep(BooleanSupplier condition, long timeoutMillis) throws IOException {
        return awaitOn(handoverBell(), condition, timeoutMillis);
    }

    private Doorbell handoverBell() {
        Doorbell bell = flags.parentBell();
        return bell != null ? bell : ownDoorbell();
    }

    // ------------------------------------------------------------------------------------------------ stream

    @Override
    protected void beforeReceive(long deadlineNanos) throws IOException {
        if (handedOver) {
            throw new ConnectionHandedOverException("connection " + id + " was handed over to child pid "
                    + flags.childPid());
        }
    }

    @Override
    protected void beforeSend() throws IOException {
        if (handedOver || flags.firedTrigger() != null) {
            throw new ConnectionHandedOverException("connection " + id + " is handed over to child pid "
                    + flags.childPid());
        }
    }

    @Override
    protected boolean inputRevoked() {
        return handedOver;
    }

    /**
     * After a handover this end is closed (released) too; its send() must say why, like its receive() does: the
     * caller (the starter's dispatcher) tells "handed over" from "closed" by the exception's type.
     */
    @Override
    protected IOException closedException() {
        if (handedOver) {
            return new ConnectionHandedOverException("connection " + id + " was handed over to child pid "
                    + flags.childPid());
        }
        return super.closedException();
    }

    /** S15, S16: the parent's program received data; its position goes to the flag block once forked. */
    @Override
    protected void onConsumed(long index, long offset) {
        if (recordConsumption) {
            flags.recordConsumed(index, offset, consumedBytes()); // the count goes with the position it belongs to
        }
    }

    @Override
    protected void onControl(MessageType type, Messages.Reader r, Document d) throws IOException {
        if (type == MessageType.INTERMISSION_DONE) {
            if (!isForked() || flags.firedTrigger() == null) {
                // not a cut we asked for: taking it as one would stop this end for good without releasing it
                throw new ViaProtocolException("unexpected INTERMISSION_DONE document on the PARENT's inbound queue:"
                        + " no handover was started");
            }
            if (!handedOver) {
                handedOver = true;
                flags.ringBoth();
            }
            return;
        }
        super.onControl(type, r, d);
    }

    // ------------------------------------------------------------------------------------------------ housekeeping

    @Override
    public boolean tick(long now) {
        if (closed) {
            return false;
        }
        if (flags.state() == ConnectionState.FAILED) {
            onFailed(); // failed by another process: this role's state follows
            if (!handoverCompletion.isDone()) {
                // failed by any of the three processes: no handover will come; the end is released at its close
                handoverCompletion.failed(id, "failed without a handover: " + flags.error().description());
            }
        }
        startHandoverForChild();
        checkPeers(now);
        return true;
    }

    /** T3/T4: the child set C (its first receive or send); the handover runs off the housekeeper's thread. */
    private void startHandoverForChild() {
        if (state.get() != State.FORKED || flags.firedTrigger() != null) {
            return;
        }
        Trigger t = Trigger.ofCode((int) flags.get(Word.C));
        if (t != null && flags.triggerEnabled(t) && handoverQueued.compareAndSet(false, true)) {
            Async.run("via-handover-" + id, () -> {
                try {
                    handover(t);
                } catch (IOException e) {
                    log().warn("connection {}: {} handover failed: {}", id, t, e.getMessage());
                }
            });
        }
    }

    /** The client's liveness and silence; the child's death before a trigger (rollback) or during the handover. */
    private void checkPeers(long now) {
        if (!livenessDue(now) || flags.state().isTerminal() || flags.closedBy(FlagBlock.CLOSED_CLIENT)) {
            return;
        }
        ChildWorker forked = child;
        if (!alive(clientPid, clientStart)) {
            fail(ErrorCode.CLIENT_DIED, "client pid " + clientPid);
        } else if (peerSilent(clientPid, clientStart, now)) {
            fail(ErrorCode.PEER_HUNG, "client heartbeat older than " + config.peerTimeout().toMillis() + " ms");
        } else if (forked != null && flags.firedTrigger() == null && !alive(flags.childPid(), flags.childStart())) {
            // the child is gone before any trigger: the parent simply keeps the connection
            child = null;
            if (flags.rollbackFork(false)) {
                state.moveFrom(State.FORKED, State.GRANTED, "child pid " + flags.childPid() + " died before a trigger");
            }
            log().warn("connection {}: child pid {} exited before the handover; the parent keeps the connection",
                    id, flags.childPid());
            handoverCompletion.failed(id, "the child exited before a trigger fired; the parent keeps it");
        } else if (flags.state().isHandingOver() && !alive(flags.childPid(), flags.childStart())) {
            fail(ErrorCode.CHILD_DIED, "child pid " + flags.childPid() + " died during the handover");
        }
    }

    /**
     * Where nothing can wake the housekeeper: forked, no trigger yet (the child may set C at any moment, T3/T4).
     * Otherwise the child rings this process's doorbell when it sets C, and child exits are reported at once.
     */
    @Override
    public boolean urgent() {
        return isForked() && !handedOver && !Housekeeper.woken();
    }

    @Override
    protected boolean peerAlive() {
        return alive(clientPid, clientStart);
    }

    /** A worker of the server's pool as EMU_FORK's child. */
    private static final class PooledWorker implements ChildWorker {
        private final Worker worker;

        PooledWorker(Worker worker) {
            this.worker = worker;
        }

        @Override
        public long id() {
            return worker.id();
        }

        @Override
        public boolean isAlive() {
            return worker.isAlive();
        }

        @Override
        public void assign(long connectionId, String handlerName) {
            worker.assign(connectionId, handlerName);
        }

        @Override
        public void kill() {
            worker.kill();
        }

        @Override
        public Runnable onExit(Runnable action) {
            return worker.onExit(action);
        }
    }
}
