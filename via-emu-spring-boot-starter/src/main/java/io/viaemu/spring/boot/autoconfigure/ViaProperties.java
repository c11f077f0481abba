package io.viaemu.spring.boot.autoconfigure;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import io.viaemu.PauserKind;
import io.viaemu.Trigger;
import io.viaemu.ViaConfig;
import io.viaemu.transport.TransportFactory;
import io.viaemu.transport.chronicle.ChronicleOptions;
import io.viaemu.transport.ring.RingTransportFactory;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * via-emu configuration, prefix {@code via}.
 *
 * <p>The property names are also the {@code --via.*=value} program arguments that {@link io.viaemu.worker.WorkerLauncher}
 * gives a worker JVM ({@link io.viaemu.internal.ConfigArgs}): a worker booting the same application binds its
 * parent's configuration here like any other property source, so the two must never drift apart. Defaults are
 * those of {@link ViaConfig.Builder}.
 */
@ConfigurationProperties(prefix = "via")
public class ViaProperties {

    /**
     * Root directory of all queues and flag blocks; created 0700 if missing and refused if others may write to it.
     * Defaults to the core's default, {@code ViaConfig.defaultBaseDir()}: "$XDG_RUNTIME_DIR/via-emu", else
     * "/dev/shm/via-emu-${user.name}", else "${java.io.tmpdir}/via-emu-${user.name}".
     */
    private Path baseDir = io.viaemu.ViaConfig.defaultBaseDir();

    /** Endpoint the auto-configured ViaServer listens on (letters, digits, '.', '_', '-'). */
    private String endpoint = "via";

    /** How threads waiting for the peer's next document spend their time. */
    private PauserKind pauser = PauserKind.BACKOFF;

    /**
     * The transport of the connections: "ring" (one memory-mapped ring file per direction, the default), "chronicle"
     * (Chronicle Queue) or the name of a TransportFactory registered as a service. roll-cycle and block-size are
     * Chronicle's options.
     */
    private String transport = TransportFactory.RING;

    /**
     * Data bytes of each direction's ring file (the ring transport; a power of two, such as 16MB), the same in every
     * process of an endpoint; unset: the send window, two largest messages and the reserve
     * for handovers, rounded up to a power of two (2 MiB for the defaults).
     */
    private DataSize ringCapacity;

    /** Chronicle roll cycle of the queues (a RollCycles or TestRollCycles constant). */
    private String rollCycle = "FAST_DAILY";

    /** Chronicle mapping block size of each connection queue; at least 4 x max-message-size + 4 KiB. */
    private DataSize blockSize = DataSize.ofMegabytes(16);

    /** Largest payload of one data document; larger sends are split. */
    private DataSize maxMessageSize = DataSize.ofBytes(ViaConfig.DEFAULT_MAX_MESSAGE_SIZE);

    /** Connections an endpoint serves at once; more are refused. */
    private int maxConnections = 10_000; // the core builder's default (issue 11: 10,000 connections per server)

    /** Bytes a connection's queues may hold on disk before sends are refused; 0 means unlimited. */
    private DataSize connectionDiskQuota = DataSize.ofBytes(0);

    /**
     * Flow control, like TCP's window: a send blocks while this many bytes it sent are not yet read by the peer
     * (SO_SNDBUF of the socket emulation); 0 turns flow control off. On the ring transport each direction is one
     * file of ring-capacity bytes; on Chronicle the queues roll to a new file every window's worth of bytes and
     * consumed files are deleted, so a connection's disk stays within about three windows.
     */
    private DataSize sendWindow = DataSize.ofBytes(ViaConfig.DEFAULT_SEND_WINDOW);

    /** How long the files of a closed connection are kept (and shown by the actuator endpoint); 0 deletes at once. */
    private Duration retention = Duration.ZERO;

    private final Triggers triggers = new Triggers();

    private final Timeouts timeouts = new Timeouts();

    private final Worker worker = new Worker();

    /** A builder with every property applied; the starter adds the worker command and the customizers. */
    public ViaConfig.Builder toConfigBuilder() {
        ViaConfig.Builder b = ViaConfig.builder(baseDir).transport(transport);
        if (TransportFactory.CHRONICLE.equals(transport.trim())) {
            b.transportOption(ChronicleOptions.ROLL_CYCLE, rollCycle)
                    .transportOption(ChronicleOptions.BLOCK_SIZE, Long.toString(blockSize.toBytes()));
        } else if (TransportFactory.RING.equals(transport.trim()) && ringCapacity != null) {
            b.transportOption(RingTransportFactory.CAPACITY, Long.toString(ringCapacity.toBytes()));
        }
        return b
                .triggers(triggers.toSet())
                .pauser(pauser)
                .maxMessageSize(Math.toIntExact(maxMessageSize.toBytes()))
                .maxConnections(maxConnections)
                .connectionDiskQuota(connectionDiskQuota.toBytes())
                .sendWindow(sendWindow.toBytes())
                .retention(retention)
                .connectTimeout(timeouts.connect)
                .handoverTimeout(timeouts.handover)
                .childStartTimeout(timeouts.childStart)
                .pollInterval(timeouts.pollInterval)
                .peerTimeout(timeouts.peer)
                .workerPoolSize(worker.poolSize)
                .workerJvmOptions(worker.jvmOptions)
                .workerClassDataSharing(worker.classDataSharing)
                .workerMaxConnections(worker.maxConnections)
                .workerMaxConnectionsJitter(worker.maxConnectionsJitter)
                .workerConcurrency(worker.concurrency)
                .workerMaxHeap(worker.maxHeap.toBytes())
                .workerMaxRss(worker.maxRss.toBytes())
                .workerHandlerTimeout(worker.handlerTimeout)
                .workerIdleTimeout(worker.idleTimeout)
                // Spring closes the servers in its own shutdown order (stop accepting, then close = T2 handover)
                .shutdownHook(false);
    }

    /** True in a worker JVM: the launcher passes {@code --via.worker.id}. */
    public boolean isWorker() {
        return worker.id != null && !worker.id.isBlank();
    }

    public Path getBaseDir() {
        return baseDir;
    }

    public void setBaseDir(Path baseDir) {
        this.baseDir = baseDir;
    }

    public String getEndpoint() {
        return endpoint;
    }

    public void setEndpoint(String endpoint) {
        this.endpoint = endpoint;
    }

    public PauserKind getPauser() {
        return pauser;
    }

    public void setPauser(PauserKind pauser) {
        this.pauser = pauser;
    }

    public String getTransport() {
        return transport;
    }

    public void setTransport(String transport) {
        this.transport = transport;
    }

    public DataSize getRingCapacity() {
        return ringCapacity;
    }

    public void setRingCapacity(DataSize ringCapacity) {
        this.ringCapacity = ringCapacity;
    }

    public String getRollCycle() {
        return rollCycle;
    }

    public void setRollCycle(String rollCycle) {
        this.rollCycle = rollCycle;
    }

    public DataSize getBlockSize() {
        return blockSize;
    }

    public void setBlockSize(DataSize blockSize) {
        this.blockSize = blockSize;
    }

    public DataSize getMaxMessageSize() {
        return maxMessageSize;
    }

    public void setMaxMessageSize(DataSize maxMessageSize) {
        this.maxMessageSize = maxMessageSize;
    }

    public int getMaxConnections() {
        return maxConnections;
    }

    public void setMaxConnections(int maxConnections) {
        this.maxConnections = maxConnections;
    }

    public DataSize getConnectionDiskQuota() {
        return connectionDiskQuota;
    }

    public void setConnectionDiskQuota(DataSize connectionDiskQuota) {
        this.connectionDiskQuota = connectionDiskQuota;
    }

    public DataSize getSendWindow() {
        return sendWindow;
    }

    public void setSendWindow(DataSize sendWindow) {
        this.sendWindow = sendWindow;
    }

    public Duration getRetention() {
        return retention;
    }

    public void setRetention(Duration retention) {
        this.retention = retention;
    }

    public Triggers getTriggers() {
        return triggers;
    }

    public Timeouts getTimeouts() {
        return timeouts;
    }

    public Worker getWorker() {
        return worker;
    }

    /** Which events may hand a forked connection from the parent to its child; all are on by default. */
    public static class Triggers {

        /** T1: the parent closes its end of a forked connection. */
        private boolean t1ParentClose = true;

        /** T2: the parent aborts (API call, orderly shutdown, or killed). */
        private boolean t2ParentAbort = true;

        /** T3: the child receives for the first time. */
        private boolean t3ChildReceive = true;

        /** T4: the child sends for the first time. */
        private boolean t4ChildSend = true;

        Set<Trigger> toSet() {
            Set<Trigger> set = EnumSet.noneOf(Trigger.class);
            if (t1ParentClose) {
                set.add(Trigger.T1_PARENT_CLOSE);
            }
            if (t2ParentAbort) {
                set.add(Trigger.T2_PARENT_ABORT);
            }
            if (t3ChildReceive) {
                set.add(Trigger.T3_CHILD_RECEIVE);
            }
            if (t4ChildSend) {
                set.add(Trigger.T4_CHILD_SEND);
            }
            return set;
        }

        public boolean isT1ParentClose() {
            return t1ParentClose;
        }

        public void setT1ParentClose(boolean t1ParentClose) {
            this.t1ParentClose = t1ParentClose;
        }

        public boolean isT2ParentAbort() {
            return t2ParentAbort;
        }

        public void setT2ParentAbort(boolean t2ParentAbort) {
            this.t2ParentAbort = t2ParentAbort;
        }

        public boolean isT3ChildReceive() {
            return t3ChildReceive;
        }

        public void setT3ChildReceive(boolean t3ChildReceive) {
            this.t3ChildReceive = t3ChildReceive;
        }

        public boolean isT4ChildSend() {
            return t4ChildSend;
        }

        public void setT4ChildSend(boolean t4ChildSend) {
            this.t4ChildSend = t4ChildSend;
        }
    }

    public static class Timeouts {

        /** How long a client waits for the server's grant. */
        private Duration connect = Duration.ofSeconds(10);

        /** How long each handover step waits for its peer. */
        private Duration handover = Duration.ofSeconds(10);

        /** How long a fork waits for a worker JVM to be ready (a cold start of the application included). */
        private Duration childStart = Duration.ofSeconds(60);

        /** How often the housekeeper looks at flags, heartbeats and peer processes. */
        private Duration pollInterval = Duration.ofMillis(1);

        /** A peer whose heartbeat is older than this is taken as hung. */
        private Duration peer = Duration.ofSeconds(5);

        public Duration getConnect() {
            return connect;
        }

        public void setConnect(Duration connect) {
            this.connect = connect;
        }

        public Duration getHandover() {
            return handover;
        }

        public void setHandover(Duration handover) {
            this.handover = handover;
        }

        public Duration getChildStart() {
            return childStart;
        }

        public void setChildStart(Duration childStart) {
            this.childStart = childStart;
        }

        public Duration getPollInterval() {
            return pollInterval;
        }

        public void setPollInterval(Duration pollInterval) {
            this.pollInterval = pollInterval;
        }

        public Duration getPeer() {
            return peer;
        }

        public void setPeer(Duration peer) {
            this.peer = peer;
        }
    }

    public static class Worker {

        /**
         * Spare worker JVMs kept per endpoint (started, and able to take a connection) so a fork does not wait for
         * a JVM start; reusable workers that finished their connections count. 0 starts one when a fork finds none.
         */
        private int poolSize = 0;

        /** Extra JVM options of worker processes (the channel's own options are always added). */
        private List<String> jvmOptions = new ArrayList<>();

        /**
         * Cold worker JVMs start from a class-data archive an earlier worker wrote (CDS on JDK 17-23, the AOT cache on
         * 24+) in BASE/class-data. Needs the application run from jar files (Spring Boot's extracted layout).
         */
        private boolean classDataSharing = true;

        /**
         * Connections one worker JVM serves, one after another, before it is recycled (like Apache's
         * MaxConnectionsPerChild or Gunicorn's max_requests). 1 is one-shot isolation: every connection gets a fresh
         * JVM and sees nothing a previous one left (static state, threads, memory), at the cost of a JVM start per
         * fork. 0 means unlimited.
         */
        private int maxConnections = 1;

        /**
         * Up to this many connections added at random to max-connections per worker, so that workers started
         * together are not all recycled at once (Gunicorn's max_requests_jitter).
         */
        private int maxConnectionsJitter = 0;

        /** Connections a worker serves at once, each on its own handler thread. */
        private int concurrency = 1;

        /**
         * Heap in use after a garbage collection beyond which a worker takes no more connections and exits once its
         * connections have ended; 0 means no limit.
         */
        private DataSize maxHeap = DataSize.ofBytes(0);

        /** Resident set size beyond which a worker is recycled like for max-heap; 0 means no limit. */
        private DataSize maxRss = DataSize.ofBytes(0);

        /**
         * How long a handler may run on one connection; after that the connection is failed (the client is told
         * why) and the worker recycled. 0 means no limit.
         */
        private Duration handlerTimeout = Duration.ZERO;

        /**
         * A reusable worker beyond pool-size spare ones that has had no connection this long exits, so a burst of
         * connections does not leave its workers running for good. 0 keeps them.
         */
        private Duration idleTimeout = Duration.ofSeconds(60);

        /** Set by the worker launcher, only in worker JVMs: the application then serves forked connections. */
        private String id;

        /** Worker JVMs boot trimmed: without the auto-configurations a worker never uses. */
        private final Trim trim = new Trim();

        /**
         * Whether worker JVMs start with Spring AOT's bean definitions (-Dspring.aot.enabled=true): AUTO when the
         * build processed them in worker mode (spring-boot-maven-plugin's process-aot goal run with
         * --via.worker.id), ON to require it, OFF never. The parent itself never runs on them.
         */
        private SpringAot springAot = SpringAot.AUTO;

        /**
         * Worker JVMs set up, on a second thread from the start of the application, what the worker runtime and the
         * application context are slow to set up the first time in a cold JVM (native calls, the file-mapping path,
         * the JDK's locale list), instead of on the way to the worker's READY.
         */
        private boolean preload = true;

        /**
         * JVM options of one-shot worker processes only (max-connections 1), after jvm-options: for flags that make a
         * short-lived JVM start faster but would cost a long-lived reusable worker, such as
         * -XX:TieredStopAtLevel=1 (no C2 compiler: a cold start compiles less, peak code is slower).
         */
        private List<String> oneShotJvmOptions = new ArrayList<>();

        public Trim getTrim() {
            return trim;
        }

        public boolean isPreload() {
            return preload;
        }

        public void setPreload(boolean preload) {
            this.preload = preload;
        }

        public List<String> getOneShotJvmOptions() {
            return oneShotJvmOptions;
        }

        public void setOneShotJvmOptions(List<String> oneShotJvmOptions) {
            this.oneShotJvmOptions = oneShotJvmOptions;
        }

        public SpringAot getSpringAot() {
            return springAot;
        }

        public void setSpringAot(SpringAot springAot) {
            this.springAot = springAot;
        }

        public int getMaxConnections() {
            return maxConnections;
        }

        public void setMaxConnections(int maxConnections) {
            this.maxConnections = maxConnections;
        }

        public int getMaxConnectionsJitter() {
            return maxConnectionsJitter;
        }

        public void setMaxConnectionsJitter(int maxConnectionsJitter) {
            this.maxConnectionsJitter = maxConnectionsJitter;
        }

        public int getConcurrency() {
            return concurrency;
        }

        public void setConcurrency(int concurrency) {
            this.concurrency = concurrency;
        }

        public DataSize getMaxHeap() {
            return maxHeap;
        }

        public void setMaxHeap(DataSize maxHeap) {
            this.maxHeap = maxHeap;
        }

        public DataSize getMaxRss() {
            return maxRss;
        }

        public void setMaxRss(DataSize maxRss) {
            this.maxRss = maxRss;
        }

        public Duration getIdleTimeout() {
            return idleTimeout;
        }

        public void setIdleTimeout(Duration idleTimeout) {
            this.idleTimeout = idleTimeout;
        }

        public Duration getHandlerTimeout() {
            return handlerTimeout;
        }

        public void setHandlerTimeout(Duration handlerTimeout) {
            this.handlerTimeout = handlerTimeout;
        }

        public boolean isClassDataSharing() {
            return classDataSharing;
        }

        public void setClassDataSharing(boolean classDataSharing) {
            this.classDataSharing = classDataSharing;
        }

        public int getPoolSize() {
            return poolSize;
        }

        public void setPoolSize(int poolSize) {
            this.poolSize = poolSize;
        }

        public List<String> getJvmOptions() {
            return jvmOptions;
        }

        public void setJvmOptions(List<String> jvmOptions) {
            this.jvmOptions = jvmOptions;
        }

        public String getId() {
            return id;
        }

        public void setId(String id) {
            this.id = id;
        }
    }

    /** Spring AOT for worker JVMs: see {@code via.worker.spring-aot}. */
    public enum SpringAot {
        /** When the worker-mode AOT classes are on the class path. */
        AUTO,
        /** Always (the worker fails to start without them). */
        ON,
        /** Never. */
        OFF
    }

    /** Worker mode's trimmed boot ({@link WorkerTrimFilter} reads these from the environment). */
    public static class Trim {
        /**
         * Leave out, in worker JVMs, the auto-configurations a worker never uses: web servers and frameworks,
         * the actuator with its health and metrics, availability probes (WorkerTrimFilter.NEVER_IN_WORKERS).
         */
        private boolean enabled = true;

        /**
         * More auto-configurations worker JVMs leave out: class names, or package prefixes ending in a dot.
         */
        private List<String> exclude = new ArrayList<>();

        /**
         * Auto-configurations worker JVMs keep although trimming would leave them out (class names or package
         * prefixes ending in a dot), for a handler that needs one, e.g. org.springframework.boot.micrometer.
         */
        private List<String> keep = new ArrayList<>();

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public List<String> getExclude() {
            return exclude;
        }

        public void setExclude(List<String> exclude) {
            this.exclude = exclude;
        }

        public List<String> getKeep() {
            return keep;
        }

        public void setKeep(List<String> keep) {
            this.keep = keep;
        }
    }
}
