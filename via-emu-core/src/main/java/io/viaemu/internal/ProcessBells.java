package io.viaemu.internal;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

import io.viaemu.idle.Doorbell;
import org.slf4j.Logger;

/**
 * One file per process and base directory ({@code BASE/.bells/PID-START.bell}): a doorbell that other processes ring
 * when a handover step needs this process's housekeeper (the client must confirm an intermission while its
 * application is idle; the parent must start the handover its child asked for), which a thread of the process parks
 * on and which wakes the housekeeper; and the process's heartbeat, which its peers read to tell a stopped or wedged
 * process (see {@link ProcessLiveness}): one heartbeat per process, not per connection. The name carries the start time as the flag block records it, so a reused pid never gets another
 * process's wake-ups; files of dead processes are deleted by the server's sweep.
 */
public final class ProcessBells {
    /** Made on use, not at class initialisation: see {@link Logs}. */
    private static Logger log() {
        return Logs.of(ProcessBells.class);
    }

    /** Starts with a dot: no endpoint name can (see {@link Layout#checkEndpoint}). */
    static final String DIR = ".bells";
    private static final Map<Path, Doorbell> RINGABLE = new ConcurrentHashMap<>();
    /**
     * The file's layout: the doorbell (bytes 0-63, see {@link Doorbell}), then on its own cache line the process's
     * heartbeat (64-71: wall-clock milliseconds, written every heartbeat interval by its housekeeper).
     */
    static final int HEARTBEAT_OFFSET = Doorbell.SIZE;
    static final int FILE_SIZE = Doorbell.SIZE * 2;
    private static final VarHandle LONGS = MethodHandles.byteBufferViewVarHandle(long[].class,
            ByteOrder.nativeOrder());
    /** This process's files, by base directory. */
    private static final Map<Path, MappedByteBuffer> OWN = new ConcurrentHashMap<>();
    /** Peers' files mapped to read their heartbeats (one per live peer process: dropped when it dies). */
    private static final Map<Path, MappedByteBuffer> PEERS = new ConcurrentHashMap<>();

    private ProcessBells() {
    }

    static Path file(Path base, long pid, long startMillis) {
        return base.resolve(DIR).resolve(pid + "-" + startMillis + ".bell");
    }

    /**
     * This process's file under {@code base}, created (0600) and mapped on first use: its doorbell and its
     * heartbeat. Null if it cannot be created (then peers' handover steps wait for a tick, and no heartbeat of this
     * process is known to them: they see it die, not stop).
     */
    private static MappedByteBuffer own(Path base) {
        Path key = base.toAbsolutePath().normalize();
        MappedByteBuffer map = OWN.get(key);
        if (map != null) {
            return map;
        }
        synchronized (OWN) {
            map = OWN.get(key);
            if (map == null) {
                Path file = file(base, Processes.currentPid(), Processes.currentStart());
                try {
                    FilePermissions.createPrivateDirectories(base.resolve(DIR));
                    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                            StandardOpenOption.WRITE)) {
                        FilePermissions.makePrivate(file);
                        map = ch.map(FileChannel.MapMode.READ_WRITE, 0, FILE_SIZE);
                    }
                } catch (IOException e) {
                    log().warn("via-emu: no process file under {} ({}); peers' handover steps wait for the next tick,"
                            + " and they cannot tell this process stopped", base, e.toString());
                    return null;
                }
                OWN.put(key, map);
            }
            return map;
        }
    }

    /** Creates this process's doorbell under {@code base} and a thread that wakes {@code housekeeper} on a ring. */
    static void listen(Path base, Housekeeper housekeeper) {
        if (!Doorbell.futexAvailable()) {
            own(base); // the heartbeat at least; the housekeeper ticks on a timer instead
            return;
        }
        MappedByteBuffer map = own(base);
        if (map == null) {
            return;
        }
        Doorbell bell = new Doorbell(map, 0, file(base, Processes.currentPid(), Processes.currentStart()).toString());
        bell.clearWaiters();
        BackgroundThreads.daemon("via-bell-" + base.getFileName(), new BellWatch(bell, housekeeper)).start();
    }

    /** The bell's thread (a class, not a lambda: it starts in a process's first connection, on both sides). */
    private static final class BellWatch implements Runnable {
        private final Doorbell bell;
        private final Housekeeper housekeeper;

        BellWatch(Doorbell bell, Housekeeper housekeeper) {
            this.bell = bell;
            this.housekeeper = housekeeper;
        }

        @Override
        public void run() {
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
        }
    }

    /** The heartbeats of processes, a word in each one's file: what {@link ProcessLiveness} reads and writes. */
    static final ProcessLiveness.Heartbeats HEARTBEATS = new ProcessLiveness.Heartbeats() {
        @Override
        public void write(Path base, long millis) {
            MappedByteBuffer map = own(base);
            if (map != null) {
                LONGS.setVolatile(map, HEARTBEAT_OFFSET, millis);
            }
        }

        @Override
        public long read(Path base, long pid, long startMillis) {
            if (pid == Processes.currentPid()) {
                MappedByteBuffer map = OWN.get(base.toAbsolutePath().normalize());
                return map == null ? 0 : (long) LONGS.getVolatile(map, HEARTBEAT_OFFSET);
            }
            Path file = file(base, pid, startMillis);
            MappedByteBuffer map = PEERS.get(file);
            if (map == null) {
                try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                    if (ch.size() < FILE_SIZE) {
                        return 0; // being created, or a process without heartbeats
                    }
                    map = ch.map(FileChannel.MapMode.READ_ONLY, 0, FILE_SIZE);
                } catch (IOException e) {
                    return 0; // none (yet): the process's exit, if that is why, is reported by the exit watch
                }
                PEERS.put(file, map);
            }
            return (long) LONGS.getVolatile(map, HEARTBEAT_OFFSET);
        }

        @Override
        public void forget(Path base, long pid, long startMillis) {
            PEERS.remove(file(base, pid, startMillis));
        }
    };

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

    /** Process {@code pid}'s last heartbeat under {@code base} (epoch millis), 0 if none (tests, tools). */
    public static long heartbeat(Path base, long pid, long startMillis) {
        return HEARTBEATS.read(base, pid, startMillis);
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
                        PEERS.remove(p);
                        Files.deleteIfExists(p);
                    }
                } catch (NumberFormatException | IOException e) {
                    // not ours, or deleted by another sweep
                }
            }
        } catch (IOException e) {
            log().debug("sweep of {}: {}", dir, e.toString());
        }
    }
}
