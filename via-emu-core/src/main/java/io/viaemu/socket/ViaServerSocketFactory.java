package io.viaemu.socket;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Objects;
import java.util.Properties;

import javax.net.ServerSocketFactory;

import io.viaemu.ViaConfig;

/**
 * A {@link ServerSocketFactory} whose server sockets are {@link ViaServerSocket}s: hand it to code or libraries that
 * take a {@code ServerSocketFactory} and they listen on via-emu endpoints. Addresses map with a
 * {@link ViaAddressMap}; properties as for {@link ViaSocketFactory}. Use one map for a server and its in-JVM clients
 * ({@link #socketFactory()}) so that ports a server picked for port 0 are found.
 */
public class ViaServerSocketFactory extends ServerSocketFactory {

    private final ViaConfig config;
    private final ViaAddressMap map;

    public ViaServerSocketFactory(ViaConfig config, ViaAddressMap map) {
        this.config = Objects.requireNonNull(config, "config");
        this.map = Objects.requireNonNull(map, "map");
    }

    /** Configured by system properties (see {@link ViaSocketFactory}). */
    public static ViaServerSocketFactory fromSystemProperties() {
        return fromProperties(System.getProperties());
    }

    public static ViaServerSocketFactory fromProperties(Properties properties) {
        return new ViaServerSocketFactory(ViaSocketFactory.configFrom(properties),
                ViaAddressMap.fromProperties(properties));
    }

    /** A client factory with the same configuration and the same map. */
    public ViaSocketFactory socketFactory() {
        return new ViaSocketFactory(config, map);
    }

    public ViaConfig config() {
        return config;
    }

    public ViaAddressMap addressMap() {
        return map;
    }

    /** An unbound server socket. */
    @Override
    public ServerSocket createServerSocket() throws IOException {
        return new ViaServerSocket(config, map);
    }

    @Override
    public ServerSocket createServerSocket(int port) throws IOException {
        return new ViaServerSocket(config, map, port);
    }

    @Override
    public ServerSocket createServerSocket(int port, int backlog) throws IOException {
        return new ViaServerSocket(config, map, port, backlog, null);
    }

    @Override
    public ServerSocket createServerSocket(int port, int backlog, InetAddress ifAddress) throws IOException {
        return new ViaServerSocket(config, map, port, backlog, ifAddress);
    }

    @Override
    public String toString() {
        return "ViaServerSocketFactory{baseDir=" + config.baseDir() + ", " + map + '}';
    }
}
