package io.viaemu.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.stream.Stream;

import io.viaemu.ViaConfig;
import io.viaemu.protocol.ConnectionState;
import io.viaemu.protocol.FlagBlock;
import io.viaemu.protocol.FlagBlock.Word;
import org.slf4j.Logger;

/**
 * Deletes connection directories no live process uses any more: left by processes that all died (crashed, killed,
 * halted) before the last of them could delete it, or closed and past their retention. A server sweeps its own
 * endpoint at start and every few seconds; every via-emu process that opens a base directory (a server on any
 * endpoint, a client connecting) also sweeps the other endpoints there, so a base directory does not keep dead
 * connections' data when no server of their endpoint ever runs again.
 */
public final class StaleConnections {
    /** Made on use, not at class initialisation: see {@link Logs}. */
    private static Logger log() {
        return Logs.of(StaleConnections.class);
    }

    /**
     * A directory of another endpoint without a (complete) flag block is left this long: its client may be creating
     * it now, with a connect timeout this process does not know.
     */
    private static final long FOREIGN_CREATION_GRACE_MILLIS = 60_000;
    /** How often one process sweeps the other endpoints of one base directory at most. */
    private static final long BASE_SWEEP_INTERVAL_MILLIS = 30_000;
    private static final Map<Path, Long> LAST_BASE_SWEEP = new ConcurrentHashMap<>();

    private StaleConnections() {
    }

    /**
     * Sweeps the endpoint's connection directories.
     *
     * @param ownEndpoint true for the endpoint this process serves: a directory this process is the parent of and
     *                    that {@code inUseHere} does not name was released by it, so its pid does not keep it
     * @param inUseHere   connection ids this process serves now (never deleted)
     * @return the earliest time (epoch millis) at which a directory left now becomes stale by time alone (a
     *         creation's grace or a retention ends), Long.MAX_VALUE if none: until then only a process's death or
     *         close can make one stale
     */
    public static long sweepEndpoint(ViaConfig config, String endpoint, boolean ownEndpoint,
            Predicate<String> inUseHere) throws IOException {
        Path dir = Layout.connectionsDir(config.baseDir(), endpoint);
        if (!Files.isDirectory(dir)) {
            return Long.MAX_VALUE;
        }
        long now = System.currentTimeMillis();
        long next = Long.MAX_VALUE;
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                if (inUseHere.test(p.getFileName().toString())) {
                    continue;
                }
                long staleAt = staleAt(config, p, now, ownEndpoint);
                if (staleAt <= now) {
                    log().info("endpoint '{}': deleting stale connection directory {}", endpoint, p.getFileName());
                    FilePermissions.deleteTree(p);
                } else {
                    next = Math.min(next, staleAt);
                }
            }
        } catch (NoSuchFileException gone) {
            // the endpoint's directory went meanwhile
        }
        return next;
    }

    /** Sweeps every endpoint under the base directory except {@code exceptEndpoint} (null: all of them). */
    public static void sweepOtherEndpoints(ViaConfig config, String exceptEndpoint) {
        Path base = config.baseDir();
        if (!Files.isDirectory(base)) {
            return;
        }
        try (Stream<Path> s = Files.list(base)) {
            for (Path ep : (Iterable<Path>) s::iterator) {
                String name = ep.getFileName().toString();
                if (name.equals(exceptEndpoint) || !Files.isDirectory(ep.resolve("conn"))) {
                    continue;
                }
                try {
                    sweepEndpoint(config, name, false, id -> false);
                } catch (IOException | RuntimeException e) {
                    log().debug("sweep of endpoint '{}' under {} failed: {}", name, base, e.toString());
                }
            }
        } catch (IOException e) {
            log().debug("cannot list {}: {}", base, e.toString());
        }
    }

    /**
     * {@link #sweepOtherEndpoints} in the background, at most every {@value #BASE_SWEEP_INTERVAL_MILLIS} ms per
     * base directory and process: for a client, which must not pay for it in its connect.
     */
    public static void sweepOtherEndpointsSoon(ViaConfig config, String exceptEndpoint) {
        long now = System.currentTimeMillis();
        Path base = config.baseDir().toAbsolutePath().normalize();
        Long last = LAST_BASE_SWEEP.get(base);
        if (last != null && now - last < BASE_SWEEP_INTERVAL_MILLIS) {
            return;
        }
        if (last == null ? LAST_BASE_SWEEP.putIfAbsent(base, now) != null
                : !LAST_BASE_SWEEP.replace(base, last, now)) {
            return; // another thread of this process is on it
        }
        Thread t = BackgroundThreads.daemon("via-sweep", new OtherEndpointsSweep(config, exceptEndpoint));
        t.start();
    }

    /** A class, not a lambda: a fresh JVM's first connect starts it (every bootstrap there costs milliseconds). */
    private static final class OtherEndpointsSweep implements Runnable {
        private final ViaConfig config;
        private final String exceptEndpoint;

        OtherEndpointsSweep(ViaConfig config, String exceptEndpoint) {
            this.config = config;
            this.exceptEndpoint = exceptEndpoint;
        }

        @Override
        public void run() {
            // after the connect that started it (a fresh client's first one shares 2 CPUs with JNA's set-up and
            // the JIT already; this sweep took 5 ms of CPU from it, async-profiler)
            NativeWarmup.awaitFirstConnect(NativeWarmup.FIRST_CONNECT_WAIT_MILLIS);
            sweepOtherEndpoints(config, exceptEndpoint);
        }
    }

    /**
     * When the directory is stale: now or before (delete it), a later time (stale then if nothing changes: a grace
     * or a retention ends), or Long.MAX_VALUE (kept while one of its processes lives).
     */
    private static long staleAt(ViaConfig config, Path connDir, long now, boolean ownEndpoint) {
        FlagBlock f;
        try {
            f = FlagBlock.openReadOnly(connDir);
        } catch (IOException e) {
            f = null;
        }
        if (f == null || f.get(Word.CLIENT_PID) == 0) {
            // no (whole) flag block, or no client pid in it yet: a client creating it now (FlagBlock.create
            // writes the magic word before the client writes its pid), or one that died doing so if it is old
            long grace = ownEndpoint ? config.connectTimeout().toMillis()
                    : Math.max(config.connectTimeout().toMillis(), FOREIGN_CREATION_GRACE_MILLIS);
            try {
                return Files.getLastModifiedTime(connDir).toMillis() + grace + 1;
            } catch (IOException gone) {
                return Long.MAX_VALUE;
            }
        }
        // Of its own endpoint, this process sweeps only directories it does not serve: if it is their parent, it
        // released them and does not use them any more, so its pid does not keep them alive. That includes idle
        // connection slots (state IDLE, see ConnectionSlots): a slot belongs to its client process, and one whose
        // client died is stale (the server forgets the queues it kept for it after this sweep).
        long parentPid = f.get(Word.PARENT_PID);
        boolean parentReleased = ownEndpoint && parentPid == Processes.currentPid();
        boolean anyAlive = Processes.isAlive(f.get(Word.CLIENT_PID), f.get(Word.CLIENT_START))
                || (!parentReleased && Processes.isAlive(parentPid, f.get(Word.PARENT_START)))
                || Processes.isAlive(f.get(Word.CHILD_PID), f.get(Word.CHILD_START));
        long closedAt = f.get(Word.AT_CLOSED);
        boolean ended = f.state().isTerminal() || (f.get(Word.CLOSED_MASK) & FlagBlock.CLOSED_CLIENT) != 0;
        boolean staleOnceRetained = !anyAlive || (ownEndpoint && f.state() == ConnectionState.CLOSED && closedAt != 0);
        if (ended && closedAt != 0 && now - closedAt <= config.retention().toMillis()) {
            return closedAt + config.retention().toMillis() + 1; // kept for inspection (the actuator) until then
        }
        return staleOnceRetained ? now : Long.MAX_VALUE;
    }
}
