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
    private static final Map<Long, ProcessHandle> KNOWN = new ConcurrentHashMap<>();

    /** True while the process {@code pid} started at {@code startMillis} (0 = unknown) runs. */
    public static boolean isAlive(long pid, long startMillis) {
        if (pid <= 0) {
            return false;
        }
        ProcessHandle known = KNOWN.get(pid);
        if (known != null) {
            if (known.isAlive()) {
                return true;
            }
            KNOWN.remove(pid, known);
            return false;
        }
        Optional<ProcessHandle> h = ProcessHandle.of(pid);
        if (h.isEmpty() || !h.get().isAlive()) {
            return false;
        }
        if (startMillis != 0) {
            long actual = startMillis(h.get());
            // start times from /proc have tick granularity; allow a little slack
            if (actual != 0 && Math.abs(actual - startMillis) >= 1000) {
                return false;
            }
        }
        if (KNOWN.size() > 10_000) {
            KNOWN.clear(); // dead ones are removed when found dead; this only bounds a pathological case
        }
        KNOWN.put(pid, h.get());
        return true;
    }
}
