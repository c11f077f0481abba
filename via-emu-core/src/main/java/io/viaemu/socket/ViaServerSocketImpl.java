package io.viaemu.socket;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketImpl;
import java.net.SocketOption;
import java.net.SocketOptions;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import io.viaemu.ParentConnection;
import io.viaemu.ViaConfig;
import io.viaemu.ViaException;
import io.viaemu.ViaServer;
import io.viaemu.ViaTimeoutException;
import io.viaemu.internal.JvmOptions;

/**
 * The {@link SocketImpl} behind a {@link ViaServerSocket}: binding maps the address to an endpoint and starts a
 * {@link ViaServer} on it; {@link #acceptSocket()} takes its connections.
 *
 * <p>Closing: a TCP server socket's close stops accepting and leaves accepted sockets alone, but
 * {@link ViaServer#close()} closes (or hands over) every connection it has granted. So the ViaServer is closed only
 * once every socket accepted from it is closed too; until then connections that still arrive are closed at once
 * (their clients read end of stream), and the endpoint stays taken in this JVM.
 */
final class ViaServerSocketImpl extends SocketImpl {

    /** How long one wait of the accept loop lasts: how soon a blocked accept notices a close. */
    private static final long ACCEPT_SLICE_MILLIS = 50;

    /**
     * Endpoints that have a ViaServer in this JVM, by base directory and endpoint: a second server on one endpoint
     * would take its connection requests from the same listen queue, so binding it is refused as "in use".
     */
    private static final Map<String, ViaServerSocketImpl> LISTENING = new ConcurrentHashMap<>();

    private final ViaConfig config;
    private final ViaAddressMap map;
    private final SocketOptionValues options = new SocketOptionValues();
    private final AtomicInteger openAccepted = new AtomicInteger();
    private final AtomicBoolean serverClosed = new AtomicBoolean();

    private InetAddress bindHost;
    private int bindPort;
    private volatile ViaServer server;
    private volatile ServerSocket tcp;
    private volatile String endpoint;
    private String listeningKey;
    private boolean ephemeral;
    private volatile boolean closed;

    ViaServerSocketImpl(ViaConfig config, ViaAddressMap map) {
        this.config = Objects.requireNonNull(config, "config");
        this.map = Objects.requireNonNull(map, "map");
    }

    ViaServer server() {
        return server;
    }

    String endpoint() {
        return endpoint;
    }

    boolean isTcp() {
        return tcp != null;
    }

    @Override
    protected void create(boolean stream) throws IOException {
        if (!stream) {
            throw new SocketException("via-emu sockets are stream sockets");
        }
    }

    @Override
    protected void bind(InetAddress host, int port) throws IOException {
        // ServerSocket.bind calls bind, then listen; the endpoint is resolved and the server started in listen
        bindHost = host;
        bindPort = port;
    }

    @Override
    protected synchronized void listen(int backlog) throws IOException {
        if (closed) {
            throw new SocketException("Socket is closed");
        }
        InetSocketAddress requested = new InetSocketAddress(bindHost, bindPort);
        if (bindPort == 0 && ViaAddressMap.isLocal(requested)) {
            if (map.unmapped() == ViaAddressMap.Unmapped.TCP && map.defaultTemplate() == null) {
                listenTcp(requested, backlog); // nothing maps ephemeral ports, and unmapped means TCP
                return;
            }
            listenEphemeral();
        } else {
            String ep = map.endpointFor(requested);
            if (ep == null) {
                if (map.unmapped() == ViaAddressMap.Unmapped.TCP) {
                    listenTcp(requested, backlog);
                    return;
                }
                throw new BindException(ViaAddressMap.unmappedMessage(requested, "bind"));
            }
            start(ep, requested);
            localport = bindPort;
        }
        address = bindHost != null ? bindHost : new InetSocketAddress(0).getAddress();
    }

    /** Port 0: a free port of the ephemeral range, and an endpoint for it (see {@link ViaAddressMap}). */
    private void listenEphemeral() throws IOException {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int attempt = 0; attempt < 200; attempt++) {
            int p = ViaSocketImpl.EPHEMERAL_FIRST + random.nextInt(ViaSocketImpl.EPHEMERAL_COUNT);
            String ep = map.ephemeralEndpoint(p);
            // Skip ports already mapped here and endpoints that have a directory under the base directory (the
            // core's layout: BASE/ENDPOINT/...), which another process may be listening on.
            if (map.isPortMapped(p) || LISTENING.containsKey(key(ep)) || Files.exists(config.baseDir().resolve(ep))) {
                continue;
            }
            start(ep, new InetSocketAddress(bindHost, p));
            map.map(p, ep);
            ephemeral = true;
            localport = p;
            return;
        }
        throw new BindException("No free via-emu ephemeral port found under " + config.baseDir());
    }

    private void start(String ep, InetSocketAddress shownAs) throws IOException {
        // before Chronicle is touched: its failure would be an AssertionError that kills a server's accept thread
        JvmOptions.checkRequired();
        String k = key(ep);
        if (LISTENING.putIfAbsent(k, this) != null) {
            throw new BindException("Address already in use: " + ViaAddressMap.describe(shownAs) + " (via-emu endpoint '"
                    + ep + "' already has a server socket in this JVM)");
        }
        try {
            server = ViaServer.listen(config, ep);
        } catch (IOException | RuntimeException e) {
            LISTENING.remove(k, this);
            throw ViaSocketImpl.initCause(new BindException("Cannot listen on " + ViaAddressMap.describe(shownAs)
                    + " (via-emu endpoint '" + ep + "' under " + config.baseDir() + "): " + e.getMessage()), e);
        }
        listeningKey = k;
        endpoint = ep;
    }

    private void listenTcp(InetSocketAddress requested, int backlog) throws IOException {
        ServerSocket s = JvmWideSockets.newTcpServerSocket(); // not new ServerSocket(): the JVM-wide factory's us
        try {
            options.applyTo(s);
            s.bind(requested, backlog);
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
        tcp = s;
        address = s.getInetAddress();
        localport = s.getLocalPort();
    }

    private String key(String ep) {
        return config.baseDir() + "|" + ep;
    }

    /** ServerSocket.accept: honours SO_TIMEOUT and notices a close within {@link #ACCEPT_SLICE_MILLIS}. */
    Socket acceptSocket() throws IOException {
        ServerSocket t = tcp;
        if (t != null) {
            t.setSoTimeout(options.soTimeout());
            return t.accept();
        }
        return accepted(acceptConnection());
    }

    /** The next granted connection: honours SO_TIMEOUT and notices a close within {@link #ACCEPT_SLICE_MILLIS}. */
    private ParentConnection acceptConnection() throws IOException {
        int timeout = options.soTimeout();
        long deadline = System.nanoTime() + timeout * 1_000_000L;
        while (true) {
            if (closed) {
                throw new SocketException("Socket is closed");
            }
            long slice = ACCEPT_SLICE_MILLIS;
            if (timeout > 0) {
                long left = (deadline - System.nanoTime()) / 1_000_000L;
                if (left <= 0) {
                    throw new SocketTimeoutException("Accept timed out");
                }
                slice = Math.min(slice, left);
            }
            ParentConnection c;
            try {
                // ViaServer.accept(t > 0) waits the whole t without looking at close(): so wait in short slices
                c = server.accept(slice);
            } catch (ViaTimeoutException e) {
                continue;
            } catch (ViaException e) {
                if (closed) {
                    throw new SocketException("Socket is closed");
                }
                throw ViaSocketImpl.initCause(new SocketException(e.getMessage()), e);
            }
            return c;
        }
    }

    private Socket accepted(ParentConnection c) throws IOException {
        openAccepted.incrementAndGet();
        if (closed) {
            c.close(); // closed while this connection arrived: the client reads end of stream
            released();
            throw new SocketException("Socket is closed");
        }
        options.applyTo(c); // like TCP, an accepted socket inherits the listener's SO_RCVBUF: its receive window
        InetAddress local = address == null || address.isAnyLocalAddress() ? InetAddress.getLoopbackAddress() : address;
        AtomicBoolean once = new AtomicBoolean();
        try {
            return ViaSocket.accepted(c, endpoint, config, local, localport, () -> {
                if (once.compareAndSet(false, true)) {
                    released();
                }
            });
        } catch (IOException | RuntimeException e) {
            if (once.compareAndSet(false, true)) {
                released();
            }
            throw e;
        }
    }

    /** An accepted socket was closed (or never became one). */
    private void released() {
        if (openAccepted.decrementAndGet() == 0 && closed) {
            closeServer();
        }
    }

    @Override
    protected void close() throws IOException {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        ServerSocket t = tcp;
        if (t != null) {
            t.close();
            return;
        }
        if (server == null) {
            return; // never bound
        }
        if (ephemeral) {
            map.unmap(localport);
        }
        if (openAccepted.get() == 0) {
            closeServer();
        } else {
            drainUntilReleased();
        }
    }

    /** Accepted sockets are still open: refuse newcomers (close them) until the last one is closed. */
    private void drainUntilReleased() {
        Thread drainer = new Thread(() -> {
            while (!serverClosed.get()) {
                try {
                    server.accept(ACCEPT_SLICE_MILLIS).close();
                } catch (ViaTimeoutException e) {
                    // nothing arrived
                } catch (IOException e) {
                    break; // the server was closed meanwhile
                }
                if (openAccepted.get() == 0) {
                    closeServer();
                }
            }
        }, "via-server-socket-drain-" + endpoint);
        drainer.setDaemon(true);
        drainer.start();
    }

    private void closeServer() {
        if (!serverClosed.compareAndSet(false, true)) {
            return;
        }
        try {
            server.close();
        } catch (IOException e) {
            // nothing to tell anyone: the endpoint is released below in any case
        } finally {
            LISTENING.remove(listeningKey, this);
        }
    }

    // ------------------------------------------------------------------------------------------------ not for a server

    @Override
    protected void connect(String host, int port) throws IOException {
        throw new SocketException("a server socket does not connect");
    }

    @Override
    protected void connect(InetAddress address, int port) throws IOException {
        throw new SocketException("a server socket does not connect");
    }

    @Override
    protected void connect(SocketAddress address, int timeout) throws IOException {
        throw new SocketException("a server socket does not connect");
    }

    /**
     * {@code ServerSocket.accept()} of a plain {@code ServerSocket} made by the JVM-wide factory
     * ({@link JvmWideSockets}) lands here with an impl from the JVM-wide client factory, which the accepted
     * connection (or, for TCP, socket) is put into. {@link ViaServerSocket} does not come here: it overrides accept().
     */
    @Override
    protected void accept(SocketImpl s) throws IOException {
        if (!(s instanceof ViaSocketImpl)) {
            throw new SocketException("a via-emu server socket accepts into via-emu sockets only (got "
                    + (s == null ? "none" : s.getClass().getName()) + "): install both JVM-wide factories");
        }
        ViaSocketImpl into = (ViaSocketImpl) s;
        ServerSocket t = tcp;
        if (t != null) {
            t.setSoTimeout(options.soTimeout());
            into.adoptAcceptedTcp(t.accept());
            return;
        }
        ParentConnection c = acceptConnection();
        openAccepted.incrementAndGet();
        if (closed) {
            c.close();
            released();
            throw new SocketException("Socket is closed");
        }
        options.applyTo(c);
        InetAddress local = address == null || address.isAnyLocalAddress() ? InetAddress.getLoopbackAddress() : address;
        AtomicBoolean once = new AtomicBoolean();
        into.adoptAccepted(c, endpoint, local, localport, () -> {
            if (once.compareAndSet(false, true)) {
                released();
            }
        });
    }

    @Override
    protected InputStream getInputStream() throws IOException {
        throw new SocketException("a server socket has no stream");
    }

    @Override
    protected OutputStream getOutputStream() throws IOException {
        throw new SocketException("a server socket has no stream");
    }

    @Override
    protected int available() {
        return 0;
    }

    @Override
    protected void sendUrgentData(int data) throws IOException {
        throw new SocketException("Urgent data not supported");
    }

    // ------------------------------------------------------------------------------------------------ options

    @Override
    public void setOption(int optID, Object value) throws SocketException {
        if (closed) {
            throw new SocketException("Socket is closed");
        }
        options.set(optID, value);
        ServerSocket t = tcp;
        if (t != null) {
            options.applyOne(t, optID);
        }
    }

    @Override
    public Object getOption(int optID) throws SocketException {
        if (optID == SocketOptions.SO_BINDADDR) {
            return address != null ? address : new InetSocketAddress(0).getAddress();
        }
        return options.get(optID);
    }

    @Override
    protected <T> void setOption(SocketOption<T> name, T value) throws IOException {
        Objects.requireNonNull(name);
        if (closed) {
            throw new SocketException("Socket is closed");
        }
        options.set(name, value, SocketOptionValues.SERVER_OPTIONS);
        ServerSocket t = tcp;
        if (t != null) {
            options.applyOne(t, SocketOptionValues.idOf(name));
        }
    }

    @Override
    protected <T> T getOption(SocketOption<T> name) throws IOException {
        Objects.requireNonNull(name);
        return options.get(name, SocketOptionValues.SERVER_OPTIONS);
    }

    @Override
    protected Set<SocketOption<?>> supportedOptions() {
        return SocketOptionValues.SERVER_OPTIONS;
    }
}
