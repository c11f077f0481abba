package io.viaemu.bench;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

/**
 * The first-connect figures that launch a fresh client JVM several times and show the median
 * ({@link Figure#freshClientRuns()}): each run is a fresh server and a fresh client ({@link PeerPair}). Besides the
 * client's own timing of its first connect ({@code connect_ns}), each run is timed from outside: from the moment
 * this process launched the client JVM to the client's first connect done ({@code process_ns}, both read from the
 * machine's wall clock), which is what issue 11's table called "first connect in a fresh JVM" (JVM start, class
 * loading and the connect together).
 *
 * <p>{@link Figure#FIRST_CONNECT_CDS}: before the measured runs, one training run of the same workload whose client
 * JVM writes a dynamic application class-data archive at its exit ({@code -XX:ArchiveClassesAtExit}, JDK 13+);
 * the measured clients map it ({@code -XX:SharedArchiveFile}). Each contender trains an archive of its own (TCP's
 * client too: the bench's own classes and the JDK classes outside the JDK's default archive are in it). The JVM
 * archives only classes loaded from jar files, so both peers of these runs use a classpath whose directories
 * (the bench's {@code target/classes}) are packed into jars first. {@link Figure#FIRST_CONNECT_AOT}: the same with
 * JDK 24+'s AOT cache ({@code -XX:AOTCacheOutput}, then {@code -XX:AOTCache}; JDK 25+ here, one-step training).
 */
final class FreshClientRuns {
    /** Client result key: this process's wall clock (µs since the epoch) just before it launched the client JVM. */
    static final String LAUNCHED_AT_US = "launched_at_us";
    /** Client result key: the client's wall clock (µs since the epoch) when its first connect returned. */
    static final String CONNECTED_AT_US = "connected_at_us";

    private static final List<String> MEDIAN_KEYS = List.of("connect_ns", "connect_and_echo_ns", "jvm_uptime_ms",
            "process_ns");

    private final PeerPair pairs;
    private final int runs;
    private Path jarDir;
    private String jarClasspath;

    FreshClientRuns(PeerPair pairs, int runs) {
        if (runs < 1) {
            throw new IllegalArgumentException("runs must be >= 1, was " + runs);
        }
        this.pairs = pairs;
        this.runs = runs;
    }

    PeerPair.Outcome run(String contender, Figure figure, Params pinnable) {
        // Unpinned: pinning loads JNA and SLF4J (Chronicle's affinity library) into the client before its clock
        // starts, which a TCP client never needs and a via client pays for in its first connect; timed from the
        // launch, the client must load nothing that its first connect does not.
        Params params = pinnable.with("pin", 0);
        switch (figure) {
            case FIRST_CONNECT_PROCESS:
                return measure(contender, figure, params, List.of(), pairs.classpath(), 0);
            case FIRST_CONNECT_CDS:
                return trained(contender, figure, params, "jsa", "-XX:ArchiveClassesAtExit=",
                        // -Xshare:on: a client that cannot map the archive fails rather than running without it
                        List.of("-Xshare:on", "-XX:SharedArchiveFile="));
            case FIRST_CONNECT_AOT:
                if (Runtime.version().feature() < 25) {
                    return failed("needs JDK 25+ (-XX:AOTCacheOutput); this bench runs on " + Runtime.version());
                }
                // -XX:AOTMode=on: a client that cannot use the cache fails rather than running without it
                return trained(contender, figure, params, "aot", "-XX:AOTCacheOutput=",
                        List.of("-XX:AOTMode=on", "-XX:AOTCache="));
            default:
                throw new IllegalArgumentException(figure + " is not a fresh-client figure");
        }
    }

    /**
     * One training run whose client writes the archive ({@code trainOption} + file), then the measured runs with
     * {@code useOptions} (the last one gets the file appended).
     */
    private PeerPair.Outcome trained(String contender, Figure figure, Params params, String suffix,
                                     String trainOption, List<String> useOptions) {
        long start = System.nanoTime();
        String classpath;
        try {
            classpath = jarClasspath();
        } catch (IOException | UncheckedIOException e) {
            return failed("cannot pack the classpath's directories into jars: " + e);
        }
        Path archive = pairs.tmpRoot().resolve("via-bench-" + contender + "-" + ProcessHandle.current().pid() + "."
                + suffix);
        try {
            Files.deleteIfExists(archive);
            PeerPair.Outcome training = pairs.run(contender, figure, params, List.of(trainOption + archive),
                    classpath);
            if (!training.ok()) {
                return failed("training run: " + training.error());
            }
            if (!Files.isRegularFile(archive)) {
                return failed("the training run wrote no archive at " + archive);
            }
            long archiveBytes = Files.size(archive);
            List<String> options = new ArrayList<>(useOptions);
            int last = options.size() - 1;
            options.set(last, options.get(last) + archive);
            PeerPair.Outcome measured = measure(contender, figure, params, options, classpath,
                    (System.nanoTime() - start) / 1e9);
            if (measured.ok()) {
                measured.client().put("archive_kib", Long.toString(archiveBytes / 1024));
            }
            return measured;
        } catch (IOException e) {
            return failed("archive " + archive + ": " + e);
        } finally {
            try {
                Files.deleteIfExists(archive);
            } catch (IOException e) {
                System.err.println("[bench] could not delete " + archive + ": " + e);
            }
        }
    }

    /** {@link #runs} runs; the client's figures are the medians of the runs' (also the min and max of process_ns). */
    private PeerPair.Outcome measure(String contender, Figure figure, Params params, List<String> clientOptions,
                                     String classpath, double secondsBefore) {
        Map<String, List<Double>> values = new LinkedHashMap<>();
        for (String key : MEDIAN_KEYS) {
            values.put(key, new ArrayList<>());
        }
        double seconds = secondsBefore;
        Map<String, String> server = Map.of();
        for (int i = 0; i < runs; i++) {
            PeerPair.Outcome o = pairs.run(contender, figure, params, clientOptions, classpath);
            seconds += o.seconds();
            if (!o.ok()) {
                return new PeerPair.Outcome(Map.of(), Map.of(), "run " + (i + 1) + " of " + runs + ": " + o.error(),
                        seconds);
            }
            server = o.server();
            long processMicros = Long.parseLong(o.client().get(CONNECTED_AT_US))
                    - Long.parseLong(o.client().get(LAUNCHED_AT_US));
            values.get("process_ns").add(processMicros * 1000.0);
            for (String key : MEDIAN_KEYS) {
                if (!key.equals("process_ns")) {
                    values.get(key).add(o.value(key));
                }
            }
        }
        Map<String, String> client = new LinkedHashMap<>();
        for (Map.Entry<String, List<Double>> e : values.entrySet()) {
            client.put(e.getKey(), Double.toString(median(e.getValue())));
        }
        List<Double> process = values.get("process_ns");
        client.put("process_min_ns", Double.toString(process.stream().mapToDouble(Double::doubleValue).min()
                .orElse(0)));
        client.put("process_max_ns", Double.toString(process.stream().mapToDouble(Double::doubleValue).max()
                .orElse(0)));
        client.put("connect_runs_ms", runsInMillis(values.get("connect_ns")));
        client.put("runs", Integer.toString(runs));
        return new PeerPair.Outcome(client, server, null, seconds);
    }

    private static String runsInMillis(List<Double> nanos) {
        StringBuilder sb = new StringBuilder();
        for (double n : nanos) {
            sb.append(sb.length() == 0 ? "" : " ").append(Report.number(n / 1e6));
        }
        return sb.toString();
    }

    static double median(List<Double> values) {
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static PeerPair.Outcome failed(String error) {
        System.err.println("[bench] FAILED: " + error);
        return new PeerPair.Outcome(Map.of(), Map.of(), error, 0);
    }

    /** The peers' classpath with every directory entry packed into a jar (made once per harness run). */
    private synchronized String jarClasspath() throws IOException {
        if (jarClasspath != null) {
            return jarClasspath;
        }
        Files.createDirectories(pairs.tmpRoot());
        jarDir = Files.createTempDirectory(pairs.tmpRoot(), "via-bench-jars-");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> PeerPair.deleteTree(jarDir), "bench-jars-cleanup"));
        List<String> entries = new ArrayList<>();
        int n = 0;
        for (String entry : pairs.classpath().split(File.pathSeparator)) {
            Path p = entry.isEmpty() || entry.endsWith("*") ? null : Path.of(entry);
            if (p != null && Files.isDirectory(p)) {
                Path jar = jarDir.resolve((n++) + "-" + p.getParent().getFileName() + "-" + p.getFileName() + ".jar");
                pack(p, jar);
                entries.add(jar.toString());
            } else if (!entry.isEmpty()) {
                entries.add(entry);
            }
        }
        jarClasspath = String.join(File.pathSeparator, entries);
        return jarClasspath;
    }

    private static void pack(Path dir, Path jar) throws IOException {
        try (OutputStream out = Files.newOutputStream(jar);
             JarOutputStream jarOut = new JarOutputStream(out);
             Stream<Path> files = Files.walk(dir)) {
            Path[] sorted = files.filter(Files::isRegularFile).sorted().toArray(Path[]::new);
            for (Path f : sorted) {
                String name = String.join("/", Arrays.stream(dir.relativize(f).toString().split(File.separator))
                        .toArray(String[]::new));
                jarOut.putNextEntry(new JarEntry(name));
                Files.copy(f, jarOut);
                jarOut.closeEntry();
            }
        }
    }

    /** Deletes the jars made for the archive runs. */
    void close() {
        if (jarDir != null) {
            PeerPair.deleteTree(jarDir);
        }
    }
}
