package io.viaemu.protocol;

import java.io.IOException;
import java.nio.file.Path;

import io.viaemu.Trigger;
import io.viaemu.ViaConfig;
import io.viaemu.ViaException;
import io.viaemu.ViaTimeoutException;
import io.viaemu.internal.Housekeeper;
import io.viaemu.internal.Processes;
import io.viaemu.protocol.FlagBlock.Word;
import io.viaemu.transport.Channel;
import io.viaemu.transport.Document;
import io.viaemu.idle.IdleStrategy;

/**
 * The child's end, in a worker process. Until it owns the connection every receive and send waits; its first
 * receive (T3) or send (T4) sets C to ask the parent for the connection. It owns the connection once it granted
 * the client's reconnection, which it accepts when the token is right and either the nonce matches the parent's
 * reconnection request (P set) or the parent is dead (unexpected T2). Its input then starts at the client's cut
 * (INTERMISSION_DONE; COPY documents first) or, after the parent's death without P, at the parent's last consumed
 * position, reading the client's original documents and ignoring any partial copy.
 */
public final class ChildRole extends ConnectionEnd {

    private final long parentPid;
    private final long parentStart;
    private volatile boolean owner;
    /** Bytes of COPY documents still to read before the documents the parent never read (under readLock). */
    private long copyBytesLeft;

    public ChildRole(ViaConfig config, String endpoint, long connectionId, Path dir, FlagBlock flags, Channel up,
            Channel down) {
        super(config, endpoint, connectionId, dir, flags, up, down);
        this.parentPid = flags.get(Word.PARENT_PID);
        this.parentStart = flags.get(Word.PARENT_START);
    }

    /** Announces the child in the flag block (pid last: it is what the parent waits for) and starts housekeeping. */
    public void announce() {
        outbound.prepareToAppend(); // the GRANT is on the handover's critical path
        // the first check of a process is the slow one: not in mid-handover
        watch(parentPid, parentStart);
        watch(flags.get(Word.CLIENT_PID), flags.get(Word.CLIENT_START));
        flags.set(Word.CHILD_HEARTBEAT, System.currentTimeMillis());
        flags.set(Word.CHILD_START, Processes.currentStart());
        flags.set(Word.NANOS_CHILD_ANNOUNCED, System.nanoTime());
        flags.set(Word.CHILD_PID, Processes.currentPid());
        Housekeeper.get(config.pollInterval().toNanos()).add(this, config.baseDir());
        flags.ringHousekeeper(Word.CLIENT_PID, Word.CLIENT_START); // the client opens this child's inbox ahead of time
    }

    @Override
    public Role role() {
        return Role.CHILD;
    }

    public boolean isOwner() {
        return owner;
    }

    /**
     * The client's RECONNECT arrived in this worker's inbox. Returns a reason if refused, null if granted.
     * Runs on the inbox thread; the application cannot be appending (it waits for ownership), so the GRANT is
     * appended without the send lock and is the child's first document in the down queue.
     */
    public String onReconnect(long token, long nonce) {
        if (owner) {
            return "already reconnected";
        }
        if (token != flags.get(Word.TOKEN)) {
            return "wrong token";
        }
        boolean requested = flags.get(Word.P) != 0;
        // dead means gone or a zombie; a stopped or wedged parent is alive and could resume: no takeover from it
        boolean parentDead = !alive(parentPid, parentStart);
        boolean t2 = (flags.get(Word.TRIGGERS_ENABLED) & Trigger.T2_PARENT_ABORT.bit()) != 0;
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
                log.warn("connection {} child: parent pid {} died before the copy; recovering its unconsumed input "
                        + "from the up queue at {}+{}", id, parentPid, Long.toHexString(consumed[0]), consumed[1]);
            }
        } catch (ViaException e) {
            fail(ErrorCode.PROTOCOL, e.getMessage());
            return e.getMessage();
        } finally {
            readLock.unlock();
        }
        if (parentDead && flags.compareAndSet(Word.TRIGGER_FIRED, 0, Trigger.T2_PARENT_ABORT.code())) {
            flags.stamp(Word.AT_TRIGGER);
            flags.set(Word.NANOS_TRIGGER, System.nanoTime());
        }
        Messages.Writer w = new Messages.Writer().start(MessageType.GRANT).putLong(token)
                .putLong(Processes.currentPid());
        outbound.append(w.bytes(), w.length(), w.bytes(), 0, 0);
        flags.set(Word.NANOS_GRANTED, System.nanoTime());
        flags.stamp(Word.AT_GRANTED);
        owner = true;
        flags.set(Word.CHILD_GRANTED, Processes.currentPid()); // a signal: rings the client and this child's waiters
        log.info("connection {} child: granted the client's reconnection{}", id, parentDead ? " (parent dead)" : "");
        return null;
    }

    // ------------------------------------------------------------------------------------------------ stream

    @Override
    protected void beforeReceive(long deadlineNanos) throws IOException {
        if (!owner) {
            awaitOwnership(Trigger.T3_CHILD_RECEIVE, deadlineNanos);
        }
    }

    @Override
    protected void beforeSend() throws IOException {
        if (!owner) {
            // The GRANT needs no send lock (see onReconnect), so waiting while holding it cannot deadlock.
            awaitOwnership(Trigger.T4_CHILD_SEND,
                    System.nanoTime() + config.handoverTimeout().toNanos() + config.childStartTimeout().toNanos());
        }
    }

    /** Asks the parent for the connection (C) if the trigger is active, and waits until this child owns it. */
    private void awaitOwnership(Trigger trigger, long deadlineNanos) throws IOException {
        if ((flags.get(Word.TRIGGERS_ENABLED) & trigger.bit()) != 0
                && flags.compareAndSet(Word.C, 0, trigger.code())) {
            flags.set(Word.NANOS_C_REQUESTED, System.nanoTime());
            flags.ringHousekeeper(Word.PARENT_PID, Word.PARENT_START); // the parent's housekeeper starts the handover
            log.info("connection {} child: {} - requesting the connection (C)", id, trigger);
        }
        IdleStrategy idle = config.pauser().newIdleStrategy();
        try {
            awaitOwnershipLoop(trigger, deadlineNanos, idle);
        } finally {
            idle.reset();
        }
    }

    private void awaitOwnershipLoop(Trigger trigger, long deadlineNanos, IdleStrategy idle) throws IOException {
        while (!owner) {
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
                        + s + ", trigger " + trigger + (((flags.get(Word.TRIGGERS_ENABLED) & trigger.bit()) == 0)
                        ? " is off)" : " requested)"));
            }
            idle.idle(ownDoorbell(), deadlineNanos);
        }
    }

    @Override
    protected boolean inputRevoked() {
        return !owner; // the reader is positioned only when the child takes the connection
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
        flags.set(Word.CHILD_HEARTBEAT, now);
        if (owner && flags.get(Word.RECONNECTION_COMPLETION) == 0 && flags.get(Word.CLIENT_REPORTED) != 0
                && !alive(parentPid, parentStart)) {
            // unexpected T2: the child stands in for the dead parent and sets the completion flag (once)
            if (flags.compareAndSet(Word.RECONNECTION_COMPLETION, 0, 1)) {
                flags.set(Word.NANOS_COMPLETED, System.nanoTime());
                flags.stamp(Word.AT_COMPLETED);
                flags.advance(ConnectionState.HANDED_OVER);
                log.info("connection {} child: handover completed without the parent", id);
            }
        }
        if (livenessDue(now) && !flags.state().isTerminal()
                && (flags.get(Word.CLOSED_MASK) & FlagBlock.CLOSED_CLIENT) == 0) {
            if (!alive(flags.get(Word.CLIENT_PID), flags.get(Word.CLIENT_START))) {
                fail(ErrorCode.CLIENT_DIED, "client pid " + flags.get(Word.CLIENT_PID));
            } else if (owner && heartbeatStale(Word.CLIENT_HEARTBEAT, now)) {
                fail(ErrorCode.PEER_HUNG, "client heartbeat older than " + config.peerTimeout().toMillis() + " ms");
            } else if (!owner && !alive(parentPid, parentStart)
                    && (flags.get(Word.TRIGGERS_ENABLED) & Trigger.T2_PARENT_ABORT.bit()) == 0) {
                fail(ErrorCode.PARENT_DIED, "parent pid " + parentPid + " died and T2 is off");
            }
        }
        return true;
    }

    /**
     * Where nothing can wake the housekeeper: not yet owner, or owner of a handover not yet complete (the parent may
     * die, T2, at any moment). Otherwise only while a handover runs: the parent's exit is reported at once.
     */
    @Override
    public boolean urgent() {
        if (!Housekeeper.woken()) {
            return !owner || flags.get(Word.RECONNECTION_COMPLETION) == 0;
        }
        return flags.get(Word.TRIGGER_FIRED) != 0 && flags.get(Word.RECONNECTION_COMPLETION) == 0;
    }

    @Override
    protected boolean peerAlive() {
        return alive(flags.get(Word.CLIENT_PID), flags.get(Word.CLIENT_START));
    }

    @Override
    public void close() {
        if (!owner) {
            // never owned: the parent still has the stream, so write nothing; just let go
            if (!closed) {
                closed = true;
                releaseResources();
                log.info("connection {} child: closed before owning the connection", id);
                if (!Processes.isAlive(flags.get(Word.CLIENT_PID), flags.get(Word.CLIENT_START))
                        && !Processes.isAlive(parentPid, parentStart)) {
                    deleteDirectory(); // client and parent died without closing: this child is the last one
                }
            }
            return;
        }
        closeEnd(FlagBlock.CLOSED_SERVER);
    }
}
