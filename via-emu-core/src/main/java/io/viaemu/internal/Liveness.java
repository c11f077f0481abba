package io.viaemu.internal;

import java.nio.file.Path;

/**
 * Whether a peer process lives and answers: what the roles ask before they take a connection over from a dead
 * parent (T2), fail it for a dead, stopped or wedged peer, or delete the directory of a connection whose processes
 * are gone. A process is named by its pid and its start time (milliseconds since the epoch, 0: unknown), so that a
 * reused pid is not taken for the peer. Liveness is a property of a process, not of a connection: a process beats
 * once per base directory ({@link #beat}), whatever the number of its connections, and the heartbeats of peer
 * processes are checked once per process ({@link ProcessLiveness}). The host's implementation is
 * {@link #PROCESSES}; tests drive a role with a fake one.
 */
public interface Liveness {

    /** True while the process runs; one that exited and waits to be reaped (a zombie) is dead. */
    boolean isAlive(long pid, long startMillis);

    /** Asks for the exit of this process to be reported promptly (it then changes {@link #exits()}). */
    void watch(long pid, long startMillis);

    /**
     * {@link #watch(long, long)}, and checks the process's heartbeat under {@code base}: a silence longer than
     * {@code peerTimeoutMillis} changes {@link #exits()} too (again at every check while it lasts).
     */
    void watch(Path base, long pid, long startMillis, long peerTimeoutMillis);

    /**
     * This process beats under {@code base} from now on (the first heartbeat at once), at least ten times per
     * {@code peerTimeoutMillis}: what its peers' {@link #isSilent} reads.
     */
    void beat(Path base, long peerTimeoutMillis, long nowMillis);

    /**
     * True if the heartbeat of process {@code pid}, {@link #watch(Path, long, long, long) watched}, is older than
     * {@code peerTimeoutMillis} at {@code nowMillis}: alive but stopped or wedged. False if none is known.
     */
    boolean isSilent(long pid, long startMillis, long peerTimeoutMillis, long nowMillis);

    /**
     * A count that changes whenever a watched process exits or is found silent: a housekeeping pass checks its
     * connections' peers when it moved.
     */
    long exits();

    /** This host's processes: heartbeats in the per-process doorbell files, exits from pidfds and /proc. */
    Liveness PROCESSES = ProcessLiveness.host();
}
