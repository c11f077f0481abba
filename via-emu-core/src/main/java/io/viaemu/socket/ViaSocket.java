package io.viaemu.socket;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.viaemu.ParentConnection;
import io.viaemu.Trigger;
import io.viaemu.ViaConfig;
import io.viaemu.ViaConnection;

/**
 * A {@link Socket} over a via-emu connection: code written against {@code java.net.Socket} runs on it unchanged.
 * Get one from {@link ViaSocketFactory} (client side), from {@link ViaServerSocket#accept()} (server side), or wrap
 * a connection a worker was handed with {@link #wrap(ViaConnection)} / {@link ViaSocketHandler}.
 *
 * <p>Behaviour is that of a TCP socket: a byte stream without message boundaries; {@code setSoTimeout} bounds
 * reads and an expired read throws {@link SocketTimeoutException}, leaving the socket usable; {@code
 * shutdownOutput} and {@code close} make the peer read end of stream (-1); reading or writing a closed socket throws
 * {@code SocketException("Socket is closed")}; {@code available()} counts bytes that have arrived. Socket options
 * (TCP_NODELAY, SO_KEEPALIVE, buffer sizes, SO_LINGER, ...) are accepted and recorded but change nothing: there is
 * no TCP underneath. Addresses come from the {@link ViaAddressMap}: a client's {@code getInetAddress()/getPort()}
 * are the address it connected to; a server-side socket's are the loopback address and a port from the ephemeral
 * range derived from the connection id, the same number the client's {@code getLocalPort()} returns.
 *
 * <h2>Handing a server connection over to a worker</h2>
 * A socket accepted from a {@link ViaServerSocket} gives its {@link ParentConnection} with
 * {@link #parentConnection()}. Fork it to a worker, then close the socket: with trigger T1 active (the default)
 * closing the parent's end of a forked connection hands the connection to the worker, and the client's socket goes
 * on, with the worker, without losing or reordering a byte:
 * <pre>{@code
 * ViaSocket s = (ViaSocket) serverSocket.accept();
 * ...                                  // serve the start of the conversation
 * s.parentConnection().fork(MyHandler.class.getName());  // MyHandler: a ViaSocketHandler on the worker's classpath
 * s.close();                           // T1: the worker now owns the connection
 * }</pre>
 * {@link #handOver(String)} does both. Only what the via-emu connection holds moves to the worker: bytes the server
 * application already read into its own buffers (a {@code BufferedReader} reading ahead, say) stay with it, so read
 * unbuffered, or no further than the message you are at, before handing over.
 */
public class ViaSocket extends Socket {

    private final ViaSocketImpl impl;
    private final ViaConfig config;

    /** An unconnected socket: {@link #connect} maps the address it is given with {@code map}. */
    public ViaSocket(ViaConfig config, ViaAddressMap map) throws SocketException {
        this(new ViaSocketImpl(config, map), config);
    }

    /** A socket connected to {@code host:port} as mapped by {@code map}. */
    public ViaSocket(ViaConfig config, ViaAddressMap map, String host, int port) throws IOException {
        this(config, map);
        try {
            connect(new InetSocketAddress(host, port));
        } catch (IOException | RuntimeException e) {
            closeSuppressed(e);
            throw e;
        }
    }

    private ViaSocket(ViaSocketImpl impl, ViaConfig config) throws SocketException {
        super(impl);
        this.impl = impl;
        this.config = config;
    }

    /** The server side of an accepted connection. */
    static ViaSocket accepted(ParentConnection connection, String endpoint, ViaConfig config, InetAddress localAddress,
            int localPort, Runnable onClose) throws IOException {
        ViaSocketImpl impl = new ViaSocketImpl(connection, endpoint, localAddress, localPort, onClose);
        ViaSocket s = new ViaSocket(impl, config);
        s.adoptConnection(connection);
        return s;
    }

    /**
     * A connected socket over an existing connection: for a {@link io.viaemu.ViaConnectionHandler} in a worker
     * that runs socket code on the connection it was handed (see {@link ViaSocketHandler}). Closing the socket
     * closes the connection.
     */
    public static ViaSocket wrap(ViaConnection connection) throws IOException {
        return wrap(connection, 0);
    }

    /** {@link #wrap(ViaConnection)} whose {@code getLocalPort()} says {@code localPort}. */
    public static ViaSocket wrap(ViaConnection connection, int localPort) throws IOException {
        ViaSocketImpl impl = new ViaSocketImpl(connection, null, InetAddress.getLoopbackAddress(), localPort, null);
        ViaSocket s = new ViaSocket(impl, null);
        s.adoptConnection(connection);
        return s;
    }

    /** Socket.connect is the public way to reach the connected state; the impl adopts the existing connection. */
    private void adoptConnection(ViaConnection connection) throws IOException {
        try {
            connect(new InetSocketAddress(InetAddress.getLoopbackAddress(),
                    ViaSocketImpl.syntheticPort(connection.id())));
        } catch (IOException | RuntimeException e) {
            closeSuppressed(e);
            throw e;
        }
    }

    /** The via-emu connection; null before connecting and for a real TCP socket (unmapped address, fallback on). */
    public ViaConnection connection() {
        return impl.connection();
    }

    /**
     * The server's end of the connection, to {@link ParentConnection#fork fork} it to a worker.
     *
     * @throws IllegalStateException if this socket was not accepted from a {@link ViaServerSocket}
     */
    public ParentConnection parentConnection() {
        ViaConnection c = impl.connection();
        if (!(c instanceof ParentConnection)) {
            throw new IllegalStateException("not a socket accepted from a ViaServerSocket: " + this);
        }
        return (ParentConnection) c;
    }

    /** The via-emu endpoint this socket is connected to or was accepted on; null for TCP or unconnected. */
    public String endpoint() {
        return impl.endpoint();
    }

    /** True if this socket runs over via-emu (connected), false if unconnected or real TCP. */
    public boolean isVia() {
        return impl.connection() != null;
    }

    /**
     * Forks this accepted connection to a worker running {@code handlerClassName} (a
     * {@link io.viaemu.ViaConnectionHandler}, e.g. a {@link ViaSocketHandler}, with a public no-argument constructor
     * on the worker's classpath) and lets the worker take it over, then closes this socket. Returns when the worker
     * owns the connection. Uses T1 (close) if active, else T2 (abort); with neither it waits until the worker's
     * first receive or send (T3/T4) has taken the connection.
     *
     * @throws IllegalStateException if this is not an accepted socket
     */
    public void handOver(String handlerClassName) throws IOException {
        ParentConnection pc = parentConnection();
        if (isClosed()) {
            throw new SocketException("Socket is closed");
        }
        pc.fork(handlerClassName);
        if (config == null || config.isEnabled(Trigger.T1_PARENT_CLOSE)) {
            close();
            return;
        }
        if (config.isEnabled(Trigger.T2_PARENT_ABORT)) {
            pc.abort();
            close();
            return;
        }
        // T3/T4: the worker's first receive or send takes the connection; the handover's stage says when (no poll).
        long limit = config.childStartTimeout().plus(config.handoverTimeout()).toMillis();
        try {
            pc.handoverCompletion().toCompletableFuture().get(limit, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new SocketTimeoutException("the worker did not take connection " + pc.id() + " over within "
                    + limit + " ms (T1 and T2 are off; T3/T4 need the worker to receive or send)");
        } catch (ExecutionException e) {
            throw new SocketException("connection " + pc.id() + " was not handed over: " + e.getCause().getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for the handover");
        }
        close();
    }

    private void closeSuppressed(Throwable primary) {
        try {
            close();
        } catch (IOException e) {
            primary.addSuppressed(e);
        }
    }

    @Override
    public String toString() {
        String base = super.toString();
        String ep = impl.endpoint();
        return ep == null ? base : base + "[via-emu endpoint=" + ep + "]";
    }
}
