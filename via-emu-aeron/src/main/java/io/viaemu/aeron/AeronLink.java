package io.viaemu.aeron;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

import io.aeron.ExclusivePublication;
import io.aeron.Publication;
import io.aeron.logbuffer.BufferClaim;
import org.agrona.concurrent.IdleStrategy;

/**
 * One direction of a remote connection's Aeron pair, the sending one, plus the liveness bookkeeping both ends keep:
 * when a frame last went out (a heartbeat is due after {@link #heartbeatIntervalNanos} of silence) and when one last
 * came in (the peer is declared gone after {@link #peerTimeoutNanos}).
 *
 * <p>Sends never drop a frame: {@code tryClaim} results other than a position are waited out or turned into an
 * {@link IOException} that says what happened. BACK_PRESSURED and ADMIN_ACTION wait (the receiver is slower, like a
 * full TCP send buffer) while the peer is alive, up to the caller's deadline; NOT_CONNECTED waits at most the peer
 * timeout (a link outage shorter than that heals: Aeron retransmits what was lost); CLOSED and
 * MAX_POSITION_EXCEEDED fail at once. Frames are at most {@link #maxFrameLength()} bytes: Aeron never fragments them.
 */
final class AeronLink {
    private final ExclusivePublication out;
    private final String peer;
    private final long peerTimeoutNanos;
    private final long heartbeatIntervalNanos;
    private final IdleStrategy sendIdle;
    private final DriverPump pump;
    private final BufferClaim claim = new BufferClaim();
    /** ExclusivePublication is single-threaded: the application's sends and the heartbeats share it under this. */
    private final ReentrantLock sendLock = new ReentrantLock();
    private volatile long lastSentNanos = System.nanoTime();
    private volatile long lastHeardNanos = System.nanoTime();
    private volatile IOException failure;
    /** Since when {@link #trySend} has seen NOT_CONNECTED without a frame going out in between; 0 = not. */
    private long trySendNotConnectedSince;

    AeronLink(ExclusivePublication out, String peer, long peerTimeoutNanos, IdleStrategy sendIdle, DriverPump pump) {
        this.out = out;
        this.pump = pump;
        this.peer = peer;
        this.peerTimeoutNanos = peerTimeoutNanos;
        this.heartbeatIntervalNanos = Math.max(TimeUnit.MILLISECONDS.toNanos(5), peerTimeoutNanos / 10);
        this.sendIdle = sendIdle;
    }

    String peer() {
        return peer;
    }

    /** What runs the driver if it has no threads (INVOKER mode); {@link DriverPump#NONE} if it has. */
    DriverPump pump() {
        return pump;
    }

    ExclusivePublication publication() {
        return out;
    }

    long peerTimeoutNanos() {
        return peerTimeoutNanos;
    }

    long heartbeatIntervalNanos() {
        return heartbeatIntervalNanos;
    }

    int maxFrameLength() {
        return out.maxPayloadLength();
    }

    /** The largest DATA body: a frame less its type byte. */
    int maxDataLength() {
        return out.maxPayloadLength() - 1;
    }

    void heard() {
        lastHeardNanos = System.nanoTime();
    }

    long silenceNanos() {
        return System.nanoTime() - lastHeardNanos;
    }

    /** Marks the link failed (the first reason wins); every wait on it ends with this. */
    void fail(IOException reason) {
        if (failure == null) {
            failure = reason;
        }
    }

    IOException failure() {
        return failure;
    }

    void checkFailed() throws IOException {
        IOException f = failure;
        if (f != null) {
            IOException e = new IOException(f.getMessage(), f);
            throw e;
        }
    }

    /** Sends a whole frame. {@code deadlineNanos} 0 = wait while back-pressured for as long as the peer lives. */
    void send(byte type, byte[] body, int off, int len, long deadlineNanos) throws IOException {
        sendLock.lock();
        try {
            sendLocked(type, body, off, len, deadlineNanos);
        } finally {
            sendLock.unlock();
        }
    }

    void send(byte[] frame, long deadlineNanos) throws IOException {
        send(frame[0], frame, 1, frame.length - 1, deadlineNanos);
    }

    /** A heartbeat if nothing went out for an interval and nobody else is sending (then they are the heartbeat). */
    void heartbeatIfDue() {
        if (System.nanoTime() - lastSentNanos < heartbeatIntervalNanos || !sendLock.tryLock()) {
            return;
        }
        try {
            if (out.tryClaim(1, claim) > 0) {
                claim.buffer().putByte(claim.offset(), Frames.HEARTBEAT);
                claim.commit();
                lastSentNanos = System.nanoTime();
            } // back-pressured or not connected: the data in flight tells the peer as much; the next tick retries
        } finally {
            sendLock.unlock();
        }
    }

    /**
     * One attempt, for a caller that must not wait (the gateway's duty cycle): true if the frame went out, false if
     * Aeron said BACK_PRESSURED, ADMIN_ACTION or NOT_CONNECTED (the caller keeps the frame and tries again); throws
     * once NOT_CONNECTED lasted longer than the peer timeout, or the publication is closed or full. One caller
     * thread only.
     */
    boolean trySend(byte type, byte[] body, int off, int len) throws IOException {
        if (!sendLock.tryLock()) {
            return false; // a heartbeat is going out
        }
        try {
            long r = claimFrame(type, body, off, len);
            if (r > 0) {
                trySendNotConnectedSince = 0;
                return true;
            }
            checkFailed();
            trySendNotConnectedSince = afterRefusedOffer(r, trySendNotConnectedSince, System.nanoTime());
            return false;
        } finally {
            sendLock.unlock();
        }
    }

    private RemoteNotConnectedException notConnected(long forNanos) {
        RemoteNotConnectedException e = new RemoteNotConnectedException("the Aeron stream to " + peer
                + " is not connected (no status from the receiver for " + TimeUnit.NANOSECONDS.toMillis(forNanos)
                + " ms, peer timeout " + TimeUnit.NANOSECONDS.toMillis(peerTimeoutNanos) + " ms)");
        fail(e);
        return e;
    }

    /** Writes one frame (type byte, then the body) in place with tryClaim; Aeron's result, positive if sent. */
    private long claimFrame(byte type, byte[] body, int off, int len) {
        long r = out.tryClaim(len + 1, claim);
        if (r > 0) {
            claim.buffer().putByte(claim.offset(), type);
            if (len > 0) {
                claim.buffer().putBytes(claim.offset() + 1, body, off, len);
            }
            claim.commit();
            lastSentNanos = System.nanoTime();
        }
        return r;
    }

    /**
     * What a refused offer ({@code r <= 0}) means: NOT_CONNECTED for longer than the peer timeout, a closed
     * publication or an exhausted stream end the send with an error; BACK_PRESSURED or ADMIN_ACTION mean the receiver
     * is there, just behind.
     *
     * @return since when the publication has not been connected (0 if it is)
     */
    private long afterRefusedOffer(long r, long notConnectedSince, long now) throws IOException {
        if (r == Publication.NOT_CONNECTED) {
            if (notConnectedSince == 0) {
                return now;
            }
            if (now - notConnectedSince > peerTimeoutNanos) {
                throw notConnected(now - notConnectedSince);
            }
            return notConnectedSince;
        }
        if (r == Publication.CLOSED) {
            throw new IOException("the Aeron publication to " + peer + " is closed");
        }
        if (r == Publication.MAX_POSITION_EXCEEDED) {
            IOException e = new IOException("the Aeron stream to " + peer + " reached its maximum position");
            fail(e);
            throw e;
        }
        return 0;
    }

    private void sendLocked(byte type, byte[] body, int off, int len, long deadlineNanos) throws IOException {
        if (len + 1 > out.maxPayloadLength()) {
            throw new IllegalArgumentException("frame of " + (len + 1) + " bytes > " + out.maxPayloadLength());
        }
        sendIdle.reset();
        long notConnectedSince = 0;
        while (true) {
            long r = claimFrame(type, body, off, len);
            if (r > 0) {
                return;
            }
            checkFailed();
            long now = System.nanoTime();
            notConnectedSince = afterRefusedOffer(r, notConnectedSince, now);
            if (deadlineNanos != 0 && now - deadlineNanos > 0) {
                throw new RemoteBackPressureException("send to " + peer + " timed out: back-pressured (Aeron "
                        + (r == Publication.ADMIN_ACTION ? "ADMIN_ACTION" : "BACK_PRESSURED")
                        + "): the receiver is alive but does not read", 0);
            }
            sendIdle.idle(pump.invoke()); // the driver sends what is in the term and takes in the receiver's status
        }
    }
}
