package io.viaemu.internal;

import java.time.Instant;
import java.util.Optional;

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

    /** True while the process {@code pid} started at {@code startMillis} (0 = unknown) runs. */
    public static boolean isAlive(long pid, long startMillis) {
        if (pid <= 0) {
            return false;
        }
        Optional<ProcessHandle> h = ProcessHandle.of(pid);
        if (h.isEmpty() || !h.get().isAlive()) {
            return false;
        }
        if (startMillis == 0) {
            return true;
        }
        long actual = startMillis(h.get());
        // start times from /proc have tick granularity; allow a little slack
        return actual == 0 || Math.abs(actual - startMillis) < 1000;
    }
}
