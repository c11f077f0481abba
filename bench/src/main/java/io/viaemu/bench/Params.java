package io.viaemu.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Workload sizes, shared by the harness and both peers (passed to the peers as {@code key=value} arguments).
 *
 * @param rttWarmup          round trips before measuring, at least
 * @param rttWarmupMillis    round trips before measuring go on for at least this long (and at most 1 GiB of
 *                           payload): the JIT compiles a contender's path during the first seconds, and on 2 CPUs
 *                           whose both spinning peers leave no idle CPU each compilation preempts one of them for
 *                           4 ms slices; a count alone is 20 ms of warm-up at 1 µs per round trip
 * @param rttIterations      measured round trips per message size
 * @param streamWarmupMiB    bytes streamed (and acknowledged) before measuring
 * @param streamRoundMiB     bytes of one measured streaming round
 * @param streamRounds       measured streaming rounds; the table shows the median round
 * @param connectWarmup      connects before measuring (also each thread's warm-up cycles of the connection rate): a
 *                           user-space connect is Java code the JIT must compile first, as a TCP connect is kernel
 *                           code that needs none; 20 of them left it interpreted (median 0.9-1.1 ms against
 *                           138-225 us per whole cycle in the sustained rate)
 * @param connects           measured connects; the table shows the median
 * @param timeoutSec         wall-clock limit of one figure (both peers); past it both are killed
 * @param pin                1: pin the peers' main threads to different CPUs (server CPU 1, client CPU 0);
 *                           0: let the OS place them
 */
public record Params(int rttWarmup, int rttIterations, int streamWarmupMiB, int streamRoundMiB, int streamRounds,
                     int connectWarmup, int connects, int timeoutSec, int pin, int idleSeconds,
                     int wakeIterations, int rttWarmupMillis) {

    /** The default run: at least 100k measured round trips per message size. */
    public static final Params FULL = new Params(20_000, 100_000, 256, 512, 5, 2_000, 1_000, 300, 1, 10, 2_000, 3_000);

    /** {@code --quick}: a CI smoke run of a few thousand iterations. */
    public static final Params QUICK = new Params(2_000, 5_000, 16, 32, 3, 5, 30, 90, 1, 2, 200, 300);

    public Params {
        positive("rttIterations", rttIterations);
        positive("streamRoundMiB", streamRoundMiB);
        positive("streamRounds", streamRounds);
        positive("connects", connects);
        positive("timeoutSec", timeoutSec);
        positive("idleSeconds", idleSeconds);
        positive("wakeIterations", wakeIterations);
        notNegative("rttWarmup", rttWarmup);
        notNegative("rttWarmupMillis", rttWarmupMillis);
        notNegative("streamWarmupMiB", streamWarmupMiB);
        notNegative("connectWarmup", connectWarmup);
        if (pin != 0 && pin != 1) {
            throw new IllegalArgumentException("pin must be 0 or 1, was " + pin);
        }
    }

    private static void positive(String name, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be > 0, was " + value);
        }
    }

    private static void notNegative(String name, int value) {
        if (value < 0) {
            throw new IllegalArgumentException(name + " must be >= 0, was " + value);
        }
    }

    public Params with(String key, int value) {
        Map<String, Integer> map = toMap();
        if (!map.containsKey(key)) {
            throw new IllegalArgumentException("unknown parameter " + key);
        }
        map.put(key, value);
        return fromMap(map);
    }

    public Map<String, Integer> toMap() {
        Map<String, Integer> map = new LinkedHashMap<>();
        map.put("rttWarmup", rttWarmup);
        map.put("rttIterations", rttIterations);
        map.put("streamWarmupMiB", streamWarmupMiB);
        map.put("streamRoundMiB", streamRoundMiB);
        map.put("streamRounds", streamRounds);
        map.put("connectWarmup", connectWarmup);
        map.put("connects", connects);
        map.put("timeoutSec", timeoutSec);
        map.put("pin", pin);
        map.put("idleSeconds", idleSeconds);
        map.put("wakeIterations", wakeIterations);
        map.put("rttWarmupMillis", rttWarmupMillis);
        return map;
    }

    public static Params fromMap(Map<String, Integer> map) {
        return new Params(map.get("rttWarmup"), map.get("rttIterations"), map.get("streamWarmupMiB"),
                map.get("streamRoundMiB"), map.get("streamRounds"), map.get("connectWarmup"), map.get("connects"),
                map.get("timeoutSec"), map.get("pin"), map.get("idleSeconds"), map.get("wakeIterations"),
                map.get("rttWarmupMillis"));
    }

    /** {@code key=value} arguments for a peer. */
    public List<String> toArgs() {
        List<String> args = new ArrayList<>();
        toMap().forEach((k, v) -> args.add(k + "=" + v));
        return args;
    }

    public static Params fromArgs(List<String> args) {
        Map<String, Integer> map = FULL.toMap();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (eq < 0 || !map.containsKey(arg.substring(0, eq))) {
                throw new IllegalArgumentException("bad peer parameter " + arg);
            }
            map.put(arg.substring(0, eq), Integer.parseInt(arg.substring(eq + 1)));
        }
        return fromMap(map);
    }
}
