package io.viaemu.nio;

import java.nio.channels.UnresolvedAddressException;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.nio.channels.AlreadyBoundException;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NotYetBoundException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import io.viaemu.ParentConnection;
import io.viaemu.ViaServer;
import io.viaemu.idle.Doorbell;
import io.viaemu.protocol.ConnectionEnd;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link ServerSocketChannel} from the via-emu {@link ViaSelectorProvider}: bound to an address a {@code bind}
 * rule maps, it listens on that via-emu endpoint (a {@link ViaServer}); bound to any other address, it is a platform
 * TCP server channel it delegates to, and {@link #accept()} returns the platform's channels.
 *
 * <p>Over via-emu a thread of the channel takes the server's granted connections as they come ({@link
 * ViaServer#accept} blocks without polling) and queues them; a blocking {@link #accept()} waits on that queue, a
 * non-blocking one takes from it or returns null, and a selector's OP_ACCEPT readiness is that queue not being empty,
 * rung on a doorbell of this channel. Closing stops accepting at once (a blocked accept throws
 * {@link AsynchronousCloseException}); as with TCP, accepted channels stay open: the endpoint's server is closed
 * when the last of them is (until then new connections are closed as they arrive: their clients read end of
 * stream).
 */
final class ViaServerSocketChannel extends ServerSocketChannel implements ViaSelectable {
    private static final Logger log = LoggerFactory.getLogger(ViaServerSocketChannel.class);

    private final ViaSelectorProvider via;
    private final ChannelOptions options;
    private final Object stateLock = new Object();
    private final List<ViaSelectionKey> keys = new CopyOnWriteArrayList<>();
    private final ReentrantLock queueLock = new ReentrantLock();
    private final Condition arrived = queueLock.newCondition();
    private final ArrayDeque<ParentConnection> queue = new ArrayDeque<>();
    private final Doorbell acceptBell = Doorbell.local("server channel accept");
    private final AtomicInteger openAccepted = new AtomicInteger();
    private final AtomicBoolean serverClosed = new AtomicBoolean();

    private volatile ServerSocketChannel tcp;
    private volatile ViaServer server;
    private volatile String endpoint;
    private volatile InetSocketAddress local;
    private ChannelServerSocket socket;

    ViaServerSocketChannel(ViaSelectorProvider provider) {
        super(provider);
        this.via = provider;
        this.options = new ChannelOptions(provider.serverSocketOptions(), 0);
    }

    String endpoint() {
        return endpoint;
    }

    ViaServer server() {
        return server;
    }

    @Override
    public ServerSocketChannel bind(SocketAddress address, int backlog) throws IOException {
        synchronized (stateLock) {
            ensureOpen();
            if (local != null || tcp != null) {
                throw new AlreadyBoundException();
            }
            InetSocketAddress isa = address == null ? new InetSocketAddress(0)
                    : ViaSocketChannel.checkAddress(address);
            String ep = via.rules().bindEndpoint(isa);
            if (ep == null) {
                bindTcp(isa, backlog);
                return this;
            }
            if (isa.isUnresolved()) {
                throw new UnresolvedAddressException();
            }
            try {
                server = ViaServer.listen(via.rules().config(), ep);
            } catch (IOException | RuntimeException e) {
                throw ViaSocketChannel.init(new BindException("Cannot listen on " + isa + " (via-emu endpoint '" + ep
                        + "' under " + via.rules().config().baseDir() + "): " + e.getMessage()), e);
            }
            endpoint = ep;
            local = isa;
            Thread t = new Thread(this::acceptLoop, "via-nio-accept-" + ep);
            t.setDaemon(true);
            t.start();
        }
        return this;
    }

    private void bindTcp(InetSocketAddress isa, int backlog) throws IOException {
        ServerSocketChannel t = via.platform().openServerSocketChannel();
        try {
            options.applyTo(t);
            t.bind(isa, backlog);
            t.configureBlocking(isBlocking());
            tcp = t;
            for (ViaSelectionKey k : keys) {
                k.attachPlatform(t);
            }
        } catch (IOException | RuntimeException e) {
            tcp = null;
            t.close();
            throw e;
        }
    }

    /** Takes granted connections off the server as they come: ViaServer.accept blocks without polling. */
    private void acceptLoop() {
        ViaServer s = server;
        while (!serverClosed.get()) {
            ParentConnection c;
            try {
                c = s.accept(0);
            } catch (IOException e) {
                if (!serverClosed.get() && s.isOpen()) {
                    log.warn("via-emu server channel on endpoint '{}': accept failed: {}", endpoint, e.toString());
                }
                return;
            }
            if (!isOpen()) {
                closeQuietly(c); // closed: newcomers are turned away until the last accepted channel closes
                continue;
            }
            queueLock.lock();
            try {
                queue.add(c);
                arrived.signal();
            } finally {
                queueLock.unlock();
            }
            acceptBell.ring();
        }
    }

    @Override
    public SocketChannel accept() throws IOException {
        ServerSocketChannel t = tcp;
        if (t != null) {
            return t.accept();
        }
        ensureOpen();
        if (server == null) {
            throw new NotYetBoundException();
        }
        ParentConnection c;
        if (isBlocking()) {
            c = takeBlocking(0);
        } else {
            queueLock.lock();
            try {
                c = queue.poll();
            } finally {
                queueLock.unlock();
            }
            if (c == null) {
                return null;
            }
        }
        return adopt(c);
    }

    /** A blocking accept waiting at most {@code timeoutMillis} (0: forever); null when it ran out. */
    SocketChannel accept(long timeoutMillis) throws IOException {
        ServerSocketChannel t = tcp;
        if (t != null) {
            return t.accept();
        }
        ensureOpen();
        if (server == null) {
            throw new NotYetBoundException();
        }
        ParentConnection c = takeBlocking(timeoutMillis);
        return c == null ? null : adopt(c);
    }

    private ParentConnection takeBlocking(long timeoutMillis) throws IOException {
        boolean completed = false;
        begin();
        try {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
            queueLock.lockInterruptibly();
            try {
                while (queue.isEmpty()) {
                    if (!isOpen()) {
                        throw new AsynchronousCloseException();
                    }
                    if (timeoutMillis <= 0) {
                        arrived.await();
                    } else {
                        long left = deadline - System.nanoTime();
                        if (left <= 0) {
                            completed = true;
                            return null;
                        }
                        arrived.awaitNanos(left);
                    }
                }
                completed = true;
                return queue.poll();
            } finally {
                queueLock.unlock();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // end() closes the channel and throws ClosedByInterruptException
            return null;
        } finally {
            end(completed);
        }
    }

    private SocketChannel adopt(ParentConnection c) throws IOException {
        if (!(c instanceof ConnectionEnd)) {
            closeQuietly(c);
            throw new IOException("via-emu NIO needs the core's connections (ConnectionEnd), not " + c.getClass());
        }
        openAccepted.incrementAndGet();
        AtomicBoolean once = new AtomicBoolean();
        InetAddress shown = local.getAddress() == null || local.getAddress().isAnyLocalAddress()
                ? InetAddress.getLoopbackAddress() : local.getAddress();
        return new ViaSocketChannel(via, (ConnectionEnd) c, endpoint, new InetSocketAddress(shown, local.getPort()),
                () -> {
                    if (once.compareAndSet(false, true)) {
                        released();
                    }
                });
    }

    private void released() {
        if (openAccepted.decrementAndGet() == 0 && !isOpen()) {
            closeServer();
        }
    }

    @Override
    protected void implCloseSelectableChannel() throws IOException {
        ServerSocketChannel t = tcp;
        if (t != null) {
            t.close();
            return;
        }
        queueLock.lock();
        try {
            for (ParentConnection c; (c = queue.poll()) != null; ) {
                closeQuietly(c); // granted but never accepted: their clients read end of stream
            }
            arrived.signalAll(); // a blocked accept throws AsynchronousCloseException
        } finally {
            queueLock.unlock();
        }
        acceptBell.ringAlways();
        if (server != null && openAccepted.get() == 0) {
            closeServer();
        }
    }

    private void closeServer() {
        if (!serverClosed.compareAndSet(false, true)) {
            return;
        }
        try {
            server.close();
        } catch (IOException e) {
            log.debug("closing the via-emu server of endpoint '{}': {}", endpoint, e.toString());
        }
    }

    private static void closeQuietly(ParentConnection c) {
        try {
            c.close();
        } catch (IOException e) {
            // its client reads a reset instead of end of stream; nothing else to do
        }
    }

    @Override
    protected void implConfigureBlocking(boolean block) throws IOException {
        ServerSocketChannel t = tcp;
        if (t != null) {
            t.configureBlocking(block);
        }
    }

    @Override
    public SocketAddress getLocalAddress() throws IOException {
        ensureOpen();
        ServerSocketChannel t = tcp;
        return t != null ? t.getLocalAddress() : local;
    }

    InetSocketAddress localAddressOrNull() {
        ServerSocketChannel t = tcp;
        if (t != null) {
            try {
                return (InetSocketAddress) t.getLocalAddress();
            } catch (IOException e) {
                return null;
            }
        }
        return local;
    }

    boolean isBound() {
        return tcp != null || local != null;
    }

    @Override
    public <T> ServerSocketChannel setOption(SocketOption<T> name, T value) throws IOException {
        ensureOpen();
        ServerSocketChannel t = tcp;
        if (t != null) {
            t.setOption(name, value);
        } else {
            options.set(name, value);
        }
        return this;
    }

    @Override
    public <T> T getOption(SocketOption<T> name) throws IOException {
        ensureOpen();
        ServerSocketChannel t = tcp;
        return t != null ? t.getOption(name) : options.get(name);
    }

    @Override
    public Set<SocketOption<?>> supportedOptions() {
        return options.supported();
    }

    @Override
    public synchronized ServerSocket socket() {
        if (socket == null) {
            socket = ChannelServerSocket.create(this);
        }
        return socket;
    }

    // ------------------------------------------------------------------------------------------------ selection

    @Override
    public SelectableChannel platformChannel() {
        return tcp;
    }

    @Override
    public Doorbell doorbell() {
        return server == null ? null : acceptBell;
    }

    @Override
    public int viaReadyOps(int interest, boolean full) {
        if ((interest & SelectionKey.OP_ACCEPT) == 0 || server == null) {
            return 0;
        }
        queueLock.lock();
        try {
            return queue.isEmpty() && isOpen() ? 0 : SelectionKey.OP_ACCEPT;
        } finally {
            queueLock.unlock();
        }
    }

    @Override
    public void keyAdded(ViaSelectionKey key) throws ClosedChannelException {
        keys.add(key);
        ServerSocketChannel t = tcp;
        if (t != null) {
            key.attachPlatform(t);
        }
    }

    @Override
    public void keyRemoved(ViaSelectionKey key) {
        keys.remove(key);
    }

    private void ensureOpen() throws ClosedChannelException {
        if (!isOpen()) {
            throw new ClosedChannelException();
        }
    }

    @Override
    public String toString() {
        if (!isOpen()) {
            return "ViaServerSocketChannel[closed]";
        }
        if (tcp != null) {
            return "ViaServerSocketChannel[tcp " + tcp + "]";
        }
        return server == null ? "ViaServerSocketChannel[unbound]"
                : "ViaServerSocketChannel[via-emu endpoint=" + endpoint + " local=" + local + "]";
    }
}
