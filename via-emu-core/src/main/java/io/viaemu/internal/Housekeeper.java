package io.viaemu.internal;

import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import io.viaemu.idle.Doorbell;
import org.slf4j.Logger;

/**
 * One daemon thread per process that does what no application thread may be there to do: write the process's
 * heartbeats and check its peers' ({@link ProcessLiveness}), answer the peer's flags (a client that is not sending
 * still has to confirm an intermission), and fail connections whose peer died or hung. Tasks must be quick and must
 * never block.
 *
 * <p>Each task is ticked when it is due (its {@link Task#idleIntervalNanos()} after its last tick; every poll interval
 * while {@link Task#urgent()}), and every task is ticked when the housekeeper is {@link #wake() woken}: by a peer
 * ringing this process's doorbell ({@link ProcessBells}: a handover step that needs this process), by
 * {@link ProcessExitWatch} when a peer process exits, or by {@link ProcessLiveness} when a peer stopped beating. So an
 * idle connection costs nothing between events: the only timed work is one heartbeat per process and one check per
 * peer process each heartbeat interval. Where the kernel cannot wake it (no futex, no pidfd) it ticks every 20 ms
 * as it did before.
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

        /**
         * True (the default) if the task is ticked at the housekeeper's next pass once added; false if its first
         * tick may wait for its {@link #idleIntervalNanos()} like any later one (or an event, which ticks every
         * task), so that adding it does not wake the housekeeper's thread. An urgent task is ticked at once anyway.
         */
        default boolean firstTickAtOnce() {
            return true;
        }
    }

    /** Tick interval while no task is urgent, where nothing can wake the housekeeper. */
    public static final long IDLE_INTERVAL_NANOS = 20_000_000L;

    /** True if peers can wake this thread and exits of peer processes are reported: no need to tick often. */
    public static boolean woken() {
        return Doorbell.futexAvailable() && ProcessExitWatch.available();
    }

    /** Made on use, not at class initialisation: see {@link Logs}. */
    private static Logger log() {
        return Logs.of(Housekeeper.class);
    }

    private static volatile Housekeeper instance;

    /** A task and when it is due next (written by the housekeeper's thread only). */
    private static final class Entry {
        final Task task;
        /** System.nanoTime() at which it is due: at the next pass when added. */
        long dueNanos = System.nanoTime();
        /** What {@link Task#urgent()} said after its last tick: ticked at every pass while true. */
        boolean urgent;

        Entry(Task task) {
            this.task = task;
        }
    }

    private final CopyOnWriteArrayList<Entry> tasks = new CopyOnWriteArrayList<>();
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
    /**
     * Counts {@link #wake()}s: something happened (a peer rang, a peer process exited or was found silent) that any
     * task may have to act on, so the next pass ticks every task, not only those due. Timed passes tick only the
     * tasks due: idle connections, whose events all wake the housekeeper, cost nothing between events.
     */
    private volatile long events;

    private Housekeeper(long intervalNanos) {
        this.intervalNanos = intervalNanos;
        this.thread = BackgroundThreads.daemon("via-housekeeper", new Runnable() { // not a method reference: no
            @Override                                                          // bootstrap in a first connect
            public void run() {
                Housekeeper.this.run();
            }
        });
        tasks.add(new Entry(ProcessLiveness.host())); // this process's heartbeats, its peers' checks
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

    /** Wakes the process's housekeeper, if there is one, for a tick of every task now. */
    public static void wakeIfRunning() {
        Housekeeper h = instance;
        if (h != null) {
            h.wake();
        }
    }

    /**
     * A count of the wake-ups of the process's housekeeper so far (0 if none runs): it moves when something happened
     * that a task may have to act on. For tasks that run on events only (the server's sweep).
     */
    public static long events() {
        Housekeeper h = instance;
        return h == null ? 0 : h.events;
    }

    /**
     * Ticks {@code task} at the next pass (or, if it says {@link Task#firstTickAtOnce()} false and is not urgent,
     * after its idle interval), then by its intervals and at every {@link #wake()}.
     */
    public void add(Task task) {
        Entry entry = new Entry(task);
        boolean urgent = task.urgent();
        long interval = urgent ? intervalNanos : Math.max(intervalNanos, task.idleIntervalNanos());
        long due = dueAfter(entry.dueNanos, interval);
        boolean deferred = !urgent && !task.firstTickAtOnce();
        if (deferred) {
            // a connection's own task: every event it must act on wakes the housekeeper, which then ticks it; the
            // pass that would tick it now finds nothing to do. One wake-up of this thread less per connect.
            entry.dueNanos = due;
        }
        tasks.add(entry);
        added++; // only a signal: a lost increment between two adders still changes the value
        if (deferred && task.firstTickAtOnce()) {
            wake(); // asked again once it is in the list: an event came in between, whose pass may have missed it
        } else if (sleepingUntil - due > 0) {
            LockSupport.unpark(thread); // asleep for longer than the new task may wait: recompute the sleep
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
        tasks.removeIf(e -> e.task == task);
    }

    /** A tick of every task as soon as possible. */
    public void wake() {
        events++; // only a signal, as for added
        LockSupport.unpark(thread);
    }

    /**
     * {@code nanos} plus {@code interval}, at most a day (Long.MAX_VALUE: no interval), so that nothing wraps. An
     * interval of at least {@link #COALESCE_MIN_NANOS} ends on the next multiple of {@link #COALESCE_GRID_NANOS}
     * (late by less than a quarter of it), so that the backstop ticks of many connections come in one pass: each
     * pass walks every task, and with each connection due at its own time the housekeeper woke once per connection
     * per peer timeout, each wake-up a walk of all of them (10,000 idle connections: 0.1 cores a process).
     */
    private static long dueAfter(long nanos, long interval) {
        long due = nanos + Math.min(interval, MAX_SLEEP_NANOS);
        if (interval >= COALESCE_MIN_NANOS) {
            due += Math.floorMod(GRID_ORIGIN - due, COALESCE_GRID_NANOS);
        }
        return due;
    }

    /** The grid backstop ticks are rounded up to (see {@link #dueAfter}). */
    static final long COALESCE_GRID_NANOS = 100_000_000L;
    /** The shortest interval rounded up to the grid: the rounding delays it by at most a quarter. */
    static final long COALESCE_MIN_NANOS = 4 * COALESCE_GRID_NANOS;
    /** Any fixed origin of the grid: the same for every task of the process. */
    private static final long GRID_ORIGIN = System.nanoTime();

    private static final long MAX_SLEEP_NANOS = TimeUnit.DAYS.toNanos(1);

    private void run() {
        long eventsSeen = events;
        while (true) {
            long now = Clock.SYSTEM.currentTimeMillis(); // the time the tasks' heartbeats and timeouts go by
            long addedBefore = added;
            long eventsNow = events;
            boolean all = eventsNow != eventsSeen; // woken by an event: every task has a look
            eventsSeen = eventsNow;
            long nowNanos = System.nanoTime();
            long wakeAt = Long.MAX_VALUE;
            for (Entry e : tasks) {
                Task t = e.task;
                if (!all && !e.urgent && e.dueNanos - nowNanos > 0) {
                    wakeAt = Math.min(wakeAt, e.dueNanos);
                    continue;
                }
                try {
                    if (!t.tick(now)) {
                        tasks.remove(e);
                        continue;
                    }
                    e.urgent = t.urgent();
                    long interval = e.urgent ? intervalNanos : Math.max(intervalNanos, t.idleIntervalNanos());
                    e.dueNanos = dueAfter(nowNanos, interval);
                    wakeAt = Math.min(wakeAt, e.dueNanos);
                } catch (Throwable ex) {
                    log().error("via-emu housekeeping task {} failed; removed", t, ex);
                    tasks.remove(e);
                }
            }
            // nothing due: nothing to do until a task is added or something happens (both unpark this thread)
            long nanos = wakeAt == Long.MAX_VALUE ? MAX_SLEEP_NANOS
                    : Math.min(MAX_SLEEP_NANOS, Math.max(0, wakeAt - System.nanoTime()));
            sleepingUntil = System.nanoTime() + nanos;
            if (added != addedBefore) {
                sleepingUntil = System.nanoTime();
                continue; // a task came while this pass ticked: tick it now, do not sleep past its interval
            }
            if (nanos > 0) {
                LockSupport.parkNanos(this, nanos);
            }
            sleepingUntil = System.nanoTime(); // awake: an added task is ticked soon
        }
    }

    @Override
    public String toString() {
        return "Housekeeper{" + tasks.size() + " tasks, urgent every " + TimeUnit.NANOSECONDS.toMicros(intervalNanos)
                + " µs}";
    }
}
