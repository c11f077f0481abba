package io.viaemu.aeron;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
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
 * and {@code -Dvia.aeron.token-file=FILE} (or an endpoint's own, {@code -Dvia.aeron.token-file.ENDPOINT=FILE}),
 * plus the {@link AeronOptions} properties. The Spring Boot starter builds one from {@code via.remote.routes}.
 */
public final class AeronSocketFactory extends SocketFactory {
    private static final String MAP_PREFIX = "via.aeron.map.";

    /** Where a mapped address goes. */
    public static final class Target {
        final String gateway;
        final String endpoint;
        /** This target's own token; null = the factory's. */
        final byte[] token;

        public Target(String gateway, String endpoint) {
            this(gateway, endpoint, null);
        }

        /** A target with its own token (its endpoint's at the gateway), used instead of the factory's. */
        public Target(String gateway, String endpoint, byte[] token) {
            this.gateway = gateway;
            this.endpoint = endpoint;
            this.token = token == null ? null : token.clone();
        }

        public String gateway() {
            return gateway;
        }

        public String endpoint() {
            return endpoint;
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

    /**
     * {@code map}: {@code host:port} to where it goes; {@code token}: for targets without their own (null if every
     * target has its own).
     */
    public AeronSocketFactory(Map<String, Target> map, byte[] token, AeronOptions options) {
        this.map = new LinkedHashMap<>(map);
        this.token = token == null ? null : token.clone();
        this.options = options;
        for (Map.Entry<String, Target> e : this.map.entrySet()) {
            if (e.getValue().token == null && this.token == null) {
                throw new IllegalArgumentException("no token for " + e.getKey() + " (endpoint '"
                        + e.getValue().endpoint + "'): give it its own or the factory a token");
            }
        }
    }

    /** The mapped addresses ({@code host:port}) and where they go. */
    public Map<String, Target> targets() {
        return Collections.unmodifiableMap(map);
    }

    private ViaSocket connect(Target t) throws IOException {
        return ViaSocket.wrap(AeronViaClient.connect(t.gateway, t.endpoint, t.token != null ? t.token : token,
                options));
    }

    public static AeronSocketFactory fromSystemProperties() throws IOException {
        Map<String, Target> map = new LinkedHashMap<>();
        for (String name : System.getProperties().stringPropertyNames()) {
            if (name.startsWith(MAP_PREFIX)) {
                String key = name.substring(MAP_PREFIX.length());
                map.put(key, Target.parse(key, System.getProperty(name)));
            }
        }
        for (Map.Entry<String, Target> e : map.entrySet()) { // an endpoint's own: -Dvia.aeron.token-file.ENDPOINT
            String own = System.getProperty("via.aeron.token-file." + e.getValue().endpoint);
            if (own != null) {
                e.setValue(new Target(e.getValue().gateway, e.getValue().endpoint, readToken(Path.of(own))));
            }
        }
        String tokenFile = System.getProperty("via.aeron.token-file");
        byte[] token = tokenFile == null ? null : readToken(Path.of(tokenFile));
        return new AeronSocketFactory(map, token, AeronOptions.fromSystemProperties());
    }

    /** A token file's content, trimmed. */
    public static byte[] readToken(Path file) throws IOException {
        return Files.readString(file, StandardCharsets.UTF_8).trim().getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
        Target t = map.get(host + ":" + port);
        if (t == null) {
            return new Socket(host, port);
        }
        return connect(t);
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
        return connect(t);
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
