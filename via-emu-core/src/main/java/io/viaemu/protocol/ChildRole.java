package io.viaemu.protocol;

import java.io.IOException;
import java.nio.file.Path;

import io.viaemu.Trigger;
import io.viaemu.ViaConfig;
import io.viaemu.ViaException;
import io.viaemu.ViaTimeoutException;
import io.viaemu.internal.Housekeeper;
import io.viaemu.protocol.FlagBlock.Word;
import io.viaemu.transport.Channel;
import io.viaemu.transport.Document;
import io.viaemu.idle.Doorbell;
import io.viaemu.idle.IdleStrategy;

/**
 * The child's end, in a worker process (Fig. 5 of the design, steps S21-S29). Until it owns the connection every
 * receive and send waits; its first receive (T3) or send (T4) sets C to ask the parent for the connection. It owns
 * the connection once it granted the client's reconnection ({@link #onReconnect}), which it accepts when the token is
 * right and either the nonce matches the parent's reconnection request (P set) or the parent is dead (unexpected
 * T2). Its input then starts at the client's cut (INTERMISSION_DONE; COPY documents first) or, after the parent's
 * death without P, at the parent's last consumed position, reading the client's original documents and ignoring any
 * partial copy.
 *
 * <p>Its states ({@link State}), moved only by {@code state(next, reason)} against {@link #TRANSITIONS}: S21
 * (ASSIGNED: created by EMU_FORK), S22 (ANNOUNCED: the parent may hand over; a T3/T4 trigger is checked at each
 * receive and send), S23 (REQUESTED: C set), S27 (OWNER: the client's connection request, its S49, granted). The
 * copy of the design in this repository lacks the text of S23-S26 and S28; S23 is where its Fig. 5 goes when T3 or
 * T4 is found, S27 checks the client's connection request, and S29 resumes the program: here, the application's
 * receive or send that waited goes on.
 */
public final class ChildRole extends ConnectionEnd {

    /** The child's states, by the steps of Fig. 5. */
    public enum State implements StateMachine.Step {
        /** S21: created by EMU_FORK (the worker's ASSIGN); not announced yet. */
        ASSIGNED("S21", "EMU_FORK", false),
        /** S22: announced in the flag block; the parent owns the connection until a trigger fires. */
        ANNOUNCED("S22", "awaiting a trigger", false),
        /** S23: the child's first receive (T3) or send (T4) asked the parent for the connection (C). */
        REQUESTED("S23", "reconnection trigger (C)", true),
        /** S27: the client's connection request (S49) was accepted and granted (S50): the child owns the connection. */
        OWNER("S27", "connection request granted", true),
        /** The child's end closed. */
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

    /** Every move the child's state may make. */
    static final StateMachine.Table<State> TRANSITIONS = new StateMachine.Table<>(State.class)
            .allow(State.ASSIGNED, State.ANNOUNCED, State.CLOSED, State.FAILED)
            .allow(State.ANNOUNCED, State.REQUESTED, State.OWNER, State.CLOSED, State.FAILED)
            .allow(State.REQUESTED, State.OWNER, State.CLOSED, State.FAILED)
            .allow(State.OWNER, State.CLOSED, State.FAILED);

    private final long parentPid;
    private final long parentStart;
    private final StateMachine<State> state;
    /** Bytes of COPY documents still to read before the documents the parent never read (under readLock). */
    private long copyBytesLeft;

    public ChildRole(ViaConfig config, String endpoint, long connectionId, Path dir, FlagBlock flags, Channel up,
            Channel down) {
        this(RoleEnvironment.host(config), config, endpoint, connectionId, dir, flags, up, down);
    }

    ChildRole(RoleEnvironment env, ViaConfig config, String endpoint, long connectionId, Path dir, FlagBlock flags,
            Channel up, Channel down) {
        super(env, config, endpoint, connectionId, dir, flags, up, down);
        this.parentPid = flags.parentPid();
        this.parentStart = flags.parentStart();
        this.state = new StateMachine<>(TRANSITIONS, State.ASSIGNED, LOG_NAME, "connection " + id + " child");
    }

    /** The child's state. */
    public State state() {
        return state.get();
    }

    /**
     * The one way the child's state moves: checked against {@link #TRANSITIONS} and logged with its step; a move
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

    /** True once the child granted the client's reconnection (also after its end closed or failed). */
    private boolean owns() {
        return state.reached(State.OWNER);
    }

    /** OWNER is set before {@code CHILD_GRANTED} (see {@link #onReconnect}): the close of a use counts the state. */
    @Override
    protected boolean grantedHere() {
        return owns();
    }

    /**
     * S21, S22: announces the child in the flag block (pid last: it is what the parent waits for), unless
     * {@link #announceInFlagBlock} did so already, and starts housekeeping.
     */
    public void announce() {
        state(State.ANNOUNCED, "pid " + env.pid()); // first: a second announcement is rejected before it writes
        outbound.prepareToAppend(); // the GRANT is on the handover's critical path
        // the first check of a process is the slow one: not in mid-handover
        watch(parentPid, parentStart);
        watch(flags.clientPid(), flags.clientStart());
        if (flags.childPid() != env.pid()) {
            announceInFlagBlock(flags, env);
        }
        beat(); // this process's heartbeat (the client checks it once reconnected to this child)
        env.housekeeping().add(this, config.baseDir());
    }

    /**
     * S22's part the parent waits for, ahead of the child's end: the child's start and pid (last) into
     * the flag block. A worker calls it
     * as soon as it mapped the flag block, before it opens the connection's two queues: EMU_FORK then costs the
     * parent an ASSIGN and this, and the queues open while the parent goes on (the child's first use of them, its
     * GRANT to the client's RECONNECT, waits for them; see {@code WorkerRuntime}). Nothing is read or written in
     * the queues before: the child's reader is positioned at the reconnection from the flag block, and its GRANT
     * is appended after the parent's last document whenever the queue was opened.
     */
    public static void announceInFlagBlock(FlagBlock flags, RoleEnvironment env) {
        flags.set(Word.CHILD_START, env.start());
        flags.set(Word.NANOS_CHILD_ANNOUNCED, System.nanoTime());
        flags.set(Word.CHILD_PID, env.pid());
        // The client's housekeeper is not rung for this (it opened the worker's inbox ahead of time when woken so):
        // a client keeps a reusable worker's inbox open from its first reconnection there, and the ring cost every
        // forked connection two wake-ups in the client (its doorbell thread, then its housekeeper). The client opens
        // the inbox at its next tick, or at its reconnection's append.
    }

    @Override
    public Role role() {
        return Role.CHILD;
    }

    public boolean isOwner() {
        return state.get() == State.OWNER;
    }

    /**
     * S27: the client's RECONNECT (its S49) arrived in this worker's inbox. Returns a reason if refused, null if
     * granted. Runs on the inbox thread; the application cannot be appending (it waits for ownership), so the GRANT
     * is appended without the send lock and is the child's first document in the down queue.
     */
    public String onReconnect(long token, long nonce) {
        if (owns()) {
            return "already reconnected";
        }
        if (state.get().terminal()) {
            return "the child's end is " + state.get();
        }
        if (token != flags.get(Word.TOKEN)) {
            return "wrong token";
        }
        boolean requested = flags.reconnectionRequested();
        // dead means gone or a zombie; a stopped or wedged parent is alive and could resume: no takeover from it
        boolean parentDead = !alive(parentPid, parentStart);
        boolean t2 = flags.triggerEnabled(Trigger.T2_PARENT_ABORT);
        if (requested && nonce != flags.get(Word.NONCE) && !(parentDead && t2)) {
            return "wrong nonce";
        }
        if (!requested && !(parentDead && t2)) {
            return "no reconnection was requested";
        }
        flags.set(Word.NANOS_RECONNECT_RECEIVED, System.nanoTime());
        readLock.lock();
        try {
            if (requested) {
                // the parent stopped consuming before it set P: its count is final, and the copies are not in it
                takeOverConsumed(flags.get(Word.UP_CONSUMED));
                long copied = flags.get(Word.BYTES_COPIED);
                if (copied > 0) {
                    copyBytesLeft = copied; // first the copies, then what the parent never read
                    positionReader(flags.get(Word.COPY_INDEX), 0);
                } else {
                    positionAfter(flags.get(Word.READ_INDEX));
                }
            } else {
                long[] consumed = flags.consumed();
                positionReader(consumed[0], consumed[1]);
                // the count recorded with that position: the bytes the child replays after it are counted again
                takeOverConsumed(consumed[2]);
                log().warn("connection {} child: parent pid {} died before the copy; recovering its unconsumed input "
                        + "from the up queue at {}+{}", id, parentPid, Long.toHexString(consumed[0]), consumed[1]);
            }
        } catch (ViaException e) {
            fail(ErrorCode.PROTOCOL, e.getMessage());
            return e.getMessage();
        } finally {
            readLock.unlock();
        }
        if (parentDead) {
            flags.fireTrigger(Trigger.T2_PARENT_ABORT); // unless the parent fired one before it died
        }
        Messages.Writer w = new ControlMessages.Grant(token, env.pid()).writeTo(new Messages.Writer());
        outbound.append(w.bytes(), w.length(), w.bytes(), 0, 0);
        flags.set(Word.NANOS_GRANTED, System.nanoTime());
        flags.stamp(Word.AT_GRANTED);
        if (!state.moveIfAllowed(State.OWNER, parentDead ? "S50 granted (parent dead)" : "S50 granted")) {
            return "the child's end is " + state.get(); // closed or failed meanwhile: the grant stays unanswered
        }
        flags.set(Word.CHILD_GRANTED, env.pid()); // a signal: rings the client and this child's waiters
        log().info("connection {} child: granted the client's reconnection{}", id, parentDead ? " (parent dead)" : "");
        return null;
    }

    // ------------------------------------------------------------------------------------------------ stream

    @Override
    protected void beforeReceive(long deadlineNanos) throws IOException {
        if (!owns()) {
            awaitOwnership(Trigger.T3_CHILD_RECEIVE, deadlineNanos);
        }
    }

    @Override
    protected void beforeSend() throws IOException {
        if (!owns()) {
            // The GRANT needs no send lock (see onReconnect), so waiting while holding it cannot deadlock.
            awaitOwnership(Trigger.T4_CHILD_SEND,
                    System.nanoTime() + config.handoverTimeout().toNanos() + config.childStartTimeout().toNanos());
        }
    }

    /**
     * S22, S23: asks the parent for the connection (C) if the trigger is active, and waits until this child owns
     * it. The deadline is the caller's I/O deadline ({@link System#nanoTime()}).
     */
    private void awaitOwnership(Trigger trigger, long deadlineNanos) throws IOException {
        if (flags.triggerEnabled(trigger) && flags.compareAndSet(Word.C, 0, trigger.code())) {
            flags.set(Word.NANOS_C_REQUESTED, System.nanoTime());
            state.moveFrom(State.ANNOUNCED, State.REQUESTED, trigger.toString());
            flags.ringHousekeeper(Word.PARENT_PID, Word.PARENT_START); // the parent's housekeeper starts the handover
            log().info("connection {} child: {} - requesting the connection (C)", id, trigger);
        }
        IdleStrategy idle = config.pauser().newIdleStrategy();
        try {
            awaitOwnershipLoop(trigger, deadlineNanos, idle);
        } finally {
            idle.reset();
        }
    }

    /**
     * Parks on the child's doorbell of the flag block ({@link FlagBlock#childBell}), which rings on what ends this
     * wait only: the grant ({@code CHILD_GRANTED}, written by this process's inbox thread after the state moved to
     * OWNER), an error, the state CLOSED or FAILED, and this end's close. On the server side's doorbell, which every
     * flag the parent and the client change during the handover rings (and the up queue's appends), this thread woke
     * about seven times per forked connection.
     */
    private void awaitOwnershipLoop(Trigger trigger, long deadlineNanos, IdleStrategy idle) throws IOException {
        Doorbell bell = flags.childBell() != null ? flags.childBell() : ownDoorbell();
        while (!owns()) {
            ConnectionState s = flags.state();
            if (s == ConnectionState.CLOSED) {
                readLock.lock();
                try {
                    endInput(null);
                } finally {
                    readLock.unlock();
                }
                throw new ViaException("connection " + id + " was closed by the parent before it was handed over");
            }
            checkUsable();
            if (System.nanoTime() - deadlineNanos > 0) {
                throw new ViaTimeoutException("connection " + id + ": the child does not own the connection yet ("
                        + s + ", trigger " + trigger + (!flags.triggerEnabled(trigger) ? " is off)" : " requested)"));
            }
            idle.idle(bell, deadlineNanos);
        }
    }

    @Override
    protected boolean inputRevoked() {
        return !owns(); // the reader is positioned only when the child takes the connection
    }

    @Override
    protected boolean acceptsCopies() {
        return copyBytesLeft > 0;
    }

    @Override
    protected void onDocumentRead(MessageType type, int payloadLength) throws IOException {
        if (type == MessageType.COPY && copyBytesLeft > 0) {
            copyBytesLeft -= payloadLength;
            if (copyBytesLeft <= 0) {
                positionAfter(flags.get(Word.READ_INDEX)); // the copies are in hand: on to the unread documents
            }
        }
    }

    @Override
    protected void onControl(MessageType type, Messages.Reader r, Document d) throws IOException {
        switch (type) {
            case INTERMISSION_DONE:
            case RECONNECTION_DONE:
            case COPY: // after the copy phase, or in recovery: their bytes are read from the client's own documents
                return;
            default:
                super.onControl(type, r, d);
        }
    }

    // ------------------------------------------------------------------------------------------------ housekeeping

    @Override
    public boolean tick(long now) {
        if (closed) {
            return false;
        }
        if (flags.state() == ConnectionState.FAILED) {
            onFailed(); // failed by another process: this role's state follows
        }
        completeForDeadParent();
        checkPeers(now);
        return true;
    }

    /** Unexpected T2: the client reported, the parent is dead: the child sets the completion (S13) in its stead. */
    private void completeForDeadParent() {
        if (owns() && !flags.isCompleted() && flags.clientReported() && !alive(parentPid, parentStart)
                && flags.complete()) {
            log().info("connection {} child: handover completed without the parent", id);
        }
    }

    /** The client's liveness (and silence, once owner); the parent's death while T2 is off. */
    private void checkPeers(long now) {
        if (!livenessDue(now) || flags.state().isTerminal() || flags.closedBy(FlagBlock.CLOSED_CLIENT)) {
            return;
        }
        if (!alive(flags.clientPid(), flags.clientStart())) {
            fail(ErrorCode.CLIENT_DIED, "client pid " + flags.clientPid());
        } else if (owns() && peerSilent(flags.clientPid(), flags.clientStart(), now)) {
            fail(ErrorCode.PEER_HUNG, "client heartbeat older than " + config.peerTimeout().toMillis() + " ms");
        } else if (!owns() && !alive(parentPid, parentStart) && !flags.triggerEnabled(Trigger.T2_PARENT_ABORT)) {
            fail(ErrorCode.PARENT_DIED, "parent pid " + parentPid + " died and T2 is off");
        }
    }

    /**
     * Where nothing can wake the housekeeper: not yet owner, or owner of a handover not yet complete (the parent may
     * die, T2, at any moment). Otherwise only while a handover runs: the parent's exit is reported at once.
     */
    @Override
    public boolean urgent() {
        if (!Housekeeper.woken()) {
            return !owns() || !flags.isCompleted();
        }
        return flags.firedTrigger() != null && !flags.isCompleted();
    }

    @Override
    protected boolean peerAlive() {
        return alive(flags.clientPid(), flags.clientStart());
    }

    @Override
    public void close() {
        if (!owns()) {
            // never owned: the parent still has the stream, so write nothing; just let go
            if (!closed) {
                closed = true;
                releaseResources();
                state.moveIfAllowed(State.CLOSED, "closed before owning the connection");
                flags.ringChild(); // a thread of this process waiting for ownership sees the close
                log().info("connection {} child: closed before owning the connection", id);
                if (!alive(flags.clientPid(), flags.clientStart()) && !alive(parentPid, parentStart)) {
                    deleteDirectory(); // client and parent died without closing: this child is the last one
                }
            }
            return;
        }
        closeEnd(FlagBlock.CLOSED_SERVER);
        state.moveIfAllowed(State.CLOSED, "closed");
    }
}
