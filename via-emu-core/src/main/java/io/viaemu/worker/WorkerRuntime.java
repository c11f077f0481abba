package io.viaemu.worker;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import io.viaemu.ViaConfig;
import io.viaemu.ViaConnectionHandler;
import io.viaemu.idle.Doorbell;
import io.viaemu.idle.QueueDoorbells;
import io.viaemu.internal.FilePermissions;
import io.viaemu.internal.InboxDispatcher;
import io.viaemu.internal.Layout;
import io.viaemu.internal.Liveness;
import io.viaemu.internal.ProcessExitWatch;
import io.viaemu.internal.Processes;
import io.viaemu.protocol.ConnectionQueues;
import io.viaemu.protocol.ChildRole;
import io.viaemu.protocol.ConnectionEnd;
import io.viaemu.protocol.ControlMessages;
import io.viaemu.protocol.ErrorCode;
import io.viaemu.protocol.FlagBlock;
import io.viaemu.protocol.MessageType;
import io.viaemu.protocol.RoleEnvironment;
import io.viaemu.protocol.SlotChannel;
import io.viaemu.protocol.SlotKeeper;
import io.viaemu.transport.Channel;
import io.viaemu.transport.ChannelReader;
import io.viaemu.transport.Transport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker side of EMU_FORK, in a worker JVM: listens on its inbox for the parent's ASSIGNs, runs the named
 * handler on each connection as its child (each on its own thread, as many at once as the parent assigns: the
 * parent keeps to the worker's concurrency), and answers the clients' RECONNECTs.
 *
 * <p>The worker serves connections until it is recycled: it took its connection limit (1 by default: one-shot), its
 * heap or resident size passed a limit, a handler overran its time limit, the parent retired it, or the parent died.
 * Then it closes its admission ({@link WorkerStatus}), finishes the connections it has (drain) and returns. Every
 * change it makes to its connection count goes to its status block, which is how the parent learns it is idle
 * again. An idle worker whose parent died returns at once.
 */
public final class WorkerRuntime {
    private static final Logger log = LoggerFactory.getLogger(WorkerRuntime.class);
    /** How often the inbox loop looks at the parent, handler time limits and memory. */
    private static final long TICK_NANOS = 100_000_000L;
    private static final long DRAINING_TICK_NANOS = 10_000_000L;
    /** Slots whose queues a worker keeps between uses, at most (each costs what an open connection's queues do). */
    static final int MAX_KEPT_SLOTS = 256;
    /** How often the kept slots are checked for a deleted directory. */
    private static final long SLOT_EVICTION_NANOS = 2_000_000_000L;

    private final ViaConfig config;
    private final Transport transport;
    private final String endpoint;
    private final long workerId;
    private final String name;
    private final HandlerResolver resolver;
    /** The launching parent {pid, startMillis}; pid 0 if unknown (started by hand). */
    private final long[] parent = parentFromEnvironment();
    /** Connections being served, by connection id. */
    private final Map<Long, Served> serving = new ConcurrentHashMap<>();
    /** Connections assigned whose handler has neither ended nor overrun its time limit. */
    private final AtomicInteger active = new AtomicInteger();
    /**
     * Connection slots (see {@code ConnectionSlots}) whose use a child of this worker released cleanly after a
     * handover, by directory: their flag block and open queues (with the up queue's reader), so that the slot's next
     * use handed to this worker opens nothing (two Chronicle queues and a reader: most of a child's set-up). At most
     * {@link #MAX_KEPT_SLOTS}; closed when the slot's directory is gone (its client deleted it or died and was
     * swept: {@link #evictGoneSlots}), when it is used again here (taken out), and at the worker's exit.
     */
    private final Map<Path, KeptSlot> keptSlots = new ConcurrentHashMap<>();
    private final SlotKeeper slotKeeper = this::keepSlot;
    private long nextSlotEviction;
    private final ExecutorService handlers = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "via-handler");
        t.setDaemon(true); // a handler stuck past its time limit must not keep a recycled worker alive
        return t;
    });
    private volatile WorkerStatus status;
    /** ASSIGN documents read (inbox thread only). */
    private long received;
    /** Assignments owed when admission closed; -1 while open. Guarded by this. */
    private volatile long owed = -1;
    private volatile long drainSinceNanos;
    private volatile boolean parentDead;
    /** Rung by every append to the inbox, by a handler's end and by the parent's exit. */
    private Doorbell inboxBell;
    /** Set by a handler's end or a process exit: the inbox loop ticks at once instead of at its next tick. */
    private volatile boolean attention;
    /** This process as the children's ends write it into flag blocks. */
    private final RoleEnvironment environment;
    private final Object idleMonitor = new Object();

    public WorkerRuntime(ViaConfig config, Transport transport, String endpoint, long workerId,
            HandlerResolver resolver) {
        this.config = config;
        this.transport = transport;
        this.endpoint = endpoint;
        this.workerId = workerId;
        this.name = Layout.idString(workerId);
        this.resolver = resolver;
        this.environment = RoleEnvironment.host(config);
    }

    /**
     * Sets up, ahead of {@link #run}, what the start of a worker needs and a cold JVM is slow to do the first time,
     * so that a launcher can run it on a second thread while the application boots (the starter does, from the start
     * of its Spring Boot application): the native calls of the doorbells (JNA's initialisation runs
     * {@code ldconfig -p} in a child process and unpacks its library) and the JDK's file-mapping path (its first
     * {@code MappedByteBuffer} spins method handles). Measured on a cold worker (JDK 25 with its AOT cache, 2 cores):
     * 25-40 ms between the application being ready and the worker's READY, on the path of every cold EMU_FORK. Safe
     * to call more than once and from any thread: a class initialised here is initialised once, and {@link #run}
     * waits for an initialisation still under way. Failures are left to {@link #run} to meet and report.
     */
    public static void preload() {
        Doorbell.futexAvailable(); // Futex, LinuxCalls and JNA: their static initialisation
        // A zero-length read-write mapping builds the MappedByteBuffer as a real one does, without mapping anything
        // (a valid file descriptor is not needed) and without creating a file.
        try (FileChannel ch = FileChannel.open(Path.of("/dev/null"), StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            ch.map(FileChannel.MapMode.READ_WRITE, 0, 0);
        } catch (IOException | RuntimeException e) {
            log.debug("preloading the file-mapping path: {}", e.toString());
        }
    }

    /** Runs until the worker is recycled and its connections have ended (or the parent died while it was idle). */
    public void run() throws IOException {
        Path dir = Layout.workerDir(config.baseDir(), endpoint, workerId);
        status = openStatus(dir);
        Path inboxDir = Layout.inboxDir(dir);
        Channel inbox = transport.open(inboxDir);
        ChannelReader reader = inbox.reader();
        inboxBell = QueueDoorbells.forQueue(inboxDir); // before READY: nobody rings it yet
        if (inboxBell == null) {
            throw new IOException("cannot map the inbox's doorbell beside " + inboxDir);
        }
        inboxBell.clearWaiters();
        Doorbell bell = inboxBell;
        Runnable onExit = () -> {
            attention = true;
            bell.ringAlways();
        };
        ProcessExitWatch.addListener(onExit);
        ProcessExitWatch.watch(parent[0], parent[1]);
        Path ready = dir.resolve(Worker.READY_FILE);
        Path tmp = dir.resolve(Worker.READY_FILE + ".tmp");
        Files.writeString(tmp, Long.toString(ProcessHandle.current().pid()));
        FilePermissions.makePrivate(tmp);
        Files.move(tmp, ready, StandardCopyOption.ATOMIC_MOVE);
        status.announce(Processes.currentPid(), Processes.currentStart());
        log.info("worker {} pid {} ready (connection limit {}, concurrency {})", name, ProcessHandle.current().pid(),
                status.limit() == 0 ? "none" : status.limit(), status.concurrency());
        InboxDispatcher dispatcher = new InboxDispatcher(log, "worker " + name, "inbox", "its inbox", inbox, reader,
                inboxBell, config.pauser().newIdleStrategy(), 512)
                .on(MessageType.ASSIGN, r -> {
                    ControlMessages.Assign a = ControlMessages.Assign.read(r);
                    assign(a.connectionId(), a.handlerName());
                })
                .on(MessageType.RECONNECT, r -> {
                    ControlMessages.Reconnect c = ControlMessages.Reconnect.read(r);
                    reconnect(c.connectionId(), c.endpoint(), c.token(), c.nonce());
                });
        long nextTick = System.nanoTime();
        try {
            while (true) {
                long now = System.nanoTime();
                if (now - nextTick >= 0 || attention) {
                    attention = false;
                    tick(now);
                    nextTick = now + (owed >= 0 ? DRAINING_TICK_NANOS : TICK_NANOS);
                }
                if (drained(now)) {
                    break;
                }
                // the one place the worker waits: for its inbox, its next tick, or something needing a tick at once
                dispatcher.dispatchNext(nextTick, () -> attention);
            }
            log.info("worker {}: {} connection(s) served; exiting ({})", name, status.finished(),
                    status.recycleReason());
        } finally {
            dispatcher.close();
            ProcessExitWatch.removeListener(onExit);
            status.state(WorkerStatus.State.EXITED);
            handlers.shutdown();
            closeKeptSlots();
            inbox.close();
            FilePermissions.deleteTree(dir);
        }
    }

    private static WorkerStatus openStatus(Path dir) throws IOException {
        try {
            return WorkerStatus.open(dir);
        } catch (NoSuchFileException e) {
            throw new IOException("worker directory " + dir + " has no status block: workers are started by a "
                    + "WorkerPool, which creates it", e);
        }
    }

    private void assign(long connectionId, String handlerName) throws IOException {
        long reserved = status.assigned();
        if (received >= reserved) {
            // The parent reserves every connection in the status block before it sends ASSIGN: this one it did not
            // (a forged or replayed document). Not counted, so the parent's bookkeeping stays exact.
            log.warn("worker {}: refused a second ASSIGN (connection {}): the parent reserved {} connection(s) here "
                    + "and all were assigned", name, Layout.idString(connectionId), reserved);
            return;
        }
        received++;
        long limit = status.limit();
        if (limit > 0 && received >= limit) {
            recycle(WorkerStatus.Recycle.MAX_CONNECTIONS, "served its limit of " + limit + " connection(s)");
        }
        Path connDir = Layout.connectionDir(config.baseDir(), endpoint, connectionId);
        /*
         * A connection slot keeps its id across uses: its previous use's child may still be here, between its close
         * (which released the use: the client could claim the slot again, and its parent fork it here) and its
         * bookkeeping (end). That is not a second ASSIGN of the same use.
         */
        Served previous = serving.get(connectionId);
        if (previous != null && previous.use == 0) {
            refuseSecondAssign(connectionId);
            return;
        }
        ViaConnectionHandler handler;
        FlagBlock flags;
        KeptSlot kept = keptSlots.remove(connDir);
        if (kept != null && !Files.exists(kept.flagsFile())) {
            kept.close(); // deleted meanwhile: the ASSIGN fails below as for any missing directory
            kept = null;
        }
        try {
            flags = kept != null ? kept.flags() : FlagBlock.open(connDir);
        } catch (IOException e) {
            log.warn("worker {}: refused ASSIGN of connection {}: {}", name, Layout.idString(connectionId),
                    e.toString());
            status.finishedOne();
            return;
        }
        try {
            handler = resolver.resolve(handlerName);
        } catch (RuntimeException e) {
            // the parent's EMU_FORK waits for this child: the failed connection tells it why, and the worker lives on
            log.warn("worker {}: connection {}: no handler '{}': {}", name, Layout.idString(connectionId),
                    handlerName, e.toString());
            flags.fail(ErrorCode.HANDLER_UNAVAILABLE);
            status.finishedOne();
            if (kept != null) {
                kept.close();
            }
            return;
        }
        long use = flags.get(FlagBlock.Word.SLOT_USE);
        if (previous != null && use <= previous.use) {
            if (kept != null) {
                keptSlots.putIfAbsent(connDir, kept);
            }
            refuseSecondAssign(connectionId);
            return;
        }
        Served s = new Served(connectionId, use, flags, handlerName, kept);
        serving.put(connectionId, s); // replaces a previous use's, whose end() then leaves this one
        active.incrementAndGet();
        /*
         * EMU_FORK waits for the child's pid, not for its end: the pid goes to the flag block now, and the connection's
         * two queues (a few milliseconds to open) are opened on the handler's thread while the parent goes on with the
         * handover. The client's RECONNECT, the first thing that needs them, waits for them (reconnect below); the
         * inbox thread goes on reading meanwhile, so ASSIGNs for other connections do not queue behind the opening.
         */
        ChildRole.announceInFlagBlock(flags, environment);
        long n = received;
        handlers.execute(() -> open(s, handler, n));
    }

    private void refuseSecondAssign(long connectionId) {
        log.warn("worker {}: refused a second ASSIGN of connection {}", name, Layout.idString(connectionId));
        status.finishedOne();
    }

    /** On the handler's thread: the child's end (its two queues), its announcement, then the handler. */
    private void open(Served s, ViaConnectionHandler handler, long n) {
        ChildRole c = null;
        Channel up = null;
        Channel down = null;
        try {
            Path connDir = Layout.connectionDir(config.baseDir(), endpoint, s.connectionId);
            boolean onSlot = s.flags.get(FlagBlock.Word.SLOT_USE) > 0;
            if (s.kept != null) {
                up = s.kept.up(); // this slot's last use here released them: nothing to open
                down = s.kept.down();
            } else {
                // the two opens are independent (each a millisecond or more): the down queue on a second thread
                CompletableFuture<Channel> downOpen = CompletableFuture.supplyAsync(
                        () -> ConnectionQueues.down(transport, connDir, s.flags, config), handlers);
                try {
                    up = ConnectionQueues.up(transport, connDir, s.flags, config);
                } finally {
                    down = joinOpen(downOpen, connDir);
                }
                if (onSlot) {
                    // kept after the use if it ends cleanly: the up queue's reader with them (see SlotChannel)
                    up = new SlotChannel(up);
                    down = new SlotChannel(down);
                }
            }
            c = new ChildRole(config, endpoint, s.connectionId, connDir, s.flags, up, down);
            if (onSlot) {
                c.recycleOnCleanClose(slotKeeper);
            }
            c.announce();
        } catch (RuntimeException | Error e) {
            log.warn("worker {}: connection {}: opening the child's end failed: {}", name,
                    Layout.idString(s.connectionId), e.toString());
            s.flags.fail(ErrorCode.HANDLER_UNAVAILABLE); // the parent and the client learn it from the flag block
            if (c != null) {
                c.close();
            } else {
                closeQuietly(up);
                closeQuietly(down);
            }
            s.opened(null);
            end(s);
            return;
        }
        s.opened(c);
        log.info("worker {}: child of connection {} runs handler '{}' (connection {} of this worker)", name, c.id(),
                s.handlerName, n);
        serve(s, handler);
    }

    private void serve(Served s, ViaConnectionHandler handler) {
        ChildRole c = s.child;
        Thread.currentThread().setName("via-handler-" + c.id());
        try {
            handler.handle(c);
        } catch (Throwable e) {
            log.warn("handler '{}' on connection {} ended with {}", s.handlerName, c.id(), e.toString());
        } finally {
            try {
                c.close();
            } catch (Throwable e) {
                log.warn("closing connection {}: {}", c.id(), e.toString());
            } finally {
                end(s);
                checkMemory();
                Thread.currentThread().setName("via-handler");
            }
        }
    }

    /** The down queue opened on the second thread; its failure is rethrown here. */
    private static Channel joinOpen(CompletableFuture<Channel> open, Path connDir) {
        try {
            return open.join();
        } catch (CompletionException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            if (cause instanceof RuntimeException) {
                throw (RuntimeException) cause;
            }
            if (cause instanceof Error) {
                throw (Error) cause;
            }
            throw new IllegalStateException("opening the down queue of " + connDir + " failed", cause);
        }
    }

    private static void closeQuietly(Channel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (RuntimeException e) {
                log.debug("closing {}: {}", channel.directory(), e.toString());
            }
        }
    }

    /** The connection is over for the worker's bookkeeping: handler ended or overran; counted once. */
    private void end(Served s) {
        if (s.ended.compareAndSet(false, true)) {
            serving.remove(s.connectionId, s);
            active.decrementAndGet();
            status.finishedOne();
            synchronized (idleMonitor) {
                idleMonitor.notifyAll(); // awaitHandler
            }
            if (owed >= 0) {
                wakeInboxLoop(); // a draining worker may be done now: the inbox loop looks at once
            }
            // otherwise nothing for the inbox loop to do: waking it for every connection's end cost a futex wake-up
            // and a tick (the parent's /proc stat read) per forked connection
        }
    }

    /** The inbox loop ticks at once (it may be parked on the inbox's doorbell). */
    private void wakeInboxLoop() {
        attention = true;
        Doorbell bell = inboxBell;
        if (bell != null) {
            bell.ringAlways();
        }
    }

    private void reconnect(long connectionId, String endpointName, long token, long nonce) {
        Served s = serving.get(connectionId);
        if (s == null || !endpoint.equals(endpointName)) {
            log.warn("worker {}: refused RECONNECT for unknown connection {} of endpoint '{}'", name,
                    Layout.idString(connectionId), endpointName);
            return;
        }
        ChildRole child = s.awaitOpened(config.childStartTimeout().toNanos());
        if (child == null) {
            log.warn("worker {}: refused RECONNECT for connection {}: its end did not open", name,
                    Layout.idString(connectionId));
            return;
        }
        String refusal = child.onReconnect(token, nonce);
        if (refusal != null) {
            log.warn("worker {}: refused RECONNECT for connection {}: {}", name, child.id(), refusal);
        }
    }

    // ------------------------------------------------------------------------------------------------ recycling

    private void tick(long now) {
        if (now - nextSlotEviction >= 0) {
            nextSlotEviction = now + SLOT_EVICTION_NANOS;
            evictGoneSlots();
        }
        // the parent's pidfd (watched at start: its exit rings the inbox) answers without reading /proc
        if (!parentDead && parent[0] != 0 && !Liveness.PROCESSES.isAlive(parent[0], parent[1])) {
            parentDead = true;
            recycle(WorkerStatus.Recycle.PARENT_DIED, "the parent died");
        }
        if (owed < 0 && status.admissionClosed()) {
            recycle(WorkerStatus.Recycle.RETIRED_BY_PARENT, "the parent retired it");
        }
        long limitNanos = config.workerHandlerTimeout().toNanos();
        if (limitNanos > 0) {
            for (Served s : serving.values()) {
                if (now - s.startNanos > limitNanos && !s.ended.get()) {
                    overran(s);
                }
            }
        }
        checkMemory();
    }

    /** A handler ran past its time limit: its connection fails with that reason and the worker is recycled. */
    private void overran(Served s) {
        long ms = config.workerHandlerTimeout().toMillis();
        ChildRole c = s.child;
        String detail = "handler '" + s.handlerName + "' ran longer than " + ms + " ms";
        if (c != null && c.isOwner()) {
            c.fail(ErrorCode.HANDLER_TIMEOUT, detail); // the client reads the reason in a CLOSE
        } else {
            // the parent still has the stream: the child must not write into it; the flag block says it for all
            s.flags.fail(ErrorCode.HANDLER_TIMEOUT);
        }
        log.warn("worker {}: connection {}: {}; failed it", name, Layout.idString(s.connectionId), detail);
        end(s);
        recycle(WorkerStatus.Recycle.HANDLER_TIMEOUT, detail);
    }

    private void checkMemory() {
        if (owed >= 0) {
            return;
        }
        if (config.workerMaxHeap() > 0) {
            long heap = heapAfterLastGc();
            if (heap > config.workerMaxHeap()) {
                recycle(WorkerStatus.Recycle.HEAP_LIMIT, "heap after GC " + heap + " B > " + config.workerMaxHeap());
                return;
            }
        }
        if (config.workerMaxRss() > 0) {
            long rss = residentSetSize();
            if (rss > config.workerMaxRss()) {
                recycle(WorkerStatus.Recycle.RSS_LIMIT, "resident set " + rss + " B > " + config.workerMaxRss());
            }
        }
    }

    /** Stops taking connections; the ones assigned are served to their end (drain). */
    private synchronized void recycle(WorkerStatus.Recycle reason, String why) {
        if (owed >= 0) {
            return;
        }
        owed = status.close(reason);
        drainSinceNanos = System.nanoTime();
        status.state(WorkerStatus.State.DRAINING);
        WorkerStatus.Recycle recorded = status.recycleReason(); // the parent may have closed it first
        log.info("worker {}: recycling ({}: {}): finishing {} connection(s), taking no new ones", name, recorded,
                recorded == reason ? why : "closed by the parent", active.get() + Math.max(0, owed - received));
        wakeInboxLoop(); // from a handler's thread (a memory limit): the loop may be drained already
    }

    /** Recycled and every connection it owes has ended. */
    private boolean drained(long now) {
        long o = owed;
        if (o < 0 || active.get() > 0) {
            return false;
        }
        // an assignment the parent reserved but never sent (it failed in between) is not waited for forever
        return received >= o || parentDead || now - drainSinceNanos > config.childStartTimeout().toNanos();
    }

    /** Heap in use right after the latest collection of each heap pool (what survived: leaks, caches). */
    static long heapAfterLastGc() {
        long sum = 0;
        List<MemoryPoolMXBean> pools = ManagementFactory.getMemoryPoolMXBeans();
        for (MemoryPoolMXBean p : pools) {
            if (p.getType() == MemoryType.HEAP && p.isCollectionUsageThresholdSupported()) {
                MemoryUsage u = p.getCollectionUsage();
                if (u != null) {
                    sum += u.getUsed();
                }
            }
        }
        return sum;
    }

    /** VmRSS of this process in bytes, 0 if unknown. */
    static long residentSetSize() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    String[] f = line.substring(6).trim().split("\\s+");
                    return Long.parseLong(f[0]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return 0;
        }
        return 0;
    }

    private static long[] parentFromEnvironment() {
        String v = System.getenv(WorkerLauncher.PARENT_ENV);
        if (v == null || v.indexOf(':') < 0) {
            return new long[] {0, 0};
        }
        try {
            return new long[] {Long.parseLong(v.substring(0, v.indexOf(':'))),
                    Long.parseLong(v.substring(v.indexOf(':') + 1))};
        } catch (NumberFormatException e) {
            return new long[] {0, 0};
        }
    }

    /**
     * A child's clean close of a slot's use (after the handover, the child releases the use as the parent would):
     * keeps its queues for the slot's next use here while there is room.
     */
    private boolean keepSlot(ConnectionEnd end, Channel inbound, Channel outbound) {
        synchronized (keptSlots) {
            if (owed >= 0 || keptSlots.size() >= MAX_KEPT_SLOTS) {
                return false; // draining: the worker exits soon; full: the end closes them
            }
            KeptSlot old = keptSlots.put(end.directory(), new KeptSlot(end.directory().resolve(FlagBlock.FILE_NAME),
                    end.flags(), inbound, outbound));
            if (old != null) {
                old.close();
            }
            return true;
        }
    }

    /** Closes the kept queues of slots whose directory is gone (its client deleted it, or a sweep did). */
    private void evictGoneSlots() {
        for (Map.Entry<Path, KeptSlot> e : keptSlots.entrySet()) {
            KeptSlot k = e.getValue();
            if (!Files.exists(k.flagsFile()) && keptSlots.remove(e.getKey(), k)) {
                log.debug("worker {}: forgetting connection slot {} (deleted)", name, e.getKey().getFileName());
                k.close();
            }
        }
    }

    private void closeKeptSlots() {
        for (Path dir : List.copyOf(keptSlots.keySet())) {
            KeptSlot k = keptSlots.remove(dir);
            if (k != null) {
                k.close();
            }
        }
    }

    /** Slots whose queues this worker keeps open between uses (tests). */
    public int keptSlots() {
        return keptSlots.size();
    }

    /** A connection slot's flag block and open queues, kept after a child's clean close for the slot's next use. */
    private record KeptSlot(Path flagsFile, FlagBlock flags, Channel up, Channel down) {
        void close() {
            closeQuietly(up);
            closeQuietly(down);
        }
    }

    /** Connections this worker is serving now (tests). */
    public int activeConnections() {
        return active.get();
    }

    /** Waits (bounded) until no connection is being served; for tests and orderly shutdown. */
    public boolean awaitHandler(long timeout, TimeUnit unit) throws InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        synchronized (idleMonitor) {
            long left;
            while (active.get() > 0 && (left = deadline - System.nanoTime()) > 0) {
                TimeUnit.NANOSECONDS.timedWait(idleMonitor, left); // notified by end()
            }
        }
        return active.get() == 0;
    }

    /** One connection this worker serves. */
    private static final class Served {
        final long connectionId;
        /** The connection slot's use this child serves (0: not a slot). */
        final long use;
        final FlagBlock flags;
        final String handlerName;
        final long startNanos = System.nanoTime();
        final AtomicBoolean ended = new AtomicBoolean();
        /** The slot's queues this worker kept from the slot's previous use here (null: none, open them). */
        final KeptSlot kept;
        /** The child's end once its queues are open (null before, and if opening failed). */
        volatile ChildRole child;
        private final CountDownLatch opened = new CountDownLatch(1);

        Served(long connectionId, long use, FlagBlock flags, String handlerName, KeptSlot kept) {
            this.connectionId = connectionId;
            this.use = use;
            this.flags = flags;
            this.handlerName = handlerName;
            this.kept = kept;
        }

        void opened(ChildRole c) {
            child = c;
            opened.countDown();
        }

        /** The child's end, waiting at most {@code timeoutNanos} for it to open; null if it did not. */
        ChildRole awaitOpened(long timeoutNanos) {
            try {
                if (!opened.await(timeoutNanos, TimeUnit.NANOSECONDS)) {
                    return null;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
            return child;
        }
    }
}
