package io.viaemu.testapp;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import io.viaemu.ViaConfig;

/**
 * The configuration of the fault tests, from {@code via.test.*} properties, so that the test JVM (its clients) and
 * the server JVM it starts (as {@code -D} options, see {@link #jvmOptions}) build the same {@link ViaConfig}.
 * Keys (all optional): triggers ("T1,T2" or "none"), pool, handoverTimeoutMs, childStartTimeoutMs, connectTimeoutMs,
 * retentionMs, maxConnections, diskQuota, sendWindow, rollCycle, maxMessageSize, workerMain (a main class run as the worker
 * program instead of WorkerMain), out (the RecordingHandler's output directory).
 */
public final class FaultConfigs {
    public static final String PREFIX = "via.test.";

    private FaultConfigs() {
    }

    /** From this JVM's system properties (the server apps). */
    public static ViaConfig fromSystemProperties(Path base) {
        return config(base, k -> System.getProperty(PREFIX + k));
    }

    /** From a map of keys without the prefix (the tests). */
    public static ViaConfig config(Path base, Map<String, String> props) {
        return config(base, props::get);
    }

    public static ViaConfig config(Path base, Function<String, String> p) {
        String out = or(p.apply("out"), "");
        List<String> workerOptions = new ArrayList<>(List.of("-Dvia.test.out=" + out,
                "-Dvia.test.childSendsFirst=false", "-Xshare:auto", "-XX:TieredStopAtLevel=1"));
        ViaConfig.Builder b = ViaConfig.builder(base)
                .triggers(TestConfigs.triggers(or(p.apply("triggers"), "none")))
                .workerPoolSize(Integer.parseInt(or(p.apply("pool"), "0")))
                .handoverTimeout(ms(p.apply("handoverTimeoutMs"), 5_000))
                .childStartTimeout(ms(p.apply("childStartTimeoutMs"), 30_000))
                .connectTimeout(ms(p.apply("connectTimeoutMs"), 10_000))
                .retention(Duration.ofMillis(Long.parseLong(or(p.apply("retentionMs"), "3600000"))))
                .maxConnections(Integer.parseInt(or(p.apply("maxConnections"), "1024")))
                .connectionDiskQuota(Long.parseLong(or(p.apply("diskQuota"), "0")))
                .sendWindow(Long.parseLong(or(p.apply("sendWindow"), Long.toString(4L << 20))))
                .rollCycle(or(p.apply("rollCycle"), "FAST_DAILY"))
                .workerJvmOptions(workerOptions);
        if (p.apply("maxMessageSize") != null) {
            b.maxMessageSize(Integer.parseInt(p.apply("maxMessageSize")));
        }
        if (p.apply("workerMain") != null) {
            b.workerCommand(List.of("-cp", System.getProperty("java.class.path"), p.apply("workerMain")));
        }
        return b.build();
    }

    /** The properties as {@code -Dvia.test.key=value} options for a server JVM. */
    public static List<String> jvmOptions(Map<String, String> props) {
        List<String> l = new ArrayList<>();
        props.forEach((k, v) -> l.add("-D" + PREFIX + k + "=" + v));
        return l;
    }

    /** A mutable, ordered map for building properties: {@code props("triggers", "T1", "pool", "1")}. */
    public static Map<String, String> props(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    private static Duration ms(String v, long dflt) {
        return Duration.ofMillis(v == null ? dflt : Long.parseLong(v));
    }

    private static String or(String v, String dflt) {
        return v == null ? dflt : v;
    }
}
