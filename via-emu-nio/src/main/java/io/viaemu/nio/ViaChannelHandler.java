package io.viaemu.nio;

import java.net.InetSocketAddress;
import java.net.InetAddress;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.SelectorProvider;

import io.viaemu.ViaConnection;
import io.viaemu.ViaConnectionHandler;
import io.viaemu.protocol.ConnectionEnd;

/**
 * A {@link ViaConnectionHandler} for NIO code: a worker that was handed a connection
 * ({@link ViaChannels#handOver}) runs {@link #handle(SocketChannel)} on a {@code SocketChannel} over it, blocking or,
 * with a selector from {@code channel.provider().openSelector()}, non-blocking. While it runs,
 * {@code System.inheritedChannel()} of the worker returns that channel too (inetd's "nowait" form: a connected
 * socket), when the worker's NIO provider is via-emu's (its jar on the class path). The channel is closed when
 * {@code handle} returns. Subclasses need a public no-argument constructor.
 */
public abstract class ViaChannelHandler implements ViaConnectionHandler {
    private static volatile SocketChannel inherited;

    @Override
    public final void handle(ViaConnection connection) throws Exception {
        if (!(connection instanceof ConnectionEnd)) {
            throw new IllegalArgumentException("via-emu NIO needs the core's connections, not " + connection.getClass());
        }
        ConnectionEnd end = (ConnectionEnd) connection;
        SelectorProvider jvm = SelectorProvider.provider();
        ViaSelectorProvider provider = jvm instanceof ViaSelectorProvider && ((ViaSelectorProvider) jvm).isActive()
                ? (ViaSelectorProvider) jvm : new ViaSelectorProvider(ViaRules.none(io.viaemu.ViaConfig.fromSystemProperties()));
        SocketChannel ch = new ViaSocketChannel(provider, end, null,
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), null);
        inherited = ch;
        try (ch) {
            handle(ch);
        } finally {
            inherited = null;
        }
    }

    /** The channel a handler in this worker serves now; null if none. */
    static SocketChannel inherited() {
        return inherited;
    }

    /** Serves the connection; the first read or write waits until this worker owns it. */
    protected abstract void handle(SocketChannel channel) throws Exception;
}
