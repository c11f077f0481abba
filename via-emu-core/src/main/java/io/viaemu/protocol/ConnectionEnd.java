package io.viaemu.protocol;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

import io.viaemu.ConnectionStreams;
import io.viaemu.ViaConfig;
import io.viaemu.ViaConnection;
import io.viaemu.ViaException;
import io.viaemu.ViaProtocolException;
import io.viaemu.ViaTimeoutException;
import io.viaemu.idle.Doorbell;
import io.viaemu.idle.IdleStrategy;
import io.viaemu.internal.FilePermissions;
import io.viaemu.internal.Housekeeper;
import io.viaemu.internal.Layout;
import io.viaemu.internal.Logs;
import io.viaemu.internal.ProcessExitWatch;
import io.viaemu.internal.ProcessLiveness;
import io.viaemu.protocol.FlagBlock.Word;
import io.viaemu.transport.Channel;
import io.viaemu.transport.ChannelReader;
import io.viaemu.transport.Document;
import org.slf4j.Logger;

/**
 * What the three roles share: a byte stream read from the inbound queue and written to the outbound one, with
 * protocol documents interleaved. Each role ({@link ClientRole}, {@link ParentRole}, {@link ChildRole}) adds its
 * own gate in front of sends and receives: that gate is where the handover protocol happens.
 *
 * <p>The receiving thread polls the queue itself (no hand-off to another thread), holding the read lock only for
 * one poll at a time so that a handover can take the stream over between two polls. Between polls it idles with the
 * configured {@link IdleStrategy}; the default parks on this side's doorbell in the flag block, which the peer rings
 * after each append and every flag change (see {@link FlagBlock}), and which a failure, a close or a peer's death
 * (through the housekeeper) rings too.
 */
public abstract class ConnectionEnd implements ViaConnection, Housekeeper.Task {

    /** The roles' logger's name (their state machines' lines and their own). */
    static final String LOG_NAME = "io.viaemu.protocol";

    /** The roles' logger, made on use: see {@link Logs}. */
    protected static Logger log() {
        return Logs.of(LOG_NAME);
    }

    protected final long connectionId;
    protected final String id;
    protected final String endpoint;
    protected final ViaConfig config;
    /** Clock, liveness of peers, this process's identity and housekeeping: what the role reads from the world. */
    protected final RoleEnvironment env;
    protected final Path dir;
    protected final FlagBlock flags;
    protected final Channel inbound;
    protected final Channel outbound;
    /** The byte stream's two halves (data path); their locks are the read and send locks below. */
    private final InboundStream input;
    private final OutboundStream output;
    /** The inbound stream's lock: held for each poll and by the roles' handover steps on the input. */
    protected final ReentrantLock readLock;
    /** The outbound stream's lock: held for each send and by the roles to put control documents in the stream. */
    protected final ReentrantLock sendLock;
    private final Messages.Writer controlHeader = new Messages.Writer();

    /** The inbound queue's reader (the inbound stream's; under readLock). */
    protected final ChannelReader reader;
    /** Guarded by sendLock. */
    protected final IdleStrategy sendIdle;
    /** The doorbell this end's threads park on, and the one its peer parks on. */
    private final Doorbell ownBell;
    private final Doorbell peerBell;
    private long exitsSeen;
    /** The receive window this end advertises for its inbound direction. */
    private final Word receiveWindowWord;
    /** The inbound direction's words: bytes the peer appended, bytes this end consumed (see {@link #inputHintNow}). */
    private final Word inAppendedWord;
    private final Word inConsumedWord;

    protected volatile boolean closed;
    /** Set first thing by a close, so that a send blocked on the window lets go of the send lock. */
    private volatile boolean closing;
    /** {@link io.viaemu.internal.Liveness#exits()} when this end began to close (for {@link ClosedEndWatch}). */
    private volatile long exitsAtClose;
    private volatile boolean outputShut;
    private volatile long readTimeout;
    /** Index of this end's END_OF_STREAM document, 0 until it appended it (guarded by sendLock). */
    private long endOfStreamIndex;
    /**
     * Index of the last control document this end appended to its outbound queue (guarded by sendLock). A handover
     * appends some after a half-close's END_OF_STREAM (the client's INTERMISSION_DONE and RECONNECTION_DONE): a slot's
     * use ends at the later of the two ({@link #closeSlotUse}).
     */
    private long lastOutboundControl;
    /** Takes the queue handles at a clean close of a connection slot's use; null: not on a slot (or not kept). */
    private volatile SlotKeeper slotKeeper;
    private long nextLivenessCheck;
    private final InputStream in = ConnectionStreams.input(this);
    private final OutputStream out = ConnectionStreams.output(this);

    protected ConnectionEnd(ViaConfig config, String endpoint, long connectionId, Path dir, FlagBlock flags,
            Channel inbound, Channel outbound) {
        this(RoleEnvironment.host(config), config, endpoint, connectionId, dir, flags, inbound, outbound);
    }

    protected ConnectionEnd(RoleEnvironment env, ViaConfig config, String endpoint, long connectionId, Path dir,
            FlagBlock flags, Channel inbound, Channel outbound) {
        this.env = env;
        this.exitsSeen = env.liveness().exits();
        this.config = config;
        this.endpoint = endpoint;
        this.connectionId = connectionId;
        this.id = Layout.idString(connectionId);
        this.dir = dir;
        this.flags = flags;
        this.inbound = inbound;
        this.outbound = outbound;
        boolean client = role() == Role.CLIENT;
        this.ownBell = client ? flags.clientBell() : flags.serverBell();
        this.peerBell = client ? flags.serverBell() : flags.clientBell();
        this.receiveWindowWord = client ? Word.DOWN_RECEIVE_WINDOW : Word.UP_RECEIVE_WINDOW;
        this.inAppendedWord = client ? Word.DOWN_APPENDED : Word.UP_APPENDED;
        this.inConsumedWord = client ? Word.DOWN_CONSUMED : Word.UP_CONSUMED;
        /*
         * Flow control. The receiver publishes the bytes of its direction its application consumed (one word, one
         * writer at a time: parent then child up, the client down); the sender counts what it appended (getAndAdd:
         * down-queue writers are parent then child) and blocks while the difference reaches its window.
         */
        this.input = new InboundStream(id, new InputHooks(), inbound, flags, config.maxMessageSize(),
                client ? Word.DOWN_CONSUMED : Word.UP_CONSUMED, peerBell);
        this.output = new OutboundStream(id, new OutputHooks(), outbound, flags, config, ownBell,
                client ? Word.UP_APPENDED : Word.DOWN_APPENDED, client ? Word.UP_CONSUMED : Word.DOWN_CONSUMED,
                client ? Word.UP_RECEIVE_WINDOW : Word.DOWN_RECEIVE_WINDOW);
        this.readLock = input.lock();
        this.sendLock = output.lock();
        this.reader = input.reader();
        this.sendIdle = output.idle();
        // on a connection slot's later use: this use's documents come after the previous use's last ones
        long start = flags.get(client ? Word.DOWN_START : Word.UP_START);
        if (start > 0) {
            try {
                input.startAfter(start);
            } catch (ViaException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /**
     * This end serves a use of a connection slot ({@link FlagBlock} word SLOT_USE): at a clean close without a
     * handover, {@code keeper} may keep the queue handles for the slot's next use instead of this end closing them,
     * and the directory is left to the slot's owner, the client. See {@link ConnectionSlots}.
     */
    public void recycleOnCleanClose(SlotKeeper keeper) {
        this.slotKeeper = keeper;
    }

    /** The inbound stream's calls into this end: the role's hooks. */
    private final class InputHooks implements InboundStream.Owner {
        @Override
        public boolean inputRevoked() {
            return ConnectionEnd.this.inputRevoked();
        }

        @Override
        public boolean acceptsCopies() {
            return ConnectionEnd.this.acceptsCopies();
        }

        @Override
        public void onDocumentRead(MessageType type, int payloadLength) throws IOException {
            ConnectionEnd.this.onDocumentRead(type, payloadLength);
        }

        @Override
        public void onControl(MessageType type, Messages.Reader r, Document d) throws IOException {
            ConnectionEnd.this.onControl(type, r, d);
        }

        @Override
        public void onConsumed(long index, long offset) {
            ConnectionEnd.this.onConsumed(index, offset);
        }

        @Override
        public void failProtocol(String detail) {
            fail(ErrorCode.PROTOCOL, detail);
        }
    }

    /** The outbound stream's calls into this end: what ends a blocked send, the role's gate, the quota. */
    private final class OutputHooks implements OutboundStream.Owner {
        @Override
        public void checkStillSending() throws IOException {
            if (closing || closed) {
                throw new ViaException("connection " + id + " is closed");
            }
            checkUsable();
        }

        @Override
        public void beforeSend() throws IOException {
            ConnectionEnd.this.beforeSend();
        }

        @Override
        public IOException quotaExceeded(long quota) {
            fail(ErrorCode.QUOTA, "quota of " + quota + " bytes exceeded");
            return new ViaException("connection " + id + " exceeded its disk quota of " + quota + " bytes");
        }
    }

    /** The doorbell this end's waiting threads park on. */
    public Doorbell ownDoorbell() {
        return ownBell;
    }

    /** The doorbell the peer's waiting threads park on. */
    public Doorbell peerDoorbell() {
        return peerBell;
    }

    /**
     * Wakes the peer's parked threads: for a reader that published progress a peer may wait for (the consumed
     * position a writer blocked on flow control waits on, see {@link #awaitPeerProgress}). A fence and a read when
     * nobody is parked.
     */
    public void ringPeer() {
        peerBell.ring();
    }

    /**
     * For a non-blocking reader (a NIO channel): the bytes a {@link #receive} returns at once, polling control
     * documents on the way; -1 once the input ended (the peer's close, a failure, this end closed: a receive returns
     * -1 or throws at once); 0 if it would wait. Never waits.
     */
    public int readableNow() throws IOException {
        int r = input.readableNow(false);
        // the flag block's state is read only when nothing is pending: this runs on every poll of a selector's spin
        return r == 0 && (closed || flags.state() == ConnectionState.FAILED) ? -1 : r;
    }

    /**
     * For a selector's polls (a NIO channel): true when data the peer appended waits that this end has not consumed,
     * read from the flag block's two counts without a lock and without touching the inbound queue, so the document
     * stays in the queue for the read that follows ({@link #receiveNow} copies it straight into the caller's array,
     * where {@link #readableNow} would first copy it into the pending buffer). A hint: false says nothing about
     * control documents (the peer's close, a failure), which only {@link #readableNow} sees; true may also come from
     * bytes another role of this end still has to hand over, so a caller checks with {@link #readableNow} when a read
     * after a true hint finds nothing. Never waits.
     */
    public boolean inputHintNow() {
        return !inputRevoked() && flags.get(inAppendedWord) - flags.get(inConsumedWord) > 0;
    }

    /**
     * For a non-blocking reader (a NIO channel): a {@link #receive} that never waits. Returns the bytes copied into
     * {@code bytes[off..off+len)}, 0 if none are there yet, -1 at the end of the input; throws what ended it. What
     * {@link #readableNow} followed by {@link #receive} does, in one pass under the read lock: a data document that
     * fits goes straight into the caller's array instead of through the pending buffer.
     */
    public int receiveNow(byte[] bytes, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, bytes.length);
        if (len == 0) {
            return 0;
        }
        for (int polls = 0; polls < 64 && !inputRevoked(); polls++) {
            // not revoked: no role's gate (beforeReceive) has anything to do, so the stream is read at once
            int n = input.readOnce(bytes, off, len);
            if (n > 0 || n == InboundStream.END) {
                return n;
            }
            if (n == InboundStream.EMPTY) {
                if (!closed && flags.state() != ConnectionState.FAILED) {
                    return 0;
                }
                break;
            }
        }
        int r = readableNow(); // revoked (a handover), ended, failed or closed: the gate and receive say what
        return r == 0 ? 0 : receive(bytes, off, r > 0 ? Math.min(r, len) : len, 0);
    }

    /**
     * For a non-blocking writer (a NIO channel): how many bytes a {@link #send} takes now without waiting for the
     * peer's reader: the window's room and the channel's room for one document, at most the largest message (one
     * document); 0 while either is full. Never waits.
     */
    public long sendRoomNow() {
        return Math.min(output.roomNow(), config.maxMessageSize());
    }

    /**
     * For a selector: true when a non-blocking writer should be told it may write again (OP_WRITE), i.e. the room of
     * {@link #sendRoomNow} has reached the low-water mark ({@link OutboundStream#writeLowWater}), as TCP wakes a
     * writer only once a good part of its buffer is free: a writer woken at the first consumed byte would go on in
     * the small documents a reader's single reads open.
     */
    public boolean sendReadyNow() {
        return sendRoomNow() >= sendLowWater();
    }

    /** The low-water mark of {@link #sendReadyNow}: the room a non-blocking writer is woken at. */
    public long sendLowWater() {
        return output.writeLowWater();
    }

    @Override
    public String id() {
        return id;
    }

    public FlagBlock flags() {
        return flags;
    }

    public Path directory() {
        return dir;
    }

    // ---------------------------------------------------------------------------------------------- receiving

    @Override
    public int receive(byte[] bytes, int off, int len, long timeoutMillis) throws IOException {
        Objects.checkFromIndexSize(off, len, bytes.length);
        if (len == 0) {
            return 0;
        }
        long deadline = timeoutMillis <= 0 ? Long.MAX_VALUE : System.nanoTime() + timeoutMillis * 1_000_000L;
        // one per call: threads may receive concurrently, and a strategy that parks keeps per-thread state
        IdleStrategy idle = config.pauser().newIdleStrategy();
        try {
            boolean stepWasDue = false;
            while (true) {
                boolean stepDue = handoverStepDue();
                if (stepDue && !stepWasDue) {
                    idle.reset(); // the step's own waits ask for a spin permit: this thread's goes back first
                }
                stepWasDue = stepDue;
                beforeReceive(deadline);
                int n = input.readOnce(bytes, off, len);
                if (n > 0 || n == InboundStream.END) {
                    return n;
                }
                if (n == InboundStream.AGAIN) {
                    idle.reset();
                    continue;
                }
                checkUsable();
                if (System.nanoTime() - deadline > 0) {
                    throw new ViaTimeoutException("receive timed out after " + timeoutMillis + " ms on connection "
                            + id);
                }
                idle.idle(ownBell, deadline);
            }
        } finally {
            idle.reset(); // no longer announced on the doorbell
        }
    }

    @Override
    public int receive(ByteBuffer buffer, long timeoutMillis) throws IOException {
        if (buffer.hasArray()) {
            int n = receive(buffer.array(), buffer.arrayOffset() + buffer.position(), buffer.remaining(), timeoutMillis);
            if (n > 0) {
                buffer.position(buffer.position() + n);
            }
            return n;
        }
        byte[] tmp = new byte[Math.min(buffer.remaining(), 64 * 1024)];
        int n = receive(tmp, 0, tmp.length, timeoutMillis);
        if (n > 0) {
            buffer.put(tmp, 0, n);
        }
        return n;
    }

    @Override
    public int available() throws IOException {
        return input.available();
    }

    /** Reads one document if there is one; under readLock. */
    protected boolean pollInbound() throws IOException {
        return input.pollInbound();
    }

    /** Positions the reader (under readLock): the next document read is the one at {@code index}. */
    protected void positionReader(long index, long bytesAlreadyConsumed) throws ViaException {
        input.positionReader(index, bytesAlreadyConsumed);
    }

    /**
     * Positions the reader right after the document at {@code index} (or at the start if {@code index <= 0}) and
     * keeps whatever is pending (under readLock).
     */
    protected void positionAfter(long index) throws ViaException {
        input.positionAfter(index);
    }

    /** Index of the last document read from the inbound queue, -1 if none (under readLock). */
    protected long lastReadIndex() {
        return input.lastReadIndex();
    }

    /** Ends the input stream (under readLock): later receives return -1, or throw {@code error} if not null. */
    protected void endInput(IOException error) {
        input.endInput(error);
    }

    /** True once the peer ended the stream with an orderly CLOSE (under readLock). */
    protected boolean inputEndedCleanly() {
        return input.inputEndedCleanly() && !closed;
    }

    /** The unconsumed remainder of the current data document (under readLock), then forgets it. */
    protected byte[] takePending() {
        return input.takePending();
    }

    /** {index, bytes consumed} of the data document read last, index -1 if none (under readLock). */
    protected long[] consumedPosition() {
        return input.consumedPosition();
    }

    /**
     * Appends {@code bytes} to the inbound queue as COPY documents (handover step 4b, under readLock): the framing
     * of copies is the data path's; returns the first copy's index, -1 if {@code bytes} is empty.
     */
    protected long appendCopies(byte[] bytes) {
        return input.appendCopies(bytes);
    }

    /**
     * True if this end granted the client's reconnection (S50) itself: the child, from the moment its state says so,
     * which is before the flag block's {@code CHILD_GRANTED} does. An application thread that saw the state may send
     * and close in between, and that close's part of the handover is done.
     */
    protected boolean grantedHere() {
        return false;
    }

    /** True once this role may no longer read its inbound queue (checked under readLock, before each poll). */
    protected boolean inputRevoked() {
        return false;
    }

    protected boolean acceptsCopies() {
        return false;
    }

    protected void onDocumentRead(MessageType type, int payloadLength) throws IOException {
    }

    /** Control documents of the inbound queue; CLOSE ends the input. Under readLock. */
    protected void onControl(MessageType type, Messages.Reader r, Document d) throws IOException {
        if (type == MessageType.CLOSE) {
            ControlMessages.Close close = ControlMessages.Close.read(r);
            if (close.isEndOfStream()) {
                endInput(null);
            } else {
                endInput(new ViaException("connection " + id + " closed by peer: " + close.error().description()
                        + (close.reason().isEmpty() ? "" : " (" + close.reason() + ")")));
            }
            return;
        }
        throw new ViaProtocolException("unexpected " + type + " document on the " + role() + "'s inbound queue");
    }

    /**
     * The role's gate in front of every poll, called without locks held; may wait (a child waits to own the
     * connection) or throw (a parent whose connection was handed over).
     */
    protected abstract void beforeReceive(long deadlineNanos) throws IOException;

    /**
     * True when the next {@link #beforeReceive} takes a handover step on the receiving thread (the client's S47,
     * S49-S51): the receive's idle strategy is reset first, so that a spin permit it holds is free for the steps' own
     * waits (on 2 cores, with the parent's wait holding the other, the client's grant wait found none and parked).
     */
    protected boolean handoverStepDue() {
        return false;
    }

    /**
     * The application consumed up to {@code offset} bytes of document {@code index} (under readLock), after the
     * inbound stream published the count for the sender's window and released the files before a DATA document.
     */
    protected void onConsumed(long index, long offset) {
    }

    /** Inbound payload bytes consumed by this end's application so far (under readLock). */
    protected long consumedBytes() {
        return input.consumedBytes();
    }

    /**
     * Takes over the consumed count of the inbound direction (under readLock): a child continuing the parent's
     * count, from the word after a handover or from the parent's recorded position after its death.
     */
    protected void takeOverConsumed(long bytes) {
        input.takeOverConsumed(bytes);
    }

    // ---------------------------------------------------------------------------------------------- sending

    @Override
    public void send(byte[] bytes, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, bytes.length);
        if (len == 0) {
            return; // a byte stream has nothing to say about an empty write
        }
        sendLock.lock();
        try {
            checkSendable();
            beforeSend();
            output.write(bytes, off, len);
        } finally {
            sendLock.unlock();
        }
    }

    @Override
    public void send(ByteBuffer buffer) throws IOException {
        if (buffer.hasArray()) {
            send(buffer.array(), buffer.arrayOffset() + buffer.position(), buffer.remaining());
            buffer.position(buffer.limit());
            return;
        }
        output.write(buffer, this); // under the send lock (reentrant): the whole buffer stays contiguous
    }

    /**
     * Waits (under sendLock) until the window has {@code needed} bytes free and returns the free bytes; see
     * {@link OutboundStream#awaitWindow}. Ends with an error when the connection fails or closes meanwhile.
     */
    protected long awaitWindow(long needed, long deadlineNanos) throws IOException {
        return output.awaitWindow(needed, deadlineNanos);
    }

    @Override
    public void setSendWindow(long bytes) {
        output.setSendWindow(bytes);
    }

    @Override
    public long sendWindow() {
        return output.sendWindow();
    }

    @Override
    public void setReceiveWindow(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("receive window must not be negative: " + bytes);
        }
        flags.set(receiveWindowWord, bytes);
    }

    @Override
    public long receiveWindow() {
        return flags.get(receiveWindowWord);
    }

    private void checkSendable() throws IOException {
        if (closed) {
            throw closedException();
        }
        checkUsable(); // first: fail() shuts the output too, and the failure is what the caller must learn
        if (outputShut) {
            throw new ViaException("connection " + id + ": output is shut down");
        }
    }

    /** Called with the send lock held before each send; may wait (intermission, child waiting to own). */
    protected abstract void beforeSend() throws IOException;

    /** Appends a control document to a channel; the caller holds sendLock if it is the outbound one. */
    protected long appendControl(Channel channel, Messages.Writer w) {
        long index = channel.append(w.bytes(), w.length(), w.bytes(), 0, 0); // the transport rings its reader
        if (channel == outbound && index > lastOutboundControl) {
            lastOutboundControl = index;
        }
        return index;
    }

    /** Appends a control document to a channel; the caller holds sendLock (it guards the reused writer). */
    protected long appendControl(Channel channel, ControlMessages.ControlMessage message) {
        return appendControl(channel, message.writeTo(controlHeader));
    }

    // ---------------------------------------------------------------------------------------------- state

    /** Throws if the connection failed (any role may have failed it). */
    protected void checkUsable() throws IOException {
        ConnectionState s = flags.state();
        if (s == ConnectionState.FAILED) {
            onFailed();
            throw new ViaException("connection " + id + " failed: " + flags.error().description());
        }
        if (closed) {
            throw closedException();
        }
    }

    /**
     * The connection failed (this process failed it, or found it failed by another): the role's state follows.
     * Called more than once; must not throw.
     */
    protected void onFailed() {
    }

    /** What I/O on this end throws once it is closed; a role whose end was taken over says so instead. */
    protected IOException closedException() {
        return new ViaException("connection " + id + " is closed");
    }

    /**
     * Fails the connection for every role: records the error in the flag block and tells the peer with a CLOSE
     * document carrying the reason. Safe to call from any thread and more than once.
     */
    public void fail(ErrorCode code, String detail) {
        if (flags.fail(code)) {
            log().warn("connection {} ({}) failed: {}{}", id, role(), code.description(),
                    detail == null ? "" : " - " + detail);
            ringPeersHousekeepers(); // their connections' ticks come on events only: this is one
        }
        onFailed();
        if (!closed && sendLock.tryLock()) {
            try {
                if (!outputShut && !closed) {
                    outputShut = true;
                    appendControl(outbound, ControlMessages.Close.failure(code, detail));
                }
            } finally {
                sendLock.unlock();
            }
        }
    }

    /** Wakes the housekeepers of the connection's other processes (a failure they must follow at once). */
    private void ringPeersHousekeepers() {
        long self = env.pid();
        if (flags.clientPid() != self) {
            flags.ringHousekeeper(Word.CLIENT_PID, Word.CLIENT_START);
        }
        if (flags.parentPid() != self) {
            flags.ringHousekeeper(Word.PARENT_PID, Word.PARENT_START);
        }
        if (flags.childPid() != 0 && flags.childPid() != self) {
            flags.ringHousekeeper(Word.CHILD_PID, Word.CHILD_START);
        }
    }

    /**
     * Waits until {@code condition} holds, parked on this end's doorbell (anything the condition reads must ring it
     * when it changes: a {@link FlagBlock#SIGNALS signal word}, an append); false on timeout. Checks failure
     * meanwhile.
     */
    protected boolean await(BooleanSupplier condition, long timeoutMillis) throws IOException {
        return awaitOn(ownBell, condition, timeoutMillis);
    }

    /**
     * Waits until {@code condition} holds, parked on this end's doorbell: for a writer blocked on flow control, whose
     * peer's reader calls {@link #ringPeer()} after it published what it consumed (and a failure, a close or the
     * peer's death ring it too). The condition is re-checked after every wake-up; spurious ones (data arriving) are
     * harmless. False on timeout ({@code timeoutMillis <= 0}: none); throws if the connection failed meanwhile.
     * Must not be called under the read lock.
     */
    public boolean awaitPeerProgress(BooleanSupplier condition, long timeoutMillis)
            throws IOException {
        return awaitOn(ownBell, condition, timeoutMillis <= 0 ? Long.MAX_VALUE : timeoutMillis);
    }

    /**
     * {@link #awaitOn} for at most {@code nanos} of real time ({@link System#nanoTime()}, not the role's clock): a
     * short first part of a wait, after which the caller does something (rings a housekeeper) and waits on.
     */
    protected final boolean awaitBriefly(Doorbell bell, BooleanSupplier condition, long nanos) throws IOException {
        return awaitUntil(bell, condition, System.nanoTime() + nanos, true);
    }

    /** {@link #await} parked on {@code bell}: for a role's waits that have a doorbell of their own in the flag block. */
    protected final boolean awaitOn(Doorbell bell, BooleanSupplier condition, long timeoutMillis)
            throws IOException {
        long deadline = timeoutMillis == Long.MAX_VALUE ? Long.MAX_VALUE
                : env.clock().nanoTime() + timeoutMillis * 1_000_000L;
        return awaitUntil(bell, condition, deadline, false);
    }

    /**
     * Waits on {@code bell} until {@code condition} holds (true) or {@code deadline} passed (false; never for
     * {@code Long.MAX_VALUE}); throws if the connection failed meanwhile. The deadline is on {@link System#nanoTime()}
     * where {@code realTime}, else on the role's clock ({@code env.clock()}, which tests may drive).
     */
    private boolean awaitUntil(Doorbell bell, BooleanSupplier condition, long deadline, boolean realTime)
            throws IOException {
        IdleStrategy idle = config.pauser().newIdleStrategy();
        try {
            while (!condition.getAsBoolean()) {
                if (flags.state() == ConnectionState.FAILED) {
                    onFailed();
                    throw new ViaException("connection " + id + " failed: " + flags.error().description());
                }
                if (deadline != Long.MAX_VALUE
                        && (realTime ? System.nanoTime() : env.clock().nanoTime()) - deadline > 0) {
                    return false;
                }
                idle.idle(bell, deadline);
            }
            return true;
        } finally {
            idle.reset();
        }
    }

    @Override
    public void shutdownOutput() throws IOException {
        sendLock.lock();
        try {
            checkSendable();
            beforeSend();
            outputShut = true;
            endOfStreamIndex = appendControl(outbound, ControlMessages.Close.END_OF_STREAM);
        } finally {
            sendLock.unlock();
        }
    }

    @Override
    public boolean isOpen() {
        return !closed && flags.state() != ConnectionState.FAILED;
    }

    /**
     * Closes this end: the peer reads end of stream, queues are released, and the connection's directory is deleted
     * once both sides have closed (or left for the retention sweep).
     */
    protected void closeEnd(long sideBit) {
        if (closed) {
            return;
        }
        // peer exits from here on are this end's to see: its own housekeeping stops at the close (tick: closed), and a
        // ClosedEndWatch added after it ticks at once only if one came (see ClosedEndWatch.urgent)
        exitsAtClose = env.liveness().exits();
        closing = true; // a send blocked on the window holds the send lock: this lets it go
        ownBell.ring(); // ... once it wakes: it parks on this end's doorbell
        sendLock.lock();
        readLock.lock();
        try {
            if (closed) {
                return;
            }
            if (!outputShut && flags.state() != ConnectionState.FAILED) {
                outputShut = true;
                endOfStreamIndex = appendControl(outbound, ControlMessages.Close.END_OF_STREAM);
            }
            closed = true;
            endInput(null);
            if (closeSlotUse(sideBit)) {
                return;
            }
            flags.orBits(Word.CLOSED_MASK, sideBit);
            releaseResources();
        } finally {
            readLock.unlock();
            sendLock.unlock();
        }
        deleteIfBothClosed();
    }

    /**
     * The clean close of a connection slot's use (under both locks): true if done here, false for the usual close
     * (not a slot, not kept, a failure, a handover started, no END_OF_STREAM of this end). The client decides whether
     * it keeps the slot ({@code SLOT_KEPT}) before it sets its closed bit; the parent sets its bit first, then, unless
     * the client closed and let the slot go (then the last closer deletes as ever), releases the use
     * ({@code SLOT_RELEASED}, its last write of the use: the client may claim the slot from then on). Either side may
     * close first. The queue handles stay open if the side's keeper takes them.
     */
    private boolean closeSlotUse(long sideBit) {
        SlotKeeper keeper = slotKeeper;
        long use = flags.get(Word.SLOT_USE);
        if (keeper == null || use == 0 || endOfStreamIndex <= 0 || !handoverSettled(sideBit) || !flags.reusable()) {
            return false;
        }
        if (sideBit == FlagBlock.CLOSED_CLIENT && !keeper.keep(this, inbound, outbound)) {
            return false; // no room in the pool: the usual close, the last closer deletes the directory
        }
        env.housekeeping().remove(this);
        reader.close();
        // the use's last document of this end's direction: its END_OF_STREAM, or a handover's control document
        // appended after a half-close; the next use starts after it
        long lastIndex = Math.max(endOfStreamIndex, lastOutboundControl);
        if (sideBit == FlagBlock.CLOSED_CLIENT) {
            flags.set(Word.UP_END, lastIndex);
            flags.set(Word.SLOT_KEPT, use);
            flags.orBits(Word.CLOSED_MASK, FlagBlock.CLOSED_CLIENT);
            return true;
        }
        flags.set(Word.DOWN_END, lastIndex);
        flags.orBits(Word.CLOSED_MASK, FlagBlock.CLOSED_SERVER);
        if (flags.closedBy(FlagBlock.CLOSED_CLIENT) && flags.get(Word.SLOT_KEPT) != use) {
            inbound.close();
            outbound.close();
            flags.ringBoth();
            deleteDirectory(); // the client let the slot go: this end closed last
            return true;
        }
        if (!keeper.keep(this, inbound, outbound)) {
            inbound.close();
            outbound.close();
        }
        boolean clientClosed = flags.closedBy(FlagBlock.CLOSED_CLIENT);
        flags.set(Word.SLOT_RELEASED, use); // the last write of this use: from here on the client may reuse it
        flags.ringBoth();
        if (!clientClosed) {
            env.housekeeping().add(new ClosedEndWatch(use)); // the client may die before it closes
        }
        return true;
    }

    /**
     * On a use where a trigger fired: waits (bounded by the handover timeout) for S13's last write
     * ({@link FlagBlock#handedOver}) once this end's own part of the handover is done, the client's report (S51) or
     * the child's grant: what is left is the parent's completion, which needs nothing from this end. The use is
     * reusable only after it, so no handover write lands in the slot's next use. True if the use may be kept.
     */
    private boolean handoverSettled(long sideBit) {
        if (flags.get(Word.TRIGGER_FIRED) == 0 || flags.handedOver()) {
            return true;
        }
        boolean ownPartDone = sideBit == FlagBlock.CLOSED_CLIENT ? flags.get(Word.CLIENT_REPORTED) != 0
                : flags.get(Word.CHILD_GRANTED) != 0 || grantedHere();
        if (!ownPartDone || flags.get(Word.ERROR_CODE) != 0) {
            return false;
        }
        // The server side parks on the child's doorbell: it rings on exactly what this wait ends on (HANDED_OVER, an
        // error, FAILED), not on every flag of the handover as the server side's does.
        Doorbell bell = sideBit == FlagBlock.CLOSED_SERVER && flags.childBell() != null ? flags.childBell() : ownBell;
        try {
            return awaitOn(bell, () -> flags.handedOver() || flags.get(Word.ERROR_CODE) != 0,
                    config.handoverTimeout().toMillis()) && flags.handedOver();
        } catch (IOException e) {
            return false; // failed meanwhile: the usual close
        }
    }

    /**
     * The parent after a handover: unregisters, and gives the queue handles to the slot keeper if this use of a
     * connection slot was handed over completely (the server keeps them for the slot's next use, which the child
     * releases; see {@link ConnectionSlots}); otherwise closes them.
     */
    protected void releaseAfterHandover(boolean completed) {
        SlotKeeper keeper = slotKeeper;
        if (completed && keeper != null && flags.get(Word.SLOT_USE) != 0 && flags.handedOver()
                && keeper.keep(this, inbound, outbound)) {
            env.housekeeping().remove(this);
            reader.close(); // detached: the next use's end reads on with the slot's reader
            flags.ringBoth();
            return;
        }
        releaseResources();
    }

    /** Unregisters and closes the queues without touching the stream (the parent after a handover). */
    protected void releaseResources() {
        env.housekeeping().remove(this);
        reader.close();
        inbound.close();
        outbound.close();
        flags.ringBoth(); // this process's own waiters, too, must see that the end is closed
    }

    /**
     * After this end closed: the last live process of the connection deletes its directory. That is this one if
     * the other end closed too or is dead (it died without closing: halt, crash, kill -9). Otherwise the other end
     * still runs and may close (then it deletes) or die: a {@link ClosedEndWatch} looks for the latter, so that a
     * peer dying after this end closed leaves nothing behind while this process lives.
     */
    protected void deleteIfBothClosed() {
        if (bothClosed() || !peerAlive()) {
            deleteDirectory();
        } else {
            env.housekeeping().add(new ClosedEndWatch(flags.get(Word.SLOT_USE)));
        }
    }

    private boolean bothClosed() {
        long mask = flags.get(Word.CLOSED_MASK);
        return (mask & (FlagBlock.CLOSED_CLIENT | FlagBlock.CLOSED_SERVER))
                == (FlagBlock.CLOSED_CLIENT | FlagBlock.CLOSED_SERVER);
    }

    /** Marks the connection closed and deletes its directory, or leaves it to the sweep while retention lasts. */
    protected void deleteDirectory() {
        flags.advance(ConnectionState.CLOSED);
        flags.stamp(Word.AT_CLOSED);
        if (config.retention().isZero()) {
            try {
                FilePermissions.deleteTree(dir);
            } catch (IOException e) {
                log().warn("could not delete {}: {}", dir, e.toString());
            }
        }
    }

    /**
     * Housekeeping of an end that closed while its peer had not: deletes the directory if the peer dies without
     * closing, and ends when the peer closes (its close deletes) or the directory is gone.
     */
    private final class ClosedEndWatch implements Housekeeper.Task {
        private long nextCheck;
        /**
         * Until its first tick: the peer may have exited between this end's liveness check and this watch's
         * registration, and that exit's wake-up of the housekeeper came before there was a watch to tick.
         */
        private volatile boolean firstTickDone;
        /** The slot use this end closed (0: not a slot): a later use of the same directory is not this one's. */
        private final long use;

        ClosedEndWatch(long use) {
            this.use = use;
        }

        /**
         * Ticked at once (an urgent task wakes the housekeeper) only if a watched process exited or went silent
         * since this end began to close: the peer may be the one, and that exit's wake-up may have come before there
         * was a watch to tick. Otherwise its first tick is the housekeeper's next pass, and a later exit wakes it:
         * a close costs no wake-up of the housekeeper's thread (it was one per connection at the server).
         */
        @Override
        public boolean urgent() {
            return !firstTickDone && env.liveness().exits() != exitsAtClose;
        }

        @Override
        public boolean tick(long now) {
            firstTickDone = true;
            if (now < nextCheck) {
                return true;
            }
            nextCheck = now + 10; // a liveness check reads /proc
            if (bothClosed() || flags.get(Word.SLOT_USE) != use || !Files.exists(dir)) {
                return false;
            }
            if (!peerAlive()) {
                log().debug("connection {} ({}): the peer died after this end closed; deleting {}", id, role(), dir);
                deleteDirectory();
                return false;
            }
            return true;
        }

        @Override
        public String toString() {
            return "ClosedEndWatch{" + id + ", " + role() + "}";
        }
    }

    /** True while the process at the other end of the stream lives. */
    protected abstract boolean peerAlive();

    // ---------------------------------------------------------------------------------------------- housekeeping

    /**
     * True when this tick must check the peers' liveness: a watched peer process exited or was found silent since
     * the last check (both change {@link io.viaemu.internal.Liveness#exits()}: one check per peer process, not per
     * connection, finds them); every ~10 ms where exits are not reported (no pidfds) and the housekeeper ticks on a
     * timer.
     */
    protected boolean livenessDue(long now) {
        long exits = env.liveness().exits();
        if (exits != exitsSeen || (!Housekeeper.woken() && now >= nextLivenessCheck)) {
            exitsSeen = exits;
            nextLivenessCheck = now + 10;
            return true;
        }
        return false;
    }

    /**
     * Between events a connection's tick is a backstop only: everything it acts on wakes the housekeeper (a peer's
     * exit or silence, a peer's ring for a handover step, a failure set by another process), so an idle connection
     * is looked at once per peer timeout. One a handover may run on (a worker is assigned) is looked at every
     * heartbeat interval, as all were before heartbeats were per process: a step nobody rang for is still taken
     * within one. Where nothing can wake the housekeeper, every {@link Housekeeper#IDLE_INTERVAL_NANOS}.
     */
    @Override
    public long idleIntervalNanos() {
        if (!Housekeeper.woken()) {
            return Housekeeper.IDLE_INTERVAL_NANOS;
        }
        long timeout = config.peerTimeout().toMillis();
        long millis = flags.get(Word.WORKER_ID) != 0 ? ProcessLiveness.heartbeatIntervalMillis(timeout) : timeout;
        return TimeUnit.MILLISECONDS.toNanos(millis);
    }

    /**
     * The client's and the parent's first tick waits for the idle interval (or an event): at the connect it has
     * nothing to do that an event would not wake it for (the peer's exit is watched before the task is added, a
     * handover step rings this process), and waking the housekeeper for it cost each side a thread wake-up per
     * connect. A child's is ticked at once: it starts in the middle of a handover; so is any end that a watched
     * process's exit may concern (the exit count moved since the end was made).
     */
    @Override
    public boolean firstTickAtOnce() {
        // a watched process exited since this end was made: its wake-up may have come before the task was there
        return role() == Role.CHILD || env.liveness().exits() != exitsSeen;
    }

    /** True while process {@code pid} started at {@code start} runs; an exited one waiting to be reaped is dead. */
    protected boolean alive(long pid, long start) {
        return env.liveness().isAlive(pid, start);
    }

    /**
     * Have the exit of this peer process reported promptly (on the host: {@link ProcessExitWatch}), and its
     * heartbeat checked (once per process, whatever the number of its connections).
     */
    protected void watch(long pid, long start) {
        env.liveness().watch(config.baseDir(), pid, start, config.peerTimeout().toMillis());
    }

    /**
     * This process beats under the base directory from now on (at once, then every tenth of the peer timeout):
     * before a peer may look at its heartbeat, so that one stopped before its housekeeper's first tick is seen too.
     */
    protected void beat() {
        env.liveness().beat(config.baseDir(), config.peerTimeout().toMillis(), env.clock().currentTimeMillis());
    }

    /** Alive but silent: the process's heartbeat is older than the peer timeout (stopped, or wedged). */
    protected boolean peerSilent(long pid, long start, long now) {
        return env.liveness().isSilent(pid, start, config.peerTimeout().toMillis(), now);
    }

    @Override
    public InputStream inputStream() {
        return in;
    }

    @Override
    public OutputStream outputStream() {
        return out;
    }

    @Override
    public void setReadTimeout(long timeoutMillis) {
        this.readTimeout = timeoutMillis;
    }

    @Override
    public long readTimeout() {
        return readTimeout;
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "{" + id + ", " + flags.state() + "}";
    }
}
