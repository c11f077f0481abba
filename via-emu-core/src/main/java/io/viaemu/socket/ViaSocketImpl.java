package io.viaemu.socket;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketImpl;
import java.net.SocketOption;
import java.net.SocketOptions;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.ReentrantLock;

import io.viaemu.ConnectionHandedOverException;
import io.viaemu.ViaClient;
import io.viaemu.ViaConfig;
import io.viaemu.ViaConnection;
import io.viaemu.ViaException;
import io.viaemu.ViaRefusedException;
import io.viaemu.ViaTimeoutException;
import io.viaemu.internal.JvmOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link SocketImpl} behind a {@link ViaSocket}: a via-emu connection (or, for an unmapped address with
 * {@link ViaAddressMap.Unmapped#TCP}, a plain JDK socket).
 *
 * <p>Why a SocketImpl rather than overriding Socket's public methods: {@code java.net.Socket} keeps its state
 * (created, bound, connected, closed, shut down) in private fields and its streams check that state before they
 * delegate to the impl, on JDK 17 and on JDK 25 alike. Going through {@code Socket(SocketImpl)} makes every public
 * method of Socket, present and future, behave as the JDK defines it, and only the transport is ours.
 *
 * <p>An accepted (server side) or wrapped (worker side) connection already exists when its Socket is made: the impl
 * is created holding it, and {@link ViaSocket} then calls {@code Socket.connect}, which lands in {@link #connect}
 * and adopts the connection. That is the only public way to put a Socket made by a subclass into the connected
 * state ({@code Socket.setConnected} is package-private).
 */
final class ViaSocketImpl extends SocketImpl {

    private static final Logger log = LoggerFactory.getLogger(ViaSocketImpl.class);

    /** Ports shown for the client's side of a connection: the usual ephemeral range. */
    static final int EPHEMERAL_FIRST = 49152;
    static final int EPHEMERAL_COUNT = 16384;

    /** The JDK's message for a connection the peer reset; code written for TCP matches on it. */
    static final String CONNECTION_RESET = "Connection reset";

    private final ViaConfig config;
    private final ViaAddressMap map;
    private final SocketOptionValues options = new SocketOptionValues();
    /** Held by a reading thread for the whole read, as the JDK's own socket does: reads are serialised. */
    private final ReentrantLock readLock = new ReentrantLock();
    private final InputStream in = new ViaInputStream();
    private final OutputStream out = new ViaOutputStream();

    /** A connection that exists before the socket (accepted or wrapped); {@link #connect} adopts it. */
    private ViaConnection established;
    private volatile ViaConnection connection;
    private volatile Socket tcp;
    private volatile String endpoint;
    private volatile InetAddress localAddress;
    private InetSocketAddress bindRequest;
    private volatile boolean closed;
    private volatile boolean inputShut;
    private volatile boolean outputShut;
    private Runnable onClose;

    /** An impl that connects: {@code map} finds the endpoint, {@code config} says where and how. */
    ViaSocketImpl(ViaConfig config, ViaAddressMap map) {
        this.config = Objects.requireNonNull(config, "config");
        this.map = Objects.requireNonNull(map, "map");
    }

    /** An impl around an existing connection, adopted at connect. */
    ViaSocketImpl(ViaConnection established, String endpoint, InetAddress localAddress, int localPort,
            Runnable onClose) {
        this.config = null;
        this.map = null;
        this.established = Objects.requireNonNull(established, "connection");
        this.endpoint = endpoint;
        this.localAddress = localAddress;
        this.localport = localPort;
        this.onClose = onClose;
    }

    // ------------------------------------------------------------------------------------------------ access

    ViaConnection connection() {
        return connection;
    }

    String endpoint() {
        return endpoint;
    }

    boolean isTcp() {
        return tcp != null;
    }

    // ------------------------------------------------------------------------------------------------ connect

    @Override
    protected void create(boolean stream) throws IOException {
        if (!stream) {
            throw new SocketException("via-emu sockets are stream sockets");
        }
    }

    @Override
    protected void connect(String host, int port) throws IOException {
        connect(new InetSocketAddress(host, port), 0);
    }

    @Override
    protected void connect(InetAddress address, int port) throws IOException {
        connect(new InetSocketAddress(address, port), 0);
    }

    @Override
    protected void connect(SocketAddress remote, int timeoutMillis) throws IOException {
        if (!(remote instanceof InetSocketAddress)) {
            throw new IllegalArgumentException("Unsupported address type");
        }
        InetSocketAddress isa = (InetSocketAddress) remote;
        if (closed) {
            throw new SocketException("Socket is closed");
        }
        if (established != null) {
            adopt(isa);
            return;
        }
        String ep = map.endpointFor(isa);
        if (ep == null) {
            if (map.unmapped() == ViaAddressMap.Unmapped.TCP) {
                connectTcp(isa, timeoutMillis);
                return;
            }
            String message = ViaAddressMap.unmappedMessage(isa, "connect");
            // an unresolvable name that is not mapped either: the JDK's exception for it
            throw isa.isUnresolved() ? new UnknownHostException(message) : new ConnectException(message);
        }
        JvmOptions.checkRequired(); // before Chronicle is touched: its failure would be an AssertionError
        ViaConfig c = timeoutMillis > 0
                ? config.toBuilder().connectTimeout(Duration.ofMillis(timeoutMillis)).build()
                : config;
        ViaConnection conn;
        try {
            conn = ViaClient.connect(c, ep);
        } catch (ViaRefusedException e) {
            // no live server on the endpoint: what TCP says for a port nobody listens on
            String missingBase = Files.isDirectory(config.baseDir()) ? ""
                    : " (the via-emu base directory " + config.baseDir() + " does not exist: no server ever ran there)";
            throw initCause(new ConnectException("Connection refused: " + ViaAddressMap.describe(isa)
                    + " (via-emu endpoint '" + ep + "'): " + e.getMessage() + missingBase), e);
        } catch (ViaTimeoutException e) {
            // A live server that did not grant in time (stopped, overloaded): a timeout, as TCP reports a host that
            // does not answer; "refused" is only for an endpoint without a live server, which fails at once above.
            throw initCause(new SocketTimeoutException("Connect timed out: the via-emu server of "
                    + ViaAddressMap.describe(isa) + " (endpoint '" + ep + "' under " + config.baseDir()
                    + ") did not accept within " + c.connectTimeout().toMillis() + " ms"), e);
        } catch (IOException e) {
            throw initCause(new ConnectException("Connection to " + ViaAddressMap.describe(isa) + " (via-emu endpoint '"
                    + ep + "') failed: " + e.getMessage()), e);
        }
        synchronized (this) {
            if (closed) { // closed by another thread while connecting
                conn.close();
                throw new SocketException("Socket is closed");
            }
            connection = conn;
        }
        options.applyTo(conn); // SO_SNDBUF / SO_RCVBUF set before connecting: the connection's windows
        endpoint = ep;
        address = isa.isUnresolved() ? loopbackNamed(isa.getHostString()) : isa.getAddress();
        port = isa.getPort();
        if (bindRequest == null) {
            localAddress = InetAddress.getLoopbackAddress();
            localport = syntheticPort(conn.id());
        }
    }

    private void adopt(InetSocketAddress remote) {
        connection = established;
        options.applyTo(established);
        established = null;
        address = remote.getAddress();
        port = remote.getPort();
    }

    private void connectTcp(InetSocketAddress remote, int timeoutMillis) throws IOException {
        Socket s = JvmWideSockets.newTcpSocket(); // not new Socket(): with the JVM-wide factory that would be us again
        try {
            options.applyTo(s);
            if (bindRequest != null) {
                s.bind(bindRequest);
            }
            s.connect(remote, timeoutMillis);
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
        synchronized (this) {
            if (closed) {
                s.close();
                throw new SocketException("Socket is closed");
            }
            tcp = s;
        }
        address = s.getInetAddress();
        port = s.getPort();
        localport = s.getLocalPort();
        localAddress = s.getLocalAddress();
    }

    /**
     * Becomes the server side of a connection a JVM-wide {@link ViaServerSocketImpl} accepted: {@code
     * ServerSocket.accept()} hands the impl it got from the JVM-wide client factory to the server's impl, which fills
     * it here (the connected state is then set by {@code ServerSocket}).
     */
    void adoptAccepted(ViaConnection accepted, String ep, InetAddress local, int localPort, Runnable closeCallback) {
        connection = accepted;
        endpoint = ep;
        localAddress = local;
        localport = localPort;
        onClose = closeCallback;
        address = InetAddress.getLoopbackAddress();
        port = syntheticPort(accepted.id());
        options.applyTo(accepted);
    }

    /** Becomes the server side of a TCP connection a JVM-wide server socket on an unmapped address accepted. */
    void adoptAcceptedTcp(Socket accepted) {
        tcp = accepted;
        address = accepted.getInetAddress();
        port = accepted.getPort();
        localport = accepted.getLocalPort();
        localAddress = accepted.getLocalAddress();
    }

    @Override
    protected void bind(InetAddress host, int port) throws IOException {
        // A via-emu client has no local port of its own; record what was asked so that getLocalPort and
        // getLocalAddress answer as for TCP (port 0 picks an ephemeral-looking one), and so that a TCP fallback binds.
        bindRequest = new InetSocketAddress(host, port);
        localAddress = host == null || host.isAnyLocalAddress() ? InetAddress.getLoopbackAddress() : host;
        localport = port != 0 ? port : EPHEMERAL_FIRST + ThreadLocalRandom.current().nextInt(EPHEMERAL_COUNT);
    }

    @Override
    protected void listen(int backlog) throws IOException {
        throw new SocketException("a via-emu client socket cannot listen: use ViaServerSocket");
    }

    @Override
    protected void accept(SocketImpl s) throws IOException {
        throw new SocketException("a via-emu client socket cannot accept: use ViaServerSocket");
    }

    // ------------------------------------------------------------------------------------------------ streams

    @Override
    protected InputStream getInputStream() throws IOException {
        ensureOpen();
        Socket t = tcp;
        return t != null ? t.getInputStream() : in;
    }

    @Override
    protected OutputStream getOutputStream() throws IOException {
        ensureOpen();
        Socket t = tcp;
        return t != null ? t.getOutputStream() : out;
    }

    /**
     * Bytes readable without blocking: {@link ViaConnection#available()} counts what has arrived in the queue, so
     * nothing is taken off the connection (a later handover gives the worker every unread byte).
     */
    @Override
    protected int available() throws IOException {
        ensureOpen();
        Socket t = tcp;
        if (t != null) {
            return t.getInputStream().available();
        }
        if (inputShut) {
            return 0;
        }
        ViaConnection c = connection;
        if (c == null) {
            return 0;
        }
        return Math.max(0, c.available()); // the connection counts what has arrived, not only what was read
    }

    private int read(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        ensureOpen();
        if (len == 0) {
            return 0;
        }
        if (inputShut) {
            return -1;
        }
        ViaConnection c = connection;
        readLock.lock();
        try {
            ensureOpen();
            int n = c.receive(b, off, len, options.soTimeout());
            if (n < 0 && closed) {
                throw closedException(); // closed by another thread while this one waited: as the JDK's socket
            }
            return inputShut ? -1 : n;
        } catch (ViaException e) {
            throw failure(e, "Read timed out");
        } finally {
            readLock.unlock();
        }
    }

    private void write(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        ensureOpen();
        if (outputShut) {
            throw new SocketException("Socket output is shutdown");
        }
        if (len == 0) {
            return; // a zero-length send would still append a document
        }
        try {
            connection.send(b, off, len);
        } catch (ViaException e) {
            throw failure(e, "Write timed out");
        }
    }

    /**
     * A via-emu failure as the exception a JDK socket throws in the same situation, so that code written for TCP
     * (HTTP clients' retry logic, connection pools) recognises it: a socket closed here is "Socket is closed", a wait
     * that ran out is a {@link SocketTimeoutException}, and a connection that failed (the peer process died or hung,
     * the peer aborted, a handover failed, bad input) is "Connection reset", TCP's word for a connection the other
     * side tore down, with via-emu's reason appended. An orderly close by the peer is not a failure: reads return -1.
     */
    private IOException failure(ViaException e, String timeoutMessage) {
        if (closed) {
            return closedException();
        }
        if (e instanceof ViaTimeoutException) {
            return initCause(new SocketTimeoutException(timeoutMessage), e);
        }
        if (e instanceof ConnectionHandedOverException) {
            return initCause(new SocketException("Connection handed over to a via-emu worker: " + e.getMessage()), e);
        }
        return initCause(new SocketException(CONNECTION_RESET + " (via-emu: " + e.getMessage() + ")"), e);
    }

    // ------------------------------------------------------------------------------------------------ close

    @Override
    protected void close() throws IOException {
        ViaConnection c;
        ViaConnection unadopted;
        Socket t;
        Runnable callback;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            c = connection;
            unadopted = established;
            t = tcp;
            callback = onClose;
        }
        try {
            if (t != null) {
                t.close();
            } else if (c != null) {
                c.close(); // on a forked server connection with T1 active this is the handover
            } else if (unadopted != null) {
                unadopted.close();
            }
        } catch (ViaException e) {
            throw initCause(new SocketException("Closing via-emu connection failed: " + e.getMessage()), e);
        } finally {
            if (callback != null) {
                callback.run();
            }
        }
    }

    @Override
    protected void shutdownInput() throws IOException {
        ensureOpen();
        Socket t = tcp;
        if (t != null) {
            t.shutdownInput();
        }
        inputShut = true; // reads return end of stream from now on; the peer is not told, as with TCP
    }

    @Override
    protected void shutdownOutput() throws IOException {
        ensureOpen();
        Socket t = tcp;
        if (t != null) {
            t.shutdownOutput();
        } else {
            try {
                connection.shutdownOutput();
            } catch (ViaException e) {
                throw failure(e, "Shutdown timed out");
            }
        }
        outputShut = true;
    }

    @Override
    protected void sendUrgentData(int data) throws IOException {
        throw new SocketException("Urgent data not supported");
    }

    // ------------------------------------------------------------------------------------------------ options

    @Override
    public void setOption(int optID, Object value) throws SocketException {
        ensureOpen();
        options.set(optID, value);
        Socket t = tcp;
        if (t != null) {
            options.applyOne(t, optID);
        }
        ViaConnection c = connection;
        if (c != null) {
            options.applyOne(c, optID);
        }
    }

    @Override
    public Object getOption(int optID) throws SocketException {
        ensureOpen();
        if (optID == SocketOptions.SO_BINDADDR) {
            InetAddress a = localAddress;
            return a != null ? a : InetAddress.getLoopbackAddress();
        }
        return options.get(optID, connection);
    }

    @Override
    protected <T> void setOption(SocketOption<T> name, T value) throws IOException {
        Objects.requireNonNull(name);
        ensureOpen();
        options.set(name, value, SocketOptionValues.CLIENT_OPTIONS);
        Socket t = tcp;
        if (t != null) {
            options.applyOne(t, SocketOptionValues.idOf(name));
        }
        ViaConnection c = connection;
        if (c != null) {
            options.applyOne(c, SocketOptionValues.idOf(name));
        }
    }

    @Override
    protected <T> T getOption(SocketOption<T> name) throws IOException {
        Objects.requireNonNull(name);
        ensureOpen();
        return options.get(name, SocketOptionValues.CLIENT_OPTIONS, connection);
    }

    @Override
    protected Set<SocketOption<?>> supportedOptions() {
        return SocketOptionValues.CLIENT_OPTIONS;
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private void ensureOpen() throws SocketException {
        if (closed) {
            throw closedException();
        }
    }

    private static SocketException closedException() {
        return new SocketException("Socket is closed");
    }

    static <E extends IOException> E initCause(E e, Throwable cause) {
        e.initCause(cause); // SocketException(String, Throwable) is JDK 19+: this keeps to 17
        return e;
    }

    /**
     * The port shown for the client's end of a connection: derived from the connection id, which the client, the
     * parent and the child share, so the client's {@code getLocalPort()} equals the server's {@code getPort()}.
     */
    static int syntheticPort(String connectionId) {
        long id;
        try {
            id = Long.parseUnsignedLong(connectionId, 16);
        } catch (NumberFormatException e) {
            id = connectionId.hashCode();
        }
        return EPHEMERAL_FIRST + (int) Long.remainderUnsigned(id, EPHEMERAL_COUNT);
    }

    /** A loopback address carrying the name the caller used (an unresolvable name mapped by a host entry). */
    private static InetAddress loopbackNamed(String host) throws UnknownHostException {
        return InetAddress.getByAddress(host, InetAddress.getLoopbackAddress().getAddress());
    }

    private final class ViaInputStream extends InputStream {
        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = ViaSocketImpl.this.read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            return ViaSocketImpl.this.read(b, off, len);
        }

        @Override
        public int available() throws IOException {
            return ViaSocketImpl.this.available();
        }

        @Override
        public void close() throws IOException {
            ViaSocketImpl.this.close(); // Socket wraps this stream and closes the Socket itself; here for safety
        }
    }

    private final class ViaOutputStream extends OutputStream {
        @Override
        public void write(int b) throws IOException {
            ViaSocketImpl.this.write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            ViaSocketImpl.this.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            ViaSocketImpl.this.close();
        }
    }
}
