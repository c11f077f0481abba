package io.viaemu.bench;

import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Renders the results as Markdown: machine, settings, the main table with ratios against TCP, details, legend. */
final class Report {

    private record Row(Figure figure, String label, String key, double divisor) {
    }

    private static final List<Row> MAIN = List.of(
            new Row(Figure.RTT_64, "Round trip 64 B, p50 (µs)", "p50_ns", 1000),
            new Row(Figure.RTT_64, "Round trip 64 B, p99 (µs)", "p99_ns", 1000),
            new Row(Figure.RTT_64, "Round trip 64 B, p99.9 (µs)", "p999_ns", 1000),
            new Row(Figure.RTT_4K, "Round trip 4 KiB, p50 (µs)", "p50_ns", 1000),
            new Row(Figure.RTT_4K, "Round trip 4 KiB, p99 (µs)", "p99_ns", 1000),
            new Row(Figure.RTT_4K, "Round trip 4 KiB, p99.9 (µs)", "p999_ns", 1000),
            new Row(Figure.STREAM_4K, "Stream, 4 KiB writes (MB/s)", "median_mbps", 1),
            new Row(Figure.STREAM_64K, "Stream, 64 KiB writes (MB/s)", "median_mbps", 1),
            new Row(Figure.CONNECT, "Connect, median (µs)", "median_ns", 1000),
            new Row(Figure.IDLE_100, "Idle CPU, 100 connections, server + client (cores)", "cores", 1),
            new Row(Figure.IDLE_1000, "Idle CPU, 1,000 connections, server + client (cores)", "cores", 1),
            new Row(Figure.IDLE_10000, "Idle CPU, 10,000 connections, server + client (cores)", "cores", 1),
            new Row(Figure.WAKE_64, "Round trip 64 B from parked readers, p50 (µs)", "p50_ns", 1000),
            new Row(Figure.WAKE_64, "Round trip 64 B from parked readers, p99 (µs)", "p99_ns", 1000),
            new Row(Figure.CONNECT_RATE_1, "Connect + 64 B round trip + close, 1 thread (per s)", "per_second", 1),
            new Row(Figure.CONNECT_RATE_8, "Connect + 64 B round trip + close, 8 threads (per s)", "per_second", 1),
            new Row(Figure.FIRST_CONNECT, "First connect in a fresh JVM (ms)", "connect_ns", 1_000_000),
            new Row(Figure.FIRST_CONNECT_PREPARED, "First connect in a fresh JVM after ViaClient.prepare (ms)",
                    "connect_ns", 1_000_000),
            new Row(Figure.FIRST_CONNECT_PROCESS, "First connect in a fresh JVM, median of runs (ms)", "connect_ns",
                    1_000_000),
            new Row(Figure.FIRST_CONNECT_PROCESS, "Client JVM launch to first connect done, median of runs (ms)",
                    "process_ns", 1_000_000),
            new Row(Figure.FIRST_CONNECT_CDS, "First connect in a fresh JVM with a class-data archive, median (ms)",
                    "connect_ns", 1_000_000),
            new Row(Figure.FIRST_CONNECT_CDS, "Client JVM launch to first connect done, with the archive, median (ms)",
                    "process_ns", 1_000_000),
            new Row(Figure.FIRST_CONNECT_AOT, "First connect in a fresh JVM with an AOT cache, median (ms)",
                    "connect_ns", 1_000_000),
            new Row(Figure.FIRST_CONNECT_AOT, "Client JVM launch to first connect done, with the AOT cache, median (ms)",
                    "process_ns", 1_000_000));

    private static final List<Row> DETAILS = List.of(
            new Row(Figure.RTT_64, "Round trip 64 B, mean (µs)", "mean_ns", 1000),
            new Row(Figure.RTT_64, "Round trip 64 B, max (µs)", "max_ns", 1000),
            new Row(Figure.RTT_4K, "Round trip 4 KiB, mean (µs)", "mean_ns", 1000),
            new Row(Figure.RTT_4K, "Round trip 4 KiB, max (µs)", "max_ns", 1000),
            new Row(Figure.STREAM_4K, "Stream, 4 KiB writes, slowest round (MB/s)", "min_mbps", 1),
            new Row(Figure.STREAM_4K, "Stream, 4 KiB writes, fastest round (MB/s)", "max_mbps", 1),
            new Row(Figure.STREAM_64K, "Stream, 64 KiB writes, slowest round (MB/s)", "min_mbps", 1),
            new Row(Figure.STREAM_64K, "Stream, 64 KiB writes, fastest round (MB/s)", "max_mbps", 1),
            new Row(Figure.CONNECT, "Connect, p90 (µs)", "p90_ns", 1000),
            new Row(Figure.CONNECT, "Connect + first 1 B write, median (µs)", "median_with_write_ns", 1000),
            new Row(Figure.IDLE_100, "Idle CPU, 100 connections, server (cores)", "server_cores", 1),
            new Row(Figure.IDLE_100, "Idle CPU, 100 connections, client (cores)", "client_cores", 1),
            new Row(Figure.IDLE_1000, "Idle CPU, 1,000 connections, server (cores)", "server_cores", 1),
            new Row(Figure.IDLE_1000, "Idle CPU, 1,000 connections, client (cores)", "client_cores", 1),
            new Row(Figure.IDLE_10000, "Idle CPU, 10,000 connections, server (cores)", "server_cores", 1),
            new Row(Figure.IDLE_10000, "Idle CPU, 10,000 connections, client (cores)", "client_cores", 1),
            new Row(Figure.IDLE_10000, "10,000 idle connections: memory mappings, server", "server_maps", 1),
            new Row(Figure.IDLE_10000, "10,000 idle connections: memory mappings, client", "client_maps", 1),
            new Row(Figure.IDLE_10000, "10,000 idle connections: RSS, server (MiB)", "server_rss_mib", 1),
            new Row(Figure.IDLE_10000, "10,000 idle connections: RSS, client (MiB)", "client_rss_mib", 1),
            new Row(Figure.IDLE_10000, "10,000 idle connections: connect of the last 1,000, mean (ms)", "last_connects_ms", 1),
            new Row(Figure.WAKE_64, "Round trip 64 B from parked readers, p99.9 (µs)", "p999_ns", 1000),
            new Row(Figure.CONNECT_RATE_1, "Connection rate, 1 thread, slowest cycle (ms)", "slowest_cycle_ns", 1_000_000),
            new Row(Figure.CONNECT_RATE_8, "Connection rate, 8 threads, slowest cycle (ms)", "slowest_cycle_ns", 1_000_000),
            new Row(Figure.FIRST_CONNECT, "First connect + 1 B echo in a fresh JVM (ms)", "connect_and_echo_ns", 1_000_000),
            new Row(Figure.FIRST_CONNECT, "JVM uptime when the first connect returned (ms)", "jvm_uptime_ms", 1),
            new Row(Figure.FIRST_CONNECT_PREPARED, "ViaClient.prepare in a fresh JVM, before the first connect (ms)",
                    "prepare_ns", 1_000_000),
            new Row(Figure.FIRST_CONNECT_PROCESS, "Client JVM launch to first connect done, fastest run (ms)",
                    "process_min_ns", 1_000_000),
            new Row(Figure.FIRST_CONNECT_PROCESS, "Client JVM launch to first connect done, slowest run (ms)",
                    "process_max_ns", 1_000_000),
            new Row(Figure.FIRST_CONNECT_PROCESS, "JVM uptime when the first connect returned, median (ms)",
                    "jvm_uptime_ms", 1),
            new Row(Figure.FIRST_CONNECT_CDS, "Client JVM launch to first connect done, with the archive, fastest (ms)",
                    "process_min_ns", 1_000_000),
            new Row(Figure.FIRST_CONNECT_CDS, "Class-data archive of the client (KiB)", "archive_kib", 1),
            new Row(Figure.FIRST_CONNECT_AOT, "AOT cache of the client (KiB)", "archive_kib", 1));

    private Report() {
    }

    static String render(Machine machine, JvmOptions jvm, BenchMain.Options options,
                         Map<Figure, Map<String, PeerPair.Outcome>> results, double totalSeconds,
                         double loadBefore, double loadAfter) {
        Params p = options.params();
        List<String> contenders = options.contenders();
        StringBuilder md = new StringBuilder();
        md.append("# via-emu benchmark\n\n");
        md.append("- Date: ").append(ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME)).append('\n');
        md.append("- Machine: nproc ").append(machine.nproc()).append(", CPU ").append(machine.cpuModel())
                .append(", RAM ").append(machine.memory()).append(", ").append(machine.os()).append('\n');
        md.append("- JDK: ").append(machine.jdk()).append('\n');
        md.append("- Peer JVM options: ").append(jvm.source()).append(" (").append(jvm.options().size())
                .append(" options)\n");
        md.append("- Mode: ").append(options.quick() ? "quick (smoke run: small counts, numbers are rough)" : "full")
                .append("; every figure measured between two separate JVM processes, one contender at a time; total ")
                .append(String.format(Locale.ROOT, "%.0f s", totalSeconds)).append('\n');
        md.append("- Load average (1 min) before / after the run: ")
                .append(String.format(Locale.ROOT, "%.2f / %.2f", loadBefore, loadAfter))
                .append(" (above ~0.5 before the run means other processes were busy; the run itself raises it towards 2)\n");
        md.append("- Placement: ").append(p.pin() == 1
                ? "each peer's measuring thread pinned, server to CPU 1 and client to CPU 0 (`--pin split`)"
                : "left to the OS (`--pin none`)").append("; work dirs (queues, sockets) under ")
                .append(options.tmpDir().toAbsolutePath()).append('\n');
        md.append("- Round trips: at least ").append(p.rttWarmup()).append(" warm-up round trips and at least ")
                .append(p.rttWarmupMillis()).append(" ms of them (at most 1 GiB of payload), then ")
                .append(p.rttIterations()).append(" measured per message size, the server echoes\n");
        md.append("- Streams: ").append(p.streamWarmupMiB()).append(" MiB warm-up, then ").append(p.streamRounds())
                .append(" rounds of ").append(p.streamRoundMiB()).append(" MiB, each acknowledged by the receiver after ")
                .append("it checked every byte (CRC32C of a deterministic pattern); median round shown; MB/s = 10^6 B/s\n");
        md.append("- Connects: ").append(p.connectWarmup()).append(" warm-up + ").append(p.connects())
                .append(" measured, sequential; time from starting to connect until the first byte can be sent\n");
        md.append("- Connection rate: ").append(p.connectWarmup()).append(" warm-up cycles per client thread, then ")
                .append(p.idleSeconds()).append(" s of connect + 64 B round trip (checked) + close per thread, 1 or 8 ")
                .append("threads; the server serves each connection on a thread of its own. First connect: the ")
                .append("first connect of a fresh client JVM\n");
        md.append("- Idle CPU: N connections, a thread blocked in receive on each end, CPU time (utime + stime from ")
                .append("/proc/PID/stat) of server and client over ").append(p.idleSeconds()).append(" s after 5 s of ")
                .append("settling; only contenders whose readers may block (spinning ones would show a core each)\n");
        md.append("- Parked readers: ").append(p.wakeIterations()).append(" round trips of 64 B, ")
                .append(Figure.WAKE_PAUSE_MICROS / 1000).append(" ms pause before each (longer than the spin ")
                .append("budget, so both readers are parked when the message comes)\n\n");

        List<String> footnotes = new ArrayList<>();
        table(md, MAIN, contenders, results, footnotes);
        md.append("\nRatio in parentheses = value / TCP loopback value of this run (round trips and connect: lower is ")
                .append("better; streams and connection rates: higher is better).\n\n");
        md.append("<details><summary>More figures</summary>\n\n");
        table(md, DETAILS, contenders, results, footnotes);
        md.append("\n</details>\n\n");

        md.append("Contenders:\n\n");
        for (String name : contenders) {
            md.append("- `").append(name).append("`: ").append(Contenders.create(name).description()).append('\n');
        }
        if (!footnotes.isEmpty()) {
            md.append("\nFailures:\n\n");
            for (int i = 0; i < footnotes.size(); i++) {
                md.append(i + 1).append(". ").append(footnotes.get(i)).append('\n');
            }
        }
        return md.toString();
    }

    private static void table(StringBuilder md, List<Row> rows, List<String> contenders,
                              Map<Figure, Map<String, PeerPair.Outcome>> results, List<String> footnotes) {
        md.append("| Figure |");
        contenders.forEach(c -> md.append(' ').append(c).append(" |"));
        md.append("\n| --- |");
        contenders.forEach(c -> md.append(" ---: |"));
        md.append('\n');
        for (Row row : rows) {
            Map<String, PeerPair.Outcome> byContender = results.get(row.figure());
            if (byContender == null) {
                continue; // figure not selected
            }
            PeerPair.Outcome baseline = byContender.get(Contenders.BASELINE);
            Double base = baseline != null && baseline.ok() && baseline.client().containsKey(row.key())
                    ? baseline.value(row.key()) / row.divisor() : null;
            md.append("| ").append(row.label()).append(" |");
            for (String c : contenders) {
                PeerPair.Outcome o = byContender.get(c);
                md.append(' ');
                if (o == null) {
                    md.append('–');
                } else if (!o.ok()) {
                    String note = row.figure().id() + " / " + c + ": " + o.error();
                    if (!footnotes.contains(note)) {
                        footnotes.add(note);
                    }
                    md.append("FAILED [").append(footnotes.indexOf(note) + 1).append(']');
                } else {
                    double v = o.value(row.key()) / row.divisor();
                    md.append(number(v));
                    if (base != null && base > 0) {
                        md.append(" (").append(ratio(v / base)).append("×)");
                    }
                }
                md.append(" |");
            }
            md.append('\n');
        }
    }

    static String number(double v) {
        if (v >= 1000) {
            return String.format(Locale.ROOT, "%,.0f", v);
        }
        if (v >= 100) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        if (v >= 10) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        if (v >= 0.1) {
            return String.format(Locale.ROOT, "%.2f", v);
        }
        return String.format(Locale.ROOT, "%.3f", v);
    }

    /** Three significant digits. */
    static String ratio(double r) {
        if (r >= 100) {
            return String.format(Locale.ROOT, "%.0f", r);
        }
        if (r >= 10) {
            return String.format(Locale.ROOT, "%.1f", r);
        }
        if (r >= 1 || r <= 0) {
            return String.format(Locale.ROOT, "%.2f", r);
        }
        int decimals = Math.min(6, 2 - (int) Math.floor(Math.log10(r)));
        return String.format(Locale.ROOT, "%." + decimals + "f", r);
    }
}
