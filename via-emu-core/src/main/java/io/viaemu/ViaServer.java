package io.viaemu;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.ArrayDeque;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;

import io.viaemu.idle.BackoffIdleStrategy;
import io.viaemu.idle.Doorbell;
import io.viaemu.idle.IdleStrategy;
import io.viaemu.idle.QueueDoorbells;
import io.viaemu.internal.BackgroundThreads;
import io.viaemu.internal.EndpointLock;
import io.viaemu.internal.FilePermissions;
import io.viaemu.internal.Housekeeper;
import io.viaemu.internal.JvmOptions;
import io.viaemu.internal.Layout;
import io.viaemu.internal.StaleConnections;
import io.viaemu.internal.ProcessBells;
import io.viaemu.internal.Processes;
import io.viaemu.protocol.ConnectionState;
import io.viaemu.protocol.ErrorCode;
import io.viaemu.protocol.FlagBlock;
import io.viaemu.protocol.FlagBlock.Word;
import io.viaemu.protocol.ControlMessages;
import io.viaemu.protocol.MessageType;
import io.viaemu.protocol.Messages;
import io.viaemu.protocol.ParentRole;
import io.viaemu.transport.Channel;
import io.viaemu.transport.ChannelReader;
import io.viaemu.transport.Document;
import io.viaemu.transport.Transport;
import io.viaemu.worker.WorkerLauncher;
import io.viaemu.worker.WorkerPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A via-emu server: listens on an endpoint (its listen queue under the base directory), grants connections, and
 * hands them to {@link #accept} callers. Forks go to its {@link WorkerPool}. Closing the server (also done by a JVM
 * shutdown hook) hands every forked connection to its child if T2 is active: the expected parent abort.
 */
public final class ViaServer implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(ViaServer.class);

    private final ViaConfig config;
    private final String endpoint;
    private final Transport transport;
    private final Channel listen;
    private final EndpointLock endpointLock;
    private final WorkerPool workers;
    /** Granted connections not yet accepted; guarded by acceptLock. */
    private final ArrayDeque<ParentRole> accepted = new ArrayDeque<>();
    private final ReentrantLock acceptLock = new ReentrantLock();
    private final Condition acceptable = acceptLock.newCondition();
    /** Clients ring it after each CONNECT; the acceptor parks on it. */
    private final Doorbell listenBell;
    private final Map<String, ParentRole> connections = new ConcurrentHashMap<>();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong handoversCompleted = new AtomicLong();
    private final AtomicLong handoversFailed = new AtomicLong();
    private final Thread acceptor;
    private final Thread shutdownHook;
    private final Housekeeper.Task sweeper = new Housekeeper.Task() {
        @Override
        public boolean tick(long nowMillis) {
            return sweep(nowMillis);
        }

        @Override
        public long idleIntervalNanos() {
            return TimeUnit.MILLISECONDS.toNanos(SWEEP_INTERVAL_MILLIS);
        }
    };
    private static final long SWEEP_INTERVAL_MILLIS = 2_000;
    private long nextSweep;
    /** The other endpoints of the base directory are swept less often: their own servers, if any, sweep them. */
    private static final long FOREIGN_SWEEP_INTERVAL_MILLIS = 30_000;
    private long nextForeignSweep;
    private volatile boolean closed;
    private final java.util.concurrent.atomic.AtomicBoolean closing = new java.util.concurrent.atomic.AtomicBoolean();
    private final java.util.List<HandoverListener> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();

    private ViaServer(ViaConfig config, String endpoint, Transport transport, WorkerLauncher launcher)
            throws IOException {
        this.config = config;
        this.endpoint = Layout.checkEndpoint(endpoint);
        this.transport = transport;
        FilePermissions.createPrivateDirectories(config.baseDir());
        FilePermissions.checkPrivate(config.baseDir());
        this.endpointLock = EndpointLock.acquire(Layout.endpointDir(config.baseDir(), endpoint), endpoint);
        cleanStaleConnections();
        StaleConnections.sweepOtherEndpoints(config, endpoint); // endpoints whose server may never run again
        nextForeignSweep = System.currentTimeMillis() + FOREIGN_SWEEP_INTERVAL_MILLIS;
        this.listen = transport.open(Layout.listenDir(config.baseDir(), endpoint));
        this.listenBell = QueueDoorbells.forQueue(Layout.listenDir(config.baseDir(), endpoint));
        if (listenBell == null) {
            throw new IOException("cannot map the listen queue's doorbell beside " + listen.directory());
        }
        listenBell.clearWaiters(); // the endpoint lock makes this process its only waiter
        this.workers = new WorkerPool(config, transport, endpoint, launcher);
        workers.cleanStaleWorkerDirectories(); // before start(): none of them is ours
        workers.start();
        ChannelReader reader = listen.reader();
        reader.toEnd(); // requests left from an earlier run are stale
        this.acceptor = BackgroundThreads.daemon("via-acceptor-" + endpoint, () -> acceptLoop(reader));
        acceptor.start();
        this.shutdownHook = new Thread(this::closeQuietly, "via-shutdown-" + endpoint);
        if (config.shutdownHook()) {
            Runtime.getRuntime().addShutdownHook(shutdownHook);
        }
        Housekeeper.get(config.pollInterval().toNanos()).add(sweeper);
        log.info("via-emu server listening on endpoint '{}' under {} (triggers {}, worker pool {})", endpoint,
                config.baseDir(), config.triggers(), config.workerPoolSize());
    }

    public static ViaServer listen(ViaConfig config, String endpoint) throws IOException {
        JvmOptions.checkRequired();
        return listen(config, endpoint, ViaClient.transport(config), new WorkerLauncher());
    }

    public static ViaServer listen(ViaConfig config, String endpoint, Transport transport, WorkerLauncher launcher)
            throws IOException {
        JvmOptions.checkRequired();
        return new ViaServer(config, endpoint, transport, launcher);
    }

    /**
     * The next granted connection.
     *
     * @param timeoutMillis 0 waits forever
     * @throws ViaTimeoutException if none arrived in time
     */
    public ParentConnection accept(long timeoutMillis) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        try {
            acceptLock.lockInterruptibly();
            try {
                while (true) {
                    if (closed) {
                        throw new ViaException("server of endpoint '" + endpoint + "' is closed");
                    }
                    ParentRole c = accepted.poll();
                    if (c != null) {
                        return c;
                    }
                    if (timeoutMillis <= 0) {
                        acceptable.await(); // signalled by a grant and by close()
                        continue;
                    }
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        throw new ViaTimeoutException("no connection on endpoint '" + endpoint + "' within "
                                + timeoutMillis + " ms");
                    }
                    acceptable.awaitNanos(left);
                }
            } finally {
                acceptLock.unlock();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ViaException("interrupted while accepting", e);
        }
    }

    private void acceptLoop(ChannelReader reader) {
        Document doc = new Document(256);
        Messages.Reader r = new Messages.Reader();
        // Connects are rare next to data: never spin for them, park on the listen queue's doorbell at once (every
        // wake-up of this thread preempts a busy reader on a 2-core machine). Without a futex: parks of up to 1 ms.
        IdleStrategy idle = new BackoffIdleStrategy(0, 0, 50_000, 1_000_000);
        while (!closed) {
            try {
                if (!reader.next(doc)) {
                    idle.idle(listenBell, Long.MAX_VALUE);
                    continue;
                }
                idle.reset();
                listen.reclaimBefore(doc.index());
                MessageType type = r.reset(doc).type();
                if (type == MessageType.CONNECT) {
                    ControlMessages.Connect connect = ControlMessages.Connect.read(r);
                    onConnect(connect.connectionId(), connect.clientPid());
                } else if (type == MessageType.RECONNECT) {
                    long id = ControlMessages.Reconnect.read(r).connectionId();
                    log.warn("endpoint '{}': refused RECONNECT for connection {}: reconnections go to the child, "
                            + "not the listen queue", endpoint, Layout.idString(id));
                } else {
                    log.warn("endpoint '{}': refused unexpected {} document in the listen queue", endpoint, type);
                }
            } catch (ViaProtocolException e) {
                log.warn("endpoint '{}': refused a bad listen document: {}", endpoint, e.getMessage());
            } catch (Throwable e) {
                if (!closed) {
                    log.error("endpoint '{}': accept failed", endpoint, e);
                }
            }
        }
        idle.reset();
        reader.close();
    }

    private void onConnect(long connectionId, long clientPid) throws IOException {
        Path dir = Layout.connectionDir(config.baseDir(), endpoint, connectionId);
        FlagBlock flags;
        try {
            flags = FlagBlock.open(dir);
        } catch (NoSuchFileException e) {
            log.warn("endpoint '{}': refused CONNECT for {}: no such connection directory", endpoint,
                    Layout.idString(connectionId));
            return;
        }
        if (flags.get(Word.CLIENT_PID) != clientPid || flags.state() != ConnectionState.CONNECTING
                || flags.get(Word.PARENT_PID) != 0) {
            log.warn("endpoint '{}': refused CONNECT for {}: the flag block does not match the request (pid {}, {})",
                    endpoint, Layout.idString(connectionId), clientPid, flags.state());
            return;
        }
        Channel up = io.viaemu.protocol.ConnectionQueues.up(transport, dir, flags, config);
        Channel down = io.viaemu.protocol.ConnectionQueues.down(transport, dir, flags, config);
        if (connections.size() >= config.maxConnections()) {
            refused.incrementAndGet();
            Messages.Writer w = ControlMessages.Close.refused("endpoint '" + endpoint + "' has its maximum of "
                    + config.maxConnections() + " connections").writeTo(new Messages.Writer());
            down.append(w.bytes(), w.length(), w.bytes(), 0, 0);
            flags.fail(ErrorCode.REFUSED);
            up.close();
            down.close();
            log.warn("endpoint '{}': refused connection {}: max connections ({})", endpoint,
                    Layout.idString(connectionId), config.maxConnections());
            return;
        }
        ParentRole c = new ParentRole(config, endpoint, connectionId, dir, flags, up, down, workers, parentEvents);
        connections.put(c.id(), c);
        c.grant();
        acceptLock.lock();
        try {
            accepted.add(c);
            acceptable.signal();
        } finally {
            acceptLock.unlock();
        }
    }

    /** What the parent roles of this server tell it: handovers starting, connections released. */
    private final ParentRole.Listener parentEvents = new ParentRole.Listener() {
        @Override
        public void onReleased(ParentRole connection) {
            released(connection);
        }

        @Override
        public void onHandoverStarted(ParentRole connection, Trigger trigger) {
            for (HandoverListener l : listeners) {
                try {
                    l.onHandoverStarted(connection.id(), trigger);
                } catch (RuntimeException e) {
                    log.warn("handover listener {} failed: {}", l, e.toString());
                }
            }
        }
    };

    private void released(ParentRole c) {
        connections.remove(c.id());
        if (c.isForked() && c.flags().get(Word.TRIGGER_FIRED) != 0) {
            boolean completed = c.flags().get(Word.RECONNECTION_COMPLETION) != 0;
            (completed ? handoversCompleted : handoversFailed).incrementAndGet();
            ConnectionSnapshot snapshot = ConnectionSnapshot.of(c.id(), endpoint, c.flags().snapshot());
            for (HandoverListener l : listeners) {
                try {
                    l.onHandover(snapshot, completed);
                } catch (RuntimeException e) {
                    log.warn("handover listener {} failed: {}", l, e.toString());
                }
            }
        }
    }

    /** Called when a forked connection leaves this parent: handed over (completed) or failed trying. */
    @FunctionalInterface
    public interface HandoverListener {
        void onHandover(ConnectionSnapshot connection, boolean completed);

        /**
         * A trigger fired and this parent started handing connection {@code connectionId} over (it has just asked
         * the client to intermit, S7: keep this quick, the handover waits for it); {@link #onHandover}
         * follows on the same thread when it ends (not called when the parent is dead: the client and the child
         * then finish on their own).
         */
        default void onHandoverStarted(String connectionId, Trigger trigger) {
        }
    }

    public void addHandoverListener(HandoverListener listener) {
        listeners.add(listener);
    }

    /** False once {@link #close()} began. */
    public boolean isOpen() {
        return !closed;
    }

    /** The endpoint's listen queue directory (for health checks). */
    public Path listenDirectory() {
        return Layout.listenDir(config.baseDir(), endpoint);
    }

    /** Connections this parent serves now (not those handed over). */
    public Collection<ParentConnection> connections() {
        return List.copyOf(connections.values());
    }

    /** Every connection of the endpoint with a flag block on disk, handed-over ones included. */
    public List<ConnectionSnapshot> snapshots() {
        List<ConnectionSnapshot> list = new ArrayList<>();
        Path dir = Layout.connectionsDir(config.baseDir(), endpoint);
        if (!Files.isDirectory(dir)) {
            return list;
        }
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                snapshot(p).ifPresent(list::add);
            }
        } catch (IOException e) {
            log.warn("cannot list {}: {}", dir, e.toString());
        }
        return list;
    }

    public java.util.Optional<ConnectionSnapshot> snapshot(String connectionId) {
        try {
            Layout.parseId(connectionId);
        } catch (IllegalArgumentException e) {
            return java.util.Optional.empty();
        }
        return snapshot(Layout.connectionsDir(config.baseDir(), endpoint).resolve(connectionId));
    }

    private java.util.Optional<ConnectionSnapshot> snapshot(Path connDir) {
        try {
            FlagBlock f = FlagBlock.openReadOnly(connDir);
            return java.util.Optional.of(ConnectionSnapshot.of(connDir.getFileName().toString(), endpoint,
                    f.snapshot()));
        } catch (IOException e) {
            return java.util.Optional.empty(); // closed and deleted meanwhile, or not a connection
        }
    }

    public long handoversCompleted() {
        return handoversCompleted.get();
    }

    public long handoversFailed() {
        return handoversFailed.get();
    }

    public long refusedConnections() {
        return refused.get();
    }

    public WorkerPool workers() {
        return workers;
    }

    /** Every live worker process of this endpoint: pid, state, connections served and current. */
    public List<io.viaemu.worker.WorkerSnapshot> workerSnapshots() {
        return workers.snapshots();
    }

    public ViaConfig config() {
        return config;
    }

    public String endpoint() {
        return endpoint;
    }

    /**
     * Deletes connection directories no live process uses any more: left by a crashed run, by peers that died, or
     * closed and past their retention. Runs at start and every few seconds.
     */
    private boolean sweep(long now) {
        if (closed) {
            return false;
        }
        if (now < nextSweep) {
            return true;
        }
        nextSweep = now + SWEEP_INTERVAL_MILLIS;
        try {
            cleanStaleConnections();
            workers.cleanStaleWorkerDirectories();
            ProcessBells.sweep(config.baseDir());
        } catch (IOException e) {
            log.warn("sweep of {} failed: {}", endpoint, e.toString());
        }
        if (now >= nextForeignSweep) {
            nextForeignSweep = now + FOREIGN_SWEEP_INTERVAL_MILLIS;
            StaleConnections.sweepOtherEndpoints(config, endpoint);
        }
        return true;
    }

    private void cleanStaleConnections() throws IOException {
        StaleConnections.sweepEndpoint(config, endpoint, true, connections::containsKey);
    }

    private void closeQuietly() {
        try {
            close();
        } catch (Exception e) {
            log.warn("closing endpoint '{}': {}", endpoint, e.toString());
        }
    }

    /**
     * Stops accepting; hands forked connections to their children (T2, expected abort, if active) and closes the
     * others; stops idle workers.
     */
    @Override
    public void close() throws IOException {
        if (!closing.compareAndSet(false, true)) {
            return; // the shutdown hook and the application may both close
        }
        closed = true;
        listenBell.ringAlways(); // the acceptor leaves its park
        acceptLock.lock();
        try {
            acceptable.signalAll(); // so do accept() callers
        } finally {
            acceptLock.unlock();
        }
        try {
            if (config.shutdownHook()) {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            }
        } catch (IllegalStateException shuttingDown) {
            // called by the hook itself
        }
        for (ParentRole c : List.copyOf(connections.values())) {
            try {
                if (c.isForked()) {
                    c.abort();
                } else {
                    c.close();
                }
            } catch (IOException e) {
                log.warn("closing connection {}: {}", c.id(), e.getMessage());
            }
        }
        workers.close();
        try {
            acceptor.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        listen.close();
        try {
            // the last look: connections released and then left by peers that died meanwhile
            cleanStaleConnections();
        } catch (IOException e) {
            log.warn("sweep of {} at close failed: {}", endpoint, e.toString());
        }
        endpointLock.close();
        log.info("via-emu server of endpoint '{}' closed", endpoint);
    }
}
