package io.viaemu.aeron;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import io.viaemu.ViaProtocolException;
import org.agrona.DirectBuffer;

/**
 * The wire protocol between a remote client and the gateway: one Aeron message per frame, never fragmented by Aeron
 * (every frame fits the publication's {@code maxPayloadLength}), its first byte the type.
 *
 * <pre>
 * client -> gateway  HELLO      version:int32 replyPort:int32 clientNonce:32 endpointLength:int16 endpoint:utf8
 * gateway -> client  CHALLENGE  serverNonce:32 proof:32   proof = HMAC-SHA256(token, "gateway" clientNonce serverNonce endpoint)
 * client -> gateway  AUTH       proof:32                  proof = HMAC-SHA256(token, "client" serverNonce clientNonce endpoint upSession)
 * gateway -> client  WELCOME    connection id:utf8        the local via-emu connection is open
 * both               DATA       bytes                     a piece of the byte stream
 * both               HEARTBEAT  (empty)                   sent when nothing else went out for a heartbeat interval
 * both               SHUTDOWN   (empty)                   end of this direction's stream (the other still works)
 * client -> gateway  CLOSE      (empty)                   the client closed; the gateway closes the local connection
 * both               ERROR      reason:utf8               the connection failed (refused, peer timeout, the server side failed)
 * </pre>
 *
 * Both sides prove they know the shared token without sending it, each over a nonce of the other's, so a recorded
 * handshake cannot be replayed and a host that does not know the token cannot pose as the gateway either.
 */
final class Frames {
    static final int VERSION = 1;
    /** The gateway's subscription (all clients publish to it) and the stream it publishes back to each client on. */
    static final int UP_STREAM = 0x7669_0001;
    static final int DOWN_STREAM = 0x7669_0002;

    static final byte HELLO = 1;
    static final byte CHALLENGE = 2;
    static final byte AUTH = 3;
    static final byte WELCOME = 4;
    static final byte DATA = 5;
    static final byte HEARTBEAT = 6;
    static final byte SHUTDOWN = 7;
    static final byte CLOSE = 8;
    static final byte ERROR = 9;

    static final int NONCE_LENGTH = 32;
    static final int PROOF_LENGTH = 32;
    static final int MAX_ENDPOINT_LENGTH = 255;

    private static final SecureRandom RANDOM = new SecureRandom();

    private Frames() {
    }

    static String typeName(byte type) {
        switch (type) {
            case HELLO: return "HELLO";
            case CHALLENGE: return "CHALLENGE";
            case AUTH: return "AUTH";
            case WELCOME: return "WELCOME";
            case DATA: return "DATA";
            case HEARTBEAT: return "HEARTBEAT";
            case SHUTDOWN: return "SHUTDOWN";
            case CLOSE: return "CLOSE";
            case ERROR: return "ERROR";
            default: return "unknown type " + type;
        }
    }

    static byte[] nonce() {
        byte[] n = new byte[NONCE_LENGTH];
        RANDOM.nextBytes(n);
        return n;
    }

    static byte[] gatewayProof(byte[] token, byte[] clientNonce, byte[] serverNonce, String endpoint) {
        return hmac(token, "gateway".getBytes(StandardCharsets.US_ASCII), clientNonce, serverNonce,
                endpoint.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] clientProof(byte[] token, byte[] serverNonce, byte[] clientNonce, String endpoint, int upSession) {
        byte[] session = {(byte) (upSession >>> 24), (byte) (upSession >>> 16), (byte) (upSession >>> 8),
            (byte) upSession};
        return hmac(token, "client".getBytes(StandardCharsets.US_ASCII), serverNonce, clientNonce,
                endpoint.getBytes(StandardCharsets.UTF_8), session);
    }

    /** Constant-time comparison (no timing hint about how much of a forged proof was right). */
    static boolean sameProof(byte[] expected, byte[] actual) {
        return MessageDigest.isEqual(expected, actual);
    }

    private static byte[] hmac(byte[] token, byte[]... parts) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(token, "HmacSHA256"));
            for (byte[] p : parts) {
                mac.update(p);
            }
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available in this JVM", e);
        }
    }

    /** HELLO's fields, read from a frame (type byte at {@code offset}). */
    static final class Hello {
        final int version;
        final int replyPort;
        final byte[] clientNonce;
        final String endpoint;

        Hello(int version, int replyPort, byte[] clientNonce, String endpoint) {
            this.version = version;
            this.replyPort = replyPort;
            this.clientNonce = clientNonce;
            this.endpoint = endpoint;
        }

        static byte[] encode(int replyPort, byte[] clientNonce, String endpoint) {
            byte[] ep = endpoint.getBytes(StandardCharsets.UTF_8);
            byte[] f = new byte[1 + 4 + 4 + NONCE_LENGTH + 2 + ep.length];
            f[0] = HELLO;
            putInt(f, 1, VERSION);
            putInt(f, 5, replyPort);
            System.arraycopy(clientNonce, 0, f, 9, NONCE_LENGTH);
            f[9 + NONCE_LENGTH] = (byte) (ep.length >>> 8);
            f[10 + NONCE_LENGTH] = (byte) ep.length;
            System.arraycopy(ep, 0, f, 11 + NONCE_LENGTH, ep.length);
            return f;
        }

        static Hello decode(DirectBuffer b, int offset, int length) throws ViaProtocolException {
            int fixed = 1 + 4 + 4 + NONCE_LENGTH + 2;
            if (length < fixed) {
                throw new ViaProtocolException("HELLO truncated: " + length + " bytes");
            }
            int version = b.getInt(offset + 1, ByteOrder.BIG_ENDIAN);
            int replyPort = b.getInt(offset + 5, ByteOrder.BIG_ENDIAN);
            byte[] nonce = new byte[NONCE_LENGTH];
            b.getBytes(offset + 9, nonce);
            int epLength = b.getShort(offset + 9 + NONCE_LENGTH, ByteOrder.BIG_ENDIAN) & 0xffff;
            if (epLength == 0 || epLength > MAX_ENDPOINT_LENGTH || fixed + epLength != length) {
                throw new ViaProtocolException("HELLO with a bad endpoint length " + epLength + " in " + length
                        + " bytes");
            }
            if (replyPort <= 0 || replyPort > 65535) {
                throw new ViaProtocolException("HELLO with a bad reply port " + replyPort);
            }
            return new Hello(version, replyPort, nonce, b.getStringWithoutLengthUtf8(offset + fixed, epLength));
        }
    }

    static void putInt(byte[] f, int at, int v) {
        f[at] = (byte) (v >>> 24);
        f[at + 1] = (byte) (v >>> 16);
        f[at + 2] = (byte) (v >>> 8);
        f[at + 3] = (byte) v;
    }

    static byte[] withType(byte type, byte[] body) {
        byte[] f = new byte[1 + body.length];
        f[0] = type;
        System.arraycopy(body, 0, f, 1, body.length);
        return f;
    }

    static byte[] withType(byte type, String text) {
        return withType(type, text.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] body(DirectBuffer b, int offset, int length) {
        byte[] body = new byte[length - 1];
        b.getBytes(offset + 1, body);
        return body;
    }

    static String text(DirectBuffer b, int offset, int length) {
        return b.getStringWithoutLengthUtf8(offset + 1, length - 1);
    }
}
