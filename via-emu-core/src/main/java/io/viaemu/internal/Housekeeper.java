package io.viaemu.internal;

import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One daemon thread per process that does, every poll interval, what no application thread may be there to do:
 * write heartbeats, answer the peer's flags (a client that is not sending still has to confirm an intermission),
 * and notice dead peers. Tasks must be quick and must never block.
 */
public final class Housekeeper {

    /** Work done on every tick. */
    public interface Task {
        /** @return false to be removed */
        boolean tick(long nowMillis);

        /**
         * True while the task must be looked at every poll interval (a handover may start or is under way).
         * Otherwise ticks come at the idle interval: on a 2-core machine every wake-up of this thread preempts a
         * busy-spinning reader, which showed as a p99 round trip of 0.7 ms when it woke every millisecond.
         */
        default boolean urgent() {
            return false;
        }
    }

    /** Tick interval while no task is urgent. */
    static final long IDLE_INTERVAL_NANOS = 20_000_000L;

    private static final Logger log = LoggerFactory.getLogger(Housekeeper.class);
    private static volatile Housekeeper instance;

    private final CopyOnWriteArrayList<Task> tasks = new CopyOnWriteArrayList<>();
    private final long intervalNanos;
    private final Thread thread;

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

    public void add(Task task) {
        tasks.add(task);
    }

    public void remove(Task task) {
        tasks.remove(task);
    }

    private void run() {
        while (true) {
            long now = System.currentTimeMillis();
            boolean urgent = false;
            for (Task t : tasks) {
                try {
                    if (!t.tick(now)) {
                        tasks.remove(t);
                    } else {
                        urgent |= t.urgent();
                    }
                } catch (Throwable e) {
                    log.error("via-emu housekeeping task {} failed; removed", t, e);
                    tasks.remove(t);
                }
            }
            LockSupport.parkNanos(urgent ? intervalNanos : Math.max(intervalNanos, IDLE_INTERVAL_NANOS));
        }
    }

    @Override
    public String toString() {
        return "Housekeeper{" + tasks.size() + " tasks every " + TimeUnit.NANOSECONDS.toMicros(intervalNanos) + " µs}";
    }
}
