package io.viaemu.worker;

import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.TimeUnit;

import io.viaemu.ViaConfig;
import io.viaemu.ViaException;
import io.viaemu.internal.Layout;
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
        while (idle.size() < config.workerPoolSize()) {
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

    public synchronized int idleCount() {
        return idle.size();
    }

    public synchronized int readyCount() {
        return (int) idle.stream().filter(Worker::isReady).count();
    }

    /** Stops the idle workers; workers serving connections go on. */
    @Override
    public synchronized void close() {
        closed = true;
        for (Worker w : idle) {
            w.kill();
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
