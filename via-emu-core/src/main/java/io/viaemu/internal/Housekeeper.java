package io.viaemu.internal;

import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import io.viaemu.idle.Doorbell;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One daemon thread per process that does what no application thread may be there to do: write heartbeats, answer
 * the peer's flags (a client that is not sending still has to confirm an intermission), and fail connections whose
 * peer died or hung. Tasks must be quick and must never block.
 *
 * <p>It sleeps until the earliest task is due (a heartbeat, typically a tenth of the peer timeout) or until it is
 * {@link #wake() woken}: by a peer ringing this process's doorbell ({@link ProcessBells}: a handover step that needs
 * this process), or by {@link ProcessExitWatch} when a peer process exits. No tick runs on a timer while nothing
 * happens. Where the kernel cannot wake it (no futex, no pidfd) it ticks every 20 ms as it did before.
 */
public final class Housekeeper {

    /** Work done on every tick. */
    public interface Task {
        /** @return false to be removed */
        boolean tick(long nowMillis);

        /**
         * True while the task must be looked at every poll interval (a handover is under way). Otherwise the task
         * is ticked at its {@link #idleIntervalNanos()}, or sooner when something wakes the housekeeper.
         */
        default boolean urgent() {
            return false;
        }

        /**
         * Longest sleep between two ticks while not urgent. The default: a second where peers wake the housekeeper
         * (override it for anything timed, such as heartbeats), else {@link #IDLE_INTERVAL_NANOS}.
         */
        default long idleIntervalNanos() {
            return woken() ? 1_000_000_000L : IDLE_INTERVAL_NANOS;
        }
    }

    /** Tick interval while no task is urgent, where nothing can wake the housekeeper. */
    public static final long IDLE_INTERVAL_NANOS = 20_000_000L;

    /** True if peers can wake this thread and exits of peer processes are reported: no need to tick often. */
    public static boolean woken() {
        return Doorbell.futexAvailable() && ProcessExitWatch.available();
    }

    private static final Logger log = LoggerFactory.getLogger(Housekeeper.class);
    private static volatile Housekeeper instance;

    private final CopyOnWriteArrayList<Task> tasks = new CopyOnWriteArrayList<>();
    private final Set<Path> bases = ConcurrentHashMap.newKeySet();
    private final long intervalNanos;
    private final Thread thread;
    /** System.nanoTime() at which the current sleep ends. */
    private volatile long sleepingUntil = Long.MAX_VALUE;
    /**
     * Counts {@link #add}s. The loop publishes how long it will sleep, then compares this with what it saw before
     * its ticks; {@code add} counts, then reads the published sleep: one of the two sees the other (both volatile),
     * so a task added while the loop decides to sleep is never left for the whole sleep.
     */
    private volatile long added;

    private Housekeeper(long intervalNanos) {
        this.intervalNanos = intervalNanos;
        this.thread = BackgroundThreads.daemon("via-housekeeper", this::run);
        thread.start();
    }

    /** The process's housekeeper; the first caller's interval wins. */
    public static Housekeeper get(long intervalNanos) {
        Housekeeper h = instance;
        if (h == null) {
            synchronized (Housekeeper.class) {
                h = instance;
                if (h == null) {
                    instance = h = new Housekeeper(intervalNanos);
                }
            }
        }
        return h;
    }

    /** Wakes the process's housekeeper, if there is one, for a tick now. */
    public static void wakeIfRunning() {
        Housekeeper h = instance;
        if (h != null) {
            h.wake();
        }
    }

    public void add(Task task) {
        tasks.add(task);
        added++; // only a signal: a lost increment between two adders still changes the value
        long interval = task.urgent() ? intervalNanos : Math.max(intervalNanos, task.idleIntervalNanos());
        if (sleepingUntil - (System.nanoTime() + interval) > 0) {
            wake(); // asleep for longer than the new task may wait: recompute the sleep
        }
    }

    /**
     * Adds a task whose peers, under {@code baseDir}, may need this process to act at once (they ring its
     * {@link ProcessBells process doorbell}).
     */
    public void add(Task task, Path baseDir) {
        if (bases.add(baseDir)) {
            ProcessBells.listen(baseDir, this);
        }
        add(task);
    }

    public void remove(Task task) {
        tasks.remove(task);
    }

    /** A tick as soon as possible. */
    public void wake() {
        LockSupport.unpark(thread);
    }

    private void run() {
        while (true) {
            long now = Clock.SYSTEM.currentTimeMillis(); // the time the tasks' heartbeats and timeouts go by
            long addedBefore = added;
            long sleep = Long.MAX_VALUE;
            for (Task t : tasks) {
                try {
                    if (!t.tick(now)) {
                        tasks.remove(t);
                    } else {
                        sleep = Math.min(sleep, t.urgent() ? intervalNanos : Math.max(intervalNanos,
                                t.idleIntervalNanos()));
                    }
                } catch (Throwable e) {
                    log.error("via-emu housekeeping task {} failed; removed", t, e);
                    tasks.remove(t);
                }
            }
            // no tasks: nothing to do until one is added (add() wakes this thread)
            long nanos = sleep == Long.MAX_VALUE ? TimeUnit.DAYS.toNanos(1) : sleep;
            sleepingUntil = System.nanoTime() + nanos;
            if (added != addedBefore) {
                sleepingUntil = System.nanoTime();
                continue; // a task came while this pass ticked: tick it now, do not sleep past its interval
            }
            LockSupport.parkNanos(this, nanos);
            sleepingUntil = System.nanoTime(); // awake: an added task is ticked soon

        }
    }

    @Override
    public String toString() {
        return "Housekeeper{" + tasks.size() + " tasks, urgent every " + TimeUnit.NANOSECONDS.toMicros(intervalNanos)
                + " µs}";
    }
}
