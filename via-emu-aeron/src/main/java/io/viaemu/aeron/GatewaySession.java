package io.viaemu.aeron;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

import io.aeron.ExclusivePublication;
import io.aeron.Image;
import io.aeron.logbuffer.FragmentHandler;
import io.aeron.logbuffer.Header;
import io.viaemu.ViaClient;
import io.viaemu.ViaConnection;
import io.viaemu.ViaProtocolException;
import io.viaemu.ViaTimeoutException;
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
 * <p>Two threads: the up thread does the handshake, then polls the image and sends each DATA frame into the local
 * connection. While that send blocks (via-emu's window, an intermission during a handover) the image is not polled,
 * so Aeron's flow control pushes back on the client's publication: its sends block, nothing is dropped. The down
 * thread receives from the local connection and publishes DATA to the client, and heartbeats when idle.
 */
final class GatewaySession {
    private static final Logger LOG = LoggerFactory.getLogger(GatewaySession.class);
    private static final int UNFRAGMENTED = 0xC0;

    private final AeronGateway gateway;
    private final Image image;
    private final String source;
    private final AeronOptions options;
    private final AtomicBoolean ended = new AtomicBoolean();
    private volatile boolean closing;
    private volatile AeronLink link;
    private volatile ViaConnection connection;
    private byte[] scratch = new byte[0];
    private final FragmentHandler upHandler = this::onUpFragment;

    GatewaySession(AeronGateway gateway, Image image, AeronOptions options) {
        this.gateway = gateway;
        this.image = image;
        this.source = image.sourceIdentity();
        this.options = options;
    }

    void start() {
        Thread up = new Thread(this::runUp, "via-aeron-up-" + image.sessionId());
        up.setDaemon(true);
        up.start();
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

    private void runUp() {
        try {
            if (!handshake()) {
                return;
            }
            Thread down = new Thread(this::runDown, "via-aeron-down-" + image.sessionId());
            down.setDaemon(true);
            down.start();
            pumpUp();
        } catch (UncheckedIOException e) {
            end("the local via-emu connection failed: " + e.getCause().getMessage(), true);
        } catch (IOException | RuntimeException e) {
            end(e.getMessage() == null ? e.toString() : e.getMessage(), true);
        }
    }

    /** HELLO, CHALLENGE, AUTH, then the local connection and WELCOME; false (and the session ended) if refused. */
    private boolean handshake() throws IOException {
        long deadline = System.nanoTime() + options.connectTimeout().toNanos();
        AeronViaClient.Frame first = AeronViaClient.next(image, deadline, "client " + source);
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
        link = new AeronLink(pub, "client " + source, options.peerTimeoutNanos(), options.newIdleStrategy());
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
        byte[] serverNonce = Frames.nonce();
        byte[] proof = Frames.gatewayProof(gateway.token(), hello.clientNonce, serverNonce, hello.endpoint);
        byte[] challenge = new byte[Frames.NONCE_LENGTH + Frames.PROOF_LENGTH];
        System.arraycopy(serverNonce, 0, challenge, 0, Frames.NONCE_LENGTH);
        System.arraycopy(proof, 0, challenge, Frames.NONCE_LENGTH, Frames.PROOF_LENGTH);
        link.send(Frames.CHALLENGE, challenge, 0, challenge.length, deadline);
        AeronViaClient.Frame auth = AeronViaClient.next(image, deadline, "client " + source);
        byte[] expected = Frames.clientProof(gateway.token(), serverNonce, hello.clientNonce, hello.endpoint,
                image.sessionId());
        if (auth.type != Frames.AUTH || !Frames.sameProof(expected, auth.body)) {
            refuse("authentication failed: wrong token (or a replayed handshake)");
            return false;
        }
        if (!gateway.serves(hello.endpoint)) {
            refuse("endpoint '" + hello.endpoint + "' is not served by this gateway");
            return false;
        }
        try {
            connection = ViaClient.connect(gateway.viaConfig(), hello.endpoint);
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

    private void pumpUp() {
        IdleStrategy idle = options.newIdleStrategy();
        AeronLink l = link;
        while (!closing) {
            int n = image.poll(upHandler, 16);
            if (n > 0) {
                idle.reset();
                continue;
            }
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
            idle.idle();
        }
    }

    private void onUpFragment(DirectBuffer buffer, int offset, int length, Header header) {
        link.heard();
        if (closing) {
            return;
        }
        if ((header.flags() & UNFRAGMENTED) != UNFRAGMENTED || length < 1) {
            throw new UncheckedIOException(new ViaProtocolException("a fragmented or empty frame"));
        }
        byte type = buffer.getByte(offset);
        try {
            switch (type) {
                case Frames.DATA:
                    int n = length - 1;
                    if (scratch.length < n) {
                        scratch = new byte[link.maxFrameLength()];
                    }
                    buffer.getBytes(offset + 1, scratch, 0, n);
                    connection.send(scratch, 0, n);
                    break;
                case Frames.HEARTBEAT:
                    break;
                case Frames.SHUTDOWN:
                    connection.shutdownOutput();
                    break;
                case Frames.CLOSE:
                    closing = true;
                    LOG.info("{} closed", describe());
                    end(null, false);
                    break;
                default:
                    throw new ViaProtocolException("unexpected " + Frames.typeName(type) + " frame");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void runDown() {
        AeronLink l = link;
        ViaConnection c = connection;
        byte[] buf = new byte[l.maxDataLength()];
        long waitMillis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(l.heartbeatIntervalNanos()) / 2);
        try {
            while (!closing) {
                int n;
                try {
                    n = c.receive(buf, 0, buf.length, waitMillis);
                } catch (ViaTimeoutException e) {
                    l.heartbeatIfDue();
                    continue;
                }
                if (n < 0) {
                    l.send(Frames.SHUTDOWN, buf, 0, 0, 0);
                    while (!closing) { // the client's direction goes on; keep it alive
                        LockSupport.parkNanos(l.heartbeatIntervalNanos() / 2);
                        l.heartbeatIfDue();
                    }
                    return;
                }
                l.send(Frames.DATA, buf, 0, n, 0);
            }
        } catch (IOException e) {
            if (!closing) {
                end("the local via-emu connection failed: " + e.getMessage(), true);
            }
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
