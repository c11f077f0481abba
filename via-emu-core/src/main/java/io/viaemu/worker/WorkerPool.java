package io.viaemu.worker;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

import io.viaemu.ViaConfig;
import io.viaemu.ViaException;
import io.viaemu.idle.Doorbell;
import io.viaemu.internal.BackgroundThreads;
import io.viaemu.internal.FilePermissions;
import io.viaemu.internal.Layout;
import io.viaemu.internal.Processes;
import io.viaemu.transport.Transport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Worker processes for EMU_FORK, like a pre-forking server. Every live worker is in one list, whatever it does; what
 * it does is in its {@link WorkerStatus} block, which the worker updates and the parent reads (memory loads, no
 * disk, no messages). A worker is <em>spare</em> while it can take one more connection: starting or ready, admission
 * open, under its connection limit ({@link ViaConfig#workerMaxConnections()} plus jitter) and under its concurrency.
 * The pool keeps {@link ViaConfig#workerPoolSize()} spare workers, so a reusable worker that finished its
 * connections counts again at once; it launches a replacement (on its refill thread, never on the fork's path)
 * whenever an assignment, a recycling or a death leaves fewer. With the default limit of 1 every worker is one-shot:
 * it is spare until its one assignment, then serves it and exits.
 *
 * <p>{@link #acquire()} on a pool with a spare ready worker reserves a connection in that worker's admission word by
 * CAS and returns: no JVM start, no directory scan, no waiting. The parent learns that a worker exited from the
 * kernel ({@link Process#onExit()}), and then forgets it, deletes its directory and refills.
 */
public final class WorkerPool implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(WorkerPool.class);

    private final ViaConfig config;
    private final Transport transport;
    private final String endpoint;
    private final Launch launcher;
    /** Every worker launched and not yet seen exiting; guarded by this. */
    private final List<Worker> workers = new ArrayList<>();
    private final ScheduledExecutorService refiller;
    private boolean refillQueued;
    private boolean closed;

    /** Starts the process of worker {@code id} (its directory and status block exist). */
    @FunctionalInterface
    interface Launch {
        Process launch(long workerId) throws IOException;
    }

    public WorkerPool(ViaConfig config, Transport transport, String endpoint, WorkerLauncher launcher) {
        this(config, transport, endpoint, id -> launcher.launch(config, endpoint, id));
    }

    WorkerPool(ViaConfig config, Transport transport, String endpoint, Launch launcher) {
        this.config = config;
        this.transport = transport;
        this.endpoint = endpoint;
        this.launcher = launcher;
        this.refiller = Executors.newSingleThreadScheduledExecutor(
                r -> BackgroundThreads.daemon("via-worker-pool-" + endpoint, r));
        if (!config.workerIdleTimeout().isZero() && config.workerMaxConnections() != 1) {
            long period = Math.max(10, Math.min(1_000, config.workerIdleTimeout().toMillis() / 4));
            refiller.scheduleWithFixedDelay(() -> retireIdle(System.currentTimeMillis()), period, period,
                    TimeUnit.MILLISECONDS);
        }
    }

    /** Starts the spare workers (asynchronously: they get ready in the background). */
    public void start() throws IOException {
        while (true) {
            synchronized (this) {
                if (closed || spare() >= config.workerPoolSize()) {
                    return;
                }
                launch();
            }
        }
    }

    /**
     * A worker that has reserved one connection for the caller and is ready: a spare ready one if there is one
     * (the least busy), else a spare one still starting, else a new one. The pool is then topped up in the
     * background.
     *
     * <p>While a ready worker is only full (at its concurrency, open and under its connection limit) and a
     * replacement is on its way (starting, or its launch queued), the fork waits for whichever comes first: a
     * connection of a ready worker ends (the worker rings its state doorbell when it records one) or the
     * replacement is ready. A connection ends in about a millisecond where a JVM start takes hundreds: at a burst
     * of connections a fork that reserved the starting worker waited for its whole start (0.3-1.1 s in the fork
     * benchmark's 8-thread phase).
     *
     * @throws ViaException if none is ready within the child start timeout
     */
    public Worker acquire() throws IOException {
        long deadline = System.nanoTime() + config.childStartTimeout().toNanos();
        while (true) {
            Worker w;
            Worker full = null;
            synchronized (this) {
                if (closed) {
                    throw new ViaException("worker pool of endpoint '" + endpoint + "' is closed");
                }
                w = admitBest(true);
                if (w == null) {
                    full = fullReadyWorker();
                    if (full == null || !replacementComing()) {
                        full = null;
                        w = admitBest(false);
                    }
                }
                if (w == null && full == null) {
                    w = launch();
                    if (w.status().admit() == 0) {
                        throw new IllegalStateException("a new worker refused its first connection: " + w);
                    }
                }
                if (spare() < config.workerPoolSize()) {
                    queueRefill();
                }
            }
            if (w != null) {
                awaitReady(w);
                return w;
            }
            awaitRoom(full, deadline);
        }
    }

    /** How long a fork waiting for room parks at most before it looks at every worker again (a READY elsewhere). */
    private static final long ROOM_RECHECK_NANOS = 1_000_000L;

    /**
     * Parks on the full worker's state doorbell (its next ended connection rings it) for at most
     * {@link #ROOM_RECHECK_NANOS}: another worker's ended connection or the replacement's READY ring their own
     * doorbells, seen at the next look.
     */
    private void awaitRoom(Worker full, long deadline) throws ViaException {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw new ViaException("EMU_FORK: no worker of endpoint '" + endpoint + "' took a connection within "
                    + config.childStartTimeout().toMillis() + " ms (child start timeout): all were full");
        }
        Doorbell bell = full.status().stateBell();
        int sequence = bell.arm(); // then check: an ended connection from now on changes the sequence
        try {
            if (full.isAlive() && !full.status().canAdmit()) {
                bell.await(sequence, Math.min(left, ROOM_RECHECK_NANOS));
            }
        } finally {
            bell.disarm();
        }
    }

    /**
     * Reserves a connection in the spare worker to use, the least busy; only a ready one if {@code readyOnly},
     * else ready before starting; under lock.
     */
    private Worker admitBest(boolean readyOnly) {
        Worker best = null;
        for (Worker w : workers) {
            if (!w.isAlive() || !w.status().canAdmit() || readyOnly && !w.isReady()) {
                continue;
            }
            if (best == null || better(w, best)) {
                best = w;
            }
        }
        if (best != null && best.status().admit() > 0) {
            return best;
        }
        // lost a race with the worker closing its admission (it recycled itself): take any other
        for (Worker w : workers) {
            if (w != best && w.isAlive() && (!readyOnly || w.isReady()) && w.status().admit() > 0) {
                return w;
            }
        }
        return null;
    }

    /** A ready worker that takes no connection now only because it serves its concurrency; under lock. */
    private Worker fullReadyWorker() {
        for (Worker w : workers) {
            if (w.isAlive() && w.isReady() && w.status().onlyFull()) {
                return w;
            }
        }
        return null;
    }

    /** A spare worker is starting, or the refill that launches one is queued; under lock. */
    private boolean replacementComing() {
        if (refillQueued) {
            return true;
        }
        for (Worker w : workers) {
            if (w.isAlive() && !w.isReady() && w.status().canAdmit()) {
                return true;
            }
        }
        return false;
    }

    /** Ready beats starting; then fewer current connections (spreads load over the JVMs); then the older one. */
    static boolean better(Worker a, Worker b) {
        if (a.isReady() != b.isReady()) {
            return a.isReady();
        }
        return a.status().current() < b.status().current();
    }

    /** Workers that can take one more connection now or once started; under lock. */
    private int spare() {
        int n = 0;
        for (Worker w : workers) {
            if (w.isAlive() && w.status().canAdmit()) {
                n++;
            }
        }
        return n;
    }

    private void queueRefill() {
        if (refillQueued || closed) {
            return;
        }
        refillQueued = true;
        refiller.execute(() -> {
            synchronized (this) {
                refillQueued = false;
            }
            try {
                start();
            } catch (IOException | RuntimeException e) {
                log.warn("endpoint '{}': could not start a pool worker: {}", endpoint, e.toString());
            }
        });
    }

    /** Parks on the worker's state doorbell (its READY rings it; its exit too) until it is ready or the timeout. */
    private void awaitReady(Worker w) throws ViaException {
        if (w.isReady()) {
            return;
        }
        long deadline = System.nanoTime() + config.childStartTimeout().toNanos();
        Doorbell bell = w.status().stateBell();
        Runnable cancel = w.onExit(bell::ringAlways);
        try {
            while (true) {
                int sequence = bell.arm(); // then check: a READY from now on changes the sequence
                try {
                    if (w.isReady()) {
                        return;
                    }
                    if (!w.isAlive()) {
                        throw new ViaException("worker " + w + " exited before it was ready; see "
                                + Layout.logsDir(config.baseDir(), endpoint));
                    }
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        w.kill();
                        throw new ViaException("EMU_FORK: worker " + w + " was not ready within "
                                + config.childStartTimeout().toMillis() + " ms (child start timeout); killed it");
                    }
                    bell.await(sequence, left);
                } finally {
                    bell.disarm();
                }
            }
        } finally {
            cancel.run();
        }
    }

    /**
     * Creates the worker's directory and status block (its limits in it), starts its JVM and adds it to the list;
     * under lock.
     */
    private Worker launch() throws IOException {
        long id = Layout.randomId();
        Path dir = Layout.workerDir(config.baseDir(), endpoint, id);
        WorkerStatus status = WorkerStatus.create(dir, connectionLimit(config, ThreadLocalRandom.current().nextInt(
                config.workerMaxConnectionsJitter() + 1)), config.workerConcurrency());
        Process p;
        try {
            p = launcher.launch(id);
        } catch (IOException | RuntimeException e) {
            FilePermissions.deleteTree(dir);
            throw e;
        }
        Worker w = new Worker(id, p, dir, transport, status);
        workers.add(w);
        p.onExit().thenRun(() -> exited(w)); // after the add: a process that died already is removed at once
        log.debug("started worker {}", w);
        return w;
    }

    /** {@link ViaConfig#workerMaxConnections()} plus {@code jitter}; 0 (unlimited) stays 0. */
    static long connectionLimit(ViaConfig config, int jitter) {
        return config.workerMaxConnections() == 0 ? 0 : (long) config.workerMaxConnections() + jitter;
    }

    /** The kernel says the worker's process ended: forget it, delete what it left, and top up. */
    private void exited(Worker w) {
        boolean wasReady;
        w.exited(); // EMU_FORKs waiting for this worker's child wake up
        synchronized (this) {
            workers.remove(w);
            wasReady = w.isReady();
        }
        w.forgetInbox();
        log.info("endpoint '{}': worker {} exited ({}, {} connections served)", endpoint, Layout.idString(w.id()),
                w.status().recycleReason() == WorkerStatus.Recycle.NONE ? "exit " + w.process().exitValue()
                        : "recycled: " + w.status().recycleReason(), w.status().finished());
        try {
            FilePermissions.deleteTree(w.directory()); // a killed worker leaves its inbox queue behind
        } catch (IOException | RuntimeException e) {
            log.debug("endpoint '{}': deleting {}: {}", endpoint, w.directory(), e.toString());
        }
        synchronized (this) {
            // a worker that never got ready is a start failure: the next fork tries again, not a launch loop
            if (wasReady && spare() < config.workerPoolSize()) {
                queueRefill();
            }
        }
    }

    /**
     * Retires reusable workers that had no connection for the idle timeout while more than
     * {@link ViaConfig#workerPoolSize()} are spare: the worker sees its admission closed and exits. The pool never
     * drops below its size this way.
     */
    synchronized int retireIdle(long nowMillis) {
        if (closed) {
            return 0;
        }
        int spare = spare();
        int retired = 0;
        for (Worker w : workers) {
            WorkerStatus s = w.status();
            if (!w.isAlive() || !w.isReady() || s.current() > 0 || s.admissionClosed()) {
                w.idleSinceMillis = 0;
                continue;
            }
            if (w.idleSinceMillis == 0) {
                w.idleSinceMillis = nowMillis;
            }
            if (spare > config.workerPoolSize() && nowMillis - w.idleSinceMillis >= config.workerIdleTimeout().toMillis()
                    && s.closeIfIdle()) {
                spare--;
                retired++;
                log.info("endpoint '{}': retiring worker {} (idle for {} ms, {} spare workers left)", endpoint,
                        Layout.idString(w.id()), nowMillis - w.idleSinceMillis, spare);
            }
        }
        return retired;
    }

    /**
     * Deletes worker directories whose process is gone: a worker deletes its own when it ends, but one killed
     * (kill -9, or with its server) leaves its inbox queue behind. A directory without a ready file is left alone
     * while a worker may still be starting in it (the child start timeout).
     */
    public void cleanStaleWorkerDirectories() throws IOException {
        Path workersDir = Layout.workerDir(config.baseDir(), endpoint, 1).getParent();
        if (!Files.isDirectory(workersDir)) {
            return;
        }
        long now = System.currentTimeMillis();
        try (Stream<Path> s = Files.list(workersDir)) {
            for (Path dir : (Iterable<Path>) s::iterator) {
                Path ready = dir.resolve(Worker.READY_FILE);
                boolean stale;
                try {
                    stale = Files.exists(ready)
                            ? !Processes.isAlive(Long.parseLong(Files.readString(ready).trim()), 0)
                            : now - Files.getLastModifiedTime(dir).toMillis() > config.childStartTimeout().toMillis();
                } catch (IOException | NumberFormatException e) {
                    continue; // deleted meanwhile, or being written: next time
                }
                if (stale) {
                    log.info("endpoint '{}': deleting the directory of dead worker {}", endpoint, dir.getFileName());
                    FilePermissions.deleteTree(dir);
                }
            }
        }
    }

    /** Workers that can take a connection now or once started (the pool keeps {@code workerPoolSize} of them). */
    public synchronized int idleCount() {
        return spare();
    }

    /** Spare workers that are ready now. */
    public synchronized int readyCount() {
        int n = 0;
        for (Worker w : workers) {
            if (w.isAlive() && w.isReady() && w.status().canAdmit()) {
                n++;
            }
        }
        return n;
    }

    /** The workers as they are now, oldest first. */
    synchronized List<Worker> all() {
        return new ArrayList<>(workers);
    }

    /** Every live worker: pid, state, connections served and current. */
    public List<WorkerSnapshot> snapshots() {
        List<Worker> copy;
        synchronized (this) {
            copy = new ArrayList<>(workers);
        }
        List<WorkerSnapshot> list = new ArrayList<>(copy.size());
        for (Worker w : copy) {
            list.add(w.snapshot());
        }
        return list;
    }

    /**
     * Stops the idle workers; workers serving connections go on with them, take no new ones, and exit when they
     * have ended.
     */
    @Override
    public void close() {
        List<Worker> idle = new ArrayList<>();
        synchronized (this) {
            closed = true;
            for (Worker w : workers) {
                if (w.status().closeIfIdle()) {
                    idle.add(w);
                } else {
                    w.status().close(WorkerStatus.Recycle.RETIRED_BY_PARENT);
                }
            }
        }
        for (Worker w : idle) {
            w.kill();
        }
        refiller.shutdown();
        deleteDirectoriesOf(idle);
    }

    /** How long {@link #close()} waits for killed idle workers to be gone before it deletes their directories. */
    private static final long IDLE_WORKER_EXIT_MILLIS = 5_000;

    /**
     * Deletes the directories (status block, ready file, inbox queue) of killed idle workers once they are dead: a
     * worker deletes its own only when it ends normally, and the sweep that would otherwise find it stops with this
     * server.
     */
    private void deleteDirectoriesOf(List<Worker> killed) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(IDLE_WORKER_EXIT_MILLIS);
        for (Worker w : killed) {
            try {
                w.process().onExit().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (ExecutionException | TimeoutException e) {
                // reported below
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            Path dir = Layout.workerDir(config.baseDir(), endpoint, w.id());
            if (w.isAlive()) {
                log.warn("idle worker {} did not exit within {} ms of SIGKILL; leaving {} to the next sweep", w,
                        IDLE_WORKER_EXIT_MILLIS, dir);
                continue;
            }
            try {
                FilePermissions.deleteTree(dir);
            } catch (IOException e) {
                log.warn("could not delete the directory of idle worker {}: {}", w, e.toString());
            }
        }
    }
}
