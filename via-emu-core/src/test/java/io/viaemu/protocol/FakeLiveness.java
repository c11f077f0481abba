package io.viaemu.protocol;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import io.viaemu.internal.ProcessLiveness;

/**
 * Processes that live until the test kills them (a kill is reported like a watched process's exit), and their
 * heartbeats in memory: what the roles' {@link ProcessLiveness} instances read and write in place of the host's
 * pidfds and doorbell files. A made-up process beats only while its housekeeping is ticked.
 */
final class FakeLiveness implements ProcessLiveness.Exits, ProcessLiveness.Heartbeats {
    private final Set<Long> alive = ConcurrentHashMap.newKeySet();
    final Set<Long> watched = ConcurrentHashMap.newKeySet();
    private final AtomicLong exits = new AtomicLong();
    private final Map<Long, Long> heartbeats = new ConcurrentHashMap<>();

    FakeLiveness(long... pids) {
        for (long p : pids) {
            alive.add(p);
        }
    }

    void kill(long pid) {
        alive.remove(pid);
        exits.incrementAndGet();
    }

    /** The liveness one made-up process {@code pid} sees the world through, beating into these heartbeats. */
    ProcessLiveness of(long pid) {
        return new ProcessLiveness(new ProcessLiveness.Heartbeats() {
            @Override
            public void write(Path base, long millis) {
                heartbeats.put(pid, millis);
            }

            @Override
            public long read(Path base, long peer, long startMillis) {
                return FakeLiveness.this.read(base, peer, startMillis);
            }

            @Override
            public void forget(Path base, long peer, long startMillis) {
            }
        }, this, () -> { });
    }

    @Override
    public boolean isAlive(long pid, long startMillis) {
        return alive.contains(pid);
    }

    @Override
    public void watch(long pid, long startMillis) {
        watched.add(pid);
    }

    @Override
    public long exits() {
        return exits.get();
    }

    @Override
    public void write(Path base, long millis) {
        throw new UnsupportedOperationException("each made-up process beats through of(pid)");
    }

    @Override
    public long read(Path base, long pid, long startMillis) {
        return heartbeats.getOrDefault(pid, 0L);
    }

    @Override
    public void forget(Path base, long pid, long startMillis) {
    }
}
