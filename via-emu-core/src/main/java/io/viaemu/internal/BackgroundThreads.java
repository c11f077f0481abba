package io.viaemu.internal;

import java.util.BitSet;

import net.openhft.affinity.Affinity;

/**
 * via-emu's own threads (housekeeper, acceptor, handover helpers) must not share a CPU with a thread the application
 * pinned: a new thread inherits its creator's CPU affinity, and a housekeeping wake-up on the CPU of a busy-spinning
 * reader stalls that reader for a scheduler slice (measured: round-trip p99 of 0.6 ms instead of microseconds).
 */
public final class BackgroundThreads {
    private BackgroundThreads() {
    }

    /** Called first thing in a via-emu background thread: may run on any CPU. Best effort. */
    public static void unpin() {
        try {
            int cpus = Runtime.getRuntime().availableProcessors();
            BitSet current = Affinity.getAffinity();
            if (current != null && current.cardinality() < cpus) {
                BitSet all = new BitSet(cpus);
                all.set(0, cpus);
                Affinity.setAffinity(all);
            }
        } catch (Throwable unsupported) {
            // no native affinity support here: nothing was pinned by it either
        }
    }

    /** A daemon thread that unpins itself before running {@code body}. */
    public static Thread daemon(String name, Runnable body) {
        Thread t = new Thread(new Unpinned(body), name);
        t.setDaemon(true);
        return t;
    }

    /** Unpins, then runs the body (a class, not a lambda: a fresh JVM's first connect starts such threads). */
    private static final class Unpinned implements Runnable {
        private final Runnable body;

        Unpinned(Runnable body) {
            this.body = body;
        }

        @Override
        public void run() {
            unpin();
            body.run();
        }
    }
}
