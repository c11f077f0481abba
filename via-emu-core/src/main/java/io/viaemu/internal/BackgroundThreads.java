package io.viaemu.internal;

/**
 * via-emu's own threads (housekeeper, acceptor, handover helpers) must not share a CPU with a thread the application
 * pinned: a new thread inherits its creator's CPU affinity, and a housekeeping wake-up on the CPU of a busy-spinning
 * reader stalls that reader for a scheduler slice (measured: round-trip p99 of 0.6 ms instead of microseconds).
 */
public final class BackgroundThreads {
    private BackgroundThreads() {
    }

    /**
     * Called first thing in a via-emu background thread: may run on any CPU. Best effort. By the system calls
     * themselves ({@link ThreadAffinity}), not Chronicle's affinity library: its initialisation cost a fresh
     * client's first connect 20-50 ms of CPU on these threads.
     */
    public static void unpin() {
        try {
            ThreadAffinity.unpinCurrentThread();
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
