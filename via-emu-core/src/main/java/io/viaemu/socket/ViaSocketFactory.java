package io.viaemu.socket;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Properties;

import javax.net.SocketFactory;

import io.viaemu.ViaConfig;
import io.viaemu.internal.ConfigProperties;

/**
 * A {@link SocketFactory} whose sockets are {@link ViaSocket}s: hand it to code or libraries that take a
 * {@code SocketFactory} and their connections run over via-emu. Addresses map to endpoints with a
 * {@link ViaAddressMap}; {@link #createSocket()} gives an unconnected socket for code that connects it itself
 * ({@code socket.connect(address, timeout)}), as many libraries do. A connect timeout given to {@code connect}
 * replaces the configuration's connect timeout; a timeout of 0 means the configuration's (a via-emu connect always
 * has a bound). As with TCP, an address whose endpoint has no live server is refused at once
 * ({@link java.net.ConnectException}), and a live server that does not accept within the timeout gives a
 * {@link java.net.SocketTimeoutException}.
 *
 * <p>From properties ({@link #fromSystemProperties()}): every {@link ViaConfig} setting by the Spring Boot starter's
 * names ({@link ViaConfig#fromProperties}: {@code via.base-dir}, {@code via.timeouts.connect=10s},
 * {@code via.pauser=backoff}, ...); the base directory (owner-only, 0700) may also be given as
 * {@value #BASE_DIR_PROPERTY} and is by default {@link io.viaemu.ViaConfig#defaultBaseDir()} (tmpfs where there is
 * one), the starter's default. The mapping properties are those of {@link ViaAddressMap#fromProperties}.
 *
 * <p>Failures are those of a TCP socket: an endpoint without a live server (or a base directory that does not exist)
 * is a {@link java.net.ConnectException} "Connection refused", a connect or read that runs out of time a
 * {@link java.net.SocketTimeoutException}, a connection whose peer died or aborted a {@link java.net.SocketException}
 * "Connection reset (via-emu: REASON)", and the peer's orderly close end of stream (-1).
 */
public class ViaSocketFactory extends SocketFactory {

    /** A property naming the via-emu base directory, for the socket factories only; {@code via.base-dir} also does. */
    public static final String BASE_DIR_PROPERTY = "via.socket.base-dir";

    private final ViaConfig config;
    private final ViaAddressMap map;

    public ViaSocketFactory(ViaConfig config, ViaAddressMap map) {
        this.config = Objects.requireNonNull(config, "config");
        this.map = Objects.requireNonNull(map, "map");
    }

    /** Configured by system properties (see the class comment). */
    public static ViaSocketFactory fromSystemProperties() {
        return fromProperties(System.getProperties());
    }

    /** Configured by properties (see the class comment); the base directory is required. */
    public static ViaSocketFactory fromProperties(Properties properties) {
        return new ViaSocketFactory(configFrom(properties), ViaAddressMap.fromProperties(properties));
    }

    /**
     * The configuration: {@link ViaConfig#fromProperties}, with {@value #BASE_DIR_PROPERTY} accepted for the base
     * directory where {@code via.base-dir} is not set (both set to different directories is an error). Neither
     * set: the Spring Boot starter's default, so that a plain client finds a starter's server.
     */
    static ViaConfig configFrom(Properties properties) {
        String socketBase = trimmed(properties.getProperty(BASE_DIR_PROPERTY));
        String base = trimmed(properties.getProperty(ConfigProperties.BASE_DIR));
        if (socketBase != null && base != null && !Path.of(socketBase).equals(Path.of(base))) {
            throw new IllegalArgumentException(BASE_DIR_PROPERTY + "=" + socketBase + " and " + ConfigProperties.BASE_DIR
                    + "=" + base + " name different base directories; set one");
        }
        if (base != null || socketBase == null) {
            return ViaConfig.fromProperties(properties);
        }
        Properties withBase = new Properties();
        withBase.putAll(properties);
        withBase.setProperty(ConfigProperties.BASE_DIR, socketBase);
        return ViaConfig.fromProperties(withBase);
    }

    private static String trimmed(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }

    public ViaConfig config() {
        return config;
    }

    public ViaAddressMap addressMap() {
        return map;
    }

    @Override
    public Socket createSocket() throws IOException {
        return new ViaSocket(config, map);
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
        return connected(new InetSocketAddress(host, port), null);
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
        return connected(new InetSocketAddress(host, port), new InetSocketAddress(localHost, localPort));
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
        return connected(new InetSocketAddress(host, port), null);
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
            throws IOException {
        return connected(new InetSocketAddress(address, port), new InetSocketAddress(localAddress, localPort));
    }

    private Socket connected(InetSocketAddress remote, InetSocketAddress local) throws IOException {
        ViaSocket s = new ViaSocket(config, map);
        try {
            if (local != null) {
                s.bind(local);
            }
            s.connect(remote);
            return s;
        } catch (IOException | RuntimeException e) {
            try {
                s.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    @Override
    public String toString() {
        return "ViaSocketFactory{baseDir=" + config.baseDir() + ", " + map + '}';
    }
}
