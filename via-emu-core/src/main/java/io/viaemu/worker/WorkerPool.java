package io.viaemu.worker;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.viaemu.ViaConfig;
import io.viaemu.ViaException;
import io.viaemu.internal.FilePermissions;
import io.viaemu.internal.Layout;
import io.viaemu.internal.Processes;
import io.viaemu.transport.Transport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Worker processes for EMU_FORK, like a pre-forking server: {@link ViaConfig#workerPoolSize()} idle JVMs are kept
 * started and ready, so a fork costs an inbox message instead of a JVM (and application) start. Size 0 starts a
 * worker per fork. Each worker serves one connection and then exits.
 */
public final class WorkerPool implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(WorkerPool.class);

    private final ViaConfig config;
    private final Transport transport;
    private final String endpoint;
    private final WorkerLauncher launcher;
    private final Deque<Worker> idle = new ArrayDeque<>();
    private boolean closed;

    public WorkerPool(ViaConfig config, Transport transport, String endpoint, WorkerLauncher launcher) {
        this.config = config;
        this.transport = transport;
        this.endpoint = endpoint;
        this.launcher = launcher;
    }

    /** Starts the idle workers (asynchronously: they get ready in the background). */
    public synchronized void start() throws IOException {
        while (!closed && idle.size() < config.workerPoolSize()) { // a refill racing close() starts none
            idle.add(launch());
        }
    }

    /**
     * A ready worker: an idle one if there is one (the pool is then topped up), otherwise a new one.
     *
     * @throws ViaException if none is ready within the child start timeout
     */
    public Worker acquire() throws IOException {
        Worker w;
        synchronized (this) {
            if (closed) {
                throw new ViaException("worker pool of endpoint '" + endpoint + "' is closed");
            }
            idle.removeIf(x -> !x.isAlive());
            w = idle.stream().filter(Worker::isReady).findFirst().orElse(idle.peekFirst());
            if (w != null) {
                idle.remove(w);
            }
        }
        if (w == null) {
            w = launch();
        }
        refill();
        awaitReady(w);
        return w;
    }

    private void refill() {
        Thread t = new Thread(() -> {
            try {
                start();
            } catch (IOException e) {
                log.warn("could not start a pool worker: {}", e.toString());
            }
        }, "via-worker-pool-refill");
        t.setDaemon(true);
        t.start();
    }

    private void awaitReady(Worker w) throws ViaException {
        long deadline = System.nanoTime() + config.childStartTimeout().toNanos();
        while (!w.isReady()) {
            if (!w.isAlive()) {
                throw new ViaException("worker " + w + " exited before it was ready; see "
                        + Layout.logsDir(config.baseDir(), endpoint));
            }
            if (System.nanoTime() - deadline > 0) {
                w.kill();
                throw new ViaException("EMU_FORK: worker " + w + " was not ready within "
                        + config.childStartTimeout().toMillis() + " ms (child start timeout); killed it");
            }
            sleepMillis(1);
        }
    }

    private Worker launch() throws IOException {
        long id = Layout.randomId();
        Process p = launcher.launch(config, endpoint, id);
        Worker w = new Worker(id, p, Layout.workerDir(config.baseDir(), endpoint, id), transport);
        log.debug("started worker {}", w);
        return w;
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

    public synchronized int idleCount() {
        return idle.size();
    }

    public synchronized int readyCount() {
        return (int) idle.stream().filter(Worker::isReady).count();
    }

    /** How long {@link #close()} waits for killed idle workers to be gone before it deletes their directories. */
    private static final long IDLE_WORKER_EXIT_MILLIS = 5_000;

    /**
     * Stops the idle workers and deletes their directories (ready file, inbox queue); workers serving connections
     * go on. An idle worker serves nobody and holds nothing another process needs, so it is killed rather than asked;
     * its directory is deleted once it is dead, since a worker deletes its own only when it ends normally, and the
     * sweep that would otherwise find it stops with this server.
     */
    @Override
    public synchronized void close() {
        closed = true;
        for (Worker w : idle) {
            w.kill();
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(IDLE_WORKER_EXIT_MILLIS);
        for (Worker w : idle) {
            while (w.isAlive() && System.nanoTime() - deadline < 0) {
                sleepMillis(1);
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
        idle.clear();
    }

    private static void sleepMillis(long ms) {
        try {
            TimeUnit.MILLISECONDS.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
