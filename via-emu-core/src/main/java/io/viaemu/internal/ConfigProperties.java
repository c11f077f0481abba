package io.viaemu.internal;

import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.viaemu.PauserKind;
import io.viaemu.Trigger;
import io.viaemu.ViaConfig;
import io.viaemu.transport.TransportFactory;
import io.viaemu.transport.chronicle.ChronicleOptions;

/**
 * {@link ViaConfig} settings from {@code via.*} properties: system properties, a {@link java.util.Properties} file,
 * a worker's {@code --via.*=value} arguments. The names and value formats are those of the Spring Boot starter's
 * {@code ViaProperties} (kebab-case; durations as {@code 10s}, {@code 500ms}, {@code 2m} or ISO-8601 {@code PT10S},
 * a bare number being milliseconds; sizes as {@code 16MB}, {@code 512KB}, a bare number being bytes, binary
 * multiples; lists comma-separated or indexed {@code name[0]}, {@code name[1]}), so one set of names configures the
 * core, the socket factories and the starter. A bad value fails with an {@link IllegalArgumentException} naming the
 * property and the value; properties that are not set keep the builder's values.
 */
public final class ConfigProperties {

    public static final String BASE_DIR = "via.base-dir";
    public static final String PAUSER = "via.pauser";
    /** The transport by name ({@code chronicle}); its options are properties {@code via.OPTION}. */
    public static final String TRANSPORT = "via.transport";
    /** The Chronicle transport's options as properties. */
    public static final String ROLL_CYCLE = "via." + ChronicleOptions.ROLL_CYCLE;
    public static final String BLOCK_SIZE = "via." + ChronicleOptions.BLOCK_SIZE;
    public static final String MAX_MESSAGE_SIZE = "via.max-message-size";
    public static final String MAX_CONNECTIONS = "via.max-connections";
    public static final String CONNECT_SLOTS = "via.connect-slots";
    public static final String CONNECT_SLOT_IDLE_TIMEOUT = "via.connect-slot-idle-timeout";
    public static final String CONNECTION_DISK_QUOTA = "via.connection-disk-quota";
    public static final String SEND_WINDOW = "via.send-window";
    public static final String RETENTION = "via.retention";
    public static final String SHUTDOWN_HOOK = "via.shutdown-hook";
    public static final String TRIGGERS = "via.triggers.";
    public static final String TIMEOUTS = "via.timeouts.";
    public static final String CONNECT_TIMEOUT = "via.timeouts.connect";
    public static final String HANDOVER_TIMEOUT = "via.timeouts.handover";
    public static final String CHILD_START_TIMEOUT = "via.timeouts.child-start";
    public static final String POLL_INTERVAL = "via.timeouts.poll-interval";
    public static final String PEER_TIMEOUT = "via.timeouts.peer";
    public static final String WORKER_POOL_SIZE = "via.worker.pool-size";
    public static final String WORKER_CLASS_DATA_SHARING = "via.worker.class-data-sharing";
    public static final String WORKER_MAX_CONNECTIONS = "via.worker.max-connections";
    public static final String WORKER_MAX_CONNECTIONS_JITTER = "via.worker.max-connections-jitter";
    public static final String WORKER_CONCURRENCY = "via.worker.concurrency";
    public static final String WORKER_MAX_HEAP = "via.worker.max-heap";
    public static final String WORKER_MAX_RSS = "via.worker.max-rss";
    public static final String WORKER_HANDLER_TIMEOUT = "via.worker.handler-timeout";
    public static final String WORKER_IDLE_TIMEOUT = "via.worker.idle-timeout";
    public static final String WORKER_JVM_OPTIONS = "via.worker.jvm-options";
    public static final String WORKER_COMMAND = "via.worker.command";

    /** The starter's names of the triggers, {@code via.triggers.NAME=true|false}. */
    public static final Map<Trigger, String> TRIGGER_KEYS = Map.of(
            Trigger.T1_PARENT_CLOSE, TRIGGERS + "t1-parent-close",
            Trigger.T2_PARENT_ABORT, TRIGGERS + "t2-parent-abort",
            Trigger.T3_CHILD_RECEIVE, TRIGGERS + "t3-child-receive",
            Trigger.T4_CHILD_SEND, TRIGGERS + "t4-child-send");

    private static final Set<String> TIMEOUT_KEYS = Set.of(CONNECT_TIMEOUT, HANDOVER_TIMEOUT, CHILD_START_TIMEOUT,
            POLL_INTERVAL, PEER_TIMEOUT);

    private static final Pattern SIMPLE_DURATION = Pattern.compile("^([+-]?\\d+)([a-zA-Z]{0,2})$");
    private static final Pattern DATA_SIZE = Pattern.compile("^([+-]?\\d+)([a-zA-Z]{0,2})$");

    private ConfigProperties() {
    }

    /** The base directory the properties name, or null. */
    public static Path baseDir(Map<?, ?> properties) {
        String v = get(properties, BASE_DIR);
        return v == null ? null : Path.of(v);
    }

    /** Applies every setting {@code properties} has to {@code b} (the base directory is the builder's own). */
    public static ViaConfig.Builder apply(ViaConfig.Builder b, Map<?, ?> properties) {
        Map<String, String> via = viaEntries(properties);
        checkNames(via);
        set(via, PAUSER, v -> b.pauser(pauser(v)));
        set(via, TRANSPORT, v -> b.transport(TransportFactory.named(v.trim()).name()));
        TransportFactory transport = TransportFactory.named(b.transport());
        for (String option : new TreeSet<>(transport.optionNames())) {
            // the transport's options are properties too: via.roll-cycle, via.block-size for Chronicle
            set(via, "via." + option, v -> b.transportOption(option, transport.parseOption(option, v)));
        }
        set(via, MAX_MESSAGE_SIZE, v -> b.maxMessageSize(Math.toIntExact(size(v))));
        set(via, MAX_CONNECTIONS, v -> b.maxConnections(nonNegativeInt(v)));
        set(via, CONNECT_SLOTS, v -> b.connectSlots(nonNegativeInt(v)));
        set(via, CONNECT_SLOT_IDLE_TIMEOUT, v -> b.connectSlotIdleTimeout(duration(v)));
        set(via, CONNECTION_DISK_QUOTA, v -> b.connectionDiskQuota(size(v)));
        set(via, SEND_WINDOW, v -> b.sendWindow(size(v)));
        set(via, RETENTION, v -> b.retention(duration(v)));
        set(via, SHUTDOWN_HOOK, v -> b.shutdownHook(bool(v)));
        set(via, CONNECT_TIMEOUT, v -> b.connectTimeout(duration(v)));
        set(via, HANDOVER_TIMEOUT, v -> b.handoverTimeout(duration(v)));
        set(via, CHILD_START_TIMEOUT, v -> b.childStartTimeout(duration(v)));
        set(via, POLL_INTERVAL, v -> b.pollInterval(duration(v)));
        set(via, PEER_TIMEOUT, v -> b.peerTimeout(duration(v)));
        set(via, WORKER_POOL_SIZE, v -> b.workerPoolSize(nonNegativeInt(v)));
        set(via, WORKER_CLASS_DATA_SHARING, v -> b.workerClassDataSharing(bool(v)));
        set(via, WORKER_MAX_CONNECTIONS, v -> b.workerMaxConnections(nonNegativeInt(v)));
        set(via, WORKER_MAX_CONNECTIONS_JITTER, v -> b.workerMaxConnectionsJitter(nonNegativeInt(v)));
        set(via, WORKER_CONCURRENCY, v -> b.workerConcurrency(nonNegativeInt(v)));
        set(via, WORKER_MAX_HEAP, v -> b.workerMaxHeap(size(v)));
        set(via, WORKER_MAX_RSS, v -> b.workerMaxRss(size(v)));
        set(via, WORKER_HANDLER_TIMEOUT, v -> b.workerHandlerTimeout(duration(v)));
        set(via, WORKER_IDLE_TIMEOUT, v -> b.workerIdleTimeout(duration(v)));
        List<String> jvmOptions = list(via, WORKER_JVM_OPTIONS);
        if (jvmOptions != null) {
            b.workerJvmOptions(jvmOptions);
        }
        List<String> command = list(via, WORKER_COMMAND);
        if (command != null) {
            b.workerCommand(command.isEmpty() ? null : command);
        }
        for (Trigger t : Trigger.values()) {
            // a trigger not named keeps the builder's setting, as a Spring property not set keeps its default
            set(via, TRIGGER_KEYS.get(t), v -> b.trigger(t, bool(v)));
        }
        return b;
    }

    // -------------------------------------------------------------------------------------------- value formats

    /** {@code 10s}, {@code 500ms}, {@code 2m}, {@code 1h}, {@code 1d}, {@code 100us}, {@code 10ns}, a bare number of ms, or ISO-8601. */
    public static Duration duration(String s) {
        String v = s.trim();
        Matcher m = SIMPLE_DURATION.matcher(v);
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            switch (m.group(2).toLowerCase(Locale.ROOT)) {
                case "":
                case "ms":
                    return Duration.ofMillis(n);
                case "ns":
                    return Duration.ofNanos(n);
                case "us":
                    return Duration.ofNanos(Math.multiplyExact(n, 1_000L));
                case "s":
                    return Duration.ofSeconds(n);
                case "m":
                    return Duration.ofMinutes(n);
                case "h":
                    return Duration.ofHours(n);
                case "d":
                    return Duration.ofDays(n);
                default:
                    throw new IllegalArgumentException("unknown unit '" + m.group(2) + "' (ns, us, ms, s, m, h, d)");
            }
        }
        try {
            return Duration.parse(v);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("not a duration (10s, 500ms, 2m or ISO-8601 such as PT10S)");
        }
    }

    /** {@code 16MB}, {@code 512KB}, {@code 1GB}, {@code 4096B} or a bare number of bytes; binary multiples. */
    public static long size(String s) {
        Matcher m = DATA_SIZE.matcher(s.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("not a size (16MB, 512KB, 1GB or a number of bytes)");
        }
        long n = Long.parseLong(m.group(1));
        if (n < 0) {
            throw new IllegalArgumentException("a size cannot be negative");
        }
        switch (m.group(2).toUpperCase(Locale.ROOT)) {
            case "":
            case "B":
                return n;
            case "KB":
                return Math.multiplyExact(n, 1L << 10);
            case "MB":
                return Math.multiplyExact(n, 1L << 20);
            case "GB":
                return Math.multiplyExact(n, 1L << 30);
            case "TB":
                return Math.multiplyExact(n, 1L << 40);
            default:
                throw new IllegalArgumentException("unknown unit '" + m.group(2) + "' (B, KB, MB, GB, TB)");
        }
    }

    private static boolean bool(String s) {
        String v = s.trim().toLowerCase(Locale.ROOT);
        if (v.equals("true")) {
            return true;
        }
        if (v.equals("false")) {
            return false;
        }
        throw new IllegalArgumentException("not true or false");
    }

    private static int nonNegativeInt(String s) {
        int n = Integer.parseInt(s.trim());
        if (n < 0) {
            throw new IllegalArgumentException("cannot be negative");
        }
        return n;
    }

    private static PauserKind pauser(String s) {
        for (PauserKind k : PauserKind.values()) {
            if (k.name().equalsIgnoreCase(s.trim())) {
                return k;
            }
        }
        StringBuilder names = new StringBuilder();
        for (PauserKind k : PauserKind.values()) {
            names.append(names.length() == 0 ? "" : ", ").append(k.name().toLowerCase(Locale.ROOT));
        }
        throw new IllegalArgumentException("not one of " + names);
    }

    // -------------------------------------------------------------------------------------------- plumbing

    private interface Parser<T> {
        T parse(String value);
    }

    private static <T> T parse(String key, String value, Parser<T> parser) {
        try {
            return parser.parse(value);
        } catch (RuntimeException e) { // NumberFormatException, ArithmeticException and the builder's checks too
            throw new IllegalArgumentException("bad value for " + key + ": '" + value + "': " + reason(e), e);
        }
    }

    private static void set(Map<String, String> via, String key, Consumer<String> setter) {
        String value = via.get(key);
        if (value != null) {
            parse(key, value, v -> {
                setter.accept(v);
                return null;
            });
        }
    }

    private static String reason(RuntimeException e) {
        if (e instanceof NumberFormatException) {
            return "not a number";
        }
        if (e instanceof ArithmeticException) {
            return "too large";
        }
        return e.getMessage();
    }

    /**
     * A list: {@code key[0]}, {@code key[1]}, ... if any is set (in index order), else {@code key} split at commas;
     * null if neither is set. Indexed entries are for values with commas (JVM options such as -Xlog:gc:file=x,y).
     */
    private static List<String> list(Map<String, String> via, String key) {
        TreeMap<Integer, String> indexed = new TreeMap<>();
        String prefix = key + "[";
        for (Map.Entry<String, String> e : via.entrySet()) {
            String k = e.getKey();
            if (k.startsWith(prefix) && k.endsWith("]")) {
                String index = k.substring(prefix.length(), k.length() - 1);
                indexed.put(parse(k, index, Integer::parseInt), e.getValue().trim());
            }
        }
        if (!indexed.isEmpty()) {
            return new ArrayList<>(indexed.values());
        }
        String v = via.get(key);
        if (v == null) {
            return null;
        }
        List<String> items = new ArrayList<>();
        for (String item : v.split(",")) {
            if (!item.isBlank()) {
                items.add(item.trim());
            }
        }
        return items;
    }

    /** Names under via.timeouts. and via.triggers. are all the core's: a misspelt one fails rather than being ignored. */
    private static void checkNames(Map<String, String> via) {
        for (String key : via.keySet()) {
            boolean unknown = key.startsWith(TIMEOUTS) ? !TIMEOUT_KEYS.contains(key)
                    : key.startsWith(TRIGGERS) && !TRIGGER_KEYS.containsValue(key);
            if (unknown) {
                throw new IllegalArgumentException("unknown property " + key + " (known: "
                        + (key.startsWith(TIMEOUTS) ? new TreeSet<>(TIMEOUT_KEYS)
                                : new TreeSet<>(TRIGGER_KEYS.values())) + ")");
            }
        }
    }

    private static Map<String, String> viaEntries(Map<?, ?> properties) {
        Map<String, String> via = new TreeMap<>();
        for (Map.Entry<?, ?> e : properties.entrySet()) {
            if (e.getKey() instanceof String && e.getValue() instanceof String && ((String) e.getKey()).startsWith("via.")) {
                via.put((String) e.getKey(), (String) e.getValue());
            }
        }
        return via;
    }

    private static String get(Map<?, ?> properties, String key) {
        Object v = properties.get(key);
        return v instanceof String && !((String) v).isBlank() ? ((String) v).trim() : null;
    }
}
