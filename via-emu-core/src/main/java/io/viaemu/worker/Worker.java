package io.viaemu.worker;

import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import io.viaemu.internal.Layout;
import io.viaemu.internal.ListenChannels;
import io.viaemu.protocol.ControlMessages;
import io.viaemu.protocol.Messages;
import io.viaemu.transport.Transport;

/**
 * The parent's handle on one worker process. What the worker is doing (ready, how many connections it has, whether
 * it still takes any) is in its {@link WorkerStatus} block, which both processes map: reading it costs a memory
 * load, so choosing a worker never touches the disk.
 */
public final class Worker {
    static final String READY_FILE = "ready";

    private final long id;
    private final Process process;
    private final Path dir;
    private final Transport transport;
    private final WorkerStatus status;
    private final long startedMillis = System.currentTimeMillis();
    /** Run once when the process exits ({@link #exited()}), removed by whoever no longer needs them. */
    private final Set<Runnable> exitActions = ConcurrentHashMap.newKeySet();
    /** When the pool's idle check first saw it without connections, 0 while it has some; the pool's lock. */
    long idleSinceMillis;

    Worker(long id, Process process, Path dir, Transport transport, WorkerStatus status) {
        this.id = id;
        this.process = process;
        this.dir = dir;
        this.transport = transport;
        this.status = status;
    }

    public long id() {
        return id;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** The worker listens on its inbox. */
    public boolean isReady() {
        return status.state() != WorkerStatus.State.STARTING;
    }

    WorkerStatus status() {
        return status;
    }

    Process process() {
        return process;
    }

    Path directory() {
        return dir;
    }

    /**
     * EMU_FORK's message to the worker: serve this connection with this handler. The caller reserved the
     * connection in the worker's admission word first ({@link WorkerPool#acquire()}).
     */
    public void assign(long connectionId, String handlerName) {
        Messages.Writer w = new ControlMessages.Assign(connectionId, handlerName).writeTo(new Messages.Writer());
        ListenChannels.append(transport, Layout.inboxDir(dir), w); // kept open while the worker lives: reuse
    }

    /** Closes the parent's handle on the worker's inbox (the worker is gone or takes no more connections). */
    void forgetInbox() {
        ListenChannels.forget(Layout.inboxDir(dir));
    }

    /**
     * Runs {@code action} when the process exits, at once if it has; returns what removes it again. One
     * {@link Process#onExit()} per worker runs them ({@link WorkerPool}), instead of a stage added per connection
     * that would live, with what it holds, as long as the worker.
     */
    public Runnable onExit(Runnable action) {
        Runnable once = new Runnable() { // a distinct object per call: the same action may be registered twice
            @Override
            public void run() {
                action.run();
            }
        };
        exitActions.add(once);
        if (!process.isAlive() && exitActions.remove(once)) {
            once.run();
        }
        return () -> exitActions.remove(once);
    }

    /** The process ended: runs the exit actions (the pool calls it from {@link Process#onExit()}). */
    void exited() {
        for (Runnable r : exitActions) {
            if (exitActions.remove(r)) {
                r.run();
            }
        }
    }

    public void kill() {
        process.destroyForcibly();
    }

    /** What the worker is doing now, for the actuator and tests. */
    public WorkerSnapshot snapshot() {
        WorkerSnapshot.State state;
        boolean alive = process.isAlive();
        WorkerStatus.State s = status.state();
        if (!alive || s == WorkerStatus.State.EXITED) {
            state = WorkerSnapshot.State.EXITED;
        } else if (s == WorkerStatus.State.STARTING) {
            state = WorkerSnapshot.State.STARTING;
        } else if (status.admissionClosed() || s == WorkerStatus.State.DRAINING) {
            state = WorkerSnapshot.State.DRAINING;
        } else if (status.current() > 0) {
            state = WorkerSnapshot.State.BUSY;
        } else {
            state = WorkerSnapshot.State.IDLE;
        }
        return new WorkerSnapshot(Layout.idString(id), process.pid(), state, status.finished(), status.current(),
                status.limit(), status.concurrency(), status.recycleReason().name(), startedMillis);
    }

    @Override
    public String toString() {
        return "Worker{" + Layout.idString(id) + ", pid " + process.pid() + ", " + status.state() + ", "
                + status.current() + " current, " + status.finished() + " served}";
    }
}
