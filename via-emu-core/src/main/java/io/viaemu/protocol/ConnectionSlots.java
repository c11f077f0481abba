package io.viaemu.protocol;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import io.viaemu.ViaConfig;
import io.viaemu.internal.BackgroundThreads;
import io.viaemu.internal.EndpointLock;
import io.viaemu.internal.FilePermissions;
import io.viaemu.internal.Housekeeper;
import io.viaemu.internal.Layout;
import io.viaemu.internal.ListenChannels;
import io.viaemu.internal.Logs;
import io.viaemu.protocol.FlagBlock.Word;
import io.viaemu.transport.Channel;
import io.viaemu.transport.Transport;
import io.viaemu.transport.TransportFactory;
import org.slf4j.Logger;

/**
 * The client's pool of <b>connection slots</b> for one endpoint under one base directory (one pool per process,
 * base directory, endpoint and queue configuration): connection directories (flag block, up and down queues) that
 * outlive one connection, so that a connect does not create and open queues. A slot is
 * <ul>
 * <li>made ahead, in the background: the directory, the flag block, both queues opened, their appenders made and
 * their first files created (each queue gets one END_OF_STREAM document, the "use 0" every later use starts
 * after);</li>
 * <li>claimed by a connect ({@link FlagBlock#claimSlot}, a CAS from IDLE), its words reset for the new use
 * ({@link FlagBlock#resetForNextUse}: a new use number, start indices after the previous use's END_OF_STREAM
 * documents), and asked for with a CONNECT carrying the use and its start indices, which the GRANT confirms;</li>
 * <li>kept at a clean close (no failure; no handover started, or one that completed) while the pool has room, and
 * free again once the server side released the use too ({@link FlagBlock#slotFree}): the parent, or after a
 * handover the child (the parent's queue handles go to its server's slot cache at S13, the child's to its worker's);
 * a slot that failed, on which a handover started and did not complete, or for which the pool has no room is closed
 * and deleted as a one-connection directory is.</li>
 * </ul>
 * Bounded: at most {@link ViaConfig#connectSlots()} slots per pool (in use, idle or being released); idle slots are
 * deleted after {@link ViaConfig#connectSlotIdleTimeout()}, at {@link #closeAll()} and at the JVM's exit. Each slot
 * moves through {@link State} against {@link #TRANSITIONS}. The directories carry the client's pid like any
 * connection's: those of a dead client are stale and swept.
 */
public final class ConnectionSlots {
    /** Made on use, not at class initialisation: see {@link Logs}. */
    private static Logger log() {
        return Logs.of(ConnectionSlots.class);
    }

    /** Fresh slots kept ready ahead of the connects, at most. */
    static final int SPARE = 4;

    private static final Map<Key, ConnectionSlots> POOLS = new ConcurrentHashMap<>();
    /** One shutdown hook for all pools of the process: their idle slots are deleted at the JVM's exit. */
    private static final AtomicBoolean EXIT_HOOK = new AtomicBoolean();

    /** What a slot's queues depend on: where they are and how they are opened. */
    private record Key(Path base, String endpoint, String transport, Map<String, String> options, long rollBytes) {
        static Key of(ViaConfig config, String endpoint) {
            return new Key(config.baseDir().toAbsolutePath().normalize(), endpoint, config.transport(),
                    config.transportOptions(), config.rollBytes());
        }

        // Written out: a record's generated equals and hashCode bootstrap java.lang.runtime.ObjectMethods on their
        // first call (invokedynamic), a third of the CPU of a fresh JVM's first connect.
        @Override
        public boolean equals(Object o) {
            if (!(o instanceof Key)) {
                return false;
            }
            Key k = (Key) o;
            return Objects.equals(base, k.base) && Objects.equals(endpoint, k.endpoint)
                    && Objects.equals(transport, k.transport) && Objects.equals(options, k.options)
                    && rollBytes == k.rollBytes;
        }

        @Override
        public int hashCode() {
            return Objects.hash(base, endpoint, transport, options, rollBytes);
        }
    }

    /** A slot's life in the pool. */
    enum State implements StateMachine.Step {
        /** Free: claimable by the next connect. */
        IDLE("-", "idle slot"),
        /** A connection uses it. */
        IN_USE("-", "slot in use"),
        /** The client closed its use cleanly and keeps it; the server side has not released the use yet. */
        RELEASING("-", "slot closed by the client"),
        /** Closed and deleted, or left to the usual close of its connection. */
        DISCARDED("-", "slot discarded");

        private final StateMachine.Label label;

        State(String step, String description) {
            this.label = new StateMachine.Label(step, description, false);
        }

        @Override
        public StateMachine.Label label() {
            return label;
        }

        @Override
        public boolean terminal() {
            return this == DISCARDED;
        }
    }

    /** Every move a slot may make. */
    static final StateMachine.Table<State> TRANSITIONS = new StateMachine.Table<>(State.class)
            .allow(State.IDLE, State.IN_USE, State.DISCARDED)
            .allow(State.IN_USE, State.RELEASING, State.DISCARDED)
            .allow(State.RELEASING, State.IDLE, State.DISCARDED);

    private final ViaConfig config;
    private final String endpoint;
    private final Transport transport;
    private final RoleEnvironment env;
    private final int max;
    private final int spare;
    private final long idleTimeoutNanos;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    /** Guarded by lock: free slots, the most recently used first. */
    private final ArrayDeque<Slot> idle = new ArrayDeque<>();
    /** Guarded by lock: slots the client closed, waiting for the server side's release. */
    private final List<Slot> releasing = new ArrayList<>();
    /** Guarded by lock: slots in use. */
    private final List<Slot> inUse = new ArrayList<>();
    /** Guarded by lock: slots being made in the background. */
    private int creating;
    /** Guarded by lock: a connect found fewer than {@link #spare} idle slots; the background thread makes more. */
    private boolean refillWanted;
    /**
     * Guarded by lock: connects came faster than slots were released (a connect found none idle while the pool had
     * some), or {@link #prepare} was called: from then on spare slots are kept ready. A process that connects one
     * connection at a time never makes more than it uses.
     */
    private boolean busy;
    private boolean closed;
    private Thread background;

    private ConnectionSlots(ViaConfig config, String endpoint, RoleEnvironment env) {
        this.config = config;
        this.endpoint = endpoint;
        this.transport = TransportFactory.create(config);
        this.env = env;
        this.max = config.connectSlots();
        this.spare = Math.min(max, SPARE);
        this.idleTimeoutNanos = config.connectSlotIdleTimeout().toNanos();
    }

    /** True if connects with this configuration use slots (on, and no retention: a reused slot keeps nothing). */
    public static boolean enabled(ViaConfig config) {
        return config.connectSlots() > 0 && config.retention().isZero();
    }

    /** This process's pool for the endpoint under the configuration's base directory (made on first use). */
    public static ConnectionSlots of(ViaConfig config, String endpoint) {
        Key key = Key.of(config, endpoint);
        ConnectionSlots pool = POOLS.get(key);
        if (pool != null) {
            return pool;
        }
        // not computeIfAbsent with a lambda: a fresh JVM's first connect would pay for its bootstrap
        synchronized (POOLS) {
            pool = POOLS.get(key);
            if (pool == null) {
                if (config.shutdownHook() && EXIT_HOOK.compareAndSet(false, true)) {
                    Runtime.getRuntime().addShutdownHook(new Thread(new CloseAll(), "via-slots-exit"));
                }
                pool = new ConnectionSlots(config, endpoint, RoleEnvironment.host(config));
                POOLS.put(key, pool);
            }
            return pool;
        }
    }

    /** {@link #closeAll()} for the exit hook (a class: no lambda to bootstrap on the first connect). */
    private static final class CloseAll implements Runnable {
        @Override
        public void run() {
            closeAll();
        }
    }

    /** Closes every pool of this process: idle slots deleted, slots in use deleted at their close. */
    public static void closeAll() {
        for (ConnectionSlots p : List.copyOf(POOLS.values())) {
            p.close();
        }
        POOLS.clear();
    }

    /** Idle slots of this process's pool for the endpoint (0 if it has none): for tests and tools. */
    public static int idleSlots(ViaConfig config, String endpoint) {
        ConnectionSlots p = POOLS.get(Key.of(config, endpoint));
        if (p == null) {
            return 0;
        }
        p.lock.lock();
        try {
            return p.idle.size();
        } finally {
            p.lock.unlock();
        }
    }

    // ------------------------------------------------------------------------------------------------ connect

    /**
     * S41-S43 on a slot: claims an idle one (or makes one if the pool has room, or connects on a one-connection
     * directory if it has not) and asks the server; {@code config} is the caller's (timeouts, pauser, window).
     */
    public ClientRole connect(ViaConfig callerConfig, String endpointName) throws IOException {
        ClientRole.checkListening(callerConfig, endpointName);
        Slot slot = take();
        if (slot == null) {
            return ClientRole.connectOnNewDirectory(callerConfig, transport, endpointName);
        }
        try {
            return slot.connect(callerConfig);
        } catch (IOException | RuntimeException e) {
            slot.discard(true);
            throw e;
        }
    }

    /**
     * Fills the pool with ready slots (up to its spare count) in the calling thread: a program calls it at start
     * (see {@code ViaClient.prepare}), so that its first connects do not create queues, nor initialise the transport.
     */
    public void prepare() throws IOException {
        fill();
        // what a first connect sets up besides its slot: the listen queue's appender, the housekeeper, the watch of
        // the server's exit (JNA's native binding), the client role's classes
        Path endpointDir = Layout.endpointDir(config.baseDir(), endpoint);
        Path listen = Layout.listenDir(config.baseDir(), endpoint);
        if (Files.isDirectory(listen)) {
            ListenChannels.prepare(transport, listen);
        }
        long[] server = EndpointLock.recordedOwner(endpointDir);
        if (server != null) {
            env.liveness().watch(server[0], server[1]);
        }
        Housekeeper.get(config.pollInterval().toNanos());
        Objects.requireNonNull(ClientRole.TRANSITIONS); // initialises the client role's class
    }

    private void fill() throws IOException {
        while (true) {
            lock.lock();
            try {
                busy = true;
                if (closed || idle.size() + creating >= spare || total() >= max) {
                    return;
                }
                creating++;
            } finally {
                lock.unlock();
            }
            Slot s = null;
            try {
                s = Slot.create(this);
            } finally {
                added(s, false);
            }
        }
    }

    /** The slot for the next connect, claimed; null if none is free and the pool is full. */
    private Slot take() throws IOException {
        boolean make;
        while (true) {
            Slot s;
            lock.lock();
            try {
                if (closed) {
                    return null;
                }
                collectReleased();
                s = idle.pollFirst();
                if (s == null && total() >= max) {
                    collectClosedInUse(); // connections closed the usual way (failed, handed over) leave the count
                }
                if (s == null && total() > 0) {
                    busy = true;
                }
                if (busy && idle.size() < spare && !refillWanted) {
                    refillWanted = true;
                    startBackground();
                    work.signal();
                }
                make = s == null && total() < max;
                if (s != null) {
                    s.state.move(State.IN_USE, "claimed");
                    inUse.add(s);
                } else if (make) {
                    creating++;
                }
            } finally {
                lock.unlock();
            }
            if (s != null) {
                if (Files.exists(s.flagsFile) && s.flags.claimSlot()) {
                    return s;
                }
                log().debug("slot {}: gone or not idle ({}); discarded", s.id, s.flags.state());
                s.discard(true);
                continue;
            }
            if (!make) {
                return null;
            }
            Slot fresh = null;
            try {
                fresh = Slot.create(this);
            } finally {
                added(fresh, true);
            }
            if (fresh.flags.claimSlot()) {
                return fresh;
            }
            fresh.discard(true);
            return null;
        }
    }

    /** A slot made (null if making it failed), idle or already taken by the connect that made it. */
    private void added(Slot s, boolean taken) {
        lock.lock();
        try {
            creating--;
            if (s == null) {
                return;
            }
            if (closed) {
                s.state.move(State.DISCARDED, "pool closed");
            } else if (taken) {
                s.state.move(State.IN_USE, "made for a connect");
                inUse.add(s);
            } else {
                s.idleSince = System.nanoTime();
                idle.addLast(s);
            }
        } finally {
            lock.unlock();
        }
        if (s != null && s.state.get() == State.DISCARDED) {
            s.deleteFiles();
        }
    }

    /** Guarded by lock. */
    private int total() {
        return idle.size() + releasing.size() + inUse.size() + creating;
    }

    /** Guarded by lock: released slots become idle. */
    private void collectReleased() {
        for (Iterator<Slot> it = releasing.iterator(); it.hasNext(); ) {
            Slot s = it.next();
            if (s.flags.slotFree()) {
                it.remove();
                s.flags.set(Word.STATE, ConnectionState.IDLE.code());
                s.state.move(State.IDLE, "released by the server side");
                s.idleSince = System.nanoTime();
                idle.addFirst(s); // its pages are the warmest
            }
        }
    }

    /** Guarded by lock: slots whose connection closed without coming back (failed, handed over) leave the pool. */
    private void collectClosedInUse() {
        for (Iterator<Slot> it = inUse.iterator(); it.hasNext(); ) {
            Slot s = it.next();
            ClientRole user = s.user;
            if (user != null && !user.isOpen()) {
                it.remove();
                s.state.move(State.DISCARDED, "its connection closed without a clean end");
            }
        }
    }

    /** The background thread: makes spare slots on demand, frees released ones, times idle ones out. */
    private void startBackground() {
        if (background == null) {
            background = BackgroundThreads.daemon("via-slots-" + endpoint, this::backgroundLoop);
            background.start();
        }
    }

    private void backgroundLoop() {
        while (true) {
            List<Slot> expired = new ArrayList<>();
            boolean make = false;
            lock.lock();
            try {
                if (closed) {
                    return;
                }
                collectReleased();
                long now = System.nanoTime();
                long nextDue = Long.MAX_VALUE;
                for (Iterator<Slot> it = idle.iterator(); it.hasNext(); ) {
                    Slot s = it.next();
                    long due = s.idleSince + idleTimeoutNanos;
                    if (now - due >= 0) {
                        it.remove();
                        s.state.move(State.DISCARDED, "idle for " + config.connectSlotIdleTimeout());
                        expired.add(s);
                    } else {
                        nextDue = Math.min(nextDue, due);
                    }
                }
                if (expired.isEmpty()) {
                    if (refillWanted && idle.size() + creating < spare && total() < max) {
                        creating++;
                        make = true;
                    } else {
                        refillWanted = false;
                        long wait = nextDue == Long.MAX_VALUE ? Long.MAX_VALUE : Math.max(1, nextDue - now);
                        if (wait == Long.MAX_VALUE) {
                            work.await();
                        } else {
                            work.awaitNanos(wait);
                        }
                        continue;
                    }
                }
            } catch (InterruptedException e) {
                return;
            } finally {
                lock.unlock();
            }
            for (Slot s : expired) {
                s.deleteFiles();
            }
            if (make) {
                Slot s = null;
                try {
                    s = Slot.create(this);
                } catch (IOException | RuntimeException e) {
                    log().warn("endpoint '{}': could not make a connection slot: {}", endpoint, e.toString());
                } finally {
                    added(s, false);
                }
            }
        }
    }

    /** Deletes the idle slots and stops; slots in use are deleted at their close, as one-connection directories. */
    void close() {
        List<Slot> gone = new ArrayList<>();
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            for (Slot s : idle) {
                s.state.move(State.DISCARDED, "pool closed");
                gone.add(s);
            }
            for (Slot s : releasing) {
                s.state.move(State.DISCARDED, "pool closed");
                gone.add(s);
            }
            idle.clear();
            releasing.clear();
            work.signalAll();
        } finally {
            lock.unlock();
        }
        for (Slot s : gone) {
            s.deleteFiles();
        }
    }

    /** One connection slot of this pool: its directory, flag block and open queues. */
    static final class Slot implements SlotKeeper {
        private final ConnectionSlots pool;
        final long id;
        final Path dir;
        final Path flagsFile;
        final FlagBlock flags;
        final Channel up;
        final Channel down;
        final StateMachine<State> state;
        /** The connection on it now (IN_USE). */
        volatile ClientRole user;
        long idleSince;

        private Slot(ConnectionSlots pool, long id, Path dir, FlagBlock flags, Channel up, Channel down) {
            this.pool = pool;
            this.id = id;
            this.dir = dir;
            this.flagsFile = flags.file();
            this.flags = flags;
            this.up = up;
            this.down = down;
            this.state = new StateMachine<>(TRANSITIONS, State.IDLE, ConnectionSlots.class.getName(), "slot " + Layout.idString(id));
        }

        /**
         * A new slot: directory, flag block with the client's identity (so that sweepers know whose it is), both
         * queues open with their first files created by one END_OF_STREAM document each ("use 0", which the first
         * use starts after), state IDLE.
         */
        static Slot create(ConnectionSlots pool) throws IOException {
            long id = Layout.randomId();
            Path dir = Layout.connectionDir(pool.config.baseDir(), pool.endpoint, id);
            FilePermissions.createPrivateDirectories(dir);
            Channel up = null;
            Channel down = null;
            try {
                FlagBlock flags = FlagBlock.create(dir);
                flags.set(Word.CLIENT_START, pool.env.start());
                flags.set(Word.CLIENT_PID, pool.env.pid());
                up = new SlotChannel(ConnectionQueues.up(pool.transport, dir, flags, pool.config));
                down = new SlotChannel(ConnectionQueues.down(pool.transport, dir, flags, pool.config));
                down.reader().toStart(); // the reader every use of the slot reads with, its file mapped now
                Messages.Writer eos = ControlMessages.Close.END_OF_STREAM.writeTo(new Messages.Writer());
                flags.set(Word.UP_END, up.append(eos.bytes(), eos.length(), eos.bytes(), 0, 0));
                flags.set(Word.DOWN_END, down.append(eos.bytes(), eos.length(), eos.bytes(), 0, 0));
                flags.set(Word.STATE, ConnectionState.IDLE.code());
                return new Slot(pool, id, dir, flags, up, down);
            } catch (IOException | RuntimeException e) {
                if (up != null) {
                    up.close();
                }
                if (down != null) {
                    down.close();
                }
                FilePermissions.deleteTree(dir);
                throw e;
            }
        }

        /** The claimed slot's next use: words reset, the client's end on its open queues, CONNECT, GRANT. */
        ClientRole connect(ViaConfig callerConfig) throws IOException {
            flags.resetForNextUse();
            ClientRole client = ClientRole.openOnSlot(pool.env, callerConfig, pool.transport, pool.endpoint, id, dir,
                    flags, up, down);
            client.recycleOnCleanClose(this);
            user = client;
            try {
                client.requestConnection();
            } catch (IOException | RuntimeException e) {
                client.releaseResources(); // its reader; the pool deletes the slot
                throw e;
            }
            return client;
        }

        /** The client's clean close of a use: kept (RELEASING until the server side released it) if still ours. */
        @Override
        public boolean keep(ConnectionEnd end, Channel inbound, Channel outbound) {
            pool.lock.lock();
            try {
                if (pool.closed || state.get() != State.IN_USE || end != user) {
                    return false;
                }
                pool.inUse.remove(this);
                user = null;
                state.move(State.RELEASING, "closed by the client");
                pool.releasing.add(this);
                pool.startBackground(); // it times idle slots out
            } finally {
                pool.lock.unlock();
            }
            // the server side may die before it releases the use: then nobody else deletes the directory. After a
            // handover the child is the server side and releases the use.
            boolean handedOver = flags.childPid() != 0;
            pool.env.housekeeping().add(new ReleaseWatch(flags.get(Word.SLOT_USE),
                    handedOver ? flags.childPid() : flags.parentPid(),
                    handedOver ? flags.childStart() : flags.parentStart()));
            return true;
        }

        /**
         * Housekeeping of a slot the client kept while the server side had not released the use: ends when it is
         * released (the next connect takes it) or used again; deletes it if the server dies first (seen within a
         * tick of its exit, as a closed end's watch sees its peer's).
         */
        private final class ReleaseWatch implements Housekeeper.Task {
            private final long use;
            private final long serverPid;
            private final long serverStart;
            private long nextCheck;
            /** Until its first tick: the server may have exited before the watch was there to be woken. */
            private volatile boolean firstTickDone;

            ReleaseWatch(long use, long serverPid, long serverStart) {
                this.use = use;
                this.serverPid = serverPid;
                this.serverStart = serverStart;
            }

            /** Watched processes' exits when the client kept the slot (see {@link #urgent()}). */
            private final long exitsAtKeep = pool.env.liveness().exits();

            /**
             * At once only if a watched process exited or went silent since the slot was kept (the server side may
             * be the one, before this watch was there to be woken); a released slot is collected by the next
             * connect anyway. Otherwise the housekeeper's next pass: no wake-up of its thread per close.
             */
            @Override
            public boolean urgent() {
                return !firstTickDone && pool.env.liveness().exits() != exitsAtKeep;
            }

            @Override
            public boolean tick(long now) {
                firstTickDone = true;
                if (state.get() != State.RELEASING || flags.get(Word.SLOT_USE) != use) {
                    return false;
                }
                if (flags.slotFree()) {
                    pool.lock.lock();
                    try {
                        pool.collectReleased(); // idle now: the background thread's idle timeout counts from here
                        pool.work.signal();
                    } finally {
                        pool.lock.unlock();
                    }
                    return false;
                }
                if (now < nextCheck) {
                    return true;
                }
                nextCheck = now + 10; // a liveness check may read /proc
                if (pool.env.liveness().isAlive(serverPid, serverStart)) {
                    return true;
                }
                boolean mine;
                pool.lock.lock();
                try {
                    mine = state.get() == State.RELEASING && pool.releasing.remove(Slot.this);
                    if (mine) {
                        state.move(State.DISCARDED, "the server side died without releasing it");
                    }
                } finally {
                    pool.lock.unlock();
                }
                if (mine) {
                    log().debug("slot {}: server pid {} died before it released use {}; deleting {}",
                            Layout.idString(id), serverPid, use, dir);
                    deleteFiles();
                }
                return false;
            }

            @Override
            public String toString() {
                return "ReleaseWatch{" + Layout.idString(id) + ", use " + use + "}";
            }
        }

        /** Out of the pool; with {@code deleteFiles} its handles closed and its directory deleted. */
        void discard(boolean deleteFiles) {
            pool.lock.lock();
            try {
                pool.inUse.remove(this);
                pool.idle.remove(this);
                pool.releasing.remove(this);
                state.moveIfAllowed(State.DISCARDED, "discarded");
            } finally {
                pool.lock.unlock();
            }
            if (deleteFiles) {
                deleteFiles();
            }
        }

        void deleteFiles() {
            up.close();
            down.close();
            try {
                FilePermissions.deleteTree(dir);
            } catch (IOException e) {
                log().warn("could not delete connection slot {}: {}", dir, e.toString());
            }
            // the server that served it keeps its queues until its next sweep, which runs on events: this is one
            flags.ringHousekeeper(Word.PARENT_PID, Word.PARENT_START);
        }

        @Override
        public String toString() {
            return "Slot{" + Layout.idString(id) + ", " + state.get() + "}";
        }
    }
}
