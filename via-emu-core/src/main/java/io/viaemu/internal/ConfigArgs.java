package io.viaemu.internal;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.viaemu.PauserKind;
import io.viaemu.Trigger;
import io.viaemu.ViaConfig;

/**
 * A {@link ViaConfig} as {@code --via.*=value} program arguments, for the worker JVMs. The names are the Spring Boot
 * starter's property names, so a Spring worker binds them as ordinary properties.
 */
public final class ConfigArgs {
    public static final String ENDPOINT = "via.endpoint";
    public static final String WORKER_ID = "via.worker.id";
    private static final Map<Trigger, String> TRIGGER_KEYS = Map.of(
            Trigger.T1_PARENT_CLOSE, "via.triggers.t1-parent-close",
            Trigger.T2_PARENT_ABORT, "via.triggers.t2-parent-abort",
            Trigger.T3_CHILD_RECEIVE, "via.triggers.t3-child-receive",
            Trigger.T4_CHILD_SEND, "via.triggers.t4-child-send");

    private ConfigArgs() {
    }

    public static List<String> toArgs(ViaConfig c, String endpoint) {
        List<String> a = new ArrayList<>();
        a.add(arg("via.base-dir", c.baseDir()));
        a.add(arg(ENDPOINT, endpoint));
        a.add(arg("via.pauser", c.pauser()));
        a.add(arg("via.roll-cycle", c.rollCycle()));
        a.add(arg("via.block-size", c.blockSize()));
        a.add(arg("via.max-message-size", c.maxMessageSize()));
        a.add(arg("via.max-connections", c.maxConnections()));
        a.add(arg("via.connection-disk-quota", c.connectionDiskQuota()));
        a.add(arg("via.retention", millis(c.retention())));
        for (Trigger t : Trigger.values()) {
            a.add(arg(TRIGGER_KEYS.get(t), c.isEnabled(t)));
        }
        a.add(arg("via.timeouts.connect", millis(c.connectTimeout())));
        a.add(arg("via.timeouts.handover", millis(c.handoverTimeout())));
        a.add(arg("via.timeouts.child-start", millis(c.childStartTimeout())));
        a.add(arg("via.timeouts.poll-interval", millis(c.pollInterval())));
        a.add(arg("via.timeouts.peer", millis(c.peerTimeout())));
        a.add(arg("via.worker.class-data-sharing", c.workerClassDataSharing()));
        a.add(arg("via.worker.max-connections", c.workerMaxConnections()));
        a.add(arg("via.worker.max-connections-jitter", c.workerMaxConnectionsJitter()));
        a.add(arg("via.worker.concurrency", c.workerConcurrency()));
        a.add(arg("via.worker.max-heap", c.workerMaxHeap()));
        a.add(arg("via.worker.max-rss", c.workerMaxRss()));
        a.add(arg("via.worker.handler-timeout", millis(c.workerHandlerTimeout())));
        a.add(arg("via.worker.idle-timeout", millis(c.workerIdleTimeout())));
        return a;
    }

    /** Parses {@code --key=value} arguments (others are ignored). */
    public static Map<String, String> parse(String[] args) {
        Map<String, String> m = new HashMap<>();
        for (String s : args) {
            if (s.startsWith("--") && s.indexOf('=') > 2) {
                m.put(s.substring(2, s.indexOf('=')), s.substring(s.indexOf('=') + 1));
            }
        }
        return m;
    }

    public static ViaConfig fromArgs(Map<String, String> m) {
        String base = m.get("via.base-dir");
        if (base == null) {
            throw new IllegalArgumentException("--via.base-dir is required");
        }
        ViaConfig.Builder b = ViaConfig.builder(Path.of(base));
        Set<Trigger> triggers = EnumSet.noneOf(Trigger.class);
        for (Trigger t : Trigger.values()) {
            if (Boolean.parseBoolean(m.getOrDefault(TRIGGER_KEYS.get(t), "true"))) {
                triggers.add(t);
            }
        }
        b.triggers(triggers);
        if (m.containsKey("via.pauser")) b.pauser(PauserKind.valueOf(m.get("via.pauser")));
        if (m.containsKey("via.roll-cycle")) b.rollCycle(m.get("via.roll-cycle"));
        if (m.containsKey("via.block-size")) b.blockSize(Long.parseLong(m.get("via.block-size")));
        if (m.containsKey("via.max-message-size")) b.maxMessageSize(Integer.parseInt(m.get("via.max-message-size")));
        if (m.containsKey("via.max-connections")) b.maxConnections(Integer.parseInt(m.get("via.max-connections")));
        if (m.containsKey("via.connection-disk-quota")) {
            b.connectionDiskQuota(Long.parseLong(m.get("via.connection-disk-quota")));
        }
        if (m.containsKey("via.retention")) b.retention(duration(m.get("via.retention")));
        if (m.containsKey("via.timeouts.connect")) b.connectTimeout(duration(m.get("via.timeouts.connect")));
        if (m.containsKey("via.timeouts.handover")) b.handoverTimeout(duration(m.get("via.timeouts.handover")));
        if (m.containsKey("via.timeouts.child-start")) b.childStartTimeout(duration(m.get("via.timeouts.child-start")));
        if (m.containsKey("via.timeouts.poll-interval")) b.pollInterval(duration(m.get("via.timeouts.poll-interval")));
        if (m.containsKey("via.timeouts.peer")) b.peerTimeout(duration(m.get("via.timeouts.peer")));
        if (m.containsKey("via.worker.class-data-sharing")) {
            b.workerClassDataSharing(Boolean.parseBoolean(m.get("via.worker.class-data-sharing")));
        }
        if (m.containsKey("via.worker.max-connections")) {
            b.workerMaxConnections(Integer.parseInt(m.get("via.worker.max-connections")));
        }
        if (m.containsKey("via.worker.max-connections-jitter")) {
            b.workerMaxConnectionsJitter(Integer.parseInt(m.get("via.worker.max-connections-jitter")));
        }
        if (m.containsKey("via.worker.concurrency")) b.workerConcurrency(Integer.parseInt(m.get("via.worker.concurrency")));
        if (m.containsKey("via.worker.max-heap")) b.workerMaxHeap(Long.parseLong(m.get("via.worker.max-heap")));
        if (m.containsKey("via.worker.max-rss")) b.workerMaxRss(Long.parseLong(m.get("via.worker.max-rss")));
        if (m.containsKey("via.worker.idle-timeout")) b.workerIdleTimeout(duration(m.get("via.worker.idle-timeout")));
        if (m.containsKey("via.worker.handler-timeout")) {
            b.workerHandlerTimeout(duration(m.get("via.worker.handler-timeout")));
        }
        return b.build();
    }

    private static String arg(String key, Object value) {
        return "--" + key + "=" + value;
    }

    private static String millis(Duration d) {
        return d.toMillis() + "ms";
    }

    private static Duration duration(String s) {
        if (s.endsWith("ms")) {
            return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2)));
        }
        return Duration.parse(s);
    }
}
