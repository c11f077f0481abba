package io.viaemu.internal;

/**
 * Whether a peer process lives: what the roles ask before they take a connection over from a dead parent (T2),
 * fail it for a dead client or child, or delete the directory of a connection whose processes are gone. A process
 * is named by its pid and its start time (milliseconds since the epoch, 0: unknown), so that a reused pid is not
 * taken for the peer. The host's implementation is {@link #PROCESSES} (pidfds and /proc); tests drive a role with a
 * fake one.
 */
public interface Liveness {

    /** True while the process runs; one that exited and waits to be reaped (a zombie) is dead. */
    boolean isAlive(long pid, long startMillis);

    /** Asks for the exit of this process to be reported promptly (it then changes {@link #exits()}). */
    void watch(long pid, long startMillis);

    /** A count that changes whenever a watched process exits: a housekeeping pass checks liveness when it moved. */
    long exits();

    /** This host's processes: {@link ProcessExitWatch} (pidfds) where it watches the pid, else /proc. */
    Liveness PROCESSES = new Liveness() {
        @Override
        public boolean isAlive(long pid, long startMillis) {
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
            return ProcessExitWatch.exits();
        }

        @Override
        public String toString() {
            return "Liveness.PROCESSES";
        }
    };
}
