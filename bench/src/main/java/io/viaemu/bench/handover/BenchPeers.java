package io.viaemu.bench.handover;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.viaemu.internal.JvmOptions;

/** The handover benchmarks' peer JVMs: started on this classpath with the channel's JVM options, waited on by file. */
final class BenchPeers {
    /** Peers log warnings only: a line per handover would be part of what is measured. */
    static final String QUIET = "-Dorg.slf4j.simpleLogger.defaultLogLevel="
            + System.getProperty("via.bench.peerLogLevel", "warn");

    private BenchPeers() {
    }

    /** Starts {@code main} with {@code args} (JVM options first), its output to {@code log}. */
    static Process start(Path log, List<String> jvmOptions, Class<?> main, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.addAll(JvmOptions.channelOptions());
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(main.getName());
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** Waits until {@code file} exists; fails when {@code server} ended first or after {@code seconds}. */
    static void awaitFile(Path file, Process server, int seconds, Path logs) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!Files.exists(file)) {
            if (!server.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException(file.getFileName() + " did not appear (server alive: "
                        + server.isAlive() + "); logs in " + logs);
            }
            Thread.sleep(10);
        }
    }

    /** With -Dvia.bench.keepLogs=DIR: the peers' logs under {@code base} copied there before the base is deleted. */
    static void keepLogs(Path base) throws IOException {
        String keep = System.getProperty("via.bench.keepLogs");
        if (keep == null) {
            return;
        }
        Path to = Path.of(keep);
        Files.createDirectories(to);
        try (Stream<Path> files = Files.walk(base)) {
            for (Path f : (Iterable<Path>) files.filter(x -> x.toString().endsWith(".log"))::iterator) {
                Files.copy(f, to.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        System.out.println("peers' logs copied to " + to);
    }
}
