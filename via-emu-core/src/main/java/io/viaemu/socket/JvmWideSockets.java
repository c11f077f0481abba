package io.viaemu.socket;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketImplFactory;
import java.nio.channels.spi.SelectorProvider;
import java.util.Objects;

import io.viaemu.ViaConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Captures the classic sockets of a whole JVM: {@code new Socket(host, port)}, {@code new ServerSocket(port)} and
 * what is built on them ({@code HttpURLConnection}, drivers without a socket-factory option) through
 * {@link Socket#setSocketImplFactory} and {@link ServerSocket#setSocketFactory} (deprecated since JDK 17, not for
 * removal, still working on 25). Mapped addresses run over via-emu; every other address uses real TCP, through
 * sockets of the platform's NIO channels ({@code SocketChannel.socket()}), which do not go through the factories
 * again. Installed once per JVM, by {@code io.viaemu.nio} from a rules file ({@code -Dvia.conf}).
 */
public final class JvmWideSockets {
    private static final Logger log = LoggerFactory.getLogger(JvmWideSockets.class);

    /** Where TCP sockets for unmapped addresses come from: plain ones until a JVM-wide factory is installed. */
    private static volatile SelectorProvider platform;
    private static volatile boolean installed;

    private JvmWideSockets() {
    }

    /**
     * Installs the JVM-wide factories: client sockets map with {@code connectMap}, server sockets with
     * {@code bindMap}; unmapped addresses of either go to TCP through {@code platformProvider}'s channels.
     *
     * @return false if they were installed already (by this class: the first call wins)
     * @throws IOException if another factory was installed by someone else
     */
    @SuppressWarnings("deprecation") // the JVM-wide hooks are deprecated (not for removal) and still the only ones
    public static synchronized boolean install(ViaConfig config, ViaAddressMap connectMap, ViaAddressMap bindMap,
            SelectorProvider platformProvider) throws IOException {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(connectMap, "connectMap");
        Objects.requireNonNull(bindMap, "bindMap");
        if (installed) {
            return false;
        }
        platform = Objects.requireNonNull(platformProvider, "platformProvider");
        SocketImplFactory clients = () -> new ViaSocketImpl(config, connectMap);
        SocketImplFactory servers = () -> new ViaServerSocketImpl(config, bindMap);
        Socket.setSocketImplFactory(clients);
        ServerSocket.setSocketFactory(servers);
        installed = true;
        log.info("via-emu: classic sockets of this JVM go through via-emu for mapped addresses (connect {}, bind {})",
                connectMap, bindMap);
        return true;
    }

    public static boolean isInstalled() {
        return installed;
    }

    /** An unconnected TCP socket that does not go through the JVM-wide factory (which would come back here). */
    static Socket newTcpSocket() throws IOException {
        SelectorProvider p = platform;
        return p == null ? new Socket() : p.openSocketChannel().socket();
    }

    /** An unbound TCP server socket that does not go through the JVM-wide factory. */
    static ServerSocket newTcpServerSocket() throws IOException {
        SelectorProvider p = platform;
        return p == null ? new ServerSocket() : p.openServerSocketChannel().socket();
    }
}
