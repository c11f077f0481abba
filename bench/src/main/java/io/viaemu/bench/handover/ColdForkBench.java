package io.viaemu.bench.handover;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import io.viaemu.ViaClient;
import io.viaemu.ViaConfig;
import io.viaemu.ViaConnection;
import io.viaemu.protocol.FlagBlock;

/**
 * Cold EMU_FORK as a user of a forking endpoint sees it: against a running server whose endpoint forks every
 * connection to a worker JVM started for it (pool size 0; the sample's {@code chat}), the time from connect to the
 * first reply line, which the worker sends. That is the worker JVM's start (application included), the handover
 * and one round trip; the last two take milliseconds. Each connection waits for the previous worker to exit, so
 * one JVM starts at a time.
 *
 * <p>Usage: {@code ColdForkBench BASE_DIR ENDPOINT RUNS}; prints each run and the median in milliseconds, and the
 * CPU time the worker had used when its reply arrived (which depends less on the machine's other load).
 *
 * <p>{@code ColdForkBench BASE_DIR ENDPOINT CONNECTIONS --rate}: the one-shot rate instead, against a server whose
 * workers serve one connection each ({@code max-connections 1}) with a warm pool: connections back to back from one
 * client thread without waiting for workers to exit, so each fork takes the spare worker and the next waits for
 * the pool's replacement; prints connections per second and the latency distribution. That rate is bounded by
 * JVM starts (one worker start per connection, while the previous workers exit on the same cores).
 */
public final class ColdForkBench {
    public static void main(String[] args) throws Exception {
        Path base = Path.of(args[0]);
        String endpoint = args[1];
        int runs = Integer.parseInt(args[2]);
        ViaConfig config = ViaConfig.builder(base).connectTimeout(Duration.ofSeconds(30)).build();
        if (args.length > 3 && args[3].equals("--rate")) {
            rate(config, endpoint, runs);
            return;
        }
        List<Double> millis = new ArrayList<>();
        List<Double> cpuMillis = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            long start = System.nanoTime();
            long worker;
            try (ViaConnection c = ViaClient.connect(config, endpoint)) {
                c.outputStream().write("ping\n".getBytes(StandardCharsets.UTF_8));
                c.setReadTimeout(60_000);
                String reply = new BufferedReader(new InputStreamReader(c.inputStream(), StandardCharsets.UTF_8))
                        .readLine();
                double ms = (System.nanoTime() - start) / 1e6;
                if (reply == null) {
                    throw new IllegalStateException("no reply on run " + i);
                }
                millis.add(ms);
                worker = FlagBlock.openReadOnly(base.resolve(endpoint).resolve("conn").resolve(c.id()))
                        .get(FlagBlock.Word.CHILD_PID);
                double cpu = cpuMillis(worker);
                if (cpu >= 0) {
                    cpuMillis.add(cpu);
                }
                System.out.printf("run %d: %.0f ms, worker CPU %.0f ms (%s)%n", i, ms, cpu, reply);
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (ProcessHandle.of(worker).map(ProcessHandle::isAlive).orElse(false)
                    && System.nanoTime() < deadline) {
                Thread.sleep(10); // its exit may write the class-data archive; the next run must not overlap it
            }
        }
        List<Double> sorted = new ArrayList<>(millis);
        Collections.sort(sorted);
        Collections.sort(cpuMillis);
        System.out.printf("median %.0f ms over %d runs (min %.0f, max %.0f); worker CPU to the reply median %s ms%n",
                sorted.get(sorted.size() / 2), sorted.size(), sorted.get(0), sorted.get(sorted.size() - 1),
                cpuMillis.isEmpty() ? "?" : String.format("%.0f", cpuMillis.get(cpuMillis.size() / 2)));
    }

    /**
     * CPU time (user + system, all its threads, those that ended included) the worker process used so far, in ms;
     * -1 if unknown. Read when the reply has arrived: from its start to the handover and the first reply. Less
     * sensitive than the wall time to what else runs on the machine; the kernel counts it in clock ticks (10 ms).
     */
    static double cpuMillis(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            // after the command: state is field 3 of stat(5), utime 14 and stime 15
            long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
            return ticks * 1000.0 / CLOCK_TICKS;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** USER_HZ: 100 on Linux for every architecture via-emu runs on. */
    private static final int CLOCK_TICKS = 100;

    private static void rate(ViaConfig config, String endpoint, int connections) throws Exception {
        List<Double> millis = new ArrayList<>();
        long first = System.nanoTime();
        for (int i = 0; i < connections; i++) {
            long start = System.nanoTime();
            try (ViaConnection c = ViaClient.connect(config, endpoint)) {
                c.outputStream().write("ping\n".getBytes(StandardCharsets.UTF_8));
                c.setReadTimeout(60_000);
                String reply = new BufferedReader(new InputStreamReader(c.inputStream(), StandardCharsets.UTF_8))
                        .readLine();
                if (reply == null) {
                    throw new IllegalStateException("no reply on connection " + i);
                }
            }
            millis.add((System.nanoTime() - start) / 1e6);
        }
        double seconds = (System.nanoTime() - first) / 1e9;
        List<Double> sorted = new ArrayList<>(millis);
        Collections.sort(sorted);
        System.out.printf("one-shot rate: %d connections in %.1f s = %.2f connections/s; per connection p50 %.0f ms, "
                + "p90 %.0f ms, min %.0f, max %.0f%n", connections, seconds, connections / seconds,
                sorted.get(sorted.size() / 2), sorted.get((int) (sorted.size() * 0.9)), sorted.get(0),
                sorted.get(sorted.size() - 1));
    }
}
