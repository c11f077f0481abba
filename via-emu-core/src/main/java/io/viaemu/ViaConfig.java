package io.viaemu;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

import io.viaemu.internal.ConfigProperties;
import io.viaemu.internal.Layout;
import io.viaemu.transport.TransportFactory;
import io.viaemu.transport.chronicle.ChronicleOptions;

/**
 * Everything a via-emu process (server, client or worker) needs to know about the channel. Immutable; build it
 * with {@link #builder(Path)}. All processes of one server must agree on the base directory and the transport with
 * its options (the roll cycle, for Chronicle).
 */
public final class ViaConfig {

    private final Path baseDir;
    private final Set<Trigger> triggers;
    private final PauserKind pauser;
    private final Duration connectTimeout;
    private final Duration handoverTimeout;
    private final Duration childStartTimeout;
    private final Duration pollInterval;
    private final Duration peerTimeout;
    private final String transport;
    private final Map<String, String> transportOptions;
    private final int maxMessageSize;
    private final int maxConnections;
    private final int connectSlots;
    private final Duration connectSlotIdleTimeout;
    private final long connectionDiskQuota;
    private final long sendWindow;
    private final Duration retention;
    private final int workerPoolSize;
    private final List<String> workerJvmOptions;
    private final List<String> workerCommand;
    private final boolean workerClassDataSharing;
    private final int workerMaxConnections;
    private final int workerMaxConnectionsJitter;
    private final int workerConcurrency;
    private final long workerMaxHeap;
    private final long workerMaxRss;
    private final Duration workerHandlerTimeout;
    private final Duration workerIdleTimeout;
    private final boolean shutdownHook;

    private ViaConfig(Builder b) {
        this.baseDir = b.baseDir.toAbsolutePath().normalize();
        this.triggers = b.triggers.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(b.triggers));
        this.pauser = b.pauser;
        this.connectTimeout = b.connectTimeout;
        this.handoverTimeout = b.handoverTimeout;
        this.childStartTimeout = b.childStartTimeout;
        this.pollInterval = b.pollInterval;
        this.peerTimeout = b.peerTimeout;
        this.transport = b.transport;
        this.transportOptions = Collections.unmodifiableMap(new TreeMap<>(b.transportOptions));
        this.maxMessageSize = b.maxMessageSize;
        this.maxConnections = b.maxConnections;
        this.connectSlots = b.connectSlots;
        this.connectSlotIdleTimeout = b.connectSlotIdleTimeout;
        this.connectionDiskQuota = b.connectionDiskQuota;
        this.sendWindow = b.sendWindow;
        this.retention = b.retention;
        this.workerPoolSize = b.workerPoolSize;
        this.workerJvmOptions = List.copyOf(b.workerJvmOptions);
        this.workerCommand = b.workerCommand == null ? null : List.copyOf(b.workerCommand);
        this.workerClassDataSharing = b.workerClassDataSharing;
        this.workerMaxConnections = b.workerMaxConnections;
        this.workerMaxConnectionsJitter = b.workerMaxConnectionsJitter;
        this.workerConcurrency = b.workerConcurrency;
        this.workerMaxHeap = b.workerMaxHeap;
        this.workerMaxRss = b.workerMaxRss;
        this.workerHandlerTimeout = b.workerHandlerTimeout;
        this.workerIdleTimeout = b.workerIdleTimeout;
        this.shutdownHook = b.shutdownHook;
    }

    public static Builder builder(Path baseDir) {
        return new Builder(baseDir);
    }

    /** A configuration from the {@code via.*} system properties: see {@link #fromProperties(Map)}. */
    public static ViaConfig fromSystemProperties() {
        return fromProperties(System.getProperties());
    }

    /**
     * A configuration from {@code via.*} properties with the names and value formats of the Spring Boot starter:
     * {@code via.base-dir} (default {@link #defaultBaseDir()}), {@code via.pauser=busy|yielding|backoff},
     * {@code via.transport=chronicle} and that transport's options ({@code via.roll-cycle}, {@code via.block-size=16MB}), {@code via.max-message-size=64KB},
     * {@code via.max-connections}, {@code via.connection-disk-quota=0}, {@code via.retention=10m},
     * {@code via.triggers.t1-parent-close|t2-parent-abort|t3-child-receive|t4-child-send=true|false},
     * {@code via.timeouts.connect|handover|child-start|poll-interval|peer=10s}, {@code via.worker.pool-size},
     * {@code via.worker.class-data-sharing=true|false}, {@code via.worker.jvm-options=-Xmx256m,-Xss512k} (or indexed: {@code via.worker.jvm-options[0]=...}),
     * and, beyond the starter's, {@code via.worker.command} (a list, as the JVM options) and
     * {@code via.shutdown-hook=true|false}. Durations are {@code 500ms}, {@code 10s}, {@code 2m}, ISO-8601 or a bare
     * number of milliseconds; sizes {@code 512KB}, {@code 16MB} or a number of bytes. Settings not given keep the
     * defaults; other keys are ignored, but a misspelt {@code via.timeouts.*} or {@code via.triggers.*} fails.
     *
     * @throws IllegalArgumentException naming the property and the value when a value is bad
     */
    public static ViaConfig fromProperties(Map<?, ?> properties) {
        Path base = ConfigProperties.baseDir(properties);
        return builder(base != null ? base : defaultBaseDir()).properties(properties).buildFromProperties();
    }

    /**
     * The base directory when none is configured (as the starter's): on tmpfs where there is one,
     * {@code $XDG_RUNTIME_DIR/via-emu}, else {@code /dev/shm/via-emu-${user.name}}, else
     * {@code ${java.io.tmpdir}/via-emu-${user.name}} (see {@link Layout#defaultBaseDir()}).
     */
    public static Path defaultBaseDir() {
        return Layout.defaultBaseDir();
    }

    public Builder toBuilder() {
        Builder b = new Builder(baseDir);
        b.triggers = triggers.isEmpty() ? EnumSet.noneOf(Trigger.class) : EnumSet.copyOf(triggers);
        b.pauser = pauser;
        b.connectTimeout = connectTimeout;
        b.handoverTimeout = handoverTimeout;
        b.childStartTimeout = childStartTimeout;
        b.pollInterval = pollInterval;
        b.peerTimeout = peerTimeout;
        b.transport = transport;
        b.transportOptions = new TreeMap<>(transportOptions);
        b.maxMessageSize = maxMessageSize;
        b.maxConnections = maxConnections;
        b.connectSlots = connectSlots;
        b.connectSlotIdleTimeout = connectSlotIdleTimeout;
        b.connectionDiskQuota = connectionDiskQuota;
        b.sendWindow = sendWindow;
        b.retention = retention;
        b.workerPoolSize = workerPoolSize;
        b.workerJvmOptions = workerJvmOptions;
        b.workerCommand = workerCommand;
        b.workerClassDataSharing = workerClassDataSharing;
        b.workerMaxConnections = workerMaxConnections;
        b.workerMaxConnectionsJitter = workerMaxConnectionsJitter;
        b.workerConcurrency = workerConcurrency;
        b.workerMaxHeap = workerMaxHeap;
        b.workerMaxRss = workerMaxRss;
        b.workerHandlerTimeout = workerHandlerTimeout;
        b.workerIdleTimeout = workerIdleTimeout;
        b.shutdownHook = shutdownHook;
        return b;
    }

    /** Root of all queues and flag blocks; must be owned by this user and writable by nobody else. */
    public Path baseDir() { return baseDir; }

    /** Active handover triggers (T1-T4). */
    public Set<Trigger> triggers() { return triggers; }

    public boolean isEnabled(Trigger trigger) { return triggers.contains(trigger); }

    public PauserKind pauser() { return pauser; }

    /** How long a client waits for the server's grant. */
    public Duration connectTimeout() { return connectTimeout; }

    /** How long each handover step waits for its peer (intermission confirmation, grant, completion report). */
    public Duration handoverTimeout() { return handoverTimeout; }

    /** How long a fork waits for a worker process to be ready (a cold JVM start included). */
    public Duration childStartTimeout() { return childStartTimeout; }

    /** How often the housekeeper looks at flags, heartbeats and peer processes. */
    public Duration pollInterval() { return pollInterval; }

    /** A peer whose heartbeat is older than this is taken as hung; a dead peer process is noticed at once. */
    public Duration peerTimeout() { return peerTimeout; }

    /**
     * The transport's name (property {@code via.transport}): {@value TransportFactory#RING} (the default: one
     * memory-mapped ring file per channel), {@value TransportFactory#CHRONICLE} (Chronicle Queue) or one registered as a {@link TransportFactory} service. Every process of a
     * server uses the same. A builder's default can be changed for a whole JVM with the system property
     * {@value #DEFAULT_TRANSPORT_PROPERTY} (a test run of the suite on another transport).
     */
    public String transport() { return transport; }

    /**
     * The transport's own options set in this configuration, by option name (the property {@code via.NAME}),
     * parsed: for Chronicle {@value ChronicleOptions#ROLL_CYCLE} and {@value ChronicleOptions#BLOCK_SIZE} (see
     * {@link ChronicleOptions}). Options not set take the transport's defaults.
     */
    public Map<String, String> transportOptions() { return transportOptions; }

    /**
     * Chronicle roll cycle name (RollCycles or TestRollCycles constant), e.g. FAST_DAILY.
     *
     * @deprecated a Chronicle transport option: {@code ChronicleOptions.from(transportOptions()).rollCycle()}
     */
    @Deprecated
    public String rollCycle() { return ChronicleOptions.from(transportOptions).rollCycle(); }

    /**
     * Chronicle mapping block size of each connection queue (sparse; caps the largest document).
     *
     * @deprecated a Chronicle transport option: {@code ChronicleOptions.from(transportOptions()).blockSize()}
     */
    @Deprecated
    public long blockSize() { return ChronicleOptions.from(transportOptions).blockSize(); }

    /**
     * Largest payload of one data document; larger sends are split, larger incoming documents are refused. Default
     * 64 KiB ({@link #DEFAULT_MAX_MESSAGE_SIZE}).
     */
    public int maxMessageSize() { return maxMessageSize; }

    /**
     * Connections a server serves at once; more are refused (the client reads why). Default 10,000 (issue 11's
     * target; each open connection costs a server about 5 memory mappings and 4 file descriptors, see the README).
     * Also the most connection slots whose queues a server keeps open between their uses.
     */
    public int maxConnections() { return maxConnections; }

    /**
     * Connection slots a client process keeps per endpoint and base directory (in use, idle or being released): a
     * connect takes an idle slot, whose queues are open already, instead of creating a directory and two queues;
     * a clean close without a handover gives the slot back. 0 turns them off (every connection creates and deletes
     * its directory). Default 16. Off while {@link #retention()} is set (a reused slot keeps nothing to inspect).
     */
    public int connectSlots() { return connectSlots; }

    /** How long an idle connection slot is kept before it is deleted. Default 60 s. */
    public Duration connectSlotIdleTimeout() { return connectSlotIdleTimeout; }

    /** Bytes a connection's queues may hold on disk before sends are refused; 0 = unlimited. */
    public long connectionDiskQuota() { return connectionDiskQuota; }

    /**
     * Flow control, like TCP's window: a sender blocks while this many payload bytes it sent are not yet consumed
     * by the receiving application (a smaller receive window the receiver advertises wins). 0 turns flow control
     * off. Default 1 MiB ({@link #DEFAULT_SEND_WINDOW}). The queues also roll to a new file every window's worth of bytes and consumed files are
     * deleted, so that a connection's disk stays within about three windows (one if its reader stops).
     */
    public long sendWindow() { return sendWindow; }

    /**
     * Bytes after which a writer rolls its connection queue to a new file: the send window (at least 64 KiB), or
     * 64 MiB without flow control. Consumed files are deleted by their reader. Not smaller: every roll costs a new
     * file, its mapping and a directory listing in the reader (at half a window, streams ran ~40 % slower).
     */
    public long rollBytes() { return sendWindow > 0 ? Math.max(sendWindow, 64 * 1024) : 64L << 20; }

    /** How long the queue files of a closed connection are kept; zero deletes them at close. */
    public Duration retention() { return retention; }

    /** Idle worker JVMs kept ready for forks; 0 starts one per fork. */
    public int workerPoolSize() { return workerPoolSize; }

    /** Extra JVM options for worker processes (the channel's own options are always added). */
    public List<String> workerJvmOptions() { return workerJvmOptions; }

    /**
     * The program a worker JVM runs after the java binary and JVM options: for example {@code -cp CP some.Main}
     * or {@code -jar app.jar}. Null infers it from this JVM.
     */
    public List<String> workerCommand() { return workerCommand; }

    /**
     * Whether cold worker JVMs start from a class-data archive an earlier worker wrote (CDS on JDK 17-23, the AOT
     * cache on 24+), kept in {@code BASE/class-data}; needs the worker's class path to be jar files.
     */
    public boolean workerClassDataSharing() { return workerClassDataSharing; }

    /**
     * Connections one worker JVM serves before it is recycled (Apache's MaxConnectionsPerChild, PHP-FPM's
     * pm.max_requests, Gunicorn's max_requests). 1 (the default) is one-shot isolation: a worker serves one
     * connection and exits, so no connection sees what a previous one left (static state, threads, memory).
     * 0 = unlimited.
     */
    public int workerMaxConnections() { return workerMaxConnections; }

    /**
     * Up to this many connections are added at random to {@link #workerMaxConnections()} per worker (Gunicorn's
     * max_requests_jitter), so workers started together are not all recycled at once. Ignored when unlimited.
     */
    public int workerMaxConnectionsJitter() { return workerMaxConnectionsJitter; }

    /** Connections a worker serves at once (each on its own handler thread); at least 1. */
    public int workerConcurrency() { return workerConcurrency; }

    /**
     * A worker whose heap in use after the latest garbage collection exceeds this many bytes takes no more
     * connections and exits once its connections have ended; 0 = no limit.
     */
    public long workerMaxHeap() { return workerMaxHeap; }

    /** Like {@link #workerMaxHeap()}, for the worker's resident set size (VmRSS); 0 = no limit. */
    public long workerMaxRss() { return workerMaxRss; }

    /**
     * How long a handler may run on one connection: after that the connection is failed (the client's next I/O
     * says why) and the worker is recycled (a handler that overran may have left the worker in any state).
     * Zero = no limit.
     */
    public Duration workerHandlerTimeout() { return workerHandlerTimeout; }

    /**
     * A reusable worker beyond the {@link #workerPoolSize()} spare ones that has had no connection for this long is
     * retired (it exits), so a burst does not leave its workers running for good (PHP-FPM's
     * pm.process_idle_timeout). Zero keeps them.
     */
    public Duration workerIdleTimeout() { return workerIdleTimeout; }

    /**
     * Whether a server registers a JVM shutdown hook that closes it (handing forked connections over: T2). A
     * framework that closes the server in its own shutdown order (the Spring starter) turns it off.
     */
    public boolean shutdownHook() { return shutdownHook; }

    @Override
    public String toString() {
        return "ViaConfig{baseDir=" + baseDir + ", triggers=" + triggers + ", pauser=" + pauser
                + ", transport=" + transport + transportOptions + ", workerPoolSize=" + workerPoolSize
                + ", workerMaxConnections=" + workerMaxConnections + ", workerConcurrency=" + workerConcurrency + '}';
    }

    /**
     * The default largest document: 64 KiB, as a TCP segment with segmentation offload. Larger would not stream
     * faster (a document's 16-byte header is 0.02 % of it) and would grow the ring: it holds a reserve of two largest
     * records (see {@code RingLayout}).
     */
    public static final int DEFAULT_MAX_MESSAGE_SIZE = 64 * 1024;

    /**
     * The default send window: 1 MiB, Linux's TCP send buffer after a little auto-tuning. With 64 KiB documents the
     * ring transport's rings are 2 MiB; the earlier 4 MiB window with 1 MiB documents made 16 MiB rings, which a
     * stream cycles through far beyond a core's cache (README, "Streams after issue 13").
     */
    public static final long DEFAULT_SEND_WINDOW = 1L << 20;

    /**
     * System property naming the transport a {@link Builder} starts with (outside the {@code via.} properties, which
     * configure one server: this one only changes the default of every configuration built in the JVM).
     */
    public static final String DEFAULT_TRANSPORT_PROPERTY = "viaemu.default-transport";

    private static String defaultTransport() {
        String name = System.getProperty(DEFAULT_TRANSPORT_PROPERTY);
        return name == null || name.isBlank() ? TransportFactory.RING : TransportFactory.named(name.trim()).name();
    }

    public static final class Builder {
        private final Path baseDir;
        private Set<Trigger> triggers = EnumSet.allOf(Trigger.class);
        private PauserKind pauser = PauserKind.BACKOFF;
        private Duration connectTimeout = Duration.ofSeconds(10);
        private Duration handoverTimeout = Duration.ofSeconds(10);
        private Duration childStartTimeout = Duration.ofSeconds(60);
        private Duration pollInterval = Duration.ofMillis(1);
        private Duration peerTimeout = Duration.ofSeconds(5);
        private String transport = defaultTransport();
        private Map<String, String> transportOptions = new TreeMap<>();
        private int maxMessageSize = DEFAULT_MAX_MESSAGE_SIZE;
        private int maxConnections = 10_000;
        private int connectSlots = 16;
        private Duration connectSlotIdleTimeout = Duration.ofSeconds(60);
        private long connectionDiskQuota = 0;
        private long sendWindow = DEFAULT_SEND_WINDOW;
        private Duration retention = Duration.ZERO;
        private int workerPoolSize = 0;
        private List<String> workerJvmOptions = List.of();
        private List<String> workerCommand;
        private boolean workerClassDataSharing = true;
        private int workerMaxConnections = 1;
        private int workerMaxConnectionsJitter = 0;
        private int workerConcurrency = 1;
        private long workerMaxHeap = 0;
        private long workerMaxRss = 0;
        private Duration workerHandlerTimeout = Duration.ZERO;
        private Duration workerIdleTimeout = Duration.ofSeconds(60);
        private boolean shutdownHook = true;

        private Builder(Path baseDir) {
            this.baseDir = Objects.requireNonNull(baseDir, "baseDir");
        }

        public Builder triggers(Collection<Trigger> triggers) {
            this.triggers = triggers.isEmpty() ? EnumSet.noneOf(Trigger.class) : EnumSet.copyOf(triggers);
            return this;
        }

        public Builder triggers(Trigger... triggers) {
            return triggers(List.of(triggers));
        }

        /** Switches one trigger on or off, leaving the others. */
        public Builder trigger(Trigger trigger, boolean enabled) {
            Set<Trigger> set = triggers.isEmpty() ? EnumSet.noneOf(Trigger.class) : EnumSet.copyOf(triggers);
            if (enabled) {
                set.add(Objects.requireNonNull(trigger));
            } else {
                set.remove(trigger);
            }
            this.triggers = set;
            return this;
        }

        /** Applies the {@code via.*} settings {@code properties} has (see {@link ViaConfig#fromProperties(Map)}). */
        public Builder properties(Map<?, ?> properties) {
            return ConfigProperties.apply(this, properties);
        }

        public Builder pauser(PauserKind pauser) { this.pauser = Objects.requireNonNull(pauser); return this; }

        public Builder connectTimeout(Duration d) { this.connectTimeout = positive(d, "connectTimeout"); return this; }

        public Builder handoverTimeout(Duration d) { this.handoverTimeout = positive(d, "handoverTimeout"); return this; }

        public Builder childStartTimeout(Duration d) { this.childStartTimeout = positive(d, "childStartTimeout"); return this; }

        public Builder pollInterval(Duration d) { this.pollInterval = positive(d, "pollInterval"); return this; }

        public Builder peerTimeout(Duration d) { this.peerTimeout = positive(d, "peerTimeout"); return this; }

        /** The transport by name (see {@link ViaConfig#transport()}); its options are checked by {@link #build()}. */
        public Builder transport(String name) {
            this.transport = Objects.requireNonNull(name, "transport").trim();
            return this;
        }

        /** The transport named so far (for parsers that apply options of the transport chosen). */
        public String transport() {
            return transport;
        }

        /** One of the transport's options (see {@link ViaConfig#transportOptions()}), as its property text. */
        public Builder transportOption(String option, String value) {
            transportOptions.put(Objects.requireNonNull(option, "option"), Objects.requireNonNull(value, option));
            return this;
        }

        /** @deprecated {@code transportOption(ChronicleOptions.ROLL_CYCLE, rollCycle)} */
        @Deprecated
        public Builder rollCycle(String rollCycle) {
            return transportOption(ChronicleOptions.ROLL_CYCLE, Objects.requireNonNull(rollCycle));
        }

        /** @deprecated {@code transportOption(ChronicleOptions.BLOCK_SIZE, Long.toString(blockSize))} */
        @Deprecated
        public Builder blockSize(long blockSize) {
            return transportOption(ChronicleOptions.BLOCK_SIZE, Long.toString(blockSize));
        }

        public Builder maxMessageSize(int maxMessageSize) {
            if (maxMessageSize < 64) {
                throw new IllegalArgumentException("maxMessageSize must be at least 64 bytes");
            }
            this.maxMessageSize = maxMessageSize;
            return this;
        }

        public Builder maxConnections(int maxConnections) { this.maxConnections = maxConnections; return this; }

        /** Connection slots per endpoint in a client process (see {@link ViaConfig#connectSlots()}); 0: none. */
        public Builder connectSlots(int slots) {
            if (slots < 0) {
                throw new IllegalArgumentException("connectSlots must not be negative");
            }
            this.connectSlots = slots;
            return this;
        }

        /** How long an idle connection slot is kept (see {@link ViaConfig#connectSlotIdleTimeout()}). */
        public Builder connectSlotIdleTimeout(Duration timeout) {
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("connectSlotIdleTimeout must be positive");
            }
            this.connectSlotIdleTimeout = timeout;
            return this;
        }

        public Builder connectionDiskQuota(long bytes) { this.connectionDiskQuota = bytes; return this; }

        /** Bytes in flight before a sender blocks (see {@link ViaConfig#sendWindow()}); 0 = no flow control. */
        public Builder sendWindow(long bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("sendWindow must not be negative");
            }
            this.sendWindow = bytes;
            return this;
        }

        public Builder retention(Duration retention) { this.retention = Objects.requireNonNull(retention); return this; }

        public Builder workerPoolSize(int size) { this.workerPoolSize = size; return this; }

        public Builder workerJvmOptions(List<String> options) { this.workerJvmOptions = List.copyOf(options); return this; }

        public Builder workerCommand(List<String> command) {
            this.workerCommand = command == null ? null : List.copyOf(command);
            return this;
        }

        public Builder workerClassDataSharing(boolean on) { this.workerClassDataSharing = on; return this; }

        public Builder shutdownHook(boolean install) { this.shutdownHook = install; return this; }

        public Builder workerMaxConnections(int connections) {
            this.workerMaxConnections = notNegative(connections, "workerMaxConnections");
            return this;
        }

        public Builder workerMaxConnectionsJitter(int connections) {
            this.workerMaxConnectionsJitter = notNegative(connections, "workerMaxConnectionsJitter");
            return this;
        }

        public Builder workerConcurrency(int connections) {
            if (connections < 1) {
                throw new IllegalArgumentException("workerConcurrency must be at least 1");
            }
            this.workerConcurrency = connections;
            return this;
        }

        public Builder workerMaxHeap(long bytes) {
            this.workerMaxHeap = notNegative(bytes, "workerMaxHeap");
            return this;
        }

        public Builder workerMaxRss(long bytes) {
            this.workerMaxRss = notNegative(bytes, "workerMaxRss");
            return this;
        }

        public Builder workerHandlerTimeout(Duration d) {
            if (d == null || d.isNegative()) {
                throw new IllegalArgumentException("workerHandlerTimeout must be zero (no limit) or positive");
            }
            this.workerHandlerTimeout = d;
            return this;
        }

        public Builder workerIdleTimeout(Duration d) {
            if (d == null || d.isNegative()) {
                throw new IllegalArgumentException("workerIdleTimeout must be zero (keep idle workers) or positive");
            }
            this.workerIdleTimeout = d;
            return this;
        }

        public ViaConfig build() {
            TransportFactory factory = TransportFactory.named(transport);
            Map<String, String> parsed = new TreeMap<>();
            for (Map.Entry<String, String> e : transportOptions.entrySet()) {
                parsed.put(e.getKey(), factory.parseOption(e.getKey(), e.getValue()));
            }
            factory.check(parsed, maxMessageSize);
            transportOptions = parsed;
            return new ViaConfig(this);
        }

        /** {@link #build()}, its complaints about combinations of values worded for properties. */
        ViaConfig buildFromProperties() {
            try {
                return build();
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("bad via.* configuration (via.block-size, via.max-message-size): "
                        + e.getMessage(), e);
            }
        }

        private static int notNegative(int v, String name) {
            if (v < 0) {
                throw new IllegalArgumentException(name + " must not be negative");
            }
            return v;
        }

        private static long notNegative(long v, String name) {
            if (v < 0) {
                throw new IllegalArgumentException(name + " must not be negative");
            }
            return v;
        }

        private static Duration positive(Duration d, String name) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + " must be positive");
            }
            return d;
        }
    }
}
