package io.viaemu.internal;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Liveness by process, not by connection: each process publishes one heartbeat per base directory (written every
 * heartbeat interval by its housekeeper, whatever the number of its connections), and checks the heartbeat of each
 * peer process once per interval. Only when a peer is found dead or silent (stopped, wedged) does {@link #exits()}
 * change, and only then do the connections look at their peers: idle cost is O(processes), not O(connections).
 *
 * <p>Deaths come from {@link Exits} (on the host: pidfds, {@link ProcessExitWatch}; /proc for processes it does not
 * watch); silence from the heartbeats in {@link Heartbeats} (on the host: a word in each process's doorbell file,
 * {@link ProcessBells}). A silent peer is reported again at every check while it stays silent, so that connections
 * with a longer peer timeout than the shortest one get their turn. Timed by the {@link Clock} it is given, so a test
 * drives it through a timeout without waiting (see {@code ProcessLivenessTest}).
 */
public final class ProcessLiveness implements Liveness, Housekeeper.Task {

    /** Where the processes' heartbeats are: one word per process and base directory. */
    public interface Heartbeats {
        /** Publishes this process's heartbeat {@code millis} (wall clock) under {@code base}. */
        void write(Path base, long millis);

        /** Process {@code pid}'s (started at {@code startMillis}) last heartbeat under {@code base}; 0: none known. */
        long read(Path base, long pid, long startMillis);

        /** The process is dead: whatever is kept for reading its heartbeat can go. */
        void forget(Path base, long pid, long startMillis);
    }

    /** Where deaths of processes are learnt. */
    public interface Exits {
        /** True while the process runs; a zombie is dead. */
        boolean isAlive(long pid, long startMillis);

        /** Asks for the process's exit to be reported (it then changes {@link #exits()}). */
        void watch(long pid, long startMillis);

        /** Changes whenever a watched process exits. */
        long exits();
    }

    /** One peer process this one watches the heartbeat of. */
    private static final class Peer {
        final Path base;
        final long pid;
        final long start;
        /** The shortest peer timeout any watcher asked for. */
        volatile long timeoutMillis;

        Peer(Path base, long pid, long start, long timeoutMillis) {
            this.base = base;
            this.pid = pid;
            this.start = start;
            this.timeoutMillis = timeoutMillis;
        }
    }

    /**
     * The host's exits: {@link ProcessExitWatch} (pidfds) where it watches the pid, else /proc. Until the exit watch
     * is initialised (JNA, on the {@code NativeWarmup} thread in a fresh client) it watches nothing: /proc answers,
     * and a fresh JVM's first connect does not wait for that initialisation to see that its server lives.
     */
    static final Exits HOST_EXITS = new Exits() {
        @Override
        public boolean isAlive(long pid, long startMillis) {
            if (!ProcessExitWatch.Initialised.done) {
                return Processes.isAlive(pid, startMillis);
            }
            int watched = ProcessExitWatch.state(pid, startMillis);
            return watched == ProcessExitWatch.RUNNING
                    || (watched == ProcessExitWatch.UNKNOWN && Processes.isAlive(pid, startMillis));
        }

        @Override
        public void watch(long pid, long startMillis) {
            ProcessExitWatch.watch(pid, startMillis);
        }

        @Override
        public long exits() {
            // before its initialisation the watch has seen no exit: its count starts at 0
            return ProcessExitWatch.Initialised.done ? ProcessExitWatch.exits() : 0;
        }
    };

    private static final ProcessLiveness HOST =
            new ProcessLiveness(ProcessBells.HEARTBEATS, HOST_EXITS, new WakeHousekeeper());

    /** {@link Housekeeper#wakeIfRunning} (a class, not a method reference: no bootstrap in a first connect). */
    private static final class WakeHousekeeper implements Runnable {
        @Override
        public void run() {
            Housekeeper.wakeIfRunning();
        }
    }

    /** This host's processes: heartbeats in the doorbell files ({@link ProcessBells}), exits from pidfds and /proc. */
    public static ProcessLiveness host() {
        return HOST;
    }

    private final Heartbeats heartbeats;
    private final Exits processExits;
    /**
     * Wakes the housekeeper: after a check found a peer dead or silent (every connection must look: a full pass),
     * and when the interval shortened (it must tick this sooner than it planned).
     */
    private final Runnable wakeHousekeeper;
    private final Set<Path> ownBases = ConcurrentHashMap.newKeySet();
    private final Map<List<Object>, Peer> peers = new ConcurrentHashMap<>();
    /** Silences and deaths found by the checks (added to the exits of {@link #processExits}). */
    private final AtomicLong verdicts = new AtomicLong();
    /** The shortest heartbeat interval asked for (a tenth of the shortest peer timeout); MAX_VALUE: none yet. */
    private volatile long intervalMillis = Long.MAX_VALUE;
    /** Next heartbeat and next check of the peers (the housekeeper's thread only, or the test's). */
    private volatile long nextBeat;
    private volatile long nextCheck;

    public ProcessLiveness(Heartbeats heartbeats, Exits exits, Runnable wakeHousekeeper) {
        this.heartbeats = Objects.requireNonNull(heartbeats);
        this.processExits = Objects.requireNonNull(exits);
        this.wakeHousekeeper = Objects.requireNonNull(wakeHousekeeper);
    }

    /** Heartbeats are written (and checked) ten times per peer timeout: a stale one is seen within 10 % of it. */
    public static long heartbeatIntervalMillis(long peerTimeoutMillis) {
        return Math.max(1, peerTimeoutMillis / 10);
    }

    // ------------------------------------------------------------------------------------------------ Liveness

    @Override
    public boolean isAlive(long pid, long startMillis) {
        return processExits.isAlive(pid, startMillis);
    }

    @Override
    public void watch(long pid, long startMillis) {
        processExits.watch(pid, startMillis);
    }

    @Override
    public void watch(Path base, long pid, long startMillis, long peerTimeoutMillis) {
        processExits.watch(pid, startMillis);
        if (pid <= 0) {
            return;
        }
        List<Object> key = List.of(pid, startMillis);
        Peer p = peers.get(key);
        if (p == null) { // not computeIfAbsent with a lambda: no bootstrap on a fresh JVM's first connect
            Peer added = new Peer(base, pid, startMillis, peerTimeoutMillis);
            p = peers.putIfAbsent(key, added);
            if (p == null) {
                p = added;
            }
        }
        if (peerTimeoutMillis < p.timeoutMillis) {
            p.timeoutMillis = peerTimeoutMillis;
        }
        shortenInterval(heartbeatIntervalMillis(peerTimeoutMillis));
    }

    @Override
    public void beat(Path base, long peerTimeoutMillis, long nowMillis) {
        if (!ownBases.contains(base)) {
            heartbeats.write(base, nowMillis); // at once: a peer may look before the first tick
            ownBases.add(base);
        }
        shortenInterval(heartbeatIntervalMillis(peerTimeoutMillis));
    }

    @Override
    public boolean isSilent(long pid, long startMillis, long peerTimeoutMillis, long nowMillis) {
        Peer p = peers.get(List.of(pid, startMillis));
        if (p == null) {
            return false; // not watched: no heartbeat known
        }
        long hb = heartbeats.read(p.base, pid, startMillis);
        return hb != 0 && nowMillis - hb > peerTimeoutMillis;
    }

    @Override
    public long exits() {
        return processExits.exits() + verdicts.get();
    }

    private void shortenInterval(long millis) {
        if (millis < intervalMillis) {
            intervalMillis = millis;
            nextBeat = 0; // the next tick beats and checks by the new interval
            nextCheck = 0;
            wakeHousekeeper.run(); // it may have planned this task's next tick by the old interval (or none)
        }
    }

    // ------------------------------------------------------------------------------------------------ the task

    /** Writes this process's heartbeats and checks the peers' when due: the process's housekeeper calls it. */
    @Override
    public boolean tick(long nowMillis) {
        long interval = intervalMillis;
        if (interval == Long.MAX_VALUE) {
            return true; // nothing to beat or check yet
        }
        if (nowMillis >= nextBeat) {
            nextBeat = nowMillis + interval;
            for (Path base : ownBases) {
                heartbeats.write(base, nowMillis);
            }
        }
        if (nowMillis >= nextCheck) {
            nextCheck = nowMillis + interval;
            checkPeers(nowMillis);
        }
        return true;
    }

    /** One look at each peer process: dead ones are dropped, silent ones reported (each time they are found). */
    private void checkPeers(long nowMillis) {
        boolean verdict = false;
        for (Map.Entry<List<Object>, Peer> e : peers.entrySet()) {
            Peer p = e.getValue();
            if (!processExits.isAlive(p.pid, p.start)) {
                peers.remove(e.getKey(), p);
                heartbeats.forget(p.base, p.pid, p.start);
                verdict = true; // a death the exit watch may not report (a process it does not watch)
                continue;
            }
            long hb = heartbeats.read(p.base, p.pid, p.start);
            if (hb != 0 && nowMillis - hb > p.timeoutMillis) {
                verdict = true;
            }
        }
        if (verdict) {
            verdicts.incrementAndGet();
            wakeHousekeeper.run();
        }
    }

    /** Peer processes whose heartbeats are checked (tests, diagnostics). */
    public int watchedPeers() {
        return peers.size();
    }

    @Override
    public long idleIntervalNanos() {
        long interval = intervalMillis;
        // nothing to beat or check yet: a look every second all the same, should a wake-up for the first interval
        // come before the housekeeper could take it (while it starts)
        return TimeUnit.MILLISECONDS.toNanos(interval == Long.MAX_VALUE ? 1_000 : interval);
    }

    @Override
    public String toString() {
        if (this == HOST) {
            return "Liveness.PROCESSES";
        }
        return "ProcessLiveness{" + ownBases.size() + " bases, " + peers.size() + " peers, every "
                + (intervalMillis == Long.MAX_VALUE ? "-" : intervalMillis + " ms") + "}";
    }
}
