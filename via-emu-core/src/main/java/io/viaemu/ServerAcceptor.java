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

import io.viaemu.idle.BackoffIdleStrategy;
import io.viaemu.idle.Doorbell;
import io.viaemu.internal.BackgroundThreads;
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
 * A server's accept side: one thread reads the listen queue, checks each CONNECT against the connection's flag
 * block, grants it or refuses it (the server's connection limit), and queues granted connections for
 * {@link #accept(long)} callers. Documents other than CONNECT, and undecodable ones, are refused and logged.
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
        InboxDispatcher dispatcher = new InboxDispatcher(log, "endpoint '" + endpoint + "'", "listen",
                "the listen queue", listen, reader, listenBell, new BackoffIdleStrategy(0, 0, 50_000, 1_000_000), 256)
                .on(MessageType.CONNECT, r -> {
                    onConnect(ControlMessages.Connect.read(r));
                })
                .on(MessageType.RECONNECT, r -> log.warn("endpoint '{}': refused RECONNECT for connection {}: "
                        + "reconnections go to the child, not the listen queue", endpoint,
                        Layout.idString(ControlMessages.Reconnect.read(r).connectionId())));
        this.thread = BackgroundThreads.daemon("via-acceptor-" + endpoint, () -> acceptLoop(dispatcher));
    }

    void start() {
        thread.start();
    }

    private void acceptLoop(InboxDispatcher dispatcher) {
        while (!closed) {
            try {
                dispatcher.dispatchNext(Long.MAX_VALUE, () -> closed);
            } catch (Throwable e) {
                if (!closed) {
                    log.error("endpoint '{}': accept failed", endpoint, e);
                }
            }
        }
        dispatcher.close();
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
    private record ServedSlot(FlagBlock flags, Channel up, Channel down) {
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
     * The next granted connection.
     *
     * @param timeoutMillis 0 waits forever
     * @throws ViaTimeoutException if none arrived in time
     */
    ParentConnection accept(long timeoutMillis) throws IOException {
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

    /** Stops the accept thread and wakes every {@link #accept} caller (they throw: the server is closed). */
    void stop() {
        closed = true;
        listenBell.ringAlways(); // the acceptor leaves its park
        acceptLock.lock();
        try {
            acceptable.signalAll(); // so do accept() callers
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
