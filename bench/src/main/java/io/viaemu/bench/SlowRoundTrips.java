package io.viaemu.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * For profiling the tails: with environment variable {@code VIA_BENCH_SLOW_LOG=DIR[:thresholdNanos]} the client of
 * a round-trip figure records every measured round trip slower than the threshold (default 100 µs) and writes them,
 * after the measurement, to {@code DIR/<figure>-<contender>-slow.txt} as {@code index startNanos rttNanos}, where
 * {@code startNanos} is {@link System#nanoTime()}, i.e. {@code CLOCK_MONOTONIC} on Linux: the clock that
 * {@code perf record -k CLOCK_MONOTONIC} stamps scheduler events with, so a slow round trip can be matched with
 * what ran on the CPUs at that moment. Without the variable it records nothing (one predictable branch).
 */
final class SlowRoundTrips {
    static final String ENV = "VIA_BENCH_SLOW_LOG";
    private static final int MAX = 10_000;

    private final Path file;
    private final long thresholdNanos;
    private final long[] entries;
    private int count;

    private SlowRoundTrips(Path file, long thresholdNanos) {
        this.file = file;
        this.thresholdNanos = thresholdNanos;
        this.entries = file == null ? new long[0] : new long[3 * MAX];
    }

    static SlowRoundTrips fromEnvironment(String name) {
        String spec = System.getenv(ENV);
        if (spec == null || spec.isBlank()) {
            return new SlowRoundTrips(null, Long.MAX_VALUE);
        }
        int colon = spec.lastIndexOf(':');
        long threshold = colon > 0 ? Long.parseLong(spec.substring(colon + 1)) : 100_000L;
        String dir = colon > 0 ? spec.substring(0, colon) : spec;
        return new SlowRoundTrips(Path.of(dir, name + "-slow.txt"), threshold);
    }

    void record(int index, long startNanos, long rttNanos) {
        if (rttNanos > thresholdNanos && count < MAX) {
            entries[3 * count] = index;
            entries[3 * count + 1] = startNanos;
            entries[3 * count + 2] = rttNanos;
            count++;
        }
    }

    void write() throws IOException {
        if (file == null) {
            return;
        }
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < count; i++) {
            text.append(entries[3 * i]).append(' ').append(entries[3 * i + 1]).append(' ')
                    .append(entries[3 * i + 2]).append('\n');
        }
        Files.writeString(file, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
    }
}
