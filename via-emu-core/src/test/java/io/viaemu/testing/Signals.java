package io.viaemu.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** Job-control signals for tests, with a stop that is complete when it returns. */
public final class Signals {
    private Signals() {
    }

    /**
     * SIGSTOP, then waits until every thread of the process is stopped: kill(2) returns before they are (one of its
     * threads must take the signal and stop the others), and on a loaded machine the process goes on running for a
     * while; a test that counts on it being stopped must not start before.
     */
    public static void stop(long pid) throws Exception {
        signal("STOP", pid);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!threadStates(pid).equals(Set.of("T"))) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("process " + pid + " not stopped 10 s after SIGSTOP: " + threadStates(pid));
            }
            Thread.sleep(1);
        }
    }

    /** SIGCONT. */
    public static void resume(long pid) throws Exception {
        signal("CONT", pid);
    }

    /** The states (R, S, D, T, ...) of the process's threads, from /proc/PID/task/TID/stat ("t", traced, as "T"). */
    public static Set<String> threadStates(long pid) throws IOException {
        Set<String> states = new HashSet<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path t : (Iterable<Path>) tasks::iterator) {
                try {
                    String stat = Files.readString(t.resolve("stat"));
                    int end = stat.lastIndexOf(')');
                    String state = stat.substring(end + 2, end + 3);
                    states.add(state.equals("t") ? "T" : state);
                } catch (NoSuchFileException gone) {
                    // a thread that ended meanwhile
                }
            }
        }
        return states;
    }

    private static void signal(String sig, long pid) throws Exception {
        new ProcessBuilder("kill", "-" + sig, Long.toString(pid)).inheritIO().start().waitFor(10, TimeUnit.SECONDS);
    }
}
