package io.viaemu.aeron;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import javax.net.SocketFactory;

import io.viaemu.socket.ViaSocket;

/**
 * A {@link SocketFactory} for code on a client host that opens {@code java.net.Socket}s: a mapped remote
 * {@code host:port} becomes a via-emu connection through that host's gateway ({@link AeronViaClient}), wrapped in
 * via-emu's socket ({@link ViaSocket#wrap}); every other address is a plain TCP socket.
 *
 * <p>From system properties ({@link #fromSystemProperties()}): {@code -Dvia.aeron.map.HOST:PORT=GATEWAY_HOST:
 * GATEWAY_PORT/ENDPOINT} (one per remote service, e.g. {@code -Dvia.aeron.map.db.internal:5432=10.0.0.5:40123/db})
 * and {@code -Dvia.aeron.token-file=FILE}, plus the {@link AeronOptions} properties.
 */
public final class AeronSocketFactory extends SocketFactory {
    private static final String MAP_PREFIX = "via.aeron.map.";

    /** Where a mapped address goes. */
    public static final class Target {
        final String gateway;
        final String endpoint;

        public Target(String gateway, String endpoint) {
            this.gateway = gateway;
            this.endpoint = endpoint;
        }

        static Target parse(String key, String value) {
            int slash = value.lastIndexOf('/');
            if (slash <= 0 || slash == value.length() - 1) {
                throw new IllegalArgumentException(MAP_PREFIX + key + ": not GATEWAY_HOST:PORT/ENDPOINT: " + value);
            }
            return new Target(value.substring(0, slash), value.substring(slash + 1));
        }
    }

    private final Map<String, Target> map;
    private final byte[] token;
    private final AeronOptions options;

    public AeronSocketFactory(Map<String, Target> map, byte[] token, AeronOptions options) {
        this.map = new LinkedHashMap<>(map);
        this.token = token.clone();
        this.options = options;
    }

    public static AeronSocketFactory fromSystemProperties() throws IOException {
        Map<String, Target> map = new LinkedHashMap<>();
        for (String name : System.getProperties().stringPropertyNames()) {
            if (name.startsWith(MAP_PREFIX)) {
                String key = name.substring(MAP_PREFIX.length());
                map.put(key, Target.parse(key, System.getProperty(name)));
            }
        }
        String tokenFile = System.getProperty("via.aeron.token-file");
        if (tokenFile == null) {
            throw new IllegalArgumentException("via.aeron.token-file is not set");
        }
        byte[] token = Files.readString(Path.of(tokenFile), StandardCharsets.UTF_8).trim()
                .getBytes(StandardCharsets.UTF_8);
        return new AeronSocketFactory(map, token, AeronOptions.fromSystemProperties());
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
        Target t = map.get(host + ":" + port);
        if (t == null) {
            return new Socket(host, port);
        }
        return ViaSocket.wrap(AeronViaClient.connect(t.gateway, t.endpoint, token, options));
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
        Target t = map.get(host + ":" + port);
        if (t == null) {
            return new Socket(host, port, localHost, localPort);
        }
        return createSocket(host, port);
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
        Target t = map.get(host.getHostAddress() + ":" + port);
        if (t == null) {
            t = map.get(host.getHostName() + ":" + port);
        }
        if (t == null) {
            return new Socket(host, port);
        }
        return ViaSocket.wrap(AeronViaClient.connect(t.gateway, t.endpoint, token, options));
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
            throws IOException {
        Target t = map.get(address.getHostAddress() + ":" + port);
        if (t == null) {
            return new Socket(address, port, localAddress, localPort);
        }
        return createSocket(address, port);
    }
}
