package io.viaemu.bench;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Map;

import net.openhft.affinity.Affinity;

/**
 * Entry point of the two benchmark peer JVMs started by {@link BenchMain}:
 * {@code PeerMain server|client <figure> <contender> <workDir> key=value...}.
 *
 * <p>The server listens in {@code <workDir>/endpoint}, publishes its address in {@code <workDir>/address} (atomic
 * rename) and serves the workload; the client reads the address and drives it. Each writes its results to
 * {@code <workDir>/<role>-result.properties} and exits 0; any failure exits 1 with a stack trace in its log.
 * Two daemon watchdogs make sure a peer never outlives its purpose: one halts the JVM when the harness's pipe on
 * stdin closes (the harness died or gave up), one halts it (after a thread dump) past the figure's time limit.
 */
public final class PeerMain {

    static final String ADDRESS_FILE = "address";
    static final String ENDPOINT_DIR = "endpoint";

    private PeerMain() {
    }

    static String resultFile(String role) {
        return role + "-result.properties";
    }

    public static void main(String[] args) {
        if (args.length < 4 || !(args[0].equals("server") || args[0].equals("client"))) {
            System.err.println("usage: PeerMain server|client <figure> <contender> <workDir> key=value...");
            System.exit(2);
        }
        String role = args[0];
        // Chronicle logs through SLF4J; INFO lines (e.g. "Took 5 ms to add mapping") would be written mid-measurement.
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        try {
            Figure figure = Figure.byId(args[1]);
            Contender contender = Contenders.create(args[2]);
            Path workDir = Path.of(args[3]);
            Params params = Params.fromArgs(Arrays.asList(args).subList(4, args.length));
            startWatchdogs(role, params.timeoutSec() + 15L);
            if (params.pin() == 1) {
                pinMainThread(role);
            }

            Map<String, String> result;
            if (role.equals("server")) {
                Path endpoint = Files.createDirectories(workDir.resolve(ENDPOINT_DIR));
                try (Contender.Listener listener = contender.listen(endpoint)) {
                    Path tmp = workDir.resolve(ADDRESS_FILE + ".tmp");
                    Files.writeString(tmp, listener.address(), StandardCharsets.UTF_8);
                    Files.move(tmp, workDir.resolve(ADDRESS_FILE), StandardCopyOption.ATOMIC_MOVE);
                    result = figure.serve(listener, params);
                }
            } else {
                String address = Files.readString(workDir.resolve(ADDRESS_FILE), StandardCharsets.UTF_8).trim();
                result = figure.drive(contender, address, params);
            }
            writeResult(workDir.resolve(resultFile(role)), result);
            System.out.flush();
            System.exit(0);
        } catch (Throwable t) {
            System.err.println(role + " failed:");
            t.printStackTrace();
            System.err.flush();
            Runtime.getRuntime().halt(1);
        }
    }

    /**
     * Pins the calling (measuring) thread: server to CPU 1, client to CPU 0, so that every contender gets the same
     * placement (the OS otherwise sometimes puts both on one CPU, which changes socket round trips several-fold on a
     * VM). JVM ergonomics, JIT and GC threads are left alone. Best effort: failure is logged and ignored.
     */
    private static void pinMainThread(String role) {
        int cpus = Runtime.getRuntime().availableProcessors();
        if (cpus < 2) {
            System.err.println(role + ": 1 CPU, not pinning");
            return;
        }
        int cpu = role.equals("server") ? 1 : 0;
        try {
            Affinity.setAffinity(cpu);
            System.err.println(role + ": main thread pinned to CPU " + cpu + ", affinity now " + Affinity.getAffinity());
        } catch (Throwable t) {
            System.err.println(role + ": could not pin the main thread to CPU " + cpu + ": " + t);
        }
    }

    private static void writeResult(Path file, Map<String, String> result) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            for (Map.Entry<String, String> e : result.entrySet()) {
                w.write(e.getKey() + "=" + e.getValue() + "\n");
            }
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
    }

    private static void startWatchdogs(String role, long limitSec) {
        Thread parent = new Thread(() -> {
            try {
                while (System.in.read() >= 0) {
                    // the harness never writes; end of stream means it is gone
                }
            } catch (IOException ignored) {
                // treated like end of stream
            }
            System.err.println(role + ": harness gone (stdin closed), halting");
            Runtime.getRuntime().halt(4);
        }, "bench-parent-watch");
        parent.setDaemon(true);
        parent.start();

        Thread deadline = new Thread(() -> {
            try {
                Thread.sleep(limitSec * 1000);
            } catch (InterruptedException e) {
                return;
            }
            System.err.println(role + ": still running after " + limitSec + " s, halting. Threads:");
            Thread.getAllStackTraces().forEach((thread, stack) -> {
                System.err.println("\"" + thread.getName() + "\" " + thread.getState());
                for (StackTraceElement frame : stack) {
                    System.err.println("    at " + frame);
                }
            });
            System.err.flush();
            Runtime.getRuntime().halt(3);
        }, "bench-deadline");
        deadline.setDaemon(true);
        deadline.start();
    }
}
