package io.viaemu.protocol;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import io.viaemu.internal.Liveness;

/** Processes that live until the test kills them; a kill is reported like a watched process's exit. */
final class FakeLiveness implements Liveness {
    private final Set<Long> alive = ConcurrentHashMap.newKeySet();
    final Set<Long> watched = ConcurrentHashMap.newKeySet();
    private final AtomicLong exits = new AtomicLong();

    FakeLiveness(long... pids) {
        for (long p : pids) {
            alive.add(p);
        }
    }

    void kill(long pid) {
        alive.remove(pid);
        exits.incrementAndGet();
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
}
