package io.viaemu.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The benchmark harness. For every selected figure and contender it starts a server and a client JVM (same java
 * binary and classpath as this one, JVM options from the project's {@code jvm.args}), one pair at a time, and
 * prints a Markdown table with every figure also as a ratio against TCP loopback from the same run; the table is
 * also written to {@code --out} (default {@code bench/target/bench-results.md}). Progress goes to stderr.
 *
 * <p>Exit code 0 when every figure was measured, 1 when any failed (the table says which and why), 2 on bad
 * arguments. Usage: see {@link #USAGE} or {@code bench/run.sh --help}.
 */
public final class BenchMain {

    static final int FULL_FIRST_CONNECT_RUNS = 5;
    static final int QUICK_FIRST_CONNECT_RUNS = 2;

    static final String USAGE = String.join("\n",
            "usage: BenchMain [options]",
            "  --quick                  small counts for a smoke run (few thousand round trips)",
            "  --contenders a,b,...     default " + String.join(",", Contenders.names()) + " (ratios need tcp)",
            "  --figures a,b,...        of " + Figure.ids() + "; default all but idle10000 (by hand)",
            "  --rtt-warmup N           round trips before measuring (default " + Params.FULL.rttWarmup()
                    + ", quick " + Params.QUICK.rttWarmup() + ")",
            "  --rtt-warmup-ms N        and for at least N ms (default " + Params.FULL.rttWarmupMillis() + ", quick "
                    + Params.QUICK.rttWarmupMillis() + "; at most 1 GiB of payload): the JIT's compilations",
            "                           preempt spinning peers on a small machine; they must be over before measuring",
            "  --rtt-iterations N       measured round trips per size (default " + Params.FULL.rttIterations()
                    + ", quick " + Params.QUICK.rttIterations() + ")",
            "  --stream-warmup-mib N    MiB streamed before measuring (default " + Params.FULL.streamWarmupMiB()
                    + ", quick " + Params.QUICK.streamWarmupMiB() + ")",
            "  --stream-mib N           MiB per measured round (default " + Params.FULL.streamRoundMiB()
                    + ", quick " + Params.QUICK.streamRoundMiB() + ")",
            "  --stream-rounds N        measured rounds, median shown (default " + Params.FULL.streamRounds()
                    + ", quick " + Params.QUICK.streamRounds() + ")",
            "  --connect-warmup N       connects before measuring (default " + Params.FULL.connectWarmup()
                    + ", quick " + Params.QUICK.connectWarmup() + ")",
            "  --connects N             measured connects, median shown (default " + Params.FULL.connects()
                    + ", quick " + Params.QUICK.connects() + ")",
            "  --idle-sec N             seconds the idle-CPU figures measure (default " + Params.FULL.idleSeconds()
                    + ", quick " + Params.QUICK.idleSeconds() + ")",
            "  --wake-iterations N      round trips from parked readers (default " + Params.FULL.wakeIterations()
                    + ", quick " + Params.QUICK.wakeIterations() + ")",
            "  --timeout-sec N          limit per figure; a peer still running is killed (default "
                    + Params.FULL.timeoutSec() + ", quick " + Params.QUICK.timeoutSec() + ")",
            "  --pin split|none         split (default): pin the peers' measuring threads to different CPUs (server 1,",
            "                           client 0); none: let the OS place them",
            "  --out FILE               Markdown output (default bench/target/bench-results.md if ./bench exists,",
            "                           else target/bench-results.md)",
            "  --tmp-dir DIR            where work dirs (queues, sockets, logs) go (default: where via-emu puts its queues",
            "                           by default, tmpfs: $XDG_RUNTIME_DIR, else /dev/shm, else java.io.tmpdir)",
            "  --lock-wait-sec N        wait at most N s for another run holding the machine-wide bench lock",
            "                           (default 1800)",
            "  --no-lock                do not take the lock (smoke tests: their numbers do not matter)",
            "  --first-connect-runs N   fresh client JVMs per contender of firstconnect-process, -cds, -aot, median",
            "                           shown (default " + FULL_FIRST_CONNECT_RUNS + ", quick " + QUICK_FIRST_CONNECT_RUNS + ")",
            "JVM options of the peers: -Dvia.jvmArgsFile=<jvm.args>, else classpath META-INF/via-emu/jvm.args.");

    private static final Map<String, String> NUMERIC = Map.ofEntries(
            Map.entry("--rtt-warmup", "rttWarmup"),
            Map.entry("--rtt-warmup-ms", "rttWarmupMillis"),
            Map.entry("--rtt-iterations", "rttIterations"),
            Map.entry("--stream-warmup-mib", "streamWarmupMiB"),
            Map.entry("--stream-mib", "streamRoundMiB"),
            Map.entry("--stream-rounds", "streamRounds"),
            Map.entry("--connect-warmup", "connectWarmup"),
            Map.entry("--connects", "connects"),
            Map.entry("--timeout-sec", "timeoutSec"),
            Map.entry("--idle-sec", "idleSeconds"),
            Map.entry("--wake-iterations", "wakeIterations"));

    /** Parsed command line. */
    record Options(boolean quick, List<String> contenders, List<Figure> figures, Params params, Path out,
                   Path tmpDir, long lockWaitSec, int firstConnectRuns) {
    }

    private BenchMain() {
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the benchmark; returns the process exit code. */
    public static int run(String[] args) {
        Options options;
        try {
            options = parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.err.println(USAGE);
            return 2;
        }
        if (options == null) {
            System.out.println(USAGE);
            return 0;
        }
        if (options.lockWaitSec() < 0) {
            return runLocked(options);
        }
        try (BenchLock lock = BenchLock.acquire(BenchLock.DEFAULT_FILE, options.lockWaitSec())) {
            return runLocked(options);
        } catch (IOException e) {
            System.err.println("[bench] " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        }
    }

    private static int runLocked(Options options) {
        JvmOptions jvm = JvmOptions.load();
        Machine machine = Machine.describe();
        PeerPair pairs = new PeerPair(PeerPair.currentJava(), jvm.options(), System.getProperty("java.class.path"),
                options.tmpDir(), options.out().toAbsolutePath().resolveSibling("bench-failure-logs"));
        if (!options.contenders().contains(Contenders.BASELINE)) {
            System.err.println("[bench] note: " + Contenders.BASELINE + " is not among the contenders, so no ratios");
        }
        System.err.println("[bench] " + machine.nproc() + " CPUs, " + machine.cpuModel() + ", " + machine.jdk());
        System.err.println("[bench] peer JVM options from " + jvm.source() + ": " + String.join(" ", jvm.options()));

        double loadBefore = Machine.loadAverage();
        if (loadBefore > 0.5) {
            System.err.printf(Locale.ROOT, "[bench] warning: 1-minute load average is %.2f before starting: other "
                    + "processes are running and will perturb the figures%n", loadBefore);
        }
        long start = System.nanoTime();
        FreshClientRuns freshClients = new FreshClientRuns(pairs, options.firstConnectRuns());
        boolean allOk = true;
        Map<Figure, Map<String, PeerPair.Outcome>> results = new EnumMap<>(Figure.class);
        // Figure-major order: the contenders of one figure run back to back, under the same machine conditions.
        for (Figure figure : options.figures()) {
            Map<String, PeerPair.Outcome> byContender = new LinkedHashMap<>();
            results.put(figure, byContender);
            for (String contender : options.contenders()) {
                if (!figure.measures(contender)) {
                    continue; // shown as "–"
                }
                System.err.printf(Locale.ROOT, "[bench] %-9s %-10s ...%n", figure.id(), contender);
                PeerPair.Outcome outcome = figure.freshClientRuns()
                        ? freshClients.run(contender, figure, options.params())
                        : pairs.run(contender, figure, options.params());
                byContender.put(contender, outcome);
                allOk &= outcome.ok();
                System.err.printf(Locale.ROOT, "[bench] %-9s %-10s %s (%.1f s)%n", figure.id(), contender,
                        outcome.ok() ? summary(figure, outcome) : "FAILED: " + outcome.error(), outcome.seconds());
            }
        }
        freshClients.close();
        String markdown = Report.render(machine, jvm, options, results, (System.nanoTime() - start) / 1e9,
                loadBefore, Machine.loadAverage());
        System.out.print(markdown);
        System.out.flush();
        try {
            Path out = options.out().toAbsolutePath();
            Files.createDirectories(out.getParent());
            Files.writeString(out, markdown, StandardCharsets.UTF_8);
            System.err.println("[bench] wrote " + out);
        } catch (IOException e) {
            System.err.println("[bench] cannot write " + options.out() + ": " + e);
            return 1;
        }
        return allOk ? 0 : 1;
    }

    private static String summary(Figure figure, PeerPair.Outcome o) {
        switch (figure) {
            case RTT_64: case RTT_4K:
                return String.format(Locale.ROOT, "p50 %s µs, p99 %s µs, p99.9 %s µs",
                        Report.number(o.value("p50_ns") / 1000), Report.number(o.value("p99_ns") / 1000),
                        Report.number(o.value("p999_ns") / 1000));
            case STREAM_4K: case STREAM_64K:
                return String.format(Locale.ROOT, "median %s MB/s (rounds %s..%s)",
                        Report.number(o.value("median_mbps")), Report.number(o.value("min_mbps")),
                        Report.number(o.value("max_mbps")));
            case IDLE_100: case IDLE_1000: case IDLE_10000:
                return String.format(Locale.ROOT, "%s cores (server %s + client %s)",
                        Report.number(o.value("cores")), Report.number(o.value("server_cores")),
                        Report.number(o.value("client_cores")));
            case WAKE_64:
                return String.format(Locale.ROOT, "p50 %s µs, p99 %s µs",
                        Report.number(o.value("p50_ns") / 1000), Report.number(o.value("p99_ns") / 1000));
            case FIRST_CONNECT_PROCESS: case FIRST_CONNECT_CDS: case FIRST_CONNECT_AOT:
                return String.format(Locale.ROOT, "median of %s: connect %s ms, launch to connect %s ms (runs: %s ms)",
                        o.client().get("runs"), Report.number(o.value("connect_ns") / 1e6),
                        Report.number(o.value("process_ns") / 1e6), o.client().get("connect_runs_ms"));
            case CONNECT:
                return String.format(Locale.ROOT, "median %s µs (with first write %s µs)",
                        Report.number(o.value("median_ns") / 1000), Report.number(o.value("median_with_write_ns") / 1000));
            default:
                return o.client().toString();
        }
    }

    /** Returns null for --help. */
    static Options parse(String[] args) {
        Map<String, String> values = new LinkedHashMap<>();
        boolean quick = false;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("--help") || arg.equals("-h")) {
                return null;
            }
            if (arg.equals("--quick")) {
                quick = true;
                continue;
            }
            if (arg.equals("--no-lock")) {
                values.put("--lock-wait-sec", "-1");
                continue;
            }
            String key = arg;
            String value;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                key = arg.substring(0, eq);
                value = arg.substring(eq + 1);
            } else if (arg.startsWith("--") && i + 1 < args.length) {
                value = args[++i];
            } else {
                throw new IllegalArgumentException("unexpected argument: " + arg);
            }
            values.put(key, value);
        }

        Params params = quick ? Params.QUICK : Params.FULL;
        List<String> contenders = Contenders.names();
        List<Figure> figures = Figure.byDefault();
        Path out = Files.isDirectory(Path.of("bench")) ? Path.of("bench", "target", "bench-results.md")
                : Path.of("target", "bench-results.md");
        // every contender's files on the file system via-emu's default base directory is on (tmpfs where there is one)
        Path tmpDir = io.viaemu.ViaConfig.defaultBaseDir().getParent();
        Integer pin = null;
        long lockWaitSec = 1800;
        int firstConnectRuns = quick ? QUICK_FIRST_CONNECT_RUNS : FULL_FIRST_CONNECT_RUNS;
        for (Map.Entry<String, String> e : values.entrySet()) {
            String key = e.getKey();
            String value = e.getValue();
            if (NUMERIC.containsKey(key)) {
                try {
                    params = params.with(NUMERIC.get(key), Integer.parseInt(value));
                } catch (NumberFormatException ex) {
                    throw new IllegalArgumentException(key + " needs a number, got " + value);
                }
                continue;
            }
            switch (key) {
                case "--contenders":
                    contenders = new ArrayList<>();
                    for (String c : value.split(",")) {
                        if (!c.isBlank()) {
                            Contenders.create(c.trim()); // validates the name
                            contenders.add(c.trim());
                        }
                    }
                    break;
                case "--figures":
                    figures = new ArrayList<>();
                    for (String f : value.split(",")) {
                        if (!f.isBlank()) {
                            figures.add(Figure.byId(f.trim()));
                        }
                    }
                    break;
                case "--pin":
                    if (!value.equals("split") && !value.equals("none")) {
                        throw new IllegalArgumentException("--pin takes split or none, got " + value);
                    }
                    pin = value.equals("split") ? 1 : 0;
                    break;
                case "--lock-wait-sec":
                    try {
                        lockWaitSec = Long.parseLong(value);
                    } catch (NumberFormatException ex) {
                        throw new IllegalArgumentException(key + " needs a number, got " + value);
                    }
                    break;
                case "--out":
                    out = Path.of(value);
                    break;
                case "--first-connect-runs":
                    try {
                        firstConnectRuns = Integer.parseInt(value);
                    } catch (NumberFormatException ex) {
                        throw new IllegalArgumentException(key + " needs a number, got " + value);
                    }
                    if (firstConnectRuns < 1) {
                        throw new IllegalArgumentException(key + " must be >= 1, got " + value);
                    }
                    break;
                case "--tmp-dir":
                    tmpDir = Path.of(value);
                    break;
                default:
                    throw new IllegalArgumentException("unknown option: " + key);
            }
        }
        if (pin != null) {
            params = params.with("pin", pin);
        }
        if (contenders.isEmpty() || figures.isEmpty()) {
            throw new IllegalArgumentException("nothing to run");
        }
        return new Options(quick, List.copyOf(contenders), List.copyOf(figures), params, out, tmpDir, lockWaitSec,
                firstConnectRuns);
    }
}
