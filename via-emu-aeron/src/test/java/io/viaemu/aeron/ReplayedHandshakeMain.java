package io.viaemu.aeron;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.Subscription;

/**
 * Speaks the gateway protocol by hand to check the gateway's own judgement of AUTH: a proof made with the right
 * token but over a server nonce of an earlier handshake (what replaying a recorded AUTH amounts to), then one over
 * this handshake's nonce but another endpoint. Both must be refused with "authentication failed". Prints
 * {@code REPLAY-REFUSED reason} per attempt. Args: gateway endpoint token-file.
 */
public final class ReplayedHandshakeMain {
    public static void main(String[] args) throws Exception {
        String gateway = args[0];
        String endpoint = args[1];
        byte[] token = Files.readString(Path.of(args[2]), StandardCharsets.UTF_8).trim()
                .getBytes(StandardCharsets.UTF_8);
        AeronOptions options = AeronOptions.defaults().connectTimeout(Duration.ofSeconds(20));
        Aeron aeron = Drivers.clientAeron(options);
        byte[] earlierServerNonce = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            InetSocketAddress target = AeronViaClient.parse(gateway);
            InetAddress local;
            try (DatagramSocket probe = new DatagramSocket()) {
                probe.connect(target);
                local = probe.getLocalAddress();
            }
            long deadline = System.nanoTime() + options.connectTimeout().toNanos();
            Subscription sub = aeron.addSubscription("aeron:udp?endpoint=" + local.getHostAddress() + ":0",
                    Frames.DOWN_STREAM);
            String resolved;
            while ((resolved = sub.resolvedEndpoint()) == null) {
                TimeUnit.MILLISECONDS.sleep(1);
            }
            int replyPort = Integer.parseInt(resolved.substring(resolved.lastIndexOf(':') + 1));
            ExclusivePublication pub = aeron.addExclusivePublication("aeron:udp?endpoint=" + gateway,
                    Frames.UP_STREAM);
            while (!pub.isConnected()) {
                TimeUnit.MILLISECONDS.sleep(1);
            }
            AeronLink link = new AeronLink(pub, gateway, options.peerTimeoutNanos(), options.newIdleStrategy(),
                    Drivers.clientPump());
            byte[] clientNonce = Frames.nonce();
            link.send(Frames.Hello.encode(replyPort, clientNonce, endpoint), deadline);
            while (sub.imageCount() == 0) {
                TimeUnit.MILLISECONDS.sleep(1);
            }
            AeronViaClient.Frame challenge = AeronViaClient.next(sub.imageAtIndex(0), deadline, gateway,
                    Drivers.clientPump());
            byte[] serverNonce = new byte[Frames.NONCE_LENGTH];
            System.arraycopy(challenge.body, 0, serverNonce, 0, Frames.NONCE_LENGTH);
            byte[] proof;
            if (attempt == 0) { // a correct handshake, whose server nonce the next attempt replays
                proof = Frames.clientProof(token, serverNonce, clientNonce, endpoint, pub.sessionId());
                earlierServerNonce = serverNonce;
            } else if (attempt == 1) {
                proof = Frames.clientProof(token, earlierServerNonce, clientNonce, endpoint, pub.sessionId());
            } else {
                proof = Frames.clientProof(token, serverNonce, clientNonce, endpoint + "-other", pub.sessionId());
            }
            link.send(Frames.AUTH, proof, 0, proof.length, deadline);
            AeronViaClient.Frame answer = AeronViaClient.next(sub.imageAtIndex(0), deadline, gateway,
                    Drivers.clientPump());
            String text = new String(answer.body, StandardCharsets.UTF_8);
            System.out.println((answer.type == Frames.WELCOME ? "ACCEPTED " : answer.type == Frames.ERROR
                    ? "REPLAY-REFUSED " : "UNEXPECTED " + Frames.typeName(answer.type) + " ") + attempt + " " + text);
            if (answer.type == Frames.WELCOME) {
                link.send(Frames.CLOSE, new byte[0], 0, 0, deadline);
            }
            pub.close();
            sub.close();
        }
        System.exit(0);
    }
}
