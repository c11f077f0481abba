package io.viaemu.nio;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketImpl;
import java.net.SocketOption;
import java.net.SocketOptions;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.IllegalBlockingModeException;
import java.nio.channels.SocketChannel;
import java.util.Objects;
import java.util.Set;

/**
 * What {@link ViaSocketChannel#socket()} returns: a {@link Socket} view of the channel, as the JDK's own channels
 * have one (Netty, Tomcat and others set options and read addresses through it). Every public method of
 * {@code Socket} is answered by the channel; {@link #getChannel()} returns it. Its streams need blocking mode, and
 * reads honour {@link #setSoTimeout}.
 */
final class ChannelSocket extends Socket {
    private final ViaSocketChannel ch;
    private volatile int soTimeout;
    private volatile boolean oobInline;
    private final InputStream in = new In();
    private final OutputStream out = new Out();

    private ChannelSocket(ViaSocketChannel ch) throws SocketException {
        super(NoImpl.INSTANCE);
        this.ch = ch;
    }

    static ChannelSocket create(ViaSocketChannel ch) {
        try {
            return new ChannelSocket(ch);
        } catch (SocketException e) {
            throw new IllegalStateException(e); // Socket(SocketImpl) throws only for a security manager's veto
        }
    }

    @Override
    public SocketChannel getChannel() {
        return ch;
    }

    @Override
    public void connect(SocketAddress remote) throws IOException {
        connect(remote, 0);
    }

    @Override
    public void connect(SocketAddress remote, int timeout) throws IOException {
        Objects.requireNonNull(remote, "connect: The address can't be null");
        if (timeout < 0) {
            throw new IllegalArgumentException("connect: timeout can't be negative");
        }
        if (!ch.isBlocking()) {
            throw new IllegalBlockingModeException();
        }
        try {
            ch.connect(remote);
        } catch (ClosedChannelException e) {
            throw closed(e);
        }
    }

    @Override
    public void bind(SocketAddress local) throws IOException {
        try {
            ch.bind(local);
        } catch (ClosedChannelException e) {
            throw closed(e);
        }
    }

    @Override
    public InetAddress getInetAddress() {
        InetSocketAddress a = ch.remoteAddressOrNull();
        return a == null ? null : a.getAddress();
    }

    @Override
    public InetAddress getLocalAddress() {
        InetSocketAddress a = ch.localAddressOrNull();
        if (a == null || a.getAddress() == null) {
            return new InetSocketAddress(0).getAddress();
        }
        return a.getAddress();
    }

    @Override
    public int getPort() {
        InetSocketAddress a = ch.remoteAddressOrNull();
        return a == null ? 0 : a.getPort();
    }

    @Override
    public int getLocalPort() {
        InetSocketAddress a = ch.localAddressOrNull();
        return a == null ? -1 : a.getPort();
    }

    @Override
    public SocketAddress getRemoteSocketAddress() {
        return ch.remoteAddressOrNull();
    }

    @Override
    public SocketAddress getLocalSocketAddress() {
        return ch.localAddressOrNull();
    }

    @Override
    public InputStream getInputStream() throws IOException {
        ensureUsable();
        if (isInputShutdown()) {
            throw new SocketException("Socket input is shutdown");
        }
        SocketChannel tcp = (SocketChannel) ch.platformChannel();
        return tcp != null ? tcp.socket().getInputStream() : in;
    }

    @Override
    public OutputStream getOutputStream() throws IOException {
        ensureUsable();
        if (isOutputShutdown()) {
            throw new SocketException("Socket output is shutdown");
        }
        SocketChannel tcp = (SocketChannel) ch.platformChannel();
        return tcp != null ? tcp.socket().getOutputStream() : out;
    }

    private void ensureUsable() throws SocketException {
        if (!ch.isOpen()) {
            throw new SocketException("Socket is closed");
        }
        if (!ch.isConnected()) {
            throw new SocketException("Socket is not connected");
        }
    }

    // ------------------------------------------------------------------------------------------------ options

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
    public void setTcpNoDelay(boolean on) throws SocketException {
        set(StandardSocketOptions.TCP_NODELAY, on);
    }

    @Override
    public boolean getTcpNoDelay() throws SocketException {
        return get(StandardSocketOptions.TCP_NODELAY);
    }

    @Override
    public void setSoLinger(boolean on, int linger) throws SocketException {
        set(StandardSocketOptions.SO_LINGER, on ? Math.min(Math.max(linger, 0), 65535) : -1);
    }

    @Override
    public int getSoLinger() throws SocketException {
        return get(StandardSocketOptions.SO_LINGER);
    }

    @Override
    public void sendUrgentData(int data) throws IOException {
        throw new SocketException("Urgent data not supported");
    }

    @Override
    public void setOOBInline(boolean on) throws SocketException {
        if (!ch.isOpen()) {
            throw new SocketException("Socket is closed");
        }
        oobInline = on; // urgent data is not supported at all: recorded only
    }

    @Override
    public boolean getOOBInline() throws SocketException {
        if (!ch.isOpen()) {
            throw new SocketException("Socket is closed");
        }
        return oobInline;
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
        SocketChannel tcp = (SocketChannel) ch.platformChannel();
        if (tcp != null) {
            tcp.socket().setSoTimeout(timeout);
        }
    }

    @Override
    public int getSoTimeout() throws SocketException {
        if (!ch.isOpen()) {
            throw new SocketException("Socket is closed");
        }
        return soTimeout;
    }

    @Override
    public void setSendBufferSize(int size) throws SocketException {
        if (size <= 0) {
            throw new IllegalArgumentException("Invalid send size");
        }
        set(StandardSocketOptions.SO_SNDBUF, size);
    }

    @Override
    public int getSendBufferSize() throws SocketException {
        return get(StandardSocketOptions.SO_SNDBUF);
    }

    @Override
    public void setReceiveBufferSize(int size) throws SocketException {
        if (size <= 0) {
            throw new IllegalArgumentException("Invalid receive size");
        }
        set(StandardSocketOptions.SO_RCVBUF, size);
    }

    @Override
    public int getReceiveBufferSize() throws SocketException {
        return get(StandardSocketOptions.SO_RCVBUF);
    }

    @Override
    public void setKeepAlive(boolean on) throws SocketException {
        set(StandardSocketOptions.SO_KEEPALIVE, on);
    }

    @Override
    public boolean getKeepAlive() throws SocketException {
        return get(StandardSocketOptions.SO_KEEPALIVE);
    }

    @Override
    public void setTrafficClass(int tc) throws SocketException {
        if (tc < 0 || tc > 255) {
            throw new IllegalArgumentException("tc is not in range 0 -- 255");
        }
        set(StandardSocketOptions.IP_TOS, tc);
    }

    @Override
    public int getTrafficClass() throws SocketException {
        return get(StandardSocketOptions.IP_TOS);
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
    public <T> Socket setOption(SocketOption<T> name, T value) throws IOException {
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
        // as the JDK's sockets: no effect
    }

    // ------------------------------------------------------------------------------------------------ state

    @Override
    public void close() throws IOException {
        ch.close();
    }

    @Override
    public void shutdownInput() throws IOException {
        try {
            ch.shutdownInput();
        } catch (ClosedChannelException e) {
            throw closed(e);
        }
    }

    @Override
    public void shutdownOutput() throws IOException {
        try {
            ch.shutdownOutput();
        } catch (ClosedChannelException e) {
            throw closed(e);
        }
    }

    @Override
    public boolean isConnected() {
        return ch.isConnected();
    }

    @Override
    public boolean isBound() {
        return ch.localAddressOrNull() != null;
    }

    @Override
    public boolean isClosed() {
        return !ch.isOpen();
    }

    @Override
    public boolean isInputShutdown() {
        return ch.isInputShutdown();
    }

    @Override
    public boolean isOutputShutdown() {
        return ch.isOutputShutdown();
    }

    @Override
    public String toString() {
        if (!ch.isConnected()) {
            return "Socket[unconnected; " + ch + "]";
        }
        return "Socket[addr=" + getInetAddress() + ",port=" + getPort() + ",localport=" + getLocalPort() + "; " + ch
                + "]";
    }

    private static SocketException closed(ClosedChannelException e) {
        return ViaSocketChannel.init(new SocketException("Socket is closed"), e);
    }

    private final class In extends InputStream {
        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            if (!ch.isBlocking()) {
                throw new IllegalBlockingModeException();
            }
            if (len == 0) {
                return 0;
            }
            try {
                return ch.readBlocking(ByteBuffer.wrap(b, off, len), soTimeout);
            } catch (ClosedChannelException e) {
                throw closed(e);
            }
        }

        @Override
        public void close() throws IOException {
            ch.close();
        }
    }

    private final class Out extends OutputStream {
        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            if (!ch.isBlocking()) {
                throw new IllegalBlockingModeException();
            }
            ByteBuffer buf = ByteBuffer.wrap(b, off, len);
            try {
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
            } catch (ClosedChannelException e) {
                throw closed(e);
            }
        }

        @Override
        public void close() throws IOException {
            ch.close();
        }
    }

    /** The SocketImpl the superclass holds: never used, every public method is answered by the channel. */
    static final class NoImpl extends SocketImpl {
        static final NoImpl INSTANCE = new NoImpl();

        private static SocketException unused() {
            return new SocketException("not used: the channel answers");
        }

        @Override
        protected void create(boolean stream) throws IOException {
            throw unused();
        }

        @Override
        protected void connect(String host, int port) throws IOException {
            throw unused();
        }

        @Override
        protected void connect(InetAddress address, int port) throws IOException {
            throw unused();
        }

        @Override
        protected void connect(SocketAddress address, int timeout) throws IOException {
            throw unused();
        }

        @Override
        protected void bind(InetAddress host, int port) throws IOException {
            throw unused();
        }

        @Override
        protected void listen(int backlog) throws IOException {
            throw unused();
        }

        @Override
        protected void accept(SocketImpl s) throws IOException {
            throw unused();
        }

        @Override
        protected InputStream getInputStream() throws IOException {
            throw unused();
        }

        @Override
        protected OutputStream getOutputStream() throws IOException {
            throw unused();
        }

        @Override
        protected int available() throws IOException {
            throw unused();
        }

        @Override
        protected void close() {
        }

        @Override
        protected void sendUrgentData(int data) throws IOException {
            throw unused();
        }

        @Override
        public void setOption(int optID, Object value) throws SocketException {
            throw unused();
        }

        @Override
        public Object getOption(int optID) throws SocketException {
            if (optID == SocketOptions.SO_TIMEOUT) {
                return 0;
            }
            throw unused();
        }
    }
}
