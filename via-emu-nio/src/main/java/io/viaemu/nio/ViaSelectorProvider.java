package io.viaemu.nio;

import java.io.IOException;
import java.net.ProtocolFamily;
import java.net.SocketOption;
import java.net.StandardProtocolFamily;
import java.nio.channels.Channel;
import java.nio.channels.DatagramChannel;
import java.nio.channels.Pipe;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.AbstractSelector;
import java.nio.channels.spi.SelectorProvider;
import java.util.Objects;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The via-emu {@link SelectorProvider}: {@code SocketChannel.open()}, {@code ServerSocketChannel.open()} and
 * {@code Selector.open()} of unchanged NIO code (Netty's NIO transport, Tomcat's NioEndpoint, Jetty, the JDK's
 * HttpClient) go through it, and addresses the {@link ViaRules rules} map run over via-emu; every other address,
 * UDP, pipes and Unix domain sockets stay the platform's.
 *
 * <p>The JDK finds it as {@code -Djava.nio.channels.spi.SelectorProvider=io.viaemu.nio.ViaSelectorProvider} or,
 * with this module's jar on the class path, through {@code META-INF/services} (both honoured on JDK 17 and 25). It is
 * then the JVM's provider whether or not {@code -Dvia.conf} is set: without it, every method returns the platform's
 * objects unchanged, so having the jar on the class path changes nothing until a rules file is named. With it, the
 * provider also installs the classic {@code Socket}/{@code ServerSocket} factories ({@link ViaAgent#install}) the
 * first time it is asked for, which is the first use of NIO; for programs whose first socket is a classic one, start
 * them with {@code -javaagent:via-emu-nio.jar}, which installs everything before {@code main}.
 */
public class ViaSelectorProvider extends SelectorProvider {
    private static final Logger log = LoggerFactory.getLogger(ViaSelectorProvider.class);

    private final SelectorProvider platform;
    private final ViaRules rules;
    private volatile Set<SocketOption<?>> socketOptions;
    private volatile Set<SocketOption<?>> serverSocketOptions;

    /** The JVM-wide provider (found by the JDK): rules from {@code -Dvia.conf}, or none (pass-through). */
    public ViaSelectorProvider() {
        this(platformProvider(), ViaRules.fromSystemProperty());
        if (rules != null) {
            log.info("via-emu NIO: rules {} in effect (base directory {})", rules.file(), rules.config().baseDir());
            ViaAgent.installClassicFactories(this);
        }
    }

    /** A provider with these rules, for code that opens its channels from an explicit provider (and for tests). */
    public ViaSelectorProvider(ViaRules rules) {
        this(platformProvider(), Objects.requireNonNull(rules, "rules"));
    }

    private ViaSelectorProvider(SelectorProvider platform, ViaRules rules) {
        this.platform = platform;
        this.rules = rules;
    }

    /**
     * The platform's own provider. {@code SelectorProvider.provider()} is this class once it is installed, so the
     * JDK's default is taken from {@code sun.nio.ch.DefaultSelectorProvider}, which via-emu's JVM options export
     * ({@code --add-exports=java.base/sun.nio.ch=ALL-UNNAMED}, in {@code jvm.args}).
     */
    static SelectorProvider platformProvider() {
        try {
            Class<?> c = Class.forName("sun.nio.ch.DefaultSelectorProvider");
            return (SelectorProvider) c.getMethod("get").invoke(null);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("via-emu NIO cannot reach the platform's SelectorProvider "
                    + "(sun.nio.ch.DefaultSelectorProvider): start the JVM with via-emu's JVM options "
                    + "(META-INF/via-emu/jvm.args, among them --add-exports=java.base/sun.nio.ch=ALL-UNNAMED)", e);
        }
    }

    /** The rules in effect; null: this provider passes everything to the platform's. */
    public ViaRules rules() {
        return rules;
    }

    SelectorProvider platform() {
        return platform;
    }

    /** True if this provider hands out via-emu channels (a rules file is in effect). */
    public boolean isActive() {
        return rules != null;
    }

    @Override
    public AbstractSelector openSelector() throws IOException {
        if (rules == null) {
            return platform.openSelector();
        }
        return new ViaSelector(this, platform.openSelector());
    }

    @Override
    public SocketChannel openSocketChannel() throws IOException {
        if (rules == null) {
            return platform.openSocketChannel();
        }
        return new ViaSocketChannel(this);
    }

    @Override
    public ServerSocketChannel openServerSocketChannel() throws IOException {
        if (rules == null) {
            return platform.openServerSocketChannel();
        }
        return new ViaServerSocketChannel(this);
    }

    @Override
    public SocketChannel openSocketChannel(ProtocolFamily family) throws IOException {
        if (rules == null || family == StandardProtocolFamily.UNIX) {
            return platform.openSocketChannel(family);
        }
        return new ViaSocketChannel(this);
    }

    @Override
    public ServerSocketChannel openServerSocketChannel(ProtocolFamily family) throws IOException {
        if (rules == null || family == StandardProtocolFamily.UNIX) {
            return platform.openServerSocketChannel(family);
        }
        return new ViaServerSocketChannel(this);
    }

    @Override
    public DatagramChannel openDatagramChannel() throws IOException {
        return platform.openDatagramChannel();
    }

    @Override
    public DatagramChannel openDatagramChannel(ProtocolFamily family) throws IOException {
        return platform.openDatagramChannel(family);
    }

    @Override
    public Pipe openPipe() throws IOException {
        return platform.openPipe();
    }

    /**
     * In a worker serving a handed-over connection with a {@link ViaChannelHandler}: that connection's channel;
     * otherwise the platform's answer (a socket inherited from inetd or systemd, or null).
     */
    @Override
    public Channel inheritedChannel() throws IOException {
        Channel handedOver = ViaChannelHandler.inherited();
        return handedOver != null ? handedOver : platform.inheritedChannel();
    }

    /** The socket options a platform TCP channel supports: ours accept (and record) the same. */
    Set<SocketOption<?>> socketOptions() {
        Set<SocketOption<?>> s = socketOptions;
        if (s == null) {
            try (SocketChannel ch = platform.openSocketChannel()) {
                s = socketOptions = Set.copyOf(ch.supportedOptions());
            } catch (IOException e) {
                throw new IllegalStateException("cannot open a platform socket channel to learn its options", e);
            }
        }
        return s;
    }

    Set<SocketOption<?>> serverSocketOptions() {
        Set<SocketOption<?>> s = serverSocketOptions;
        if (s == null) {
            try (ServerSocketChannel ch = platform.openServerSocketChannel()) {
                s = serverSocketOptions = Set.copyOf(ch.supportedOptions());
            } catch (IOException e) {
                throw new IllegalStateException("cannot open a platform server channel to learn its options", e);
            }
        }
        return s;
    }

    @Override
    public String toString() {
        return "ViaSelectorProvider{" + (rules == null ? "pass-through" : rules) + "}";
    }
}
