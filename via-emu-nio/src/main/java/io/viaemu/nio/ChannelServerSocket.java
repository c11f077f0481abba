package io.viaemu.nio;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketOption;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.IllegalBlockingModeException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Set;

/**
 * What {@link ViaServerSocketChannel#socket()} returns: a {@link ServerSocket} view of the channel (Tomcat and Netty
 * read the bound port and set options through it). {@link #accept()} needs blocking mode and honours
 * {@link #setSoTimeout}.
 */
final class ChannelServerSocket extends ServerSocket {
    private final ViaServerSocketChannel ch;
    private volatile int soTimeout;

    private ChannelServerSocket(ViaServerSocketChannel ch) throws IOException {
        super(ChannelSocket.NoImpl.INSTANCE);
        this.ch = ch;
    }

    static ChannelServerSocket create(ViaServerSocketChannel ch) {
        try {
            return new ChannelServerSocket(ch);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public ServerSocketChannel getChannel() {
        return ch;
    }

    @Override
    public void bind(SocketAddress endpoint) throws IOException {
        bind(endpoint, 50);
    }

    @Override
    public void bind(SocketAddress endpoint, int backlog) throws IOException {
        try {
            ch.bind(endpoint, backlog < 1 ? 50 : backlog);
        } catch (ClosedChannelException e) {
            throw closed(e);
        }
    }

    @Override
    public Socket accept() throws IOException {
        if (!ch.isBlocking()) {
            throw new IllegalBlockingModeException();
        }
        try {
            SocketChannel s = ch.accept(soTimeout);
            if (s == null) {
                throw new SocketTimeoutException("Accept timed out");
            }
            return s.socket();
        } catch (ClosedChannelException e) {
            throw closed(e);
        }
    }

    @Override
    public InetAddress getInetAddress() {
        InetSocketAddress a = ch.localAddressOrNull();
        return a == null ? null : a.getAddress();
    }

    @Override
    public int getLocalPort() {
        InetSocketAddress a = ch.localAddressOrNull();
        return a == null ? -1 : a.getPort();
    }

    @Override
    public SocketAddress getLocalSocketAddress() {
        return ch.localAddressOrNull();
    }

    @Override
    public void setSoTimeout(int timeout) throws SocketException {
        if (!ch.isOpen()) {
            throw new SocketException("Socket is closed");
        }
        if (timeout < 0) {
            throw new IllegalArgumentException("timeout < 0");
        }
        soTimeout = timeout;
        ServerSocketChannel tcp = (ServerSocketChannel) ch.platformChannel();
        if (tcp != null) {
            tcp.socket().setSoTimeout(timeout);
        }
    }

    @Override
    public int getSoTimeout() throws IOException {
        if (!ch.isOpen()) {
            throw new SocketException("Socket is closed");
        }
        return soTimeout;
    }

    private <T> void set(SocketOption<T> name, T value) throws SocketException {
        try {
            ch.setOption(name, value);
        } catch (ClosedChannelException e) {
            throw closed(e);
        } catch (IOException e) {
            throw ViaSocketChannel.init(new SocketException(e.getMessage()), e);
        }
    }

    private <T> T get(SocketOption<T> name) throws SocketException {
        try {
            return ch.getOption(name);
        } catch (ClosedChannelException e) {
            throw closed(e);
        } catch (IOException e) {
            throw ViaSocketChannel.init(new SocketException(e.getMessage()), e);
        }
    }

    @Override
    public void setReuseAddress(boolean on) throws SocketException {
        set(StandardSocketOptions.SO_REUSEADDR, on);
    }

    @Override
    public boolean getReuseAddress() throws SocketException {
        return get(StandardSocketOptions.SO_REUSEADDR);
    }

    @Override
    public void setReceiveBufferSize(int size) throws SocketException {
        if (size <= 0) {
            throw new IllegalArgumentException("negative receive size");
        }
        set(StandardSocketOptions.SO_RCVBUF, size);
    }

    @Override
    public int getReceiveBufferSize() throws SocketException {
        return get(StandardSocketOptions.SO_RCVBUF);
    }

    @Override
    public <T> ServerSocket setOption(SocketOption<T> name, T value) throws IOException {
        ch.setOption(name, value);
        return this;
    }

    @Override
    public <T> T getOption(SocketOption<T> name) throws IOException {
        return ch.getOption(name);
    }

    @Override
    public Set<SocketOption<?>> supportedOptions() {
        return ch.supportedOptions();
    }

    @Override
    public void setPerformancePreferences(int connectionTime, int latency, int bandwidth) {
        // no effect, as with the JDK's
    }

    @Override
    public void close() throws IOException {
        ch.close();
    }

    @Override
    public boolean isBound() {
        return ch.isBound();
    }

    @Override
    public boolean isClosed() {
        return !ch.isOpen();
    }

    @Override
    public String toString() {
        return "ServerSocket[" + ch + "]";
    }

    private static SocketException closed(ClosedChannelException e) {
        return ViaSocketChannel.init(new SocketException("Socket is closed"), e);
    }
}
