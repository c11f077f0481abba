package io.viaemu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

import io.viaemu.idle.BackoffIdleStrategy;
import io.viaemu.idle.Doorbell;
import io.viaemu.idle.IdleStrategy;
import io.viaemu.internal.BackgroundThreads;
import io.viaemu.internal.ConnectPathWarmup;
import io.viaemu.internal.InboxDispatcher;
import io.viaemu.internal.Layout;
import io.viaemu.internal.Processes;
import io.viaemu.protocol.ConnectionEnd;
import io.viaemu.protocol.ConnectionQueues;
import io.viaemu.protocol.ConnectionState;
import io.viaemu.protocol.ControlMessages;
import io.viaemu.protocol.ErrorCode;
import io.viaemu.protocol.FlagBlock;
import io.viaemu.protocol.FlagBlock.Word;
import io.viaemu.protocol.MessageType;
import io.viaemu.protocol.Messages;
import io.viaemu.protocol.ParentRole;
import io.viaemu.protocol.SlotChannel;
import io.viaemu.protocol.SlotKeeper;
import io.viaemu.transport.Channel;
import io.viaemu.transport.ChannelReader;
import io.viaemu.transport.Transport;
import io.viaemu.worker.WorkerPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A server's accept side: reads the listen queue, checks each CONNECT against the connection's flag block, grants
 * it or refuses it (the server's connection limit), and queues granted connections for {@link #accept(long)}
 * callers. Who reads: an accept() caller waiting for a connection, or the acceptor thread while none waits. Documents other than CONNECT, and undecodable ones, are refused and logged.
 */
final class ServerAcceptor {
    private static final Logger log = LoggerFactory.getLogger(ViaServer.class);

    private final ViaConfig config;
    private final String endpoint;
    private final Transport transport;
    private final Channel listen;
    /** Clients ring it after each CONNECT; the acceptor parks on it. */
    private final Doorbell listenBell;
    private final ConnectionRegistry registry;
    private final WorkerPool workers;
    /** Granted connections not yet accepted; guarded by acceptLock. */
    private final ArrayDeque<ParentRole> accepted = new ArrayDeque<>();
    private final ReentrantLock acceptLock = new ReentrantLock();
    private final Condition acceptable = acceptLock.newCondition();
    /**
     * Held by whoever reads the listen queue now: an {@link #accept} caller waiting for a connection, or the
     * acceptor thread while no caller waits (see {@link #acceptLoop}).
     */
    private final ReentrantLock listenReader = new ReentrantLock();
    private final InboxDispatcher dispatcher;
    /** accept() callers inside {@link #accept}; written under acceptLock, read by the reading acceptor thread. */
    private volatile int acceptCallers;
    /** accept() calls ended so far; guarded by acceptLock. */
    private long acceptCallsEnded;
    /** True while the acceptor thread waits, without a timeout, for the accept() callers to leave. */
    private boolean acceptorDormant;
    /** True while the acceptor thread holds {@link #listenReader}: a new accept() caller rings it out. */
    private volatile boolean acceptorReads;
    /** Signalled when the last accept() caller leaves (to a dormant acceptor thread) and by stop(). */
    private final Condition acceptorTurn = acceptLock.newCondition();
    private final Thread thread;
    private volatile boolean closed;
    /** Connection slots served before, by directory: their flag blocks and open queues (see {@link #keepSlot}). */
    private final Map<Path, ServedSlot> servedSlots = new ConcurrentHashMap<>();
    private final SlotKeeper slotKeeper = this::keepSlot;

    ServerAcceptor(ViaConfig config, String endpoint, Transport transport, Channel listen, Doorbell listenBell,
            ConnectionRegistry registry, WorkerPool workers) {
        this.config = config;
        this.endpoint = endpoint;
        this.transport = transport;
        this.listen = listen;
        this.listenBell = listenBell;
        this.registry = registry;
        this.workers = workers;
        ChannelReader reader = listen.reader();
        reader.toEnd(); // requests left from an earlier run are stale
        // Connects are rare next to data: never spin for them, park on the listen queue's doorbell at once (every
        // wake-up of this thread preempts a busy reader on a 2-core machine). Without a futex: parks of up to 1 ms.
        this.dispatcher = new InboxDispatcher(log, "endpoint '" + endpoint + "'", "listen",
                "the listen queue", listen, reader, listenBell, new BackoffIdleStrategy(0, 0, 50_000, 1_000_000), 256)
                .on(MessageType.CONNECT, r -> {
                    onConnect(ControlMessages.Connect.read(r));
                })
                .on(MessageType.RECONNECT, r -> log.warn("endpoint '{}': refused RECONNECT for connection {}: "
                        + "reconnections go to the child, not the listen queue", endpoint,
                        Layout.idString(ControlMessages.Reconnect.read(r).connectionId())));
        this.thread = BackgroundThreads.daemon("via-acceptor-" + endpoint, this::acceptLoop);
    }

    void start() {
        thread.start();
    }

    /**
     * The acceptor thread: reads the listen queue while no {@link #accept} caller waits, so that connects are
     * granted whether or not the application is accepting. While a caller waits, the caller reads the queue itself
     * and grants on its own thread: the connect that wakes it is the only server thread wake-up before the
     * connection is in the application's hands (through this thread it was two: the acceptor's, then the
     * caller's). The acceptor takes the queue back only once no accept() call has ended for
     * {@link #HANDOVER_GRACE_NANOS} and none is waiting, so an accept loop's short gaps between calls do not hand
     * the queue to and fro; while a caller waits and none ends it sleeps without a timeout.
     */
    private void acceptLoop() {
        try {
            // the first grant's classes now, not while the first client waits for them (see ConnectPathWarmup)
            ConnectPathWarmup.server();
        } catch (RuntimeException e) {
            log.debug("endpoint '{}': connect path warm-up: {}", endpoint, e.toString());
        }
        long endedSeen = -1;
        while (!closed) {
            try {
                boolean read;
                acceptLock.lock();
                try {
                    boolean recent = acceptCallsEnded != endedSeen;
                    endedSeen = acceptCallsEnded;
                    read = acceptCallers == 0 && !recent;
                    if (!read && !closed) {
                        if (recent) {
                            acceptorTurn.awaitNanos(HANDOVER_GRACE_NANOS);
                        } else {
                            acceptorDormant = true; // the last caller to leave signals
                            try {
                                acceptorTurn.await();
                            } finally {
                                acceptorDormant = false;
                            }
                        }
                    }
                } finally {
                    acceptLock.unlock();
                }
                if (read) {
                    readAsAcceptor();
                }
            } catch (InterruptedException e) {
                // only stop() ends this thread: go round, closed decides
            } catch (Throwable e) {
                if (!closed) {
                    log.error("endpoint '{}': accept failed", endpoint, e);
                }
            }
        }
        closeDispatcher();
    }

    /** An accept loop's gap between two calls shorter than this does not wake the acceptor thread to read. */
    private static final long HANDOVER_GRACE_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

    /** The acceptor thread reads the listen queue until an accept() caller comes (it rings) or the server stops. */
    private void readAsAcceptor() {
        if (!listenReader.tryLock()) {
            return; // a caller has just taken it
        }
        try {
            acceptorReads = true;
            while (!closed && acceptCallers == 0) {
                dispatcher.dispatchNext(Long.MAX_VALUE, () -> closed || acceptCallers > 0);
            }
        } finally {
            acceptorReads = false;
            dispatcher.leave();
            listenReader.unlock();
        }
        acceptLock.lock();
        try {
            acceptable.signalAll(); // callers waiting for the queue: it is free
        } finally {
            acceptLock.unlock();
        }
    }

    /** Closes the dispatcher once nobody reads with it (bounded: an accept() caller leaves at stop()'s ring). */
    private void closeDispatcher() {
        boolean locked = false;
        try {
            locked = listenReader.tryLock(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            dispatcher.close();
        } finally {
            if (locked) {
                listenReader.unlock();
            }
        }
    }

    private void onConnect(ControlMessages.Connect connect) throws IOException {
        long connectionId = connect.connectionId();
        Path dir = Layout.connectionDir(config.baseDir(), endpoint, connectionId);
        // a connection slot this server served before: its flag block and queues are open already
        ServedSlot known = connect.slotUse() > 0 ? servedSlots.remove(dir) : null;
        FlagBlock flags;
        if (known != null) {
            flags = known.flags();
        } else {
            try {
                flags = FlagBlock.open(dir);
            } catch (NoSuchFileException e) {
                log.warn("endpoint '{}': refused CONNECT for {}: no such connection directory", endpoint,
                        Layout.idString(connectionId));
                return;
            }
        }
        if (flags.get(Word.CLIENT_PID) != connect.clientPid() || flags.state() != ConnectionState.CONNECTING
                || flags.get(Word.PARENT_PID) != 0 || flags.get(Word.SLOT_USE) != connect.slotUse()
                || flags.get(Word.UP_START) != connect.upStart() || flags.get(Word.DOWN_START) != connect.downStart()) {
            log.warn("endpoint '{}': refused CONNECT for {}: the flag block does not match the request (pid {}, {}, "
                    + "use {})", endpoint, Layout.idString(connectionId), connect.clientPid(), flags.state(),
                    connect.slotUse());
            if (known != null) {
                known.close(); // not the use it was kept for
            }
            return;
        }
        Channel up;
        Channel down;
        if (known != null) {
            up = known.up();
            down = known.down();
        } else if (connect.slotUse() > 0) {
            // kept after the use if it ends cleanly: the up queue's reader with them (see SlotChannel)
            up = new SlotChannel(ConnectionQueues.up(transport, dir, flags, config));
            down = new SlotChannel(ConnectionQueues.down(transport, dir, flags, config));
        } else {
            up = ConnectionQueues.up(transport, dir, flags, config);
            down = ConnectionQueues.down(transport, dir, flags, config);
        }
        if (registry.size() >= config.maxConnections()) {
            refuse(connectionId, flags, up, down);
            return;
        }
        ParentRole c = new ParentRole(config, endpoint, connectionId, dir, flags, up, down, workers,
                registry.events());
        if (connect.slotUse() > 0) {
            c.recycleOnCleanClose(slotKeeper);
        }
        registry.add(c);
        c.grant();
        acceptLock.lock();
        try {
            accepted.add(c);
            acceptable.signal();
        } finally {
            acceptLock.unlock();
        }
    }

    /** A connection slot's flag block and open queues, kept after a clean close for the slot's next use. */
    private static final class ServedSlot { // not a record: no ObjectMethods bootstrap at a fresh server's close
        private final FlagBlock flags;
        private final Channel up;
        private final Channel down;

        ServedSlot(FlagBlock flags, Channel up, Channel down) {
            this.flags = flags;
            this.up = up;
            this.down = down;
        }

        FlagBlock flags() {
            return flags;
        }

        Channel up() {
            return up;
        }

        Channel down() {
            return down;
        }

        void close() {
            up.close();
            down.close();
        }
    }

    /**
     * Keeps the queues of slots whose use closed cleanly, up to {@link ViaConfig#maxConnections()} slots (their
     * handles cost what a connection's do), until the slot is used again, its client dies or deletes it
     * ({@link #evictStaleSlots}), or the server closes.
     */
    private boolean keepSlot(ConnectionEnd end, Channel inbound, Channel outbound) {
        synchronized (servedSlots) {
            if (closed || servedSlots.size() >= config.maxConnections()) {
                return false;
            }
            servedSlots.put(end.directory(), new ServedSlot(end.flags(), inbound, outbound));
            return true;
        }
    }

    /**
     * Closes the kept queues of slots whose directory is gone (its client deleted it, or the sweep did: its client
     * died); called after each sweep of this endpoint.
     */
    void evictStaleSlots() {
        for (Map.Entry<Path, ServedSlot> e : servedSlots.entrySet()) {
            ServedSlot s = e.getValue();
            boolean clientAlive = Processes.isAlive(s.flags().clientPid(), s.flags().clientStart());
            if ((!clientAlive || !Files.exists(e.getKey())) && servedSlots.remove(e.getKey(), s)) {
                log.debug("endpoint '{}': forgetting connection slot {} ({})", endpoint, e.getKey().getFileName(),
                        clientAlive ? "deleted" : "its client died");
                s.close();
            }
        }
    }

    /** Slots whose queues this server keeps open between uses. */
    int servedSlots() {
        return servedSlots.size();
    }

    /** The server is full: the client reads why in a CLOSE, and the flag block says REFUSED for everyone. */
    private void refuse(long connectionId, FlagBlock flags, Channel up, Channel down) {
        registry.refusedOne();
        Messages.Writer w = ControlMessages.Close.refused("endpoint '" + endpoint + "' has its maximum of "
                + config.maxConnections() + " connections").writeTo(new Messages.Writer());
        down.append(w.bytes(), w.length(), w.bytes(), 0, 0);
        flags.fail(ErrorCode.REFUSED);
        up.close();
        down.close();
        log.warn("endpoint '{}': refused connection {}: max connections ({})", endpoint,
                Layout.idString(connectionId), config.maxConnections());
    }

    /**
     * The next granted connection. While no other caller does, this caller reads the listen queue itself (parked
     * on its doorbell) and grants what comes on its own thread; the acceptor thread reads it only while nobody
     * waits here (see {@link #acceptLoop}).
     *
     * @param timeoutMillis 0 waits forever
     * @throws ViaTimeoutException if none arrived in time
     */
    ParentConnection accept(long timeoutMillis) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        try {
            acceptLock.lockInterruptibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ViaException("interrupted while accepting", e);
        }
        acceptCallers++;
        try {
            while (true) {
                if (closed) {
                    throw new ViaException("server of endpoint '" + endpoint + "' is closed");
                }
                ParentRole c = accepted.poll();
                if (c != null) {
                    return c;
                }
                if (Thread.interrupted()) {
                    throw new InterruptedException();
                }
                long left = deadline - System.nanoTime();
                if (timeoutMillis > 0 && left <= 0) {
                    throw new ViaTimeoutException("no connection on endpoint '" + endpoint + "' within "
                            + timeoutMillis + " ms");
                }
                if (listenReader.tryLock()) {
                    acceptLock.unlock(); // grants take it to queue what they granted
                    try {
                        readAsCaller(timeoutMillis > 0 ? deadline : Long.MAX_VALUE);
                    } finally {
                        dispatcher.leave();
                        listenReader.unlock();
                        acceptLock.lock();
                    }
                    acceptable.signal(); // another caller may read now
                    continue;
                }
                if (acceptorReads) {
                    listenBell.ringAlways(); // the acceptor thread leaves the queue to us (it sees acceptCallers)
                }
                // another caller reads (its grants signal), or the acceptor thread is leaving (it signals)
                if (timeoutMillis <= 0) {
                    acceptable.await();
                } else {
                    acceptable.awaitNanos(left);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ViaException("interrupted while accepting", e);
        } finally {
            acceptCallers--;
            acceptCallsEnded++;
            if (acceptCallers == 0 && acceptorDormant) {
                acceptorTurn.signal(); // the acceptor thread reads again if no call comes back soon
            }
            acceptLock.unlock();
        }
    }

    /**
     * An interrupt of a caller parked on the listen queue's doorbell (a futex wait, which an interrupt does not
     * end) is seen within this time.
     */
    private static final long CALLER_PARK_SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(250);

    /**
     * Reads the listen queue until something was granted (then also grants what else is there already), the
     * deadline passes, the server stops or the caller is interrupted; called holding {@link #listenReader}.
     */
    private void readAsCaller(long deadline) {
        BooleanSupplier stop = () -> closed || Thread.currentThread().isInterrupted();
        // unlike the acceptor thread, a caller spins BACKOFF's short budget first (whatever the pauser: BUSY would
        // spin for as long as accept() waits) unless more threads wait than there are CPUs: a connect that comes
        // soon after the last one finds the caller awake and needs no wake-up
        IdleStrategy idle = PauserKind.BACKOFF.newIdleStrategy();
        try {
            readAsCaller(deadline, stop, idle);
        } finally {
            idle.reset();
        }
    }

    private void readAsCaller(long deadline, BooleanSupplier stop, IdleStrategy idle) {
        while (!closed && !Thread.currentThread().isInterrupted()) {
            long now = System.nanoTime();
            if (deadline != Long.MAX_VALUE && now - deadline >= 0) {
                return;
            }
            long slice = now + CALLER_PARK_SLICE_NANOS;
            boolean dispatched = dispatcher.dispatchNext(
                    deadline != Long.MAX_VALUE && deadline - slice < 0 ? deadline : slice, stop, idle);
            if (dispatched && hasAccepted()) {
                // a burst of connects: grant what has come already (no wait), for this and the next accept()s
                while (!closed && dispatcher.dispatchNext(System.nanoTime(), stop, idle)) {
                    // dispatched one more
                }
                return;
            }
        }
    }

    private boolean hasAccepted() {
        acceptLock.lock();
        try {
            return !accepted.isEmpty();
        } finally {
            acceptLock.unlock();
        }
    }

    /** Stops the accept thread and wakes every {@link #accept} caller (they throw: the server is closed). */
    void stop() {
        closed = true;
        listenBell.ringAlways(); // whoever reads the listen queue leaves its park
        acceptLock.lock();
        try {
            acceptable.signalAll(); // so do accept() callers
            acceptorTurn.signalAll();
        } finally {
            acceptLock.unlock();
        }
    }

    /** Waits (bounded) for the accept thread to end after {@link #stop()}. */
    void join(long millis) {
        try {
            thread.join(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (servedSlots) { // after stop(): keepSlot takes no more
            for (ServedSlot s : servedSlots.values()) {
                s.close();
            }
            servedSlots.clear();
        }
    }
}
