package io.viaemu.protocol;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.locks.ReentrantLock;

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
import io.viaemu.internal.ProcessExitWatch;
import io.viaemu.internal.Processes;
import io.viaemu.protocol.FlagBlock.Word;
import io.viaemu.transport.Channel;
import io.viaemu.transport.ChannelReader;
import io.viaemu.transport.Document;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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

    protected static final Logger log = LoggerFactory.getLogger("io.viaemu.protocol");

    protected final long connectionId;
    protected final String id;
    protected final String endpoint;
    protected final ViaConfig config;
    protected final Path dir;
    protected final FlagBlock flags;
    protected final Channel inbound;
    protected final Channel outbound;
    protected final ReentrantLock readLock = new ReentrantLock();
    protected final ReentrantLock sendLock = new ReentrantLock();
    /** Header of the document being written; guarded by sendLock. */
    protected final Messages.Writer header = new Messages.Writer();
    private final Messages.Writer controlHeader = new Messages.Writer();

    /** All guarded by readLock. */
    protected ChannelReader reader;
    private final Document doc;
    /** What every data document starts with: the protocol version and the DATA type. */
    private static final byte[] DATA_PREFIX = {Messages.VERSION, MessageType.DATA.code()};
    private final Messages.Reader parser = new Messages.Reader();
    private byte[] pendingBuf;
    private int pendingPos;
    private int pendingEnd;
    private long pendingIndex = -1;
    /** The pending document is the client's own DATA (not a parent's COPY after the cut). */
    private boolean pendingIsData;
    /** Bytes of the document at {@link #skipIndex} already consumed by the parent (recovery after its death). */
    private long skipIndex = -1;
    private long skipBytes;
    /** Index of the last document read from the inbound queue, -1 if none (under readLock). */
    private long lastReadIndex = -1;
    private boolean inputEnded;
    private IOException inputError;
    /** Guarded by sendLock. */
    protected final IdleStrategy sendIdle;
    /** The doorbell this end's threads park on, and the one its peer parks on. */
    private final Doorbell ownBell;
    private final Doorbell peerBell;
    private long exitsSeen = ProcessExitWatch.exits();
    private byte[] sendScratch;

    /*
     * Flow control. The receiver publishes the bytes of its direction its application consumed (one word, one
     * writer at a time: parent then child up, the client down); the sender counts what it appended (getAndAdd:
     * down-queue writers are parent then child) and blocks while the difference reaches its window.
     */
    /** Consumed count of the inbound direction this end publishes, and appended count of the outbound one. */
    private final Word consumedWord;
    private final Word appendedWord;
    /** The peer's consumed count of our outbound direction, and the receive window it may advertise. */
    private final Word peerConsumedWord;
    private final Word peerReceiveWindowWord;
    private final Word receiveWindowWord;
    /** Inbound payload bytes this end's application consumed (under readLock). */
    private long consumedBytes;
    /** The peer's consumed count as last read (under sendLock): re-read only when the window looks full. */
    private long peerConsumedSeen;
    private volatile long sendWindow;

    protected volatile boolean closed;
    /** Set first thing by a close, so that a send blocked on the window lets go of the send lock. */
    private volatile boolean closing;
    private volatile boolean outputShut;
    private volatile long readTimeout;
    private long nextLivenessCheck;
    private final InputStream in = new ConnectionInputStream();
    private final OutputStream out = new ConnectionOutputStream();

    protected ConnectionEnd(ViaConfig config, String endpoint, long connectionId, Path dir, FlagBlock flags,
            Channel inbound, Channel outbound) {
        this.config = config;
        this.endpoint = endpoint;
        this.connectionId = connectionId;
        this.id = Layout.idString(connectionId);
        this.dir = dir;
        this.flags = flags;
        this.inbound = inbound;
        this.outbound = outbound;
        this.reader = inbound.reader();
        this.doc = new Document(Math.min(config.maxMessageSize() + Messages.HEADER, 64 * 1024));
        this.sendIdle = config.pauser().newIdleStrategy();
        boolean client = role() == Role.CLIENT;
        this.ownBell = client ? flags.clientBell() : flags.serverBell();
        this.peerBell = client ? flags.serverBell() : flags.clientBell();
        this.consumedWord = client ? Word.DOWN_CONSUMED : Word.UP_CONSUMED;
        this.appendedWord = client ? Word.UP_APPENDED : Word.DOWN_APPENDED;
        this.peerConsumedWord = client ? Word.UP_CONSUMED : Word.DOWN_CONSUMED;
        this.peerReceiveWindowWord = client ? Word.UP_RECEIVE_WINDOW : Word.DOWN_RECEIVE_WINDOW;
        this.receiveWindowWord = client ? Word.DOWN_RECEIVE_WINDOW : Word.UP_RECEIVE_WINDOW;
        this.sendWindow = config.sendWindow();
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
        readLock.lock();
        try {
            for (int polls = 0; pendingPos >= pendingEnd && !inputEnded && !inputRevoked() && polls < 64; polls++) {
                if (!pollInbound()) {
                    break;
                }
            }
            if (pendingPos < pendingEnd) {
                return pendingEnd - pendingPos;
            }
            return inputEnded || closed || flags.state() == ConnectionState.FAILED ? -1 : 0;
        } finally {
            readLock.unlock();
        }
    }

    /**
     * For a non-blocking writer (a NIO channel): how many bytes a {@link #send} takes now without waiting for the
     * peer's reader ({@code Long.MAX_VALUE} without flow control); 0 while the window is full. Never waits.
     */
    public long sendRoomNow() {
        long window = effectiveWindow();
        if (window <= 0) {
            return Long.MAX_VALUE;
        }
        return Math.max(0, window - (flags.get(appendedWord) - flags.get(peerConsumedWord)));
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
        java.util.Objects.checkFromIndexSize(off, len, bytes.length);
        if (len == 0) {
            return 0;
        }
        long deadline = timeoutMillis <= 0 ? Long.MAX_VALUE : System.nanoTime() + timeoutMillis * 1_000_000L;
        // one per call: threads may receive concurrently, and a strategy that parks keeps per-thread state
        IdleStrategy idle = config.pauser().newIdleStrategy();
        try {
            return receiveLoop(bytes, off, len, timeoutMillis, deadline, idle);
        } finally {
            idle.reset(); // no longer announced on the doorbell
        }
    }

    private int receiveLoop(byte[] bytes, int off, int len, long timeoutMillis, long deadline, IdleStrategy idle)
            throws IOException {
        while (true) {
            beforeReceive(deadline);
            readLock.lock();
            try {
                if (pendingPos < pendingEnd) {
                    int n = Math.min(len, pendingEnd - pendingPos);
                    System.arraycopy(pendingBuf, pendingPos, bytes, off, n);
                    pendingPos += n;
                    consumed(pendingIndex, pendingPos - Messages.HEADER, n, pendingIsData);
                    return n;
                }
                if (inputEnded) {
                    if (inputError != null) {
                        throw new ViaException(inputError.getMessage(), inputError);
                    }
                    return -1;
                }
                if (inputRevoked()) {
                    continue; // taken over between the gate and the lock: the gate says why
                }
                if (skipIndex < 0) {
                    // the common case: a data document that fits goes straight into the caller's array
                    int direct = reader.nextDirect(doc, DATA_PREFIX, bytes, off, Math.min(len, config.maxMessageSize()));
                    if (direct > 0) {
                        pendingPos = pendingEnd = 0;
                        pendingIndex = lastReadIndex = doc.index();
                        onDocumentRead(MessageType.DATA, direct);
                        consumed(pendingIndex, direct, direct, true);
                        return direct;
                    }
                    if (direct == ChannelReader.HELD) {
                        dispatch(); // anything else: control documents, larger documents, bad input
                        idle.reset();
                        continue;
                    }
                    if (direct == 0) {
                        continue; // an empty data document carries nothing
                    }
                } else if (pollInbound()) {
                    idle.reset();
                    continue;
                }
            } finally {
                readLock.unlock();
            }
            checkUsable();
            if (System.nanoTime() - deadline > 0) {
                throw new ViaTimeoutException("receive timed out after " + timeoutMillis + " ms on connection " + id);
            }
            idle.idle(ownBell, deadline);
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
        readLock.lock();
        try {
            if (pendingPos >= pendingEnd && !inputEnded && !inputRevoked()) {
                pollInbound(); // like a socket's available(): what has arrived, not only what was read already
            }
            return pendingEnd - pendingPos;
        } finally {
            readLock.unlock();
        }
    }

    /** Reads one document if there is one; under readLock. */
    protected boolean pollInbound() throws IOException {
        if (!reader.next(doc)) {
            return false;
        }
        dispatch();
        return true;
    }

    /** Handles the document just read into {@link #doc} (under readLock). */
    private void dispatch() throws IOException {
        MessageType type;
        try {
            type = parser.reset(doc).type();
            if (type == MessageType.DATA || (type == MessageType.COPY && acceptsCopies())) {
                int payload = doc.length() - Messages.HEADER;
                if (payload > config.maxMessageSize()) {
                    throw new ViaProtocolException(type + " document of " + payload + " bytes exceeds the maximum of "
                            + config.maxMessageSize());
                }
                pendingBuf = doc.bytes();
                pendingPos = Messages.HEADER;
                pendingEnd = doc.length();
                pendingIndex = doc.index();
                pendingIsData = type == MessageType.DATA;
                lastReadIndex = pendingIndex;
                if (skipIndex == pendingIndex) {
                    pendingPos = (int) Math.min(pendingEnd, pendingPos + skipBytes);
                    skipIndex = -1;
                }
                onDocumentRead(type, payload);
                return;
            }
            lastReadIndex = doc.index();
            onControl(type, parser, doc);
            return;
        } catch (ViaProtocolException e) {
            failInput(e);
            fail(ErrorCode.PROTOCOL, e.getMessage());
            throw e;
        }
    }

    /** Positions the reader (under readLock): the next document read is the one at {@code index}. */
    protected void positionReader(long index, long bytesAlreadyConsumed) throws ViaException {
        pendingPos = pendingEnd = 0;
        if (index < 0) {
            reader.close();
            reader = inbound.reader();
            return;
        }
        if (!reader.moveToIndex(index)) {
            throw new ViaException("connection " + id + ": cannot find document " + Long.toHexString(index)
                    + " in " + inbound.directory() + " (deleted?)");
        }
        if (bytesAlreadyConsumed > 0) {
            skipIndex = index;
            skipBytes = bytesAlreadyConsumed;
        }
    }

    /**
     * Positions the reader right after the document at {@code index} (or at the start if {@code index <= 0}) and
     * keeps whatever is pending (under readLock).
     */
    protected void positionAfter(long index) throws ViaException {
        if (index <= 0) {
            reader.close();
            reader = inbound.reader();
            return;
        }
        if (!reader.moveToIndex(index) || !reader.next(new Document(64))) {
            throw new ViaException("connection " + id + ": cannot find document " + Long.toHexString(index)
                    + " in " + inbound.directory() + " (deleted?)");
        }
    }

    /** Index of the last document read from the inbound queue, -1 if none (under readLock). */
    protected long lastReadIndex() {
        return lastReadIndex;
    }

    /** Ends the input stream (under readLock): later receives return -1, or throw {@code error} if not null. */
    protected void endInput(IOException error) {
        inputEnded = true;
        if (error != null && inputError == null) {
            inputError = error;
        }
    }

    /** True once the peer ended the stream with an orderly CLOSE (under readLock). */
    protected boolean inputEndedCleanly() {
        return inputEnded && inputError == null && !closed;
    }

    private void failInput(IOException e) {
        endInput(e);
    }

    /** The unconsumed remainder of the current data document (under readLock), then forgets it. */
    protected byte[] takePending() {
        int n = pendingEnd - pendingPos;
        byte[] b = new byte[Math.max(n, 0)];
        if (n > 0) {
            System.arraycopy(pendingBuf, pendingPos, b, 0, n);
        }
        pendingPos = pendingEnd = 0;
        return b;
    }

    /** {index, bytes consumed} of the data document read last, index -1 if none (under readLock). */
    protected long[] consumedPosition() {
        return new long[] {pendingIndex, pendingIndex < 0 ? 0 : pendingPos - Messages.HEADER};
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
            long code = r.getLong();
            String reason = r.getString();
            if (code == 0) {
                endInput(null);
            } else {
                endInput(new ViaException("connection " + id + " closed by peer: " + ErrorCode.of(code).description()
                        + (reason.isEmpty() ? "" : " (" + reason + ")")));
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

    /** The application consumed up to {@code offset} bytes of document {@code index}. Under readLock. */
    protected void onConsumed(long index, long offset) {
    }

    /**
     * The one place where consumption is published (under readLock): the application took {@code n} more bytes,
     * up to {@code offset} of document {@code index}. The consumed count goes to the flag block for the sender's
     * window; files before a DATA document are released (a COPY sits after the cut, past documents the child has
     * still to read, so it releases nothing); the role records its position. A sender blocked in
     * {@link #awaitWindow} is woken right after the count is published.
     */
    private void consumed(long index, long offset, int n, boolean data) {
        long total = consumedBytes += n;
        flags.setRelease(consumedWord, total);
        peerBell.ring(); // a sender blocked on its window parks on its own doorbell, our peer's (a fence, a read)
        if (data) {
            inbound.reclaimBefore(index); // every earlier document is consumed
        }
        onConsumed(index, offset);
    }

    /** Inbound payload bytes consumed by this end's application so far (under readLock). */
    protected long consumedBytes() {
        return consumedBytes;
    }

    /**
     * Takes over the consumed count of the inbound direction (under readLock): a child continuing the parent's
     * count, from the word after a handover or from the parent's recorded position after its death.
     */
    protected void takeOverConsumed(long bytes) {
        consumedBytes = bytes;
        flags.set(consumedWord, bytes);
    }

    // ---------------------------------------------------------------------------------------------- sending

    @Override
    public void send(byte[] bytes, int off, int len) throws IOException {
        java.util.Objects.checkFromIndexSize(off, len, bytes.length);
        if (len == 0) {
            return; // a byte stream has nothing to say about an empty write
        }
        sendLock.lock();
        try {
            checkSendable();
            beforeSend();
            int max = config.maxMessageSize();
            do {
                int n = windowRoom(Math.min(len, max));
                appendData(bytes, off, n);
                off += n;
                len -= n;
            } while (len > 0);
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
        sendLock.lock(); // reentrant: keeps the whole buffer contiguous in the stream
        try {
            if (sendScratch == null) {
                sendScratch = new byte[Math.min(config.maxMessageSize(), 64 * 1024)];
            }
            while (buffer.hasRemaining()) {
                int n = Math.min(buffer.remaining(), sendScratch.length);
                buffer.get(sendScratch, 0, n);
                send(sendScratch, 0, n);
            }
        } finally {
            sendLock.unlock();
        }
    }

    private void appendData(byte[] bytes, int off, int len) throws IOException {
        if (config.connectionDiskQuota() > 0
                && flags.getAndAdd(Word.BYTES_APPENDED, len) + len > config.connectionDiskQuota()) {
            fail(ErrorCode.QUOTA, "quota of " + config.connectionDiskQuota() + " bytes exceeded");
            throw new ViaException("connection " + id + " exceeded its disk quota of " + config.connectionDiskQuota()
                    + " bytes");
        }
        header.start(MessageType.DATA);
        outbound.append(header.bytes(), header.length(), bytes, off, len); // rings the peer's doorbell
        // counted after the append: a writer killed in between leaves the window wider, never stuck
        flags.getAndAdd(appendedWord, len);
    }

    /** The window in force for our sends: ours, or the peer's advertised receive window if smaller; 0 = none. */
    private long effectiveWindow() {
        long own = sendWindow;
        long peer = flags.get(peerReceiveWindowWord);
        if (own <= 0) {
            return peer;
        }
        return peer > 0 ? Math.min(own, peer) : own;
    }

    /**
     * How many of the {@code wanted} bytes may be appended now (under sendLock); blocks while the window is full.
     * Like TCP's silly-window avoidance, a write waits until the whole of it fits, or, if it is larger than a quarter
     * of the window, until a quarter of the window is free: the stream goes on in large pieces, not in the trickle
     * a reader's single reads open.
     */
    private int windowRoom(int wanted) throws IOException {
        long window = effectiveWindow();
        if (window <= 0) {
            return wanted;
        }
        long unconsumed = flags.get(appendedWord) - peerConsumedSeen;
        if (window - unconsumed < wanted) {
            peerConsumedSeen = flags.get(peerConsumedWord);
            unconsumed = flags.get(appendedWord) - peerConsumedSeen;
        }
        long room = window - unconsumed;
        if (room >= wanted) {
            return wanted;
        }
        long enough = Math.min(wanted, Math.max(1, window / 4));
        if (room < enough) {
            room = awaitWindow(enough, Long.MAX_VALUE);
        }
        return (int) Math.min(wanted, room);
    }

    /**
     * Waits (under sendLock) until the window has {@code needed} bytes free and returns the free bytes. Each pass
     * checks what ends a blocked write: a failed connection (the housekeeper fails it when the peer dies or hangs),
     * a close from another thread, and the role's gate (a client confirms an intermission here, so a handover
     * proceeds under a blocked write; a parent whose connection is being handed over stops). Between passes the
     * writer parks on its own doorbell, which the reader rings when it publishes consumption (and a failure or close
     * rings too).
     */
    protected long awaitWindow(long needed, long deadlineNanos) throws IOException {
        IdleStrategy idle = sendIdle;
        idle.reset();
        try {
            return awaitWindowLoop(needed, deadlineNanos, idle);
        } finally {
            idle.reset();
        }
    }

    private long awaitWindowLoop(long needed, long deadlineNanos, IdleStrategy idle) throws IOException {
        while (true) {
            if (closing || closed) {
                throw new ViaException("connection " + id + " is closed");
            }
            checkUsable();
            beforeSend();
            long window = effectiveWindow();
            peerConsumedSeen = flags.get(peerConsumedWord);
            long room = window <= 0 ? Long.MAX_VALUE : window - (flags.get(appendedWord) - peerConsumedSeen);
            if (room >= Math.min(needed, Math.max(1, window / 4))) {
                return room;
            }
            if (System.nanoTime() - deadlineNanos > 0) {
                throw new ViaTimeoutException("send on connection " + id + " blocked on a full window of " + window
                        + " bytes");
            }
            idle.idle(ownBell, deadlineNanos);
        }
    }

    @Override
    public void setSendWindow(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("send window must not be negative: " + bytes);
        }
        sendWindow = bytes;
    }

    @Override
    public long sendWindow() {
        return sendWindow;
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
        return channel.append(w.bytes(), w.length(), w.bytes(), 0, 0); // the transport rings its reader
    }

    /** A writer for a control document; use under sendLock. */
    protected Messages.Writer control(MessageType type) {
        return controlHeader.start(type);
    }

    // ---------------------------------------------------------------------------------------------- state

    /** Throws if the connection failed (any role may have failed it). */
    protected void checkUsable() throws IOException {
        ConnectionState s = flags.state();
        if (s == ConnectionState.FAILED) {
            throw new ViaException("connection " + id + " failed: " + flags.error().description());
        }
        if (closed) {
            throw closedException();
        }
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
            log.warn("connection {} ({}) failed: {}{}", id, role(), code.description(),
                    detail == null ? "" : " - " + detail);
        }
        if (!closed && sendLock.tryLock()) {
            try {
                if (!outputShut && !closed) {
                    outputShut = true;
                    appendControl(outbound, control(MessageType.CLOSE).putLong(code.code())
                            .putString(detail == null ? "" : detail));
                }
            } finally {
                sendLock.unlock();
            }
        }
    }

    /**
     * Waits until {@code condition} holds, parked on this end's doorbell (anything the condition reads must ring it
     * when it changes: a {@link FlagBlock#SIGNALS signal word}, an append); false on timeout. Checks failure
     * meanwhile.
     */
    protected boolean await(java.util.function.BooleanSupplier condition, long timeoutMillis) throws IOException {
        return awaitOn(ownBell, condition, timeoutMillis);
    }

    /**
     * Waits until {@code condition} holds, parked on this end's doorbell: for a writer blocked on flow control, whose
     * peer's reader calls {@link #ringPeer()} after it published what it consumed (and a failure, a close or the
     * peer's death ring it too). The condition is re-checked after every wake-up; spurious ones (data arriving) are
     * harmless. False on timeout ({@code timeoutMillis <= 0}: none); throws if the connection failed meanwhile.
     * Must not be called under the read lock.
     */
    public boolean awaitPeerProgress(java.util.function.BooleanSupplier condition, long timeoutMillis)
            throws IOException {
        return awaitOn(ownBell, condition, timeoutMillis <= 0 ? Long.MAX_VALUE : timeoutMillis);
    }

    private boolean awaitOn(Doorbell bell, java.util.function.BooleanSupplier condition, long timeoutMillis)
            throws IOException {
        long deadline = timeoutMillis == Long.MAX_VALUE ? Long.MAX_VALUE
                : System.nanoTime() + timeoutMillis * 1_000_000L;
        IdleStrategy idle = config.pauser().newIdleStrategy();
        try {
            while (!condition.getAsBoolean()) {
                if (flags.state() == ConnectionState.FAILED) {
                    throw new ViaException("connection " + id + " failed: " + flags.error().description());
                }
                if (deadline != Long.MAX_VALUE && System.nanoTime() - deadline > 0) {
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
            appendControl(outbound, control(MessageType.CLOSE).putLong(0).putString(""));
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
                appendControl(outbound, control(MessageType.CLOSE).putLong(0).putString(""));
            }
            closed = true;
            endInput(null);
            flags.orBits(Word.CLOSED_MASK, sideBit);
            releaseResources();
        } finally {
            readLock.unlock();
            sendLock.unlock();
        }
        deleteIfBothClosed();
    }

    /** Unregisters and closes the queues without touching the stream (the parent after a handover). */
    protected void releaseResources() {
        Housekeeper.get(config.pollInterval().toNanos()).remove(this);
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
            Housekeeper.get(config.pollInterval().toNanos()).add(new ClosedEndWatch());
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
                log.warn("could not delete {}: {}", dir, e.toString());
            }
        }
    }

    /**
     * Housekeeping of an end that closed while its peer had not: deletes the directory if the peer dies without
     * closing, and ends when the peer closes (its close deletes) or the directory is gone.
     */
    private final class ClosedEndWatch implements Housekeeper.Task {
        private long nextCheck;

        @Override
        public boolean tick(long now) {
            if (now < nextCheck) {
                return true;
            }
            nextCheck = now + 10; // a liveness check reads /proc
            if (bothClosed() || !java.nio.file.Files.exists(dir)) {
                return false;
            }
            if (!peerAlive()) {
                log.debug("connection {} ({}): the peer died after this end closed; deleting {}", id, role(), dir);
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
     * True when this tick must check the peers' liveness: a watched process exited since the last check
     * ({@link ProcessExitWatch}), or at the heartbeat interval (hung peers); every ~10 ms where exits are not
     * reported.
     */
    protected boolean livenessDue(long now) {
        long exits = ProcessExitWatch.exits();
        if (exits != exitsSeen || now >= nextLivenessCheck) {
            exitsSeen = exits;
            nextLivenessCheck = now + (Housekeeper.woken() ? heartbeatIntervalMillis() : 10);
            return true;
        }
        return false;
    }

    /** Heartbeats are written (and checked) ten times per peer timeout: a stale one is seen within 10 % of it. */
    protected long heartbeatIntervalMillis() {
        return Math.max(1, config.peerTimeout().toMillis() / 10);
    }

    @Override
    public long idleIntervalNanos() {
        return Housekeeper.woken() ? heartbeatIntervalMillis() * 1_000_000L : Housekeeper.IDLE_INTERVAL_NANOS;
    }

    /** True while process {@code pid} started at {@code start} runs; an exited one waiting to be reaped is dead. */
    protected static boolean alive(long pid, long start) {
        int watched = ProcessExitWatch.state(pid, start);
        return watched == ProcessExitWatch.RUNNING
                || (watched == ProcessExitWatch.UNKNOWN && Processes.isAlive(pid, start));
    }

    /** Have the kernel report the exit of this peer process (see {@link ProcessExitWatch}). */
    protected static void watch(long pid, long start) {
        ProcessExitWatch.watch(pid, start);
    }

    protected boolean heartbeatStale(Word heartbeat, long now) {
        long hb = flags.get(heartbeat);
        return hb != 0 && now - hb > config.peerTimeout().toMillis();
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

    private final class ConnectionInputStream extends InputStream {
        private final byte[] one = new byte[1];

        @Override
        public int read() throws IOException {
            int n = receive(one, 0, 1, readTimeout);
            return n < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            return len == 0 ? 0 : receive(b, off, len, readTimeout);
        }

        @Override
        public int available() throws IOException {
            return ConnectionEnd.this.available();
        }

        @Override
        public void close() throws IOException {
            ConnectionEnd.this.close();
        }
    }

    private final class ConnectionOutputStream extends OutputStream {
        @Override
        public void write(int b) throws IOException {
            send(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            send(b, off, len);
        }

        @Override
        public void close() throws IOException {
            ConnectionEnd.this.close();
        }
    }
}
