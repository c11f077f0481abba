package io.viaemu.internal;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.viaemu.Trigger;
import io.viaemu.ViaConfig;

/**
 * A {@link ViaConfig} as {@code --via.*=value} program arguments, for the worker JVMs. The names are the Spring Boot
 * starter's property names, so a Spring worker binds them as ordinary properties.
 */
public final class ConfigArgs {
    public static final String ENDPOINT = "via.endpoint";
    public static final String WORKER_ID = "via.worker.id";
    private static final Map<Trigger, String> TRIGGER_KEYS = ConfigProperties.TRIGGER_KEYS;

    private ConfigArgs() {
    }

    public static List<String> toArgs(ViaConfig c, String endpoint) {
        List<String> a = new ArrayList<>();
        a.add(arg("via.base-dir", c.baseDir()));
        a.add(arg(ENDPOINT, endpoint));
        a.add(arg("via.pauser", c.pauser()));
        a.add(arg(ConfigProperties.TRANSPORT, c.transport()));
        c.transportOptions().forEach((option, value) -> a.add(arg("via." + option, value)));
        a.add(arg("via.max-message-size", c.maxMessageSize()));
        a.add(arg("via.max-connections", c.maxConnections()));
        a.add(arg("via.connection-disk-quota", c.connectionDiskQuota()));
        a.add(arg("via.send-window", c.sendWindow()));
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

    /** The parent's configuration from its {@link #toArgs} ({@link ConfigProperties} parses them, as everywhere). */
    public static ViaConfig fromArgs(Map<String, String> m) {
        String base = m.get("via.base-dir");
        if (base == null) {
            throw new IllegalArgumentException("--via.base-dir is required");
        }
        return ViaConfig.builder(Path.of(base)).properties(m).build();
    }

    private static String arg(String key, Object value) {
        return "--" + key + "=" + value;
    }

    private static String millis(Duration d) {
        return d.toMillis() + "ms";
    }

}
