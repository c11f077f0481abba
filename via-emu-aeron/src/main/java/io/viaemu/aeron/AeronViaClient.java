package io.viaemu.aeron;

import java.io.IOException;
import java.net.ConnectException;
import java.net.DatagramSocket;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.Image;
import io.aeron.Subscription;
import io.aeron.logbuffer.ControlledFragmentHandler;
import io.viaemu.ViaProtocolException;
import io.viaemu.ViaRefusedException;
import io.viaemu.ViaTimeoutException;
import org.agrona.concurrent.IdleStrategy;

/**
 * Connects a client on another host to a via-emu endpoint through the gateway ({@link AeronGateway}) on the
 * server's host, over Aeron UDP:
 *
 * <pre>
 * ViaConnection c = AeronViaClient.connect("10.0.0.5:40123", "echo", token);
 * </pre>
 *
 * The client JVM runs an embedded Aeron media driver (or uses the one {@code -Daeron.dir} names); it subscribes on
 * an ephemeral UDP port of the address its route to the gateway leaves from, publishes to the gateway, and the two
 * authenticate each other over nonces with the shared token (see {@link Frames}). The gateway then opens an ordinary
 * local via-emu connection to the endpoint for this client.
 */
public final class AeronViaClient {
    private AeronViaClient() {
    }

    /** {@link #connect(String, String, byte[], AeronOptions)} with the token as UTF-8 and the system properties. */
    public static AeronRemoteConnection connect(String gateway, String endpoint, String token) throws IOException {
        return connect(gateway, endpoint, token.getBytes(StandardCharsets.UTF_8), AeronOptions.fromSystemProperties());
    }

    /**
     * Opens a connection to {@code endpoint} through the gateway at {@code gateway} ({@code host:port}).
     *
     * @throws ConnectException when no gateway answers in the connect timeout
     * @throws ViaRefusedException when the gateway refuses (wrong token, unknown endpoint, no server on it) or does
     *         not prove that it knows the token
     */
    public static AeronRemoteConnection connect(String gateway, String endpoint, byte[] token, AeronOptions options)
            throws IOException {
        if (endpoint.isEmpty() || endpoint.getBytes(StandardCharsets.UTF_8).length > Frames.MAX_ENDPOINT_LENGTH) {
            throw new IllegalArgumentException("bad endpoint name: '" + endpoint + "'");
        }
        if (token.length == 0) {
            throw new IllegalArgumentException("empty token");
        }
        InetSocketAddress target = parse(gateway);
        InetAddress local;
        try (DatagramSocket probe = new DatagramSocket()) {
            probe.connect(target); // no packet: the kernel picks the source address of the route to the gateway
            local = probe.getLocalAddress();
        }
        long deadline = System.nanoTime() + options.connectTimeout().toNanos();
        Aeron aeron = Drivers.clientAeron(options);
        AtomicReference<AeronRemoteConnection> made = new AtomicReference<>();
        Subscription sub = aeron.addSubscription("aeron:udp?endpoint=" + literal(local) + ":0", Frames.DOWN_STREAM,
                image -> { }, image -> {
                    AeronRemoteConnection c = made.get();
                    if (c != null) {
                        c.streamEnded();
                    }
                });
        ExclusivePublication pub = null;
        try {
            String resolved;
            while ((resolved = sub.resolvedEndpoint()) == null) {
                await(deadline, "the Aeron driver did not bind a UDP port for the reply stream", gateway);
            }
            int replyPort = Integer.parseInt(resolved.substring(resolved.lastIndexOf(':') + 1));
            pub = aeron.addExclusivePublication("aeron:udp?endpoint=" + literal(target.getAddress()) + ":"
                    + target.getPort(), Frames.UP_STREAM);
            while (!pub.isConnected()) {
                if (System.nanoTime() - deadline > 0) {
                    throw new ConnectException("no via-emu Aeron gateway answers at " + gateway + " (connect timeout "
                            + options.connectTimeout().toMillis() + " ms)");
                }
                TimeUnit.MILLISECONDS.sleep(1);
            }
            DriverPump driver = Drivers.clientPump();
            AeronLink link = new AeronLink(pub, "gateway " + gateway, options.peerTimeoutNanos(),
                    options.newIdleStrategy(), driver);
            byte[] clientNonce = Frames.nonce();
            link.send(Frames.Hello.encode(replyPort, clientNonce, endpoint), deadline);
            while (sub.imageCount() == 0) {
                await(deadline, "the gateway did not open its stream back to " + literal(local) + ":" + replyPort
                        + " (a firewall in the way?)", gateway);
            }
            Image image = sub.imageAtIndex(0);
            Frame challenge = next(image, deadline, gateway, driver);
            if (challenge.type == Frames.ERROR) {
                throw new ViaRefusedException("refused by the via-emu gateway at " + gateway + ": "
                        + new String(challenge.body, StandardCharsets.UTF_8));
            }
            if (challenge.type != Frames.CHALLENGE || challenge.body.length != Frames.NONCE_LENGTH
                    + Frames.PROOF_LENGTH) {
                throw new ViaProtocolException("expected CHALLENGE from " + gateway + ", got "
                        + Frames.typeName(challenge.type));
            }
            byte[] serverNonce = new byte[Frames.NONCE_LENGTH];
            byte[] gatewayProof = new byte[Frames.PROOF_LENGTH];
            System.arraycopy(challenge.body, 0, serverNonce, 0, Frames.NONCE_LENGTH);
            System.arraycopy(challenge.body, Frames.NONCE_LENGTH, gatewayProof, 0, Frames.PROOF_LENGTH);
            // The gateway judges the client's proof first (so a wrong token is refused, and logged, there); the
            // gateway's own proof is checked too before the connection is used.
            boolean gatewayKnowsToken = Frames.sameProof(Frames.gatewayProof(token, clientNonce, serverNonce,
                    endpoint), gatewayProof);
            byte[] proof = Frames.clientProof(token, serverNonce, clientNonce, endpoint, pub.sessionId());
            link.send(Frames.AUTH, proof, 0, proof.length, deadline);
            Frame answer = next(image, deadline, gateway, driver);
            if (answer.type == Frames.ERROR) {
                throw new ViaRefusedException("refused by the via-emu gateway at " + gateway + ": "
                        + new String(answer.body, StandardCharsets.UTF_8));
            }
            if (!gatewayKnowsToken) {
                byte[] why = "the gateway's proof does not match the client's token".getBytes(StandardCharsets.UTF_8);
                link.send(Frames.ERROR, why, 0, why.length, deadline);
                throw new ViaRefusedException("the gateway at " + gateway + " did not prove that it knows the token"
                        + " (not the via-emu gateway it claims to be)");
            }
            if (answer.type != Frames.WELCOME) {
                throw new ViaProtocolException("expected WELCOME from " + gateway + ", got "
                        + Frames.typeName(answer.type));
            }
            link.heard();
            AeronRemoteConnection c = new AeronRemoteConnection(new String(answer.body, StandardCharsets.UTF_8),
                    gateway, sub, image, link, options);
            made.set(c);
            return c;
        } catch (IOException | RuntimeException e) {
            if (pub != null) {
                pub.close();
            }
            sub.close();
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            if (pub != null) {
                pub.close();
            }
            sub.close();
            throw new IOException("interrupted while connecting to " + gateway, e);
        }
    }

    static InetSocketAddress parse(String hostPort) throws UnknownHostException {
        int colon = hostPort.lastIndexOf(':');
        if (colon <= 0 || colon == hostPort.length() - 1) {
            throw new IllegalArgumentException("not host:port: '" + hostPort + "'");
        }
        String host = hostPort.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(hostPort.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not host:port: '" + hostPort + "'");
        }
        InetSocketAddress a = new InetSocketAddress(host, port);
        if (a.isUnresolved()) {
            throw new UnknownHostException(host);
        }
        return a;
    }

    static String literal(InetAddress a) {
        return a instanceof Inet6Address ? "[" + a.getHostAddress() + "]" : a.getHostAddress();
    }

    private static void await(long deadline, String what, String gateway) throws IOException {
        if (System.nanoTime() - deadline > 0) {
            throw new ViaTimeoutException("connecting to the via-emu gateway at " + gateway + " timed out: " + what);
        }
        try {
            TimeUnit.MILLISECONDS.sleep(1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while connecting to " + gateway, e);
        }
    }

    /** One handshake frame. */
    static final class Frame {
        final byte type;
        final byte[] body;

        Frame(byte type, byte[] body) {
            this.type = type;
            this.body = body;
        }
    }

    /** The next whole frame on {@code image}, leaving what follows it in the image. */
    static Frame next(Image image, long deadline, String peer, DriverPump driver) throws IOException {
        AtomicReference<Frame> got = new AtomicReference<>();
        ControlledFragmentHandler h = (buffer, offset, length, header) -> {
            if (length < 1 || (header.flags() & 0xC0) != 0xC0) {
                got.set(new Frame((byte) 0, new byte[0]));
            } else {
                got.set(new Frame(buffer.getByte(offset), Frames.body(buffer, offset, length)));
            }
            return ControlledFragmentHandler.Action.BREAK;
        };
        IdleStrategy idle = AeronOptions.defaults().newIdleStrategy();
        while (got.get() == null) {
            if (image.isClosed()) {
                throw new IOException("the Aeron stream from " + peer + " ended during the handshake");
            }
            int driverWork = driver.invoke();
            if (image.controlledPoll(h, 1) == 0) {
                if (System.nanoTime() - deadline > 0) {
                    throw new ViaTimeoutException("no answer from " + peer + " in the connect timeout");
                }
                idle.idle(driverWork);
            }
        }
        return got.get();
    }
}
