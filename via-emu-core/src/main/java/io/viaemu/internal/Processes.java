package io.viaemu.internal;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Process identity for peer-death detection. A pid alone can be reused; pid plus start time (epoch millis) names
 * one process. All via-emu peers share a host, so "is it alive" is a question the kernel answers exactly.
 */
public final class Processes {
    private Processes() {
    }

    public static long currentPid() {
        return ProcessHandle.current().pid();
    }

    public static long currentStart() {
        return startMillis(ProcessHandle.current());
    }

    static long startMillis(ProcessHandle h) {
        return h.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
    }

    /**
     * Handles already matched against their start time. A handle keeps the start time it was made with and its
     * isAlive() compares it with the kernel's, so a cached handle notices a reused pid with one read of /proc; the
     * first check, through ProcessHandle.info(), reads several files and is kept off the protocol's wait loops.
     */
    private static final Map<Long, Known> KNOWN = new ConcurrentHashMap<>();

    /** A live process's handle and its start time (0 if the kernel did not say). */
    private static final class Known {
        final ProcessHandle handle;
        final long startMillis;

        Known(ProcessHandle handle, long startMillis) {
            this.handle = handle;
            this.startMillis = startMillis;
        }
    }

    /** True while the process {@code pid} started at {@code startMillis} (0 = unknown) runs. */
    public static boolean isAlive(long pid, long startMillis) {
        if (pid <= 0) {
            return false;
        }
        Known known = KNOWN.get(pid);
        if (known != null && !known.handle.isAlive()) {
            KNOWN.remove(pid, known);
            known = null;
        }
        if (known == null) {
            Optional<ProcessHandle> h = ProcessHandle.of(pid);
            if (h.isEmpty() || !h.get().isAlive()) {
                return false;
            }
            if (KNOWN.size() > 10_000) {
                KNOWN.clear(); // dead ones are removed when found dead; this only bounds a pathological case
            }
            known = new Known(h.get(), startMillis(h.get()));
            KNOWN.put(pid, known);
        }
        // start times from /proc have tick granularity; allow a little slack
        return startMillis == 0 || known.startMillis == 0 || Math.abs(known.startMillis - startMillis) < 1000;
    }
}
