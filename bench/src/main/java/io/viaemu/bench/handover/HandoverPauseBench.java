package io.viaemu.bench.handover;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.viaemu.ParentConnection;
import io.viaemu.PauserKind;
import io.viaemu.Trigger;
import io.viaemu.ViaClient;
import io.viaemu.ViaConfig;
import io.viaemu.ViaConnection;
import io.viaemu.ViaConnectionHandler;
import io.viaemu.ViaServer;
import io.viaemu.internal.FilePermissions;
import io.viaemu.protocol.FlagBlock;
import io.viaemu.protocol.FlagBlock.Word;

/**
 * The handover pause as a distribution, over many handovers, with a client that streams without pause. Three kinds of
 * process: this orchestrator, a server (parent) with one reusable worker (the child of every connection), and a
 * client. For each connection the client streams numbered 64-byte messages as fast as it can; the parent forks the
 * connection to the worker at once (EMU_FORK, timed), reads a given number of messages, checking each, and closes
 * its end: T1 hands the connection over while the client keeps sending. The child counts the rest to the client's end
 * of stream and answers with its count, first and last number and disorder, which the client checks against what it
 * sent: every connection must arrive byte-exact, split at the cut. From each connection's flag block (the three
 * processes stamp {@link System#nanoTime()}, one clock on one host): trigger to the child's grant (the child can
 * receive), trigger to the completion flag, and the steps between; the client reports its longest send stall per
 * connection. Run for the BUSY and the BACKOFF pauser (every process of the run uses it).
 *
 * <p>Usage: {@code HandoverPauseBench [--handovers N] [--warmup N] [--messages N] [--trigger-after N]
 * [--pausers busy,backoff]}; {@code --warmup N} (default 1,000) runs N handovers first that are checked but not
 * counted (the JIT still compiles then: a scheduler trace, {@code perf sched}, of handovers 250 to 400 of a run had a
 * compiler thread on a CPU during 36 of 142 handovers, up to 7.9 ms in one).
 */
public final class HandoverPauseBench {
    static final String ENDPOINT = "pause";
    static final int MESSAGE = 64;
    static final String QUIET = BenchPeers.QUIET;
    /** The handover's stamps, in the order the steps happen. */
    static final Word[] STEPS = {Word.NANOS_INTERMISSION_REQUESTED, Word.NANOS_INTERMISSION_SEEN,
        Word.NANOS_INTERMITTED, Word.NANOS_COPIED, Word.NANOS_RECONNECT_REQUESTED, Word.NANOS_RECONNECT_SEEN,
        Word.NANOS_RECONNECT_SENT, Word.NANOS_RECONNECT_RECEIVED, Word.NANOS_GRANTED, Word.NANOS_GRANT_SEEN,
        Word.NANOS_REPORTED};

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("server")) {
            server(Path.of(args[1]), PauserKind.valueOf(args[2]), Integer.parseInt(args[3]), Long.parseLong(args[4]));
            return;
        }
        if (args.length > 0 && args[0].equals("client")) {
            client(Path.of(args[1]), PauserKind.valueOf(args[2]), Integer.parseInt(args[3]), Long.parseLong(args[4]),
                    Long.parseLong(args[5]));
            return;
        }
        int handovers = 300;
        int warmup = 1_000;
        long messages = 20_000;
        long triggerAfter = 5_000;
        List<PauserKind> pausers = List.of(PauserKind.BUSY, PauserKind.BACKOFF);
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--handovers": handovers = Integer.parseInt(args[i + 1]); break;
                case "--warmup": warmup = Integer.parseInt(args[i + 1]); break;
                case "--messages": messages = Long.parseLong(args[i + 1]); break;
                case "--trigger-after": triggerAfter = Long.parseLong(args[i + 1]); break;
                case "--pausers":
                    List<PauserKind> list = new ArrayList<>();
                    for (String p : args[i + 1].split(",")) {
                        list.add(PauserKind.valueOf(p.trim().toUpperCase(Locale.ROOT)));
                    }
                    pausers = list;
                    break;
                default: throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "%d handovers per pauser after %d not counted (warm-up), %d numbered "
                + "64 B messages per connection, T1 after %d; one reusable worker; load before: %s%n", handovers, warmup,
                messages, triggerAfter, Files.readString(Path.of("/proc/loadavg")).trim()));
        List<Map<String, long[]>> results = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        for (PauserKind p : pausers) {
            results.add(run(p, handovers, warmup, messages, triggerAfter, errors));
        }
        String[] rows = {"fork", "EMU_FORK: fork() until the child announced itself (µs)",
            "assign", "  of which: ASSIGN sent to the child's pid in the flag block (µs)",
            "grant", "trigger to the child's grant (µs)",
            "completion", "trigger to the completion flag (µs)",
            "stall", "client's longest send stall per connection (µs)",
            "parentDelay", "parent's handover thread: runnable, not running, in close() (µs, schedstat)",
            "parentSlices", "  its times scheduled in (schedstat)",
            "clientDelay", "client's thread: runnable, not running, per connection (µs, schedstat)",
            "NANOS_INTERMISSION_REQUESTED", "  steps from the trigger: parent requested the intermission (S7) (µs)",
            "NANOS_INTERMISSION_SEEN", "  client saw the request (S7) (µs)",
            "NANOS_INTERMITTED", "  client intermitted (S47) (µs)",
            "NANOS_COPIED", "  parent copied (S10) (µs)",
            "NANOS_RECONNECT_REQUESTED", "  parent set P (S11) (µs)",
            "NANOS_RECONNECT_SEEN", "  client saw P (µs)",
            "NANOS_RECONNECT_SENT", "  client sent RECONNECT (S49) (µs)",
            "NANOS_RECONNECT_RECEIVED", "  child read RECONNECT (µs)",
            "NANOS_GRANTED", "  child granted (S50) (µs)",
            "NANOS_GRANT_SEEN", "  client saw the grant (µs)",
            "NANOS_REPORTED", "  client reported (S51) (µs)",
            "waitS47", "each waiter's wake-up, per handover: parent, S47 to its copy (S10) (µs)",
            "waitP", "  client, P (S11) to seeing it (µs)",
            "waitInbox", "  worker's inbox thread, RECONNECT sent (S49) to read (µs)",
            "waitGrant", "  client, the child's grant (S50) to seeing it (µs)",
            "waitS51", "  parent, the client's report (S51) to the completion flag (S13) (µs)"};
        out.append("| p50 / p90 / p99 / max |");
        for (PauserKind p : pausers) {
            out.append(' ').append(p).append(" |");
        }
        out.append("\n| --- |");
        for (int i = 0; i < pausers.size(); i++) {
            out.append(" ---: |");
        }
        out.append('\n');
        for (int r = 0; r < rows.length; r += 2) {
            out.append("| ").append(rows[r + 1]).append(" |");
            for (Map<String, long[]> m : results) {
                out.append(' ').append(percentiles(m.get(rows[r]))).append(" |");
            }
            out.append('\n');
        }
        out.append("| handovers measured / connections not byte-exact or failed |");
        for (Map<String, long[]> m : results) {
            out.append(' ').append(m.get("grant").length).append(" / ").append(m.get("bad")[0]).append(" |");
        }
        out.append('\n');
        for (String e : errors) {
            out.append("error: ").append(e).append('\n');
        }
        out.append("load after: ").append(Files.readString(Path.of("/proc/loadavg")).trim()).append('\n');
        System.out.print(out);
        Path target = Path.of("bench", "target");
        if (Files.isDirectory(target)) {
            Files.writeString(target.resolve("handover-pause-results.md"), out);
        }
        System.exit(errors.isEmpty() ? 0 : 1);
    }

    /** One pauser's run: {@code warmup + handovers} connections, the first {@code warmup} checked but not counted. */
    private static Map<String, long[]> run(PauserKind pauser, int handovers, int warmup, long messages,
            long triggerAfter, List<String> errors) throws Exception {
        Path base = Files.createTempDirectory("via-pause-bench", PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        List<String> serverOptions = new ArrayList<>(List.of(QUIET));
        if (System.getProperty("via.bench.pauseStamps") != null) { // the server writes them
            serverOptions.add("-Dvia.bench.pauseStamps=" + System.getProperty("via.bench.pauseStamps") + "." + pauser);
        }
        Process server = BenchPeers.start(base.resolve("server.log"), serverOptions, HandoverPauseBench.class,
                "server", base.toString(), pauser.name(),
                Integer.toString(warmup + handovers), Long.toString(triggerAfter));
        try {
            BenchPeers.awaitFile(base.resolve("server.ready"), server, 120, base);
            Process client = BenchPeers.start(base.resolve("client.log"), List.of(QUIET), HandoverPauseBench.class,
                    "client", base.toString(), pauser.name(),
                    Integer.toString(warmup + handovers), Long.toString(messages), Long.toString(triggerAfter));
            if (!client.waitFor(20, TimeUnit.MINUTES)) {
                client.destroyForcibly();
                throw new IllegalStateException("client did not finish; see " + base);
            }
            BenchPeers.awaitFile(base.resolve("server.done"), server, 60, base);
            List<String> server0 = counted(Files.readAllLines(base.resolve("server.results")), warmup, errors,
                    pauser + " server (warm-up): ");
            List<String> client0 = counted(Files.readAllLines(base.resolve("client.results")), warmup, errors,
                    pauser + " client (warm-up): ");
            long bad = 0;
            List<long[]> rows = new ArrayList<>();
            for (String line : server0) {
                if (line.startsWith("error")) {
                    errors.add(pauser + " server: " + line);
                    bad++;
                    continue;
                }
                rows.add(Arrays.stream(line.trim().split(" ")).mapToLong(Long::parseLong).toArray());
            }
            long[] stalls = new long[client0.size()];
            long[] clientDelays = new long[client0.size()];
            int n = 0;
            for (String line : client0) {
                if (line.startsWith("error")) {
                    errors.add(pauser + " client: " + line);
                    bad++;
                    continue;
                }
                String[] f = line.trim().split(" ");
                stalls[n] = Long.parseLong(f[0]);
                clientDelays[n++] = Long.parseLong(f[1]);
            }
            Map<String, long[]> m = new HashMap<>();
            List<String> keyList = new ArrayList<>(List.of("fork", "assign", "grant", "completion"));
            for (Word step : STEPS) {
                keyList.add(step.name());
            }
            keyList.add("parentDelay");
            keyList.add("parentSlices");
            String[] keys = keyList.toArray(new String[0]);
            for (int k = 0; k < keys.length; k++) {
                long[] v = new long[rows.size()];
                for (int i = 0; i < rows.size(); i++) {
                    v[i] = rows.get(i)[k];
                }
                m.put(keys[k], v);
            }
            m.put("stall", Arrays.copyOf(stalls, n));
            // one waiter's wake-up each: from the step it waits for to the first thing it does after it
            m.put("waitS47", minus(m.get("NANOS_COPIED"), m.get("NANOS_INTERMITTED")));
            m.put("waitP", minus(m.get("NANOS_RECONNECT_SEEN"), m.get("NANOS_RECONNECT_REQUESTED")));
            m.put("waitInbox", minus(m.get("NANOS_RECONNECT_RECEIVED"), m.get("NANOS_RECONNECT_SENT")));
            m.put("waitGrant", minus(m.get("NANOS_GRANT_SEEN"), m.get("NANOS_GRANTED")));
            m.put("waitS51", minus(m.get("completion"), m.get("NANOS_REPORTED")));
            m.put("clientDelay", Arrays.copyOf(clientDelays, n));
            m.put("bad", new long[] {bad});
            return m;
        } finally {
            server.destroy();
            server.waitFor(10, TimeUnit.SECONDS);
            server.destroyForcibly();
            BenchPeers.keepLogs(base);
            FilePermissions.deleteTree(base);
        }
    }

    static ViaConfig config(Path base, PauserKind pauser) {
        return ViaConfig.builder(base).triggers(Trigger.T1_PARENT_CLOSE).pauser(pauser).workerPoolSize(1)
                .workerMaxConnections(0).workerConcurrency(4).connectTimeout(Duration.ofSeconds(30))
                .workerJvmOptions(List.of("-XX:+UseSerialGC", "-Xshare:auto", QUIET)).shutdownHook(false).build();
    }

    // ------------------------------------------------------------------------------------------------ server

    private static void server(Path base, PauserKind pauser, int handovers, long triggerAfter) throws Exception {
        ViaServer via = ViaServer.listen(config(base, pauser), ENDPOINT);
        // the pool's worker is started and ready before the client begins
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (via.workerSnapshots().stream().noneMatch(s -> s.state().name().equals("IDLE"))) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the pool's worker did not get ready");
            }
            Thread.sleep(20);
        }
        Files.writeString(base.resolve("server.ready"), "");
        StringBuilder results = new StringBuilder();
        // -Dvia.bench.pauseStamps=FILE (to the orchestrator: FILE.BUSY, FILE.BACKOFF): each handover's trigger, grant and
        // completion stamps, System.nanoTime() (CLOCK_MONOTONIC), to lay them beside a trace (perf sched record -k mono)
        String stampsFile = System.getProperty("via.bench.pauseStamps");
        StringBuilder stamps = stampsFile == null ? null : new StringBuilder();
        byte[] msg = new byte[MESSAGE];
        for (int i = 0; i < handovers; i++) {
            ParentConnection c = via.accept(120_000);
            try {
                long t0 = System.nanoTime();
                c.fork(PauseBenchHandler.class.getName());
                long forkNanos = System.nanoTime() - t0;
                long expect = 0;
                while (expect < triggerAfter) {
                    if (!CountingHandler.readFully(c, msg)) {
                        throw new IOException("end of stream after " + expect + " messages");
                    }
                    long seq = ByteBuffer.wrap(msg).getLong();
                    if (seq != expect) {
                        throw new IOException("parent read message " + seq + ", expected " + expect);
                    }
                    expect++;
                }
                // mapped before the close: the child may end the connection and delete its directory soon after
                FlagBlock flags = FlagBlock.openReadOnly(base.resolve(ENDPOINT).resolve("conn").resolve(c.id()));
                long[] run0 = threadSchedstat();
                c.close(); // T1, while the client streams
                long[] run1 = threadSchedstat();
                Map<Word, Long> w = flags.snapshot();
                long t = w.get(Word.NANOS_TRIGGER);
                results.append(forkNanos / 1000).append(' ')
                        .append((w.get(Word.NANOS_CHILD_ANNOUNCED) - w.get(Word.NANOS_FORKED)) / 1000).append(' ')
                        .append((w.get(Word.NANOS_GRANTED) - t) / 1000).append(' ')
                        .append((w.get(Word.NANOS_COMPLETED) - t) / 1000);
                for (Word step : STEPS) {
                    results.append(' ').append((w.get(step) - t) / 1000);
                }
                results.append(' ').append((run1[1] - run0[1]) / 1000).append(' ').append(run1[2] - run0[2]);
                results.append('\n');
                if (stamps != null) {
                    stamps.append(t).append(' ').append(w.get(Word.NANOS_GRANTED)).append(' ')
                            .append(w.get(Word.NANOS_COMPLETED)).append('\n');
                }
            } catch (Exception e) {
                results.append("error connection ").append(i).append(": ").append(e.toString().replace('\n', ' '))
                        .append('\n');
                c.abort();
            }
        }
        Files.writeString(base.resolve("server.results"), results);
        if (stamps != null) {
            Files.writeString(Path.of(stampsFile), stamps);
        }
        Files.writeString(base.resolve("server.done"), "");
        Thread.sleep(600_000); // the orchestrator ends this process
    }

    /** The child of every connection: counts the numbered messages to end of stream and answers with its counts. */
    public static final class PauseBenchHandler implements ViaConnectionHandler {
        @Override
        public void handle(ViaConnection c) throws Exception {
            MessageCounter counter = new MessageCounter();
            byte[] msg = new byte[MESSAGE];
            while (CountingHandler.readFully(c, msg)) {
                counter.add(ByteBuffer.wrap(msg).getLong());
            }
            ByteBuffer answer = ByteBuffer.allocate(32).putLong(counter.count).putLong(counter.first)
                    .putLong(counter.last).putLong(counter.outOfOrder);
            c.send(answer.array(), 0, 32);
            c.close();
        }
    }

    // ------------------------------------------------------------------------------------------------ client

    private static void client(Path base, PauserKind pauser, int handovers, long messages, long triggerAfter)
            throws Exception {
        ViaConfig config = config(base, pauser);
        StringBuilder results = new StringBuilder();
        ByteBuffer msg = ByteBuffer.allocate(MESSAGE);
        byte[] answer = new byte[32];
        for (int i = 0; i < handovers; i++) {
            long[] run0 = threadSchedstat();
            try (ViaConnection c = ViaClient.connect(config, ENDPOINT)) {
                long maxStall = 0;
                for (long seq = 0; seq < messages; seq++) {
                    msg.clear();
                    msg.putLong(seq);
                    long t0 = System.nanoTime();
                    c.send(msg.array(), 0, MESSAGE);
                    maxStall = Math.max(maxStall, System.nanoTime() - t0);
                }
                c.shutdownOutput();
                if (!CountingHandler.readFully(c, answer)) {
                    throw new IOException("no answer from the child");
                }
                ByteBuffer a = ByteBuffer.wrap(answer);
                long count = a.getLong();
                long first = a.getLong();
                long last = a.getLong();
                long disorder = a.getLong();
                if (count != messages - triggerAfter || first != triggerAfter || last != messages - 1
                        || disorder != 0) {
                    throw new IOException("the child received " + count + " messages " + first + ".." + last + " ("
                            + disorder + " out of order), expected " + (messages - triggerAfter) + " messages "
                            + triggerAfter + ".." + (messages - 1));
                }
                results.append(maxStall / 1000).append(' ').append((threadSchedstat()[1] - run0[1]) / 1000)
                        .append('\n');
            } catch (Exception e) {
                results.append("error connection ").append(i).append(": ").append(e.toString().replace('\n', ' '))
                        .append('\n');
            }
        }
        Files.writeString(base.resolve("client.results"), results);
        System.exit(0);
    }

    // ------------------------------------------------------------------------------------------------ plumbing

    /**
     * This thread's {@code /proc/thread-self/schedstat}: nanoseconds on the CPU, nanoseconds runnable but waiting for
     * a CPU (the run delay), times scheduled in; zeros where the kernel has no schedstats.
     */
    static long[] threadSchedstat() {
        try {
            String[] f = Files.readString(Path.of("/proc/thread-self/schedstat")).trim().split(" ");
            return new long[] {Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2])};
        } catch (IOException | RuntimeException e) {
            return new long[3];
        }
    }

    /** The lines after the first {@code warmup}; an error among those is an error of the run all the same. */
    private static List<String> counted(List<String> lines, int warmup, List<String> errors, String prefix) {
        int from = Math.min(warmup, lines.size());
        for (String line : lines.subList(0, from)) {
            if (line.startsWith("error")) {
                errors.add(prefix + line);
            }
        }
        return lines.subList(from, lines.size());
    }

    private static long[] minus(long[] a, long[] b) {
        long[] d = new long[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i] - b[i];
        }
        return d;
    }

    static String percentiles(long[] v) {
        if (v == null || v.length == 0) {
            return "-";
        }
        long[] s = v.clone();
        Arrays.sort(s);
        return String.format(Locale.ROOT, "%,d / %,d / %,d / %,d", s[s.length / 2], s[(int) (s.length * 0.9)],
                s[(int) (s.length * 0.99)], s[s.length - 1]);
    }


}
