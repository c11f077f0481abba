package io.viaemu.protocol;

import java.nio.file.Path;

import io.viaemu.ViaConfig;
import io.viaemu.internal.Clock;
import io.viaemu.internal.Housekeeper;
import io.viaemu.internal.Liveness;
import io.viaemu.internal.Processes;

/**
 * What a role reads from the world around it: the time its timeouts go by, whether its peers live, who it is
 * (pid and start time, written into the flag block), and the housekeeping that ticks it (heartbeats, liveness,
 * handover steps of an idle end). {@link #host} is the real one; tests drive a role with a fake clock, fake
 * liveness, a made-up identity per role and ticks of their own.
 */
public final class RoleEnvironment {

    /** Where a role's periodic work is scheduled. */
    public interface Housekeeping {
        /** Ticks {@code task} from now on; its peers under {@code baseDir} may wake this process's housekeeper. */
        void add(Housekeeper.Task task, Path baseDir);

        /** Ticks {@code task} from now on. */
        void add(Housekeeper.Task task);

        void remove(Housekeeper.Task task);
    }

    private final Clock clock;
    private final Liveness liveness;
    private final Housekeeping housekeeping;
    private final long pid;
    private final long start;

    public RoleEnvironment(Clock clock, Liveness liveness, Housekeeping housekeeping, long pid, long startMillis) {
        this.clock = clock;
        this.liveness = liveness;
        this.housekeeping = housekeeping;
        this.pid = pid;
        this.start = startMillis;
    }

    /** This process on this host: the system clock, /proc and pidfds, the process's housekeeper. */
    public static RoleEnvironment host(ViaConfig config) {
        long interval = config.pollInterval().toNanos();
        Housekeeping housekeeper = new Housekeeping() {
            @Override
            public void add(Housekeeper.Task task, Path baseDir) {
                Housekeeper.get(interval).add(task, baseDir);
            }

            @Override
            public void add(Housekeeper.Task task) {
                Housekeeper.get(interval).add(task);
            }

            @Override
            public void remove(Housekeeper.Task task) {
                Housekeeper.get(interval).remove(task);
            }
        };
        return new RoleEnvironment(Clock.SYSTEM, Liveness.PROCESSES, housekeeper, Processes.currentPid(),
                Processes.currentStart());
    }

    public Clock clock() {
        return clock;
    }

    public Liveness liveness() {
        return liveness;
    }

    public Housekeeping housekeeping() {
        return housekeeping;
    }

    /** The pid this role writes into the flag block as its own. */
    public long pid() {
        return pid;
    }

    /** The start time (epoch millis) that goes with {@link #pid()}. */
    public long start() {
        return start;
    }
}
