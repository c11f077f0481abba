package io.viaemu.protocol;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import io.viaemu.internal.Housekeeper;

/** One process's housekeeping, ticked by the test (or its ticker thread) instead of a housekeeper thread. */
final class ManualHousekeeping implements RoleEnvironment.Housekeeping {
    final List<Housekeeper.Task> tasks = new CopyOnWriteArrayList<>();

    /** With the process's own tasks first (its liveness: heartbeat and peers' checks), as the housekeeper has. */
    ManualHousekeeping(Housekeeper.Task... processTasks) {
        tasks.addAll(List.of(processTasks));
    }

    @Override
    public void add(Housekeeper.Task task, Path baseDir) {
        tasks.add(task);
    }

    @Override
    public void add(Housekeeper.Task task) {
        tasks.add(task);
    }

    @Override
    public void remove(Housekeeper.Task task) {
        tasks.remove(task);
    }

    /** One pass, as the housekeeper's: a task that returns false is removed. */
    void tick(long nowMillis) {
        for (Housekeeper.Task t : tasks) {
            if (!t.tick(nowMillis)) {
                tasks.remove(t);
            }
        }
    }
}
