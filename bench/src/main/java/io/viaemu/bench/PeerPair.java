package io.viaemu.bench;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * Runs one figure of one contender in two fresh JVMs (server, then client once the server published its address),
 * waits for both within the figure's time limit, kills whatever hangs, collects the results and deletes the work
 * directory (queues, socket file, logs). Only these two peers run while it does.
 */
final class PeerPair {

    /** How long one peer may take to finish after the other finished cleanly. */
    private static final long GRACE_MS = 30_000;
    private static final long STARTUP_LIMIT_MS = 60_000;
    private static final int LOG_TAIL_LINES = 30;
    /** How long a first-connect figure's server runs before its client is launched. */
    private static final long SERVER_SETTLE_MS = 1_000;

    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();
    private static final Set<Path> DIRS = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            LIVE.forEach(PeerPair::kill);
            DIRS.forEach(PeerPair::deleteTree);
        }, "bench-cleanup"));
    }

    /** Result of one figure: either the client's (and server's) result values, or why it failed. */
    record Outcome(Map<String, String> client, Map<String, String> server, String error, double seconds) {
        boolean ok() {
            return error == null;
        }

        double value(String key) {
            return Double.parseDouble(client.get(key));
        }
    }

    private final String javaBinary;
    private final List<String> jvmOptions;
    private final String classpath;
    private final Path tmpRoot;
    private final Path failureLogDir;

    /** {@code failureLogDir}: where the peers' whole logs are kept when a figure fails (the work dir is deleted). */
    PeerPair(String javaBinary, List<String> jvmOptions, String classpath, Path tmpRoot, Path failureLogDir) {
        this.failureLogDir = failureLogDir.toAbsolutePath();
        this.javaBinary = javaBinary;
        this.jvmOptions = jvmOptions;
        this.classpath = absolute(classpath);
        this.tmpRoot = tmpRoot.toAbsolutePath();
    }

    /** Peers run in their work directory, so relative classpath entries are made absolute. */
    static String absolute(String classpath) {
        List<String> entries = new ArrayList<>();
        for (String entry : classpath.split(File.pathSeparator)) {
            if (!entry.isEmpty()) {
                entries.add(entry.endsWith("*") ? entry : Path.of(entry).toAbsolutePath().toString());
            }
        }
        return String.join(File.pathSeparator, entries);
    }

    String classpath() {
        return classpath;
    }

    Path tmpRoot() {
        return tmpRoot;
    }

    static String currentJava() {
        return ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    Outcome run(String contender, Figure figure, Params params) {
        return run(contender, figure, params, List.of(), classpath);
    }

    /**
     * As {@link #run(String, Figure, Params)}, the client JVM with {@code clientOptions} added and both peers on
     * {@code peerClasspath}; the client's result also has {@link FreshClientRuns#LAUNCHED_AT_US}, this process's
     * wall clock just before the client JVM was launched.
     */
    Outcome run(String contender, Figure figure, Params params, List<String> clientOptions, String peerClasspath) {
        long start = System.nanoTime();
        String name = figure.id() + "-" + contender;
        Path work;
        try {
            Files.createDirectories(tmpRoot);
            work = Files.createTempDirectory(tmpRoot, "via-bench-" + contender + "-" + figure.id() + "-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a work directory under " + tmpRoot, e);
        }
        DIRS.add(work);
        Process server = null;
        Process client = null;
        try {
            server = start("server", contender, figure, params, work, List.of(), peerClasspath);
            Path address = work.resolve(PeerMain.ADDRESS_FILE);
            long readyBy = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(
                    Math.min(STARTUP_LIMIT_MS, params.timeoutSec() * 1000L));
            while (!Files.exists(address)) {
                if (!server.isAlive()) {
                    return fail(start, work, name, "server exited with code " + server.exitValue()
                            + " before publishing its address");
                }
                if (System.nanoTime() > readyBy) {
                    return fail(start, work, name, "server did not publish its address in time");
                }
                Thread.sleep(10);
            }
            if (figure.firstConnect()) {
                // a server is up well before its first client: its start-up (JIT, the acceptor's warm-up) must not
                // share the CPUs with the fresh client being timed (on 2 cores that doubled via's first connect)
                Thread.sleep(SERVER_SETTLE_MS);
            }
            long launchedAtMicros = Figure.wallClockMicros();
            client = start("client", contender, figure, params, work, clientOptions, peerClasspath);

            long deadline = start + TimeUnit.SECONDS.toNanos(params.timeoutSec());
            try {
                CompletableFuture.anyOf(server.onExit(), client.onExit()).get(remainingMs(deadline), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                threadDump(client);
                threadDump(server);
                return fail(start, work, name, "timeout: still running after " + params.timeoutSec() + " s ("
                        + (client.isAlive() ? "client" : "") + (client.isAlive() && server.isAlive() ? " and " : "")
                        + (server.isAlive() ? "server" : "") + " killed)");
            }
            for (Process p : new Process[] {client, server}) {
                if (!p.isAlive() && p.exitValue() != 0) {
                    return fail(start, work, name, role(p, client) + " failed with exit code " + p.exitValue());
                }
            }
            Process other = client.isAlive() ? client : server;
            try {
                other.onExit().get(GRACE_MS, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                threadDump(other);
                return fail(start, work, name, role(other, client) + " did not finish within " + GRACE_MS / 1000
                        + " s after the " + role(other == client ? server : client, client) + " (killed)");
            }
            if (other.exitValue() != 0) {
                return fail(start, work, name, role(other, client) + " failed with exit code " + other.exitValue());
            }
            Map<String, String> clientResult = readResult(work.resolve(PeerMain.resultFile("client")));
            clientResult.put(FreshClientRuns.LAUNCHED_AT_US, Long.toString(launchedAtMicros));
            Map<String, String> serverResult = readResult(work.resolve(PeerMain.resultFile("server")));
            return new Outcome(clientResult, serverResult, null, seconds(start));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return fail(start, work, name, "interrupted");
        } catch (IOException | ExecutionException e) {
            return fail(start, work, name, "harness error: " + e);
        } finally {
            kill(client);
            kill(server);
            deleteTree(work);
            DIRS.remove(work);
        }
    }

    private Process start(String role, String contender, Figure figure, Params params, Path work,
                          List<String> extraOptions, String peerClasspath) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(javaBinary);
        command.addAll(jvmOptions);
        command.addAll(extraOptions);
        command.add("-cp");
        command.add(peerClasspath);
        command.add(PeerMain.class.getName());
        command.add(role);
        command.add(figure.id());
        command.add(contender);
        command.add(work.toString());
        command.addAll(params.toArgs());
        Process process = new ProcessBuilder(command)
                .directory(work.toFile())
                .redirectErrorStream(true)
                .redirectOutput(work.resolve(role + ".log").toFile())
                .start(); // stdin stays a pipe: the peer halts when it closes (see PeerMain)
        LIVE.add(process);
        return process;
    }

    private static String role(Process p, Process client) {
        return p == client ? "client" : "server";
    }

    private static long remainingMs(long deadlineNanos) {
        return Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
    }

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    /** Builds a failed outcome, echoing the tail of both peers' logs to stderr (the work dir is deleted next). */
    private Outcome fail(long start, Path work, String name, String error) {
        StringBuilder logs = new StringBuilder();
        for (String role : new String[] {"server", "client"}) {
            Path log = work.resolve(role + ".log");
            if (Files.exists(log)) {
                try {
                    Files.createDirectories(failureLogDir);
                    Path kept = failureLogDir.resolve(name + "-" + role + ".log");
                    Files.copy(log, kept, StandardCopyOption.REPLACE_EXISTING);
                    logs.append("  whole log: ").append(kept).append('\n');
                    List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
                    logs.append("  --- ").append(role).append(".log (last ").append(LOG_TAIL_LINES).append(" lines)\n");
                    lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size())
                            .forEach(l -> logs.append("  ").append(l).append('\n'));
                } catch (IOException | RuntimeException e) {
                    logs.append("  (cannot read ").append(log).append(": ").append(e).append(")\n");
                }
            }
        }
        System.err.println("[bench] FAILED: " + error + "\n" + logs);
        return new Outcome(Map.of(), Map.of(), error, seconds(start));
    }

    private static Map<String, String> readResult(Path file) throws IOException {
        Map<String, String> result = new LinkedHashMap<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                result.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return result;
    }

    /** Best effort: SIGQUIT makes a HotSpot JVM print its threads to its log, which {@link #fail} then shows. */
    private static void threadDump(Process process) {
        if (process == null || !process.isAlive()) {
            return;
        }
        try {
            new ProcessBuilder("kill", "-QUIT", Long.toString(process.pid())).inheritIO().start()
                    .waitFor(5, TimeUnit.SECONDS);
            Thread.sleep(500);
        } catch (IOException e) {
            // no kill(1): no dump
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static void kill(Process process) {
        if (process == null) {
            return;
        }
        if (process.isAlive()) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        LIVE.remove(process);
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        } catch (IOException | UncheckedIOException e) {
            System.err.println("[bench] could not delete " + dir + ": " + e);
        }
    }
}
