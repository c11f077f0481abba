package io.viaemu.socket;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;

import io.viaemu.ViaConfig;
import io.viaemu.ViaServer;

/**
 * A {@link ServerSocket} that listens on a via-emu endpoint: code written against {@code java.net.ServerSocket} runs
 * on it unchanged. Get one from {@link ViaServerSocketFactory}. Binding maps the address with the
 * {@link ViaAddressMap} (port 0 picks a free port, see there) and starts a {@link ViaServer} on the endpoint;
 * {@link #accept()} returns a {@link ViaSocket} (a plain JDK socket if the address fell back to TCP) and honours
 * {@code setSoTimeout} with {@link java.net.SocketTimeoutException}; {@link #close()} stops accepting at once (a
 * blocked {@code accept} throws {@code SocketException("Socket is closed")}) and, as with TCP, leaves accepted
 * sockets open.
 *
 * <p>To hand an accepted connection over to a worker process, see {@link ViaSocket#parentConnection()} and
 * {@link ViaSocket#handOver(String)}.
 */
public class ViaServerSocket extends ServerSocket {

    private final ViaServerSocketImpl impl;

    /** An unbound server socket; {@link #bind} maps the address. */
    public ViaServerSocket(ViaConfig config, ViaAddressMap map) throws IOException {
        this(new ViaServerSocketImpl(config, map));
    }

    /** Bound to {@code port} on the wildcard address, as {@code new ServerSocket(port)}. */
    public ViaServerSocket(ViaConfig config, ViaAddressMap map, int port) throws IOException {
        this(config, map, port, 50, null);
    }

    /** Bound to {@code bindAddr:port} (null: the wildcard address), as {@code new ServerSocket(port, backlog, bindAddr)}. */
    public ViaServerSocket(ViaConfig config, ViaAddressMap map, int port, int backlog, InetAddress bindAddr)
            throws IOException {
        this(config, map);
        try {
            bind(new InetSocketAddress(bindAddr, port), backlog);
        } catch (IOException | RuntimeException e) {
            try {
                close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    private ViaServerSocket(ViaServerSocketImpl impl) throws IOException {
        super(impl);
        this.impl = impl;
    }

    /**
     * The next connection, as a {@link ViaSocket} (a plain socket for a TCP fallback). Waits at most
     * {@link #getSoTimeout()} ms (0: for ever).
     *
     * @throws java.net.SocketTimeoutException if none arrived in time; the server socket stays usable
     * @throws SocketException                  if this server socket is or gets closed
     */
    @Override
    public Socket accept() throws IOException {
        if (isClosed()) {
            throw new SocketException("Socket is closed");
        }
        if (!isBound()) {
            throw new SocketException("Socket is not bound yet");
        }
        return impl.acceptSocket();
    }

    /** The via-emu server behind this socket (statistics, snapshots); null if unbound or a TCP fallback. */
    public ViaServer server() {
        return impl.server();
    }

    /** The endpoint this socket listens on; null if unbound or a TCP fallback. */
    public String endpoint() {
        return impl.endpoint();
    }

    /** True if bound to a via-emu endpoint (false: unbound, or real TCP). */
    public boolean isVia() {
        return impl.server() != null;
    }

    @Override
    public String toString() {
        String ep = impl.endpoint();
        return ep == null ? super.toString() : super.toString() + "[via-emu endpoint=" + ep + "]";
    }
}
