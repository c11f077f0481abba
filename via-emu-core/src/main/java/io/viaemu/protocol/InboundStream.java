package io.viaemu.protocol;

import java.io.IOException;
import java.util.concurrent.locks.ReentrantLock;

import io.viaemu.ViaException;
import io.viaemu.ViaProtocolException;
import io.viaemu.idle.Doorbell;
import io.viaemu.protocol.FlagBlock.Word;
import io.viaemu.transport.Channel;
import io.viaemu.transport.ChannelReader;
import io.viaemu.transport.Document;

/**
 * The inbound half of a connection end's byte stream: reads the inbound queue, reassembles the byte stream from DATA
 * (and, for a child, COPY) documents, skips what a dead parent had consumed already, and publishes what the
 * application consumed (the consumed count for the peer's send window, the release of consumed files, the role's
 * recorded position). Control documents go to the {@link Owner}. Everything is guarded by {@link #lock()}, which
 * the roles also hold for their handover steps on the input (the connection end's {@code readLock}).
 */
final class InboundStream {

    /** What the stream asks of the connection end that owns it (the role's hooks). */
    interface Owner {
        /** True once this role may no longer read its inbound queue (checked under the lock, before each poll). */
        boolean inputRevoked();

        boolean acceptsCopies();

        void onDocumentRead(MessageType type, int payloadLength) throws IOException;

        void onControl(MessageType type, Messages.Reader r, Document d) throws IOException;

        void onConsumed(long index, long offset);

        /** Fails the connection: bad input. */
        void failProtocol(String detail);
    }

    /** {@link #readOnce}: nothing to read now. */
    static final int EMPTY = -2;
    /** {@link #readOnce}: a document was handled that carried no bytes for the caller; read again at once. */
    static final int AGAIN = -3;
    /** {@link #readOnce}: end of stream. */
    static final int END = -1;

    /** What every data document starts with: the protocol version and the DATA type. */
    private static final byte[] DATA_PREFIX = {Messages.VERSION, MessageType.DATA.code()};

    /** The read buffer's first size; it doubles up to the largest document when needed. */
    private static final int INITIAL_DOCUMENT_BYTES = 1024;

    private final ReentrantLock lock = new ReentrantLock();
    private final String id;
    private final Owner owner;
    private final Channel channel;
    private final ChannelReader reader;
    private final FlagBlock flags;
    private final int maxMessageSize;
    /** The consumed count of this direction this end publishes, and the doorbell its sender parks on. */
    private final Word consumedWord;
    private final Doorbell peerBell;

    private final Document doc;
    private final Messages.Reader parser = new Messages.Reader();
    private byte[] pendingBuf;
    private int pendingPos;
    private int pendingEnd;
    private long pendingIndex = -1;
    /** The pending document is the peer's own DATA (not a parent's COPY after the cut). */
    private boolean pendingIsData;
    /** Bytes of the document at {@link #skipIndex} already consumed by the parent (recovery after its death). */
    private long skipIndex = -1;
    private long skipBytes;
    /** Index of the last document read from the inbound queue, -1 if none. */
    private long lastReadIndex = -1;
    /** The index after which this connection's documents start ({@link #startAfter}); 0: the queue's start. */
    private long startAfter;
    private boolean inputEnded;
    private IOException inputError;
    /** Inbound payload bytes this end's application consumed. */
    private long consumedBytes;

    InboundStream(String id, Owner owner, Channel channel, FlagBlock flags, int maxMessageSize, Word consumedWord,
            Doorbell peerBell) {
        this.id = id;
        this.owner = owner;
        this.channel = channel;
        this.reader = channel.reader();
        this.flags = flags;
        this.maxMessageSize = maxMessageSize;
        this.consumedWord = consumedWord;
        this.peerBell = peerBell;
        // grows to the largest document read (Document.prepare); 64 KiB up front was a quarter of the acceptor's
        // time per connect (a fresh array zeroed, its pages faulted in), for connections that mostly read small ones
        this.doc = new Document(Math.min(maxMessageSize + Messages.HEADER, INITIAL_DOCUMENT_BYTES));
    }

    ReentrantLock lock() {
        return lock;
    }

    ChannelReader reader() {
        return reader;
    }

    /**
     * One step of a receive, under the lock: bytes pending from a document read earlier, else the next document
     * (a data document that fits goes straight into the caller's array). Returns the bytes copied, {@link #END},
     * {@link #EMPTY} or {@link #AGAIN}; throws the error that ended the input.
     */
    int readOnce(byte[] bytes, int off, int len) throws IOException {
        lock.lock();
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
                return END;
            }
            if (owner.inputRevoked()) {
                return AGAIN; // taken over between the gate and the lock: the gate says why
            }
            if (skipIndex >= 0) {
                return pollInbound() ? AGAIN : EMPTY;
            }
            // the common case: a data document that fits goes straight into the caller's array
            int direct = reader.nextDirect(doc, DATA_PREFIX, bytes, off, Math.min(len, maxMessageSize));
            if (direct > 0) {
                pendingPos = pendingEnd = 0;
                pendingIndex = lastReadIndex = doc.index();
                owner.onDocumentRead(MessageType.DATA, direct);
                consumed(pendingIndex, direct, direct, true);
                return direct;
            }
            if (direct == ChannelReader.HELD) {
                dispatch(); // anything else: control documents, larger documents, bad input
                return AGAIN;
            }
            return direct == 0 ? AGAIN : EMPTY; // an empty data document carries nothing
        } finally {
            lock.unlock();
        }
    }

    /** Bytes readable without waiting, like a socket's available(): polls one document if none is pending. */
    int available() throws IOException {
        lock.lock();
        try {
            if (pendingPos >= pendingEnd && !inputEnded && !owner.inputRevoked()) {
                pollInbound();
            }
            return pendingEnd - pendingPos;
        } finally {
            lock.unlock();
        }
    }

    /**
     * For a non-blocking reader: the bytes a read returns at once, polling control documents on the way; -1 once the
     * input ended; 0 if a read would wait. Never waits. {@code endedElsewhere}: the end closed or the connection failed.
     */
    int readableNow(boolean endedElsewhere) throws IOException {
        lock.lock();
        try {
            for (int polls = 0; pendingPos >= pendingEnd && !inputEnded && !owner.inputRevoked() && polls < 64; polls++) {
                if (!pollInbound()) {
                    break;
                }
            }
            if (pendingPos < pendingEnd) {
                return pendingEnd - pendingPos;
            }
            return inputEnded || endedElsewhere ? -1 : 0;
        } finally {
            lock.unlock();
        }
    }

    /** Reads one document if there is one; under the lock. */
    boolean pollInbound() throws IOException {
        if (!reader.next(doc)) {
            return false;
        }
        dispatch();
        return true;
    }

    /** Handles the document just read into {@link #doc} (under the lock). */
    private void dispatch() throws IOException {
        MessageType type;
        try {
            type = parser.reset(doc).type();
            if (type == MessageType.DATA || (type == MessageType.COPY && owner.acceptsCopies())) {
                int payload = doc.length() - Messages.HEADER;
                if (payload > maxMessageSize) {
                    throw new ViaProtocolException(type + " document of " + payload + " bytes exceeds the maximum of "
                            + maxMessageSize);
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
                owner.onDocumentRead(type, payload);
                return;
            }
            lastReadIndex = doc.index();
            owner.onControl(type, parser, doc);
        } catch (ViaProtocolException e) {
            endInput(e);
            owner.failProtocol(e.getMessage());
            throw e;
        }
    }

    /**
     * Where this connection's documents start (the reader's "start"): after the document at {@code index}, the last
     * one of the previous use of a connection slot; 0: the queue's start. Positions the reader there.
     */
    void startAfter(long index) throws ViaException {
        lock.lock();
        try {
            startAfter = index;
            toStart();
        } finally {
            lock.unlock();
        }
    }

    private void toStart() throws ViaException {
        if (startAfter <= 0) {
            reader.toStart();
        } else if (channel.isReclaimed(startAfter)) {
            // the ring frees documents one by one: this use's consumer (a parent, before a handover) consumed past
            // the previous use's last document, so what is left all comes after it
            reader.toStart();
        } else if (!reader.moveToIndex(startAfter) || !reader.next(new Document(64))) {
            if (channel.isReclaimed(startAfter)) {
                // reclaimed between the check and the move: a child made while its slot's use's parent consumes
                reader.toStart();
                return;
            }
            throw new ViaException("connection " + id + ": cannot find the previous use's last document "
                    + Long.toHexString(startAfter) + " in " + channel.directory() + " (deleted?)");
        }
    }

    /** Positions the reader (under the lock): the next document read is the one at {@code index}. */
    void positionReader(long index, long bytesAlreadyConsumed) throws ViaException {
        pendingPos = pendingEnd = 0;
        if (index < 0) {
            toStart();
            return;
        }
        if (!reader.moveToIndex(index)) {
            throw new ViaException("connection " + id + ": cannot find document " + Long.toHexString(index)
                    + " in " + channel.directory() + " (deleted?)");
        }
        if (bytesAlreadyConsumed > 0) {
            skipIndex = index;
            skipBytes = bytesAlreadyConsumed;
        }
    }

    /** Positions the reader right after the document at {@code index} (the start if {@code index <= 0}). */
    void positionAfter(long index) throws ViaException {
        if (index <= 0) {
            toStart();
            return;
        }
        if (!reader.moveToIndex(index) || !reader.next(new Document(64))) {
            throw new ViaException("connection " + id + ": cannot find document " + Long.toHexString(index)
                    + " in " + channel.directory() + " (deleted?)");
        }
    }

    long lastReadIndex() {
        return lastReadIndex;
    }

    /** Ends the input stream: later reads return end of stream, or throw {@code error} if not null. */
    void endInput(IOException error) {
        inputEnded = true;
        if (error != null && inputError == null) {
            inputError = error;
        }
    }

    /** True once the peer ended the stream with an orderly CLOSE. */
    boolean inputEndedCleanly() {
        return inputEnded && inputError == null;
    }

    /** The unconsumed remainder of the current data document, then forgets it. */
    byte[] takePending() {
        int n = pendingEnd - pendingPos;
        byte[] b = new byte[Math.max(n, 0)];
        if (n > 0) {
            System.arraycopy(pendingBuf, pendingPos, b, 0, n);
        }
        pendingPos = pendingEnd = 0;
        return b;
    }

    /** {index, bytes consumed} of the data document read last, index -1 if none. */
    long[] consumedPosition() {
        return new long[] {pendingIndex, pendingIndex < 0 ? 0 : pendingPos - Messages.HEADER};
    }

    /**
     * COPY framing (step 4b of a handover): appends {@code bytes} to this stream's own queue as COPY documents of at
     * most the maximum message size, for the child that reads the queue next; returns the first one's index, -1 if
     * there was nothing to copy.
     */
    long appendCopies(byte[] bytes) {
        Messages.Writer h = new Messages.Writer().start(MessageType.COPY);
        long first = -1;
        for (int off = 0; off < bytes.length; off += maxMessageSize) {
            long index = channel.append(h.bytes(), h.length(), bytes, off, Math.min(maxMessageSize, bytes.length - off));
            if (off == 0) {
                first = index;
            }
        }
        return first;
    }

    /**
     * The one place where consumption is published (under the lock): the application took {@code n} more bytes,
     * up to {@code offset} of document {@code index}. The consumed count goes to the flag block for the sender's
     * window; the role records its position; documents before a DATA document are released (a COPY sits after the
     * cut, past documents the child has still to read, so it releases nothing); then the sender is woken (it parks on
     * its own doorbell, our peer's: a fence and a read when it is not).
     *
     * <p>The position is recorded before the release: a forked parent killed between the two leaves a position
     * whose document still exists (the child recovering from the parent's death starts there, and releases what
     * precedes it when it consumes). In the other order the recorded position was the previous document's, which the
     * release had just freed for the sender's next lap: the child could not find it ("cannot find document ...
     * (deleted?)", the connection failed as a protocol violation), once in a CI run of the unreaped-parent test.
     */
    private void consumed(long index, long offset, int n, boolean data) {
        long total = consumedBytes += n;
        flags.setRelease(consumedWord, total);
        owner.onConsumed(index, offset);
        if (data) {
            channel.reclaimBefore(index); // every earlier document is consumed
        }
        // after the reclaim: a sender woken here (a selector waiting for OP_WRITE) must find the room of both
        peerBell.ring();
    }

    long consumedBytes() {
        return consumedBytes;
    }

    /** Takes over the consumed count (a child continuing the parent's). */
    void takeOverConsumed(long bytes) {
        consumedBytes = bytes;
        flags.set(consumedWord, bytes);
    }
}
