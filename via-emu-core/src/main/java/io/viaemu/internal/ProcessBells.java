package io.viaemu.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

import io.viaemu.idle.Doorbell;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One doorbell per process and base directory ({@code BASE/.bells/PID-START.bell}) that other processes ring when a
 * handover step needs this process's housekeeper (the client must confirm an intermission while its application is
 * idle; the parent must start the handover its child asked for). A thread of the process parks on it and wakes the
 * housekeeper. The name carries the start time as the flag block records it, so a reused pid never gets another
 * process's wake-ups; files of dead processes are deleted by the server's sweep.
 */
public final class ProcessBells {
    private static final Logger log = LoggerFactory.getLogger(ProcessBells.class);
    /** Starts with a dot: no endpoint name can (see {@link Layout#checkEndpoint}). */
    static final String DIR = ".bells";
    private static final Map<Path, Doorbell> RINGABLE = new ConcurrentHashMap<>();

    private ProcessBells() {
    }

    static Path file(Path base, long pid, long startMillis) {
        return base.resolve(DIR).resolve(pid + "-" + startMillis + ".bell");
    }

    /** Creates this process's doorbell under {@code base} and a thread that wakes {@code housekeeper} on a ring. */
    static void listen(Path base, Housekeeper housekeeper) {
        if (!Doorbell.futexAvailable()) {
            return; // the housekeeper ticks on a timer instead
        }
        Doorbell bell;
        try {
            FilePermissions.createPrivateDirectories(base.resolve(DIR));
            bell = Doorbell.openFile(file(base, Processes.currentPid(), Processes.currentStart()));
        } catch (IOException e) {
            log.warn("via-emu: no process doorbell under {} ({}); peers' handover steps wait for the next tick", base,
                    e.toString());
            return;
        }
        bell.clearWaiters();
        BackgroundThreads.daemon("via-bell-" + base.getFileName(), () -> {
            bell.arm(); // the only waiter, for the life of the process
            int seen = bell.sequence();
            while (true) {
                bell.await(seen, Long.MAX_VALUE);
                int now = bell.sequence();
                if (now != seen) {
                    seen = now;
                    housekeeper.wake();
                }
            }
        }).start();
    }

    /**
     * Wakes the housekeeper of process {@code pid} (started at {@code startMillis}) if it has a doorbell under
     * {@code base}. Best effort: a process without one ticks on a timer.
     */
    public static void ring(Path base, long pid, long startMillis) {
        if (pid <= 0 || !Doorbell.futexAvailable()) {
            return;
        }
        if (pid == Processes.currentPid()) {
            Housekeeper.wakeIfRunning();
            return;
        }
        Path file = file(base, pid, startMillis);
        Doorbell bell = RINGABLE.get(file);
        if (bell == null) {
            if (!Files.exists(file)) {
                return;
            }
            try {
                bell = Doorbell.openFile(file);
            } catch (IOException e) {
                return; // gone meanwhile: the process exited
            }
            if (RINGABLE.size() > 1_000) {
                RINGABLE.clear(); // bounds the mappings kept; they are reopened when needed
            }
            RINGABLE.put(file, bell);
        }
        bell.ring();
    }

    /** Deletes the doorbells of processes that are no longer alive (the server's sweep). */
    public static void sweep(Path base) {
        Path dir = base.resolve(DIR);
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                String n = p.getFileName().toString();
                int dash = n.indexOf('-');
                if (dash <= 0 || !n.endsWith(".bell")) {
                    continue;
                }
                try {
                    long pid = Long.parseLong(n.substring(0, dash));
                    long start = Long.parseLong(n.substring(dash + 1, n.length() - ".bell".length()));
                    if (!Processes.isAlive(pid, start)) {
                        RINGABLE.remove(p);
                        Files.deleteIfExists(p);
                    }
                } catch (NumberFormatException | IOException e) {
                    // not ours, or deleted by another sweep
                }
            }
        } catch (IOException e) {
            log.debug("sweep of {}: {}", dir, e.toString());
        }
    }
}
