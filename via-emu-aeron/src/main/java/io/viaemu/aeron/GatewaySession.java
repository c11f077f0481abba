package io.viaemu.aeron;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

import io.aeron.ExclusivePublication;
import io.aeron.Image;
import io.aeron.logbuffer.ControlledFragmentHandler;
import io.aeron.logbuffer.Header;
import io.viaemu.ViaClient;
import io.viaemu.ViaConnection;
import io.viaemu.protocol.ConnectionEnd;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One remote client at the gateway: its Aeron image (the client's stream to the gateway's subscription) and the
 * gateway's publication back to it, terminated into an ordinary local via-emu connection, for which the gateway is
 * the client role. Everything of the handover (S7/S47, S10, S11, S49-S51, S13, T1-T4, the parent's death) runs
 * between that local connection, the parent and the child, on this host, unchanged.
 *
 * <p>One thread, a duty cycle over both directions that never waits on either: it takes DATA off the image into
 * the local connection only as far as the connection's send window has room ({@code sendRoomNow}; a frame that
 * does not fit is left in the image, so Aeron's flow control pushes back on the client, whose sends block), and it
 * takes what the local connection has ({@code readableNow}) onto the publication only as fast as Aeron accepts it
 * (a back-pressured frame is kept and retried; meanwhile the local connection is not read, so the server's sends
 * block on via-emu's window). Nothing is dropped either way. Between cycles without work the thread idles with the
 * Aeron idle strategy ({@code via.aeron.idle}), the same as the drivers'. Why one thread and not a blocking reader
 * per direction: a round trip then finds this thread still spinning from the request it just carried up when the
 * answer comes down, instead of a second thread parked on the connection's futex (a profile of the two-thread
 * design showed that wake-up, and the one it rang on the server's side, as the largest part of the gateway's
 * share of the round trip).
 */
final class GatewaySession {
    private static final Logger LOG = LoggerFactory.getLogger(GatewaySession.class);
    private static final int UNFRAGMENTED = 0xC0;
    /** DATA frames taken off the image in one poll go into one local document of at most this many bytes. */
    private static final int UP_BATCH = 64 * 1024;
    /** The most taken off the local connection at once. */
    private static final int DOWN_CHUNK = 64 * 1024;
    /**
     * Diagnostics only ({@code -Dvia.aeron.stamps=true}, RemoteBench {@code --stamps}): a DATA message of exactly
     * {@value #STAMPED_LENGTH} bytes gets {@code System.nanoTime()} stamps written into it on its way through the
     * gateway (longs 1-4 going up, 6-7 coming down; the bench writes 0 and 5), for a per-hop breakdown of a round
     * trip. Off by default: the bytes then pass untouched.
     */
    static final boolean STAMPS = Boolean.getBoolean("via.aeron.stamps");
    static final int STAMPED_LENGTH = 64;

    private final AeronGateway gateway;
    private final Image image;
    private final String source;
    private final AeronOptions options;
    private final AtomicBoolean ended = new AtomicBoolean();
    private volatile boolean closing;
    private volatile AeronLink link;
    private volatile ConnectionEnd connection;
    private final ControlledFragmentHandler upHandler = this::onUpFragment;
    private final byte[] upBatch = new byte[UP_BATCH];
    private int upBatchLength;
    private final UnsafeBuffer upStamps = new UnsafeBuffer(upBatch);
    private long cycleStart;
    private long afterInvoke;
    private long previousCycleStart;
    private final byte[] down = new byte[DOWN_CHUNK];
    private int downOffset;
    private int downLength;
    private boolean downEnded;
    private boolean shutdownSent;

    GatewaySession(AeronGateway gateway, Image image, AeronOptions options) {
        this.gateway = gateway;
        this.image = image;
        this.source = image.sourceIdentity();
        this.options = options;
    }

    void start() {
        Thread t = new Thread(this::run, "via-aeron-session-" + image.sessionId());
        t.setDaemon(true);
        t.start();
    }

    String describe() {
        ViaConnection c = connection;
        return "client " + source + " (Aeron session " + image.sessionId() + ")"
                + (c != null ? " on via-emu connection " + c.id() : "");
    }

    /** From the subscription's unavailable-image handler: the client's stream is gone. */
    void streamEnded() {
        if (!closing) {
            end("its Aeron stream ended without a CLOSE (the client's driver stopped or timed the stream out)", false);
        }
    }

    private void run() {
        try {
            if (!handshake()) {
                return;
            }
            dutyCycle();
        } catch (UncheckedIOException e) {
            if (!closing) {
                end("the local via-emu connection failed: " + e.getCause().getMessage(), true);
            }
        } catch (IOException | RuntimeException e) {
            if (!closing) {
                end(e.getMessage() == null ? e.toString() : e.getMessage(), true);
            }
        }
    }

    /** HELLO, CHALLENGE, AUTH, then the local connection and WELCOME; false (and the session ended) if refused. */
    private boolean handshake() throws IOException {
        long deadline = System.nanoTime() + options.connectTimeout().toNanos();
        AeronViaClient.Frame first = AeronViaClient.next(image, deadline, "client " + source, gateway.pump());
        if (first.type != Frames.HELLO) {
            end("its first frame was " + Frames.typeName(first.type) + ", not HELLO", false);
            return false;
        }
        byte[] helloFrame = Frames.withType(Frames.HELLO, first.body);
        Frames.Hello hello = Frames.Hello.decode(new UnsafeBuffer(helloFrame), 0,
                helloFrame.length);
        String host = source.substring(0, source.lastIndexOf(':'));
        // the reply goes to the address the client's packets came from, only the port is the client's to choose
        ExclusivePublication pub = gateway.aeron().addExclusivePublication("aeron:udp?endpoint=" + host + ":"
                + hello.replyPort, Frames.DOWN_STREAM);
        link = new AeronLink(pub, "client " + source, options.peerTimeoutNanos(), options.newIdleStrategy(),
                gateway.pump());
        while (!pub.isConnected()) {
            if (System.nanoTime() - deadline > 0) {
                end("it never subscribed to the reply stream on " + host + ":" + hello.replyPort, false);
                return false;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        if (hello.version != Frames.VERSION) {
            refuse("protocol version " + hello.version + " is not supported (this gateway speaks "
                    + Frames.VERSION + ")");
            return false;
        }
        // the endpoint's own token if it has one, else the gateway's; an endpoint with neither gets a random one,
        // so that it is refused like a wrong token (which endpoints exist is not told before authentication)
        byte[] token = gateway.tokenFor(hello.endpoint);
        boolean ownToken = gateway.hasOwnToken(hello.endpoint);
        byte[] serverNonce = Frames.nonce();
        byte[] proof = Frames.gatewayProof(token, hello.clientNonce, serverNonce, hello.endpoint);
        byte[] challenge = new byte[Frames.NONCE_LENGTH + Frames.PROOF_LENGTH];
        System.arraycopy(serverNonce, 0, challenge, 0, Frames.NONCE_LENGTH);
        System.arraycopy(proof, 0, challenge, Frames.NONCE_LENGTH, Frames.PROOF_LENGTH);
        link.send(Frames.CHALLENGE, challenge, 0, challenge.length, deadline);
        AeronViaClient.Frame auth = AeronViaClient.next(image, deadline, "client " + source, gateway.pump());
        byte[] expected = Frames.clientProof(token, serverNonce, hello.clientNonce, hello.endpoint,
                image.sessionId());
        if (auth.type != Frames.AUTH || !Frames.sameProof(expected, auth.body)) {
            refuse("authentication failed: wrong token" + (ownToken ? " for endpoint '" + hello.endpoint
                    + "' (it has its own token)" : "") + " (or a replayed handshake)");
            return false;
        }
        if (!gateway.serves(hello.endpoint)) {
            refuse("endpoint '" + hello.endpoint + "' is not served by this gateway");
            return false;
        }
        try {
            ViaConnection c = ViaClient.connect(gateway.viaConfig(), hello.endpoint);
            if (!(c instanceof ConnectionEnd)) {
                c.close();
                refuse("endpoint '" + hello.endpoint + "': its transport gives no non-blocking connection");
                return false;
            }
            connection = (ConnectionEnd) c;
        } catch (IOException e) {
            refuse("endpoint '" + hello.endpoint + "': " + e.getMessage());
            return false;
        }
        link.send(Frames.withType(Frames.WELCOME, connection.id()), deadline);
        link.heard();
        LOG.info("{} connected to endpoint {}", describe(), hello.endpoint);
        return true;
    }

    private void refuse(String reason) {
        LOG.warn("refused client {} (Aeron session {}): {}", source, image.sessionId(), reason);
        sendError(reason);
        end(null, false);
    }

    /**
     * The duty cycle, in the order that keeps a round trip's path short: first the local connection's answer onto the
     * publication, then the driver (INVOKER mode: this invoke puts that answer on the wire at once, and takes the
     * client's packets in), then the client's frames into the local connection; after handing the server work the
     * thread yields at once (unless {@code busy}), so that on a shared core the server has the CPU for it now rather
     * than after another cycle of this thread's driver (a socket read and a send: ~1.3 µs each, measured with
     * {@link #STAMPS}).
     */
    private void dutyCycle() throws IOException {
        IdleStrategy idle = options.newIdleStrategy();
        boolean yieldAfterHandOff = !options.idle().equals("busy");
        AeronLink l = link;
        DriverPump driver = gateway.pump();
        while (!closing) {
            if (STAMPS) {
                previousCycleStart = cycleStart;
                cycleStart = System.nanoTime();
            }
            int work = pumpDown(l);
            // INVOKER mode: this thread runs the driver (sends what pumpDown just claimed, takes the client's packets
            // in) unless another session's thread is running it right now
            int driverWork = driver.invoke();
            if (STAMPS) {
                afterInvoke = System.nanoTime();
            }
            work += image.controlledPoll(upHandler, 16);
            boolean handOff = upBatchLength > 0;
            if (handOff) {
                flushUp();
            }
            if (closing) {
                return;
            }
            if (work == 0) {
                if (image.isClosed()) {
                    streamEnded();
                    return;
                }
                long silence = l.silenceNanos();
                if (silence > l.peerTimeoutNanos()) {
                    end("it stopped answering (nothing heard for " + TimeUnit.NANOSECONDS.toMillis(silence)
                            + " ms, peer timeout " + options.peerTimeout().toMillis() + " ms)", true);
                    return;
                }
            }
            l.heartbeatIfDue(); // also while only the client's direction is busy: the client must hear from us
            if (handOff && yieldAfterHandOff) {
                Thread.yield(); // the server has work: let it run now if it shares this core
            }
            idle.idle(work + driverWork);
        }
    }

    /** Local connection to the client, never waiting: 1 if anything moved. */
    private int pumpDown(AeronLink l) throws IOException {
        int work = 0;
        if (downLength == 0 && !downEnded) {
            try {
                // one pass that never waits: a document goes straight into `down`; -1 at the end; throws a failure
                int r = connection.receiveNow(down, 0, down.length);
                if (r > 0) {
                    if (STAMPS && r == STAMPED_LENGTH) {
                        UnsafeBuffer b = new UnsafeBuffer(down);
                        b.putLong(6 * 8, System.nanoTime());
                        b.putLong(7 * 8, cycleStart);
                    }
                    downLength = r;
                    downOffset = 0;
                    work = 1;
                } else if (r < 0) {
                    downEnded = true;
                    downLength = 0;
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e); // the local connection's failure, said so by run()
            }
        }
        int max = l.maxDataLength();
        while (downOffset < downLength) {
            int n = Math.min(max, downLength - downOffset);
            if (!l.trySend(Frames.DATA, down, downOffset, n)) {
                return work; // back-pressured or not connected: kept, retried next cycle; the local end is not read
            }
            downOffset += n;
            work = 1;
        }
        downLength = 0;
        downOffset = 0;
        if (downEnded && !shutdownSent && l.trySend(Frames.SHUTDOWN, down, 0, 0)) {
            shutdownSent = true; // the client's direction goes on
            work = 1;
        }
        return work;
    }

    private void flushUp() {
        try {
            connection.send(upBatch, 0, upBatchLength); // fits the window (checked per frame): waits only for a handover
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        upBatchLength = 0;
    }

    private ControlledFragmentHandler.Action onUpFragment(DirectBuffer buffer, int offset, int length,
            Header header) {
        link.heard(); // a frame waiting here is the client alive, even when the window keeps it waiting
        if (closing) {
            return ControlledFragmentHandler.Action.ABORT;
        }
        if ((header.flags() & UNFRAGMENTED) != UNFRAGMENTED || length < 1) {
            throw new ClientProtocolError("a fragmented or empty frame");
        }
        byte type = buffer.getByte(offset);
        try {
            switch (type) {
                case Frames.DATA:
                    int n = length - 1;
                    if (upBatchLength + n > upBatch.length || connection.sendRoomNow() < upBatchLength + n) {
                        return ControlledFragmentHandler.Action.ABORT; // stays in the image for the next cycle
                    }
                    buffer.getBytes(offset + 1, upBatch, upBatchLength, n);
                    if (STAMPS && n == STAMPED_LENGTH) {
                        upStamps.putLong(upBatchLength + 8, cycleStart);
                        upStamps.putLong(upBatchLength + 16, afterInvoke);
                        upStamps.putLong(upBatchLength + 24, System.nanoTime());
                        upStamps.putLong(upBatchLength + 32, previousCycleStart);
                    }
                    upBatchLength += n;
                    return ControlledFragmentHandler.Action.CONTINUE;
                case Frames.HEARTBEAT:
                    return ControlledFragmentHandler.Action.CONTINUE;
                case Frames.SHUTDOWN:
                    if (upBatchLength > 0) {
                        flushUp();
                    }
                    connection.shutdownOutput();
                    return ControlledFragmentHandler.Action.BREAK;
                case Frames.CLOSE:
                    if (upBatchLength > 0) {
                        flushUp();
                    }
                    closing = true;
                    LOG.info("{} closed", describe());
                    end(null, false);
                    return ControlledFragmentHandler.Action.BREAK;
                default:
                    throw new ClientProtocolError("unexpected " + Frames.typeName(type) + " frame");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The client broke the wire protocol (not the local connection's fault). */
    private static final class ClientProtocolError extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ClientProtocolError(String message) {
            super(message);
        }
    }

    private void sendError(String reason) {
        AeronLink l = link;
        if (l == null) {
            return;
        }
        byte[] text = reason.getBytes(StandardCharsets.UTF_8);
        int len = Math.min(text.length, l.maxDataLength());
        try {
            l.send(Frames.ERROR, text, 0, len, System.nanoTime() + TimeUnit.SECONDS.toNanos(1));
        } catch (IOException e) {
            LOG.debug("could not tell {} why: {}", source, e.getMessage());
        }
    }

    /**
     * Ends the session once: the reason (if any) logged and, if {@code tellClient}, sent as ERROR; the local
     * connection closed (the server side reads end of stream); the reply publication closed (it lingers in the
     * driver, so the last frames still arrive).
     */
    void end(String reason, boolean tellClient) {
        if (!ended.compareAndSet(false, true)) {
            return;
        }
        closing = true;
        if (reason != null) {
            LOG.warn("{} dropped: {}", describe(), reason);
            if (tellClient) {
                sendError(reason);
            }
        }
        ViaConnection c = connection;
        if (c != null) {
            try {
                c.close();
            } catch (IOException e) {
                LOG.debug("closing {}: {}", describe(), e.getMessage());
            }
        }
        AeronLink l = link;
        if (l != null) {
            l.fail(new IOException("session ended"));
            l.publication().close();
        }
        gateway.sessionEnded(image.sessionId(), this);
    }
}
