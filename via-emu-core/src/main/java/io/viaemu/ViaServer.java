package io.viaemu;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

import io.viaemu.idle.Doorbell;
import io.viaemu.idle.QueueDoorbells;
import io.viaemu.internal.EndpointLock;
import io.viaemu.internal.FilePermissions;
import io.viaemu.internal.JvmOptions;
import io.viaemu.internal.Layout;
import io.viaemu.protocol.ParentRole;
import io.viaemu.transport.Channel;
import io.viaemu.transport.Transport;
import io.viaemu.transport.TransportFactory;
import io.viaemu.worker.WorkerLauncher;
import io.viaemu.worker.WorkerPool;
import io.viaemu.worker.WorkerSnapshot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A via-emu server: listens on an endpoint (its listen queue under the base directory), grants connections, and
 * hands them to {@link #accept} callers. Forks go to its {@link WorkerPool}. Closing the server (also done by a JVM
 * shutdown hook) hands every forked connection to its child if T2 is active: the expected parent abort.
 *
 * <p>The facade over its parts: the {@link ServerAcceptor} (accept thread, CONNECT checks, refusals), the
 * {@link ConnectionRegistry} (connections served, handover counts and listeners), the {@link StaleDirectorySweeper}
 * and the {@link ServerInspector} (snapshots from the flag blocks); this class starts and stops them in order.
 */
public final class ViaServer implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(ViaServer.class);

    private final ViaConfig config;
    private final String endpoint;
    private final Channel listen;
    private final EndpointLock endpointLock;
    private final WorkerPool workers;
    private final ConnectionRegistry registry;
    private final StaleDirectorySweeper sweeper;
    private final ServerInspector inspector;
    private final ServerAcceptor acceptor;
    private final Thread shutdownHook;
    private volatile boolean closed;
    private final AtomicBoolean closing = new AtomicBoolean();

    private ViaServer(ViaConfig config, String endpoint, Transport transport, WorkerLauncher launcher)
            throws IOException {
        this.config = config;
        this.endpoint = Layout.checkEndpoint(endpoint);
        this.registry = new ConnectionRegistry(endpoint);
        this.inspector = new ServerInspector(config, endpoint);
        this.sweeper = new StaleDirectorySweeper(config, endpoint, registry::contains);
        FilePermissions.createPrivateDirectories(config.baseDir());
        FilePermissions.checkPrivate(config.baseDir());
        this.endpointLock = EndpointLock.acquire(Layout.endpointDir(config.baseDir(), endpoint), endpoint);
        sweeper.sweepAtStart();
        this.listen = transport.open(Layout.listenDir(config.baseDir(), endpoint));
        Doorbell listenBell = QueueDoorbells.forQueue(Layout.listenDir(config.baseDir(), endpoint));
        if (listenBell == null) {
            throw new IOException("cannot map the listen queue's doorbell beside " + listen.directory());
        }
        listenBell.clearWaiters(); // the endpoint lock makes this process its only waiter
        this.workers = new WorkerPool(config, transport, endpoint, launcher);
        workers.cleanStaleWorkerDirectories(); // before start(): none of them is ours
        workers.start();
        this.acceptor = new ServerAcceptor(config, endpoint, transport, listen, listenBell, registry, workers);
        acceptor.start();
        this.shutdownHook = new Thread(this::closeQuietly, "via-shutdown-" + endpoint);
        if (config.shutdownHook()) {
            Runtime.getRuntime().addShutdownHook(shutdownHook);
        }
        sweeper.start(workers, acceptor::evictStaleSlots);
        log.info("via-emu server listening on endpoint '{}' under {} (triggers {}, worker pool {})", endpoint,
                config.baseDir(), config.triggers(), config.workerPoolSize());
    }

    /** Listens with the configuration's transport ({@link ViaConfig#transport()}) and the default worker launcher. */
    public static ViaServer listen(ViaConfig config, String endpoint) throws IOException {
        JvmOptions.checkRequired();
        return listen(config, endpoint, TransportFactory.create(config), new WorkerLauncher());
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
        return acceptor.accept(timeoutMillis);
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
        registry.addHandoverListener(listener);
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
        return registry.connections();
    }

    /** Every connection of the endpoint with a flag block on disk, handed-over ones included. */
    public List<ConnectionSnapshot> snapshots() {
        return inspector.snapshots();
    }

    public Optional<ConnectionSnapshot> snapshot(String connectionId) {
        return inspector.snapshot(connectionId);
    }

    public long handoversCompleted() {
        return registry.handoversCompleted();
    }

    public long handoversFailed() {
        return registry.handoversFailed();
    }

    public long refusedConnections() {
        return registry.refusedConnections();
    }

    public WorkerPool workers() {
        return workers;
    }

    /** Every live worker process of this endpoint: pid, state, connections served and current. */
    public List<WorkerSnapshot> workerSnapshots() {
        return workers.snapshots();
    }

    public ViaConfig config() {
        return config;
    }

    public String endpoint() {
        return endpoint;
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
        sweeper.stop();
        acceptor.stop();
        try {
            if (config.shutdownHook()) {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            }
        } catch (IllegalStateException shuttingDown) {
            // called by the hook itself
        }
        for (ParentRole c : registry.all()) {
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
        acceptor.join(1000);
        listen.close();
        try {
            // the last look: connections released and then left by peers that died meanwhile
            sweeper.sweepOwnEndpoint();
        } catch (IOException e) {
            log.warn("sweep of {} at close failed: {}", endpoint, e.toString());
        }
        endpointLock.close();
        log.info("via-emu server of endpoint '{}' closed", endpoint);
    }
}
