package io.viaemu.protocol;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.locks.ReentrantLock;

import io.viaemu.ViaConfig;
import io.viaemu.ViaTimeoutException;
import io.viaemu.idle.Doorbell;
import io.viaemu.idle.IdleStrategy;
import io.viaemu.protocol.FlagBlock.Word;
import io.viaemu.transport.Channel;

/**
 * The outbound half of a connection end's byte stream: DATA framing, the disk quota, and flow control (a send blocks
 * while its window is full). Guarded by {@link #lock()}, which the roles also hold to put control documents into
 * the stream (the connection end's {@code sendLock}).
 *
 * <p>The books: this end adds what it appended to its direction's appended word (after the append: a writer killed
 * in between leaves the window wider by one document, never stuck); the peer's reader publishes what its
 * application consumed; a send blocks while the difference reaches the window, ours or the peer's advertised receive
 * window if smaller.
 */
final class OutboundStream {

    /** What a blocked send asks of the connection end that owns it. */
    interface Owner {
        /** Throws what ends a blocked send: a close from another thread, a failed connection. */
        void checkStillSending() throws IOException;

        /** Fails the connection for its disk quota; returns what the write throws. */
        IOException quotaExceeded(long quota);

        /** The role's gate in front of every send; may wait (an intermission) or throw. */
        void beforeSend() throws IOException;
    }

    private final ReentrantLock lock = new ReentrantLock();
    private final String id;
    private final Owner owner;
    private final Channel channel;
    private final FlagBlock flags;
    private final ViaConfig config;
    private final Doorbell ownBell;
    /** Header of the DATA document being written. */
    private final Messages.Writer header = new Messages.Writer();
    private final IdleStrategy idle;
    private final Word appendedWord;
    private final Word peerConsumedWord;
    private final Word peerReceiveWindowWord;
    /** The peer's consumed count as last read: re-read only when the window looks full. */
    private long peerConsumedSeen;
    private volatile long sendWindow;
    private byte[] scratch;
    /** What a data append waiting for the channel's room checks between parks: as {@link #awaitWindow}. */
    private final Channel.SpaceWait roomWait;

    OutboundStream(String id, Owner owner, Channel channel, FlagBlock flags, ViaConfig config, Doorbell ownBell,
            Word appendedWord, Word peerConsumedWord, Word peerReceiveWindowWord) {
        this.id = id;
        this.owner = owner;
        this.channel = channel;
        this.flags = flags;
        this.config = config;
        this.ownBell = ownBell;
        this.appendedWord = appendedWord;
        this.peerConsumedWord = peerConsumedWord;
        this.peerReceiveWindowWord = peerReceiveWindowWord;
        this.idle = config.pauser().newIdleStrategy();
        this.sendWindow = config.sendWindow();
        this.roomWait = () -> {
            owner.checkStillSending();
            owner.beforeSend();
        };
    }

    ReentrantLock lock() {
        return lock;
    }

    /** The idle strategy of waits under the lock (the window, a client's intermission). */
    IdleStrategy idle() {
        return idle;
    }

    /**
     * Writes {@code bytes[off..off+len)} as DATA documents (under the lock, after the role's gate): pieces of at most
     * the maximum message size, each as large as the window allows.
     */
    void write(byte[] bytes, int off, int len) throws IOException {
        int max = config.maxMessageSize();
        do {
            int n = windowRoom(Math.min(len, max));
            appendData(bytes, off, n);
            off += n;
            len -= n;
        } while (len > 0);
    }

    /** A direct buffer goes through a scratch array, in pieces under the one lock, so it stays contiguous. */
    void write(ByteBuffer buffer, ConnectionEnd end) throws IOException {
        lock.lock();
        try {
            if (scratch == null) {
                scratch = new byte[Math.min(config.maxMessageSize(), 64 * 1024)];
            }
            while (buffer.hasRemaining()) {
                int n = Math.min(buffer.remaining(), scratch.length);
                buffer.get(scratch, 0, n);
                end.send(scratch, 0, n);
            }
        } finally {
            lock.unlock();
        }
    }

    private void appendData(byte[] bytes, int off, int len) throws IOException {
        if (config.connectionDiskQuota() > 0
                && flags.getAndAdd(Word.BYTES_APPENDED, len) + len > config.connectionDiskQuota()) {
            throw owner.quotaExceeded(config.connectionDiskQuota());
        }
        header.start(MessageType.DATA);
        // rings the peer's doorbell; a channel of bounded room (a ring full of small documents before the window
        // is) waits for room as the window wait does: ended by a close or failure, a client confirms an intermission
        channel.append(header.bytes(), header.length(), bytes, off, len, roomWait);
        // counted after the append: a writer killed in between leaves the window wider, never stuck
        flags.getAndAdd(appendedWord, len);
    }

    /**
     * Bytes one data document takes now without waiting for the peer's reader: the window's room, and the channel's
     * room for one document (a ring full of small documents fills before the window does); {@code Long.MAX_VALUE}
     * without either bound.
     */
    long roomNow() {
        long channelRoom = channel.roomNow(Messages.HEADER);
        long window = effectiveWindow();
        if (window <= 0) {
            return channelRoom;
        }
        return Math.min(channelRoom, Math.max(0, window - (flags.get(appendedWord) - flags.get(peerConsumedWord))));
    }

    /** The room at which a non-blocking writer is woken: a quarter of the window, at most 64 KiB; 1 without one. */
    long writeLowWater() {
        long window = effectiveWindow();
        return window <= 0 ? 1 : Math.max(1, Math.min(window / 4, 64 * 1024));
    }

    /** The window in force for our sends: ours, or the peer's advertised receive window if smaller; 0 = none. */
    long effectiveWindow() {
        long own = sendWindow;
        long peer = flags.get(peerReceiveWindowWord);
        if (own <= 0) {
            return peer;
        }
        return peer > 0 ? Math.min(own, peer) : own;
    }

    /**
     * How many of the {@code wanted} bytes may be appended now; blocks while the window is full. Like TCP's
     * silly-window avoidance, a write waits until the whole of it fits, or, if it is larger than a quarter of the
     * window, until a quarter of the window is free: the stream goes on in large pieces, not in the trickle a
     * reader's single reads open.
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
     * Waits (under the lock) until the window has {@code needed} bytes free and returns the free bytes. Each pass
     * checks what ends a blocked write (the owner's {@link Owner#checkStillSending}) and the role's gate (a client
     * confirms an intermission here, so a handover proceeds under a blocked write; a parent whose connection is
     * being handed over stops). Between passes the writer parks on its own doorbell, which the reader rings when it
     * publishes consumption (and a failure or close rings too).
     */
    long awaitWindow(long needed, long deadlineNanos) throws IOException {
        idle.reset();
        try {
            while (true) {
                owner.checkStillSending();
                owner.beforeSend();
                long window = effectiveWindow();
                peerConsumedSeen = flags.get(peerConsumedWord);
                long room = window <= 0 ? Long.MAX_VALUE : window - (flags.get(appendedWord) - peerConsumedSeen);
                if (room >= Math.min(needed, Math.max(1, window / 4))) {
                    return room;
                }
                if (System.nanoTime() - deadlineNanos > 0) {
                    throw new ViaTimeoutException("send on connection " + id + " blocked on a full window of "
                            + window + " bytes");
                }
                idle.idle(ownBell, deadlineNanos);
            }
        } finally {
            idle.reset();
        }
    }

    void setSendWindow(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("send window must not be negative: " + bytes);
        }
        sendWindow = bytes;
    }

    long sendWindow() {
        return sendWindow;
    }
}
