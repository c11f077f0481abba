package io.viaemu.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Process identity for peer-death detection. A pid alone can be reused; pid plus start time (epoch millis) names
 * one process. All via-emu peers share a host, so "is it alive" is a question the kernel answers exactly.
 *
 * <p>A process that has exited but was not yet reaped by its parent (a zombie, state Z in /proc/PID/stat: a
 * wrapper shell, a supervisor or a container without an init that never calls wait()) is dead: it runs no code,
 * holds no lock and writes nothing, so nothing it did can change any more. {@link ProcessHandle#isAlive()}, and
 * Chronicle's own check (does /proc/PID exist), count it alive; this class reads the state itself.
 */
public final class Processes {
    private Processes() {
    }

    private static final Path PROC = Path.of("/proc");
    private static final boolean HAS_PROC = Files.isReadable(PROC.resolve("self").resolve("stat"));

    public static long currentPid() {
        return ProcessHandle.current().pid();
    }

    public static long currentStart() {
        return CurrentStart.MILLIS;
    }

    /** This process's start time never changes: read once (ProcessHandle.info() reads /proc, every role asks it). */
    private static final class CurrentStart {
        static final long MILLIS = startMillis(ProcessHandle.current());
    }

    static long startMillis(ProcessHandle h) {
        return h.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
    }

    /**
     * Processes already matched against their start time, with the start time the kernel gives in /proc/PID/stat
     * (clock ticks since boot). Each later check is one read of that file: gone, zombie, or a different start
     * (a reused pid) is known from it; the first check, through ProcessHandle.info(), reads several files and is
     * kept off the protocol's wait loops.
     */
    private static final Map<Long, Known> KNOWN = new ConcurrentHashMap<>();

    /** A live process's handle, its start time (0 if the kernel did not say) and its start in ticks (-1: no /proc). */
    private static final class Known {
        final ProcessHandle handle;
        final long startMillis;
        final long startTicks;

        Known(ProcessHandle handle, long startMillis, long startTicks) {
            this.handle = handle;
            this.startMillis = startMillis;
            this.startTicks = startTicks;
        }
    }

    /** State and start of a process from /proc/PID/stat. */
    private static final class Stat {
        static final Stat GONE = new Stat('-', -1);
        /** /proc could not tell (unreadable): fall back on ProcessHandle. */
        static final Stat UNKNOWN = new Stat('?', -1);
        final char state;
        final long startTicks;

        Stat(char state, long startTicks) {
            this.state = state;
            this.startTicks = startTicks;
        }

        /** Exited: a zombie (Z) or being reaped (X, x). */
        boolean exited() {
            return this == GONE || state == 'Z' || state == 'X' || state == 'x';
        }
    }

    /** True while the process {@code pid} started at {@code startMillis} (0 = unknown) runs; a zombie does not. */
    public static boolean isAlive(long pid, long startMillis) {
        if (pid <= 0) {
            return false;
        }
        Stat stat = HAS_PROC ? stat(pid) : Stat.UNKNOWN;
        if (stat.exited()) {
            KNOWN.remove(pid);
            return false;
        }
        Known known = KNOWN.get(pid);
        if (known != null && (stat == Stat.UNKNOWN || known.startTicks < 0
                ? !known.handle.isAlive() : known.startTicks != stat.startTicks)) {
            KNOWN.remove(pid, known); // exited, or the pid now names another process
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
            known = new Known(h.get(), startMillis(h.get()), stat.startTicks);
            KNOWN.put(pid, known);
        }
        // start times from /proc have tick granularity; allow a little slack
        return startMillis == 0 || known.startMillis == 0 || Math.abs(known.startMillis - startMillis) < 1000;
    }

    /** True if {@code pid} names no running process: gone, or a zombie (exited, not yet reaped). */
    public static boolean isDead(long pid) {
        return !isAlive(pid, 0);
    }

    /** Reads /proc/PID/stat: "pid (comm) S ppid ... starttime(field 22) ..."; comm may hold spaces and ')'. */
    private static Stat stat(long pid) {
        byte[] b;
        try {
            b = Files.readAllBytes(PROC.resolve(Long.toString(pid)).resolve("stat"));
        } catch (NoSuchFileException gone) {
            return Stat.GONE;
        } catch (IOException | SecurityException e) {
            return Stat.UNKNOWN;
        }
        int i = b.length - 1;
        while (i >= 0 && b[i] != ')') {
            i--;
        }
        if (i < 0 || i + 2 >= b.length) {
            return Stat.UNKNOWN;
        }
        char state = (char) b[i + 2];
        // fields after comm, counted from 3 (the state); starttime is field 22
        int field = 3;
        int p = i + 2;
        while (p < b.length && field < 22) {
            if (b[p++] == ' ') {
                field++;
            }
        }
        long ticks = 0;
        boolean digits = false;
        while (p < b.length && b[p] >= '0' && b[p] <= '9') {
            ticks = ticks * 10 + (b[p++] - '0');
            digits = true;
        }
        return new Stat(state, digits ? ticks : -1);
    }
}
