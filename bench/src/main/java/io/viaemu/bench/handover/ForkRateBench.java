package io.viaemu.bench.handover;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.CompilationMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import io.viaemu.ParentConnection;
import io.viaemu.Trigger;
import io.viaemu.ViaClient;
import io.viaemu.ViaConfig;
import io.viaemu.ViaConnection;
import io.viaemu.ViaServer;
import io.viaemu.internal.FilePermissions;
import io.viaemu.protocol.ConnectionEnd;
import io.viaemu.protocol.FlagBlock;
import io.viaemu.protocol.FlagBlock.Word;
import io.viaemu.worker.WorkerSnapshot;

/**
 * Forked connections per second, as a pre-forking server's user sees them: a server process accepts, forks every
 * connection to a worker (EMU_FORK) running an echo handler and closes its end, so T1 hands it over; the client
 * (this process) connects, makes one 64 B round trip with the child, and closes, in 1 and in 8 threads. The same
 * server process runs a TCP thread-per-connection echo server, measured the same way in the same run. The server
 * also times every {@code fork()} (the EMU_FORK latency: from the call until the child announced itself).
 *
 * <p>Usage: {@code ForkRateBench [--connections N] [--fork-samples N] [--max-connections N] [--concurrency N]
 * [--pool N] [--warmup N]}: N connections with 8 client threads, the fork samples with 1, after N warm-up
 * connections; {@code server} is the role it starts. {@code --max-connections 1 --concurrency 1} measures one-shot
 * workers (a JVM start per connection: use small counts).
 */
public final class ForkRateBench {
    static final String ENDPOINT = "forks";
    static final int MESSAGE = 64;
    /**
     * Every via-emu process logs each connection's handover at INFO; at thousands a second that is the logging's
     * cost, not the mechanism's: the server and its workers log warnings only (run the client with the same).
     */
    static final String QUIET = BenchPeers.QUIET;

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("server")) {
            server(Path.of(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]), Integer.parseInt(args[4]));
            return;
        }
        int connections = 5_000;
        int forkSamples = 1_000;
        int maxConnections = 0;
        int concurrency = 8;
        int pool = 1;
        int warmup = 300;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--connections": connections = Integer.parseInt(args[i + 1]); break;
                case "--fork-samples": forkSamples = Integer.parseInt(args[i + 1]); break;
                case "--max-connections": maxConnections = Integer.parseInt(args[i + 1]); break;
                case "--concurrency": concurrency = Integer.parseInt(args[i + 1]); break;
                case "--pool": pool = Integer.parseInt(args[i + 1]); break;
                case "--warmup": warmup = Integer.parseInt(args[i + 1]); break;
                default: throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        Path base = Files.createTempDirectory("via-fork-rate", PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        Process server = startServer(base, maxConnections, concurrency, pool);
        try {
            int tcpPort = awaitListening(base, server);
            ViaConfig config = clientConfig(base);
            StringBuilder out = new StringBuilder();
            out.append(String.format(Locale.ROOT, "workers: max-connections %d, concurrency %d, pool %d; load: %s%n",
                    maxConnections, concurrency, pool, Files.readString(Path.of("/proc/loadavg")).trim()));
            // warm-up: JIT both sides, start the pool's workers; discarded
            runVia(config, 1, warmup);
            runTcp(tcpPort, 1, Math.max(warmup, 300));
            forkNanos(base); // clears the server's fork samples
            Result via1 = runVia(config, 1, forkSamples);
            long[] forks1 = forkNanos(base);
            List<String> slow1 = lastSlowForks;
            Result via8 = runVia(config, 8, connections);
            long[] forks8 = forkNanos(base);
            List<String> slow8 = lastSlowForks;
            Result tcp1 = runTcp(tcpPort, 1, forkSamples);
            Result tcp8 = runTcp(tcpPort, 8, connections);
            out.append("| Forked connection rate (connect, fork, T1, 64 B round trip with the child, close) "
                    + "| 1 client thread | 8 client threads |\n| --- | ---: | ---: |\n");
            out.append(row("via-emu, reusable workers: connections/s", via1.rate(), via8.rate()));
            out.append(row("via-emu: per connection p50 / p99 (ms)", via1.latency(), via8.latency()));
            out.append(row("via-emu: errors / connections", via1.errors + " / " + via1.count,
                    via8.errors + " / " + via8.count));
            out.append(row("tcp thread-per-connection: connections/s", tcp1.rate(), tcp8.rate()));
            out.append(row("tcp: per connection p50 / p99 (ms)", tcp1.latency(), tcp8.latency()));
            out.append(row("via-emu / tcp", String.format(Locale.ROOT, "%.3fx", via1.perSecond() / tcp1.perSecond()),
                    String.format(Locale.ROOT, "%.3fx", via8.perSecond() / tcp8.perSecond())));
            out.append(row("EMU_FORK p50 / p99 / max (µs; " + forks1.length + " and " + forks8.length + " forks)",
                    percentiles(forks1), percentiles(forks8)));
            out.append(slowForks("1 client thread", slow1)).append(slowForks("8 client threads", slow8));
            Thread.sleep(2_000); // the children see the clients' closes and clean up
            out.append(String.format(Locale.ROOT, "left after the run: %d connection directories, %s%n",
                    countDirs(base.resolve(ENDPOINT).resolve("conn")), workers(base)));
            out.append("load after: ").append(Files.readString(Path.of("/proc/loadavg")).trim()).append('\n');
            System.out.print(out);
            Path target = Path.of("bench", "target");
            if (Files.isDirectory(target)) {
                Files.writeString(target.resolve("fork-rate-results.md"), out);
            }
        } finally {
            server.destroy();
            server.waitFor(10, TimeUnit.SECONDS);
            server.destroyForcibly();
        }
        // idle workers exit when their parent is gone; none may be left behind
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        long left;
        while ((left = processesMentioning(base)) > 0 && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        System.out.println("worker processes left 10 s after the server stopped: " + left);
        BenchPeers.keepLogs(base);
        FilePermissions.deleteTree(base);
    }

    private static long processesMentioning(Path base) {
        return ProcessHandle.allProcesses().filter(p -> p.info().arguments().map(a -> String.join(" ", a)
                .contains(base.toString())).orElse(false)).count();
    }

    private static String row(String name, String a, String b) {
        return "| " + name + " | " + a + " | " + b + " |\n";
    }

    private static ViaConfig clientConfig(Path base) {
        return ViaConfig.builder(base).triggers(Trigger.T1_PARENT_CLOSE).connectTimeout(Duration.ofSeconds(30))
                .maxConnections(4096).build();
    }

    // ------------------------------------------------------------------------------------------------ client

    static final class Result {
        final long count;
        final long errors;
        final long nanos;
        final long[] latencies;

        Result(long count, long errors, long nanos, long[] latencies) {
            this.count = count;
            this.errors = errors;
            this.nanos = nanos;
            this.latencies = latencies;
        }

        double perSecond() {
            return (count - errors) / (nanos / 1e9);
        }

        String rate() {
            return String.format(Locale.ROOT, "%,.0f", perSecond());
        }

        String latency() {
            long[] s = latencies.clone();
            Arrays.sort(s);
            return String.format(Locale.ROOT, "%.2f / %.2f", s[s.length / 2] / 1e6, s[(int) (s.length * 0.99)] / 1e6);
        }
    }

    interface Cycle {
        void run(byte[] out, byte[] in) throws IOException;
    }

    private static Result run(int threads, int total, Cycle cycle) throws InterruptedException {
        AtomicLong next = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        long[] latencies = new long[total];
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        long start = System.nanoTime();
        for (int t = 0; t < threads; t++) {
            pool.execute(() -> {
                byte[] out = new byte[MESSAGE];
                byte[] in = new byte[MESSAGE];
                long i;
                while ((i = next.getAndIncrement()) < total) {
                    long t0 = System.nanoTime();
                    Arrays.fill(out, (byte) i);
                    try {
                        cycle.run(out, in);
                        if (!Arrays.equals(out, in)) {
                            throw new IOException("echo differs");
                        }
                    } catch (IOException | RuntimeException e) {
                        if (errors.incrementAndGet() <= 5) {
                            System.err.println("connection " + i + ": " + e);
                        }
                    }
                    latencies[(int) i] = System.nanoTime() - t0;
                }
            });
        }
        pool.shutdown();
        if (!pool.awaitTermination(30, TimeUnit.MINUTES)) {
            throw new IllegalStateException("benchmark did not finish in 30 minutes");
        }
        return new Result(total, errors.get(), System.nanoTime() - start, latencies);
    }

    private static Result runVia(ViaConfig config, int threads, int total) throws InterruptedException {
        return run(threads, total, (out, in) -> {
            try (ViaConnection c = ViaClient.connect(config, ENDPOINT)) {
                c.send(out);
                readFully(c.inputStream(), in);
            }
        });
    }

    private static Result runTcp(int port, int threads, int total) throws InterruptedException {
        return run(threads, total, (out, in) -> {
            try (Socket s = new Socket()) {
                s.setTcpNoDelay(true);
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 10_000);
                s.getOutputStream().write(out);
                readFully(s.getInputStream(), in);
            }
        });
    }

    private static void readFully(InputStream in, byte[] b) throws IOException {
        int got = 0;
        while (got < b.length) {
            int n = in.read(b, got, b.length - got);
            if (n < 0) {
                throw new IOException("end of stream after " + got + " bytes");
            }
            got += n;
        }
    }

    /** Asks the server for the fork() durations since the last call. */
    private static long[] forkNanos(Path base) throws IOException, InterruptedException {
        Path request = base.resolve("report-forks");
        Path report = base.resolve("forks.txt");
        Files.deleteIfExists(report);
        Files.writeString(request, "");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!Files.exists(report)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("server did not report its fork times");
            }
            Thread.sleep(10);
        }
        Path slow = base.resolve("slow-forks.txt");
        if (Files.exists(slow)) {
            lastSlowForks = Files.readAllLines(slow);
        }
        String text = Files.readString(report).trim();
        return text.isEmpty() ? new long[0] : Arrays.stream(text.split("\n")).mapToLong(Long::parseLong).toArray();
    }

    /** The server's breakdown of the slow forks since the last {@link #forkNanos} call before the latest. */
    private static List<String> lastSlowForks = List.of();

    /** The slow forks' breakdown: how many, and the ten slowest. */
    private static String slowForks(String phase, List<String> lines) {
        List<String> sorted = new ArrayList<>(lines);
        sorted.sort((a, b) -> Long.compare(Long.parseLong(b.split(" ")[1]), Long.parseLong(a.split(" ")[1])));
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "forks of %d µs or more, %s: %d; the slowest (µs):%n", SLOW_FORK_NANOS / 1000,
                phase, lines.size()));
        for (String l : sorted.subList(0, Math.min(10, sorted.size()))) {
            b.append("  ").append(l).append('\n');
        }
        return b.toString();
    }

    private static String percentiles(long[] nanos) {
        if (nanos.length == 0) {
            return "-";
        }
        long[] s = nanos.clone();
        Arrays.sort(s);
        return String.format(Locale.ROOT, "%.0f / %.0f / %.0f", s[s.length / 2] / 1e3, s[(int) (s.length * 0.99)] / 1e3,
                s[s.length - 1] / 1e3);
    }

    private static long countDirs(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.count();
        }
    }

    private static String workers(Path base) throws IOException {
        Path f = base.resolve("workers.txt");
        return Files.exists(f) ? Files.readString(f).trim() : "?";
    }

    // ------------------------------------------------------------------------------------------------ server

    private static Process startServer(Path base, int maxConnections, int concurrency, int pool) throws IOException {
        return BenchPeers.start(base.resolve("server.log"), List.of(QUIET), ForkRateBench.class, "server",
                base.toString(), Integer.toString(maxConnections), Integer.toString(concurrency),
                Integer.toString(pool));
    }

    private static int awaitListening(Path base, Process server) throws IOException, InterruptedException {
        Path port = base.resolve("tcp-port");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(port) || Files.readString(port).isBlank()) {
            if (!server.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("server did not start: " + Files.readString(base.resolve("server.log")));
            }
            Thread.sleep(20);
        }
        return Integer.parseInt(Files.readString(port).trim());
    }

    private static void server(Path base, int maxConnections, int concurrency, int pool) throws Exception {
        ViaConfig config = ViaConfig.builder(base).triggers(Trigger.T1_PARENT_CLOSE).workerPoolSize(pool)
                .workerMaxConnections(maxConnections).workerConcurrency(concurrency).maxConnections(4096)
                .workerJvmOptions(List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto", QUIET))
                .shutdownHook(false).build();
        ViaServer via = ViaServer.listen(config, ENDPOINT);
        List<Long> forks = new ArrayList<>();
        List<String> slowForks = new ArrayList<>();
        boolean detail = Boolean.getBoolean("via.bench.forkDetail");
        ExecutorService parents = Executors.newCachedThreadPool();
        Thread acceptor = new Thread(() -> {
            while (true) {
                try {
                    ParentConnection c = via.accept(0);
                    parents.execute(() -> {
                        try {
                            long gc0 = detail ? gcCount() : 0; // an MXBean call costs the fork 3% of its CPU
                            long jit0 = detail ? jitMillis() : 0;
                            long[] run0 = detail ? HandoverPauseBench.threadSchedstat() : null;
                            long t0 = System.nanoTime();
                            c.fork(EchoHandler.class.getName());
                            long t1 = System.nanoTime();
                            long t = t1 - t0;
                            String slow = t >= SLOW_FORK_NANOS ? slowFork(c, t0, t1, gc0, jit0, run0) : null;
                            synchronized (forks) {
                                forks.add(t);
                                if (slow != null) {
                                    slowForks.add(slow);
                                }
                            }
                            c.close(); // T1
                        } catch (Exception e) {
                            System.out.println("fork failed: " + e);
                            try {
                                c.abort();
                            } catch (IOException ignored) {
                                // failed already
                            }
                        }
                    });
                } catch (Exception e) {
                    System.out.println("accept failed: " + e);
                    return;
                }
            }
        }, "via-bench-acceptor");
        acceptor.setDaemon(true);
        acceptor.start();
        ServerSocket tcp = new ServerSocket();
        tcp.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1024);
        Thread tcpAcceptor = new Thread(() -> {
            while (true) {
                try {
                    Socket s = tcp.accept();
                    Thread t = new Thread(() -> echo(s)); // thread per connection
                    t.setDaemon(true);
                    t.start();
                } catch (IOException e) {
                    return;
                }
            }
        }, "tcp-acceptor");
        tcpAcceptor.setDaemon(true);
        tcpAcceptor.start();
        Files.writeString(base.resolve("tcp-port"), Integer.toString(tcp.getLocalPort()));
        Path request = base.resolve("report-forks");
        while (true) {
            if (Files.exists(request)) {
                StringBuilder b = new StringBuilder();
                synchronized (forks) {
                    for (long f : forks) {
                        b.append(f).append('\n');
                    }
                    forks.clear();
                    Files.write(base.resolve("slow-forks.txt"), slowForks);
                    slowForks.clear();
                }
                StringBuilder w = new StringBuilder();
                for (WorkerSnapshot s : via.workerSnapshots()) {
                    w.append("worker ").append(s.pid()).append(' ').append(s.state()).append(" served ")
                            .append(s.connectionsServed()).append(" current ").append(s.currentConnections())
                            .append("; ");
                }
                Files.writeString(base.resolve("workers.txt"), via.workerSnapshots().size() + " workers: " + w);
                Files.delete(request);
                Path tmp = base.resolve("forks.tmp");
                Files.writeString(tmp, b);
                Files.move(tmp, base.resolve("forks.txt"));
            }
            Thread.sleep(10);
        }
    }

    /** A fork at least this long is broken down (see {@link #slowFork}). */
    static final long SLOW_FORK_NANOS = 1_000_000;

    /**
     * Where a slow fork's time went, from the flag block's stamps (one clock on one host): the pool's acquire until
     * the parent's FORKED stamp (just before the ASSIGN), the ASSIGN until the child announced itself (the worker's
     * inbox thread woke, read it and wrote the pid), the announcement until {@code fork()} returned (the parent's
     * wake-up); with {@code -Dvia.bench.forkDetail=true} also whether the server collected garbage or compiled code
     * meanwhile and the forking thread's run delay (runnable, not running: schedstat).
     */
    private static String slowFork(ParentConnection c, long t0, long t1, long gc0, long jit0, long[] run0) {
        FlagBlock flags = ((ConnectionEnd) c).flags();
        long forked = flags.get(Word.NANOS_FORKED);
        long announced = flags.get(Word.NANOS_CHILD_ANNOUNCED);
        StringBuilder b = new StringBuilder();
        b.append("total ").append((t1 - t0) / 1000).append(" acquire ").append((forked - t0) / 1000)
                .append(" assign-to-announce ").append((announced - forked) / 1000).append(" announce-to-return ")
                .append((t1 - announced) / 1000);
        if (run0 != null) {
            b.append(" gc ").append(gcCount() - gc0).append(" jit-ms ").append(jitMillis() - jit0);
            long[] run1 = HandoverPauseBench.threadSchedstat();
            b.append(" run-delay ").append((run1[1] - run0[1]) / 1000).append(" slices ").append(run1[2] - run0[2]);
        }
        return b.toString();
    }

    private static long gcCount() {
        long n = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            n += Math.max(0, gc.getCollectionCount());
        }
        return n;
    }

    private static long jitMillis() {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        return jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : 0;
    }

    private static void echo(Socket s) {
        try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
            byte[] buf = new byte[4096];
            int n;
            while ((n = in.read(buf)) >= 0) {
                out.write(buf, 0, n);
            }
        } catch (IOException e) {
            // client gone
        }
    }
}
