package io.viaemu.protocol;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

import io.viaemu.ConnectionHandedOverException;
import io.viaemu.ParentConnection;
import io.viaemu.Trigger;
import io.viaemu.ViaConfig;
import io.viaemu.ViaException;
import io.viaemu.ViaProtocolException;
import io.viaemu.ViaTimeoutException;
import io.viaemu.internal.Housekeeper;
import io.viaemu.internal.Layout;
import io.viaemu.internal.Processes;
import io.viaemu.protocol.FlagBlock.Intermission;
import io.viaemu.protocol.FlagBlock.Word;
import io.viaemu.transport.Channel;
import io.viaemu.transport.Document;
import io.viaemu.worker.Worker;
import io.viaemu.worker.WorkerPool;

/**
 * The parent's end: serves the connection until an active trigger fires after EMU_FORK, then runs the handover:
 * <ol>
 * <li>INTERMISSION: set transmission-intermission REQUESTED, wait for the client's INTERMITTED;</li>
 * <li>COPYING: read the up queue to the client's INTERMISSION_DONE; whatever it read but the application did not
 * consume (data-received) it appends as COPY documents after the cut (copy-request);</li>
 * <li>RECONNECTING: set P and a fresh nonce, append RECONNECT_REQUEST (its last document to the client);</li>
 * <li>wait for the client's report, set reconnection-completion (CAS: never twice): HANDED_OVER.</li>
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

    private final WorkerPool workers;
    private final Listener listener;
    private final long clientPid;
    private final long clientStart;
    private volatile boolean forked;
    /** The parent's consumed position goes to the flag block (from EMU_FORK on); under readLock. */
    private boolean recordConsumption;
    private volatile Worker worker;
    /** The stream belongs to the child (or is being given to it): the parent's own I/O must stop. */
    private volatile boolean handedOver;
    private final AtomicBoolean handoverQueued = new AtomicBoolean();
    private final HandoverCompletion handoverCompletion = new HandoverCompletion();
    /*
     * The handover's wait conditions, made when the connection is: a lambda's call site is linked the first time it
     * runs, and the handover's code runs for the first time in the middle of a handover.
     */
    private final BooleanSupplier clientIntermitted =
            () -> flags.get(Word.TRANSMISSION_INTERMISSION) == Intermission.INTERMITTED;
    private final BooleanSupplier clientReported = () -> flags.get(Word.CLIENT_REPORTED) != 0;

    public ParentRole(ViaConfig config, String endpoint, long connectionId, Path dir, FlagBlock flags, Channel up,
            Channel down, WorkerPool workers, Listener listener) {
        super(config, endpoint, connectionId, dir, flags, up, down);
        this.workers = workers;
        this.listener = listener;
        this.clientPid = flags.get(Word.CLIENT_PID);
        this.clientStart = flags.get(Word.CLIENT_START);
    }

    @Override
    public Role role() {
        return Role.PARENT;
    }

    /** Grants the connection: token and pids into the flag block, GRANT as the first document of the down queue. */
    public void grant() {
        long token = Layout.randomId();
        flags.set(Word.TOKEN, token);
        flags.set(Word.PARENT_START, Processes.currentStart());
        flags.set(Word.PARENT_PID, Processes.currentPid());
        flags.set(Word.PARENT_HEARTBEAT, System.currentTimeMillis());
        flags.advance(ConnectionState.ESTABLISHED);
        flags.set(Word.NANOS_PARENT_GRANTED, System.nanoTime());
        sendLock.lock();
        try {
            appendControl(outbound, control(MessageType.GRANT).putLong(token).putLong(Processes.currentPid()));
        } finally {
            sendLock.unlock();
        }
        watch(clientPid, clientStart);
        Housekeeper.get(config.pollInterval().toNanos()).add(this, config.baseDir());
    }

    // ------------------------------------------------------------------------------------------------ EMU_FORK

    @Override
    public void fork(String handlerName) throws IOException {
        if (workers == null) {
            throw new IllegalStateException("this server has no worker pool");
        }
        if (forked || handedOver) {
            throw new IllegalStateException("connection " + id + " is already forked");
        }
        checkUsable();
        handoverCompletion.forked();
        Worker w = workers.acquire();
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
        ProcessHandle.of(w.pid()).ifPresent(h -> h.onExit().thenRun(flags::ringBoth));
        w.assign(connectionId, handlerName);
        boolean ready = await(() -> flags.get(Word.CHILD_PID) != 0 || !w.isAlive(),
                config.childStartTimeout().toMillis());
        if (!ready || flags.get(Word.CHILD_PID) == 0) {
            w.kill();
            flags.set(Word.WORKER_ID, 0);
            flags.set(Word.STATE, ConnectionState.ESTABLISHED.code());
            throw new ViaException("EMU_FORK of connection " + id + ": " + ErrorCode.CHILD_START_TIMEOUT.description()
                    + " (worker " + Layout.idString(w.id()) + ", " + config.childStartTimeout().toMillis()
                    + " ms); the parent keeps the connection");
        }
        worker = w;
        forked = true;
        watch(flags.get(Word.CHILD_PID), flags.get(Word.CHILD_START));
        log.info("EMU_FORK connection {} -> child pid {} (worker {}, handler '{}'), triggers {}", id,
                flags.get(Word.CHILD_PID), Layout.idString(w.id()), handlerName, config.triggers());
    }

    @Override
    public boolean isForked() {
        return forked;
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
        if (!handedOver && forked && handover(Trigger.T1_PARENT_CLOSE)) {
            return;
        }
        if (handedOver) {
            return;
        }
        if (forked) {
            // forked, but T1 is off: the connection ends here, and the child must not wait for it
            flags.advance(ConnectionState.CLOSED);
        }
        closeEnd(FlagBlock.CLOSED_SERVER);
        released();
    }

    @Override
    public synchronized void abort() throws IOException {
        if (handedOver || closed) {
            return;
        }
        if (forked && handover(Trigger.T2_PARENT_ABORT)) {
            return;
        }
        fail(ErrorCode.PARENT_DIED, "the parent aborted the connection");
        closeEnd(FlagBlock.CLOSED_SERVER);
        released();
    }

    /**
     * Runs the handover if {@code trigger} is active and no trigger fired before; blocks until it completed.
     * Synchronized with {@link #close()} and {@link #abort()}: a close that comes while another trigger's handover
     * runs waits for it, then finds the connection handed over (or failed) and does nothing more.
     *
     * @return true if this call handed the connection over
     * @throws ViaException if the handover started but failed (the connection is then failed for everyone)
     */
    public synchronized boolean handover(Trigger trigger) throws IOException {
        if (!forked || (flags.get(Word.TRIGGERS_ENABLED) & trigger.bit()) == 0) {
            return false;
        }
        if (!flags.compareAndSet(Word.TRIGGER_FIRED, 0, trigger.code())) {
            return false; // reconnection happens at most once per connection
        }
        flags.stamp(Word.AT_TRIGGER);
        flags.set(Word.NANOS_TRIGGER, System.nanoTime());
        long childPid = flags.get(Word.CHILD_PID);
        log.info("connection {}: trigger {} fired; handing over to child pid {}", id, trigger, childPid);
        long start = System.nanoTime();
        boolean completed = false;
        sendLock.lock();
        try {
            requestIntermission();
            copyUnconsumedInput();
            requestReconnection(childPid);
            awaitCompletion();
            completed = true;
        } catch (IOException e) {
            handedOver = true;
            log.warn("connection {}: handover ({}) failed: {}", id, trigger, e.getMessage());
            throw e;
        } finally {
            sendLock.unlock();
            releaseResources();
            closed = true;
            listener.onReleased(this);
            if (completed) {
                handoverCompletion.completed(trigger);
            } else {
                handoverCompletion.failed(id, "the handover (" + trigger + ") failed");
            }
        }
        log.info("connection {}: handed over to child pid {} in {} µs (trigger {}, {} bytes copied)", id, childPid,
                (System.nanoTime() - start) / 1000, trigger, flags.get(Word.BYTES_COPIED));
        return true;
    }

    /** Step 4a: ask the client to intermit, wait for its confirmation. */
    private void requestIntermission() throws IOException {
        flags.advance(ConnectionState.INTERMISSION);
        flags.set(Word.NANOS_INTERMISSION_REQUESTED, System.nanoTime());
        flags.set(Word.TRANSMISSION_INTERMISSION, Intermission.REQUESTED);
        appendControl(outbound, control(MessageType.INTERMISSION_REQUEST));
        flags.ringHousekeeper(Word.CLIENT_PID, Word.CLIENT_START); // S7: an idle client confirms from its housekeeper
        listener.onHandoverStarted(this, Trigger.ofCode((int) flags.get(Word.TRIGGER_FIRED))); // while the client reacts
        if (!await(clientIntermitted, config.handoverTimeout().toMillis())) {
            fail(ErrorCode.INTERMISSION_TIMEOUT, "waited " + config.handoverTimeout().toMillis() + " ms");
            throw new ViaTimeoutException("connection " + id + ": " + ErrorCode.INTERMISSION_TIMEOUT.description());
        }
    }

    /**
     * Step 4b: what the parent received but the application did not consume (data-received: the rest of the
     * document being read) goes to the child as COPY documents after the cut (copy-request). Documents the parent
     * never read stay where they are: the child reads them from the queue after the copies, so a backlog costs the
     * handover nothing.
     */
    private void copyUnconsumedInput() {
        flags.set(Word.NANOS_COPY_STARTED, System.nanoTime());
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
                Messages.Writer h = new Messages.Writer().start(MessageType.COPY);
                for (int off = 0; off < bytes.length; off += config.maxMessageSize()) {
                    long index = inbound.append(h.bytes(), h.length(), bytes, off,
                            Math.min(config.maxMessageSize(), bytes.length - off));
                    if (off == 0) {
                        flags.set(Word.COPY_INDEX, index);
                    }
                }
                flags.set(Word.BYTES_COPIED, bytes.length);
            }
            if (inputEndedCleanly()) {
                // the client half-closed and we read its CLOSE: the child must see that end of stream too
                Messages.Writer close = new Messages.Writer().start(MessageType.CLOSE).putLong(0).putString("");
                inbound.append(close.bytes(), close.length(), close.bytes(), 0, 0);
            }
            flags.stamp(Word.AT_COPIED);
            flags.set(Word.NANOS_COPIED, System.nanoTime());
        } finally {
            readLock.unlock();
        }
    }

    /** Step 4c: P, the nonce, and the last document the parent writes to the client. */
    private void requestReconnection(long childPid) {
        flags.set(Word.NONCE, Layout.randomId());
        flags.set(Word.NANOS_RECONNECT_REQUESTED, System.nanoTime()); // before P: the client acts on P at once
        flags.set(Word.P, 1);
        flags.advance(ConnectionState.RECONNECTING);
        appendControl(outbound, control(MessageType.RECONNECT_REQUEST).putLong(childPid)
                .putLong(flags.get(Word.WORKER_ID)));
        flags.stamp(Word.AT_RECONNECT_REQUESTED);
        flags.ringHousekeeper(Word.CLIENT_PID, Word.CLIENT_START); // S11: an idle client reconnects from its housekeeper
    }

    /** Step 5: the client reports; the completion flag is set exactly once. */
    private void awaitCompletion() throws IOException {
        if (!await(clientReported, config.handoverTimeout().toMillis())) {
            fail(ErrorCode.COMPLETION_TIMEOUT, "waited " + config.handoverTimeout().toMillis() + " ms");
            throw new ViaTimeoutException("connection " + id + ": " + ErrorCode.COMPLETION_TIMEOUT.description());
        }
        if (flags.compareAndSet(Word.RECONNECTION_COMPLETION, 0, 1)) {
            flags.set(Word.NANOS_COMPLETED, System.nanoTime());
            flags.stamp(Word.AT_COMPLETED);
            flags.advance(ConnectionState.HANDED_OVER);
        }
    }

    // ------------------------------------------------------------------------------------------------ stream

    @Override
    protected void beforeReceive(long deadlineNanos) throws IOException {
        if (handedOver) {
            throw new ConnectionHandedOverException("connection " + id + " was handed over to child pid "
                    + flags.get(Word.CHILD_PID));
        }
    }

    @Override
    protected void beforeSend() throws IOException {
        if (handedOver || flags.get(Word.TRIGGER_FIRED) != 0) {
            throw new ConnectionHandedOverException("connection " + id + " is handed over to child pid "
                    + flags.get(Word.CHILD_PID));
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
                    + flags.get(Word.CHILD_PID));
        }
        return super.closedException();
    }

    @Override
    protected void onConsumed(long index, long offset) {
        if (recordConsumption) {
            flags.recordConsumed(index, offset, consumedBytes()); // the count goes with the position it belongs to
        }
    }

    @Override
    protected void onControl(MessageType type, Messages.Reader r, Document d) throws IOException {
        if (type == MessageType.INTERMISSION_DONE) {
            if (!forked || flags.get(Word.TRIGGER_FIRED) == 0) {
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
        if (flags.state() == ConnectionState.FAILED && !handoverCompletion.isDone()) {
            // failed by any of the three processes: no handover will come; the end is released at its close
            handoverCompletion.failed(id, "failed without a handover: " + flags.error().description());
        }
        flags.set(Word.PARENT_HEARTBEAT, now);
        if (forked && flags.get(Word.TRIGGER_FIRED) == 0) {
            long c = flags.get(Word.C);
            Trigger t = Trigger.ofCode((int) c);
            if (t != null && (flags.get(Word.TRIGGERS_ENABLED) & t.bit()) != 0
                    && handoverQueued.compareAndSet(false, true)) {
                Async.run("via-handover-" + id, () -> {
                    try {
                        handover(t);
                    } catch (IOException e) {
                        log.warn("connection {}: {} handover failed: {}", id, t, e.getMessage());
                    }
                });
            }
        }
        if (livenessDue(now) && !flags.state().isTerminal()
                && (flags.get(Word.CLOSED_MASK) & FlagBlock.CLOSED_CLIENT) == 0) {
            if (!alive(clientPid, clientStart)) {
                fail(ErrorCode.CLIENT_DIED, "client pid " + clientPid);
            } else if (heartbeatStale(Word.CLIENT_HEARTBEAT, now)) {
                fail(ErrorCode.PEER_HUNG, "client heartbeat older than " + config.peerTimeout().toMillis() + " ms");
            } else if (forked && flags.get(Word.TRIGGER_FIRED) == 0
                    && !alive(flags.get(Word.CHILD_PID), flags.get(Word.CHILD_START))) {
                // the child is gone before any trigger: the parent simply keeps the connection
                forked = false;
                flags.set(Word.STATE, ConnectionState.ESTABLISHED.code());
                log.warn("connection {}: child pid {} exited before the handover; the parent keeps the connection",
                        id, flags.get(Word.CHILD_PID));
                handoverCompletion.failed(id, "the child exited before a trigger fired; the parent keeps it");
            } else if (flags.state().isHandingOver()
                    && !alive(flags.get(Word.CHILD_PID), flags.get(Word.CHILD_START))) {
                fail(ErrorCode.CHILD_DIED, "child pid " + flags.get(Word.CHILD_PID) + " died during the handover");
            }
        }
        return true;
    }

    /**
     * Where nothing can wake the housekeeper: forked, no trigger yet (the child may set C at any moment, T3/T4).
     * Otherwise the child rings this process's doorbell when it sets C, and child exits are reported at once.
     */
    @Override
    public boolean urgent() {
        return forked && !handedOver && !Housekeeper.woken();
    }

    @Override
    protected boolean peerAlive() {
        return alive(clientPid, clientStart);
    }
}
