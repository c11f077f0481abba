package io.viaemu.bench;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.management.ManagementFactory;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

import io.viaemu.PauserKind;
import io.viaemu.ViaClient;
import org.HdrHistogram.Histogram;

/**
 * The measured figures and their workloads. Each figure runs in a fresh pair of JVMs: {@link #serve} in the
 * server, {@link #drive} in the client, which does all timing ({@link System#nanoTime()}) and returns the
 * results as {@code key=value} pairs (times in nanoseconds, throughput in MB/s = 10^6 bytes per second).
 */
public enum Figure {
    /** Ping-pong of 64-byte messages; the server echoes. */
    RTT_64("rtt64", "Round trip 64 B"),
    /** Ping-pong of 4 KiB messages; the server echoes. */
    RTT_4K("rtt4k", "Round trip 4 KiB"),
    /** One-way stream in 4 KiB writes; the server checks every byte and acknowledges each round. */
    STREAM_4K("stream4k", "Stream, 4 KiB writes"),
    /** One-way stream in 64 KiB writes. */
    STREAM_64K("stream64k", "Stream, 64 KiB writes"),
    /** Connect until the first byte can be sent, then one 1-byte echo (not timed) and close. */
    CONNECT("connect", "Connect"),
    /** 100 open, idle connections with a thread blocked in receive on each end: CPU of both processes. */
    IDLE_100("idle100", "Idle CPU, 100 connections"),
    /** The same with 1,000 connections. */
    IDLE_1000("idle1000", "Idle CPU, 1,000 connections"),
    /**
     * The same with 10,000 connections: run by hand ({@code --figures idle10000}), not in the default set; it needs
     * more memory mappings per process than {@code vm.max_map_count} allows by default for via (see the README).
     */
    IDLE_10000("idle10000", "Idle CPU, 10,000 connections"),
    /** 64 B round trips with a pause before each that is longer than any spin budget: readers wake from parked. */
    WAKE_64("wake64", "Round trip 64 B from parked readers"),
    /**
     * Sustained connection rate of one client thread: connect, one 64 B round trip, close, again; the server serves
     * each connection on a thread of its own (thread-per-connection, as a pre-forking or blocking server does).
     */
    CONNECT_RATE_1("connrate1", "Connect + 64 B round trip + close, 1 client thread"),
    /** The same with 8 client threads at once. */
    CONNECT_RATE_8("connrate8", "Connect + 64 B round trip + close, 8 client threads"),
    /** The first connect of a fresh client JVM (class loading and the transport's initialisation included). */
    FIRST_CONNECT("firstconnect", "First connect in a fresh JVM"),
    /**
     * The first connect of a fresh client JVM that called {@code ViaClient.prepare} first (timed apart): the
     * transport initialised and the connection slots made before the connect. Other contenders have nothing to
     * prepare: the same as {@link #FIRST_CONNECT}, in another fresh JVM.
     */
    FIRST_CONNECT_PREPARED("firstconnect-prepared", "First connect in a fresh JVM after prepare"),
    /**
     * The first connect of a fresh client JVM as {@link #FIRST_CONNECT}, run several times (fresh server and client
     * each time, median shown), also timed from outside: from the harness's launch of the client JVM to the client's
     * first connect done (the wall clock of both processes; issue 11's "first connect in a fresh JVM" table).
     */
    FIRST_CONNECT_PROCESS("firstconnect-process", "First connect, from the client JVM's launch"),
    /**
     * As {@link #FIRST_CONNECT_PROCESS}, the client JVM of every contender run with an application class-data
     * archive of its own ({@code -XX:SharedArchiveFile}), made by a training run of the same workload just before
     * ({@code -XX:ArchiveClassesAtExit}); both peers on a classpath of jars (the JVM archives no class from a
     * directory). See {@link FreshClientRuns}. Not in the default set.
     */
    FIRST_CONNECT_CDS("firstconnect-cds", "First connect in a fresh JVM with a class-data archive"),
    /**
     * As {@link #FIRST_CONNECT_CDS} with JDK 24+'s AOT cache ({@code -XX:AOTCacheOutput} in the training run,
     * {@code -XX:AOTCache} after): classes loaded and linked, and method profiles, from the training run. Only when
     * the peers' JDK is 25 or later; not in the default set.
     */
    FIRST_CONNECT_AOT("firstconnect-aot", "First connect in a fresh JVM with an AOT cache");

    /** Whether this figure times a fresh client JVM's first connect. */
    boolean firstConnect() {
        return this == FIRST_CONNECT || this == FIRST_CONNECT_PREPARED || freshClientRuns();
    }

    /** Whether this figure runs a fresh client JVM several times ({@link FreshClientRuns}) rather than once. */
    boolean freshClientRuns() {
        return this == FIRST_CONNECT_PROCESS || this == FIRST_CONNECT_CDS || this == FIRST_CONNECT_AOT;
    }

    /** Pause before each round trip of {@link #WAKE_64}: far beyond the spin-then-yield budget of a waiting reader. */
    static final long WAKE_PAUSE_MICROS = 5_000;
    /** Settling time of the idle figures before measuring (connect storms, JIT). */
    private static final long IDLE_SETTLE_MILLIS = 5_000;
    private static final long CLOCK_TICKS_PER_SECOND = 100; // USER_HZ

    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    /** Period of the streamed byte pattern: prime, larger than any write, so shifted or repeated data is caught. */
    private static final int PATTERN_PERIOD = 1_000_003;
    private static final int READ_BUFFER = 64 * 1024;
    /** Where a round trip's message says whether it is the client's last one (see {@link #serveEchoUntilLast}). */
    private static final int MARK_OFFSET = Long.BYTES;
    private static final long LAST_MARK = -1L;
    private static final long WARMUP_PAYLOAD_LIMIT = 1L << 30;
    private static final int ACK_BYTES = 16;

    private final String id;
    private final String title;

    Figure(String id, String title) {
        this.id = id;
        this.title = title;
    }

    public String id() {
        return id;
    }

    public String title() {
        return title;
    }

    public static Figure byId(String id) {
        for (Figure f : values()) {
            if (f.id.equals(id)) {
                return f;
            }
        }
        throw new IllegalArgumentException("unknown figure '" + id + "', known: " + ids());
    }

    /** The figures a run measures unless {@code --figures} names others: all but those run by hand. */
    public static List<Figure> byDefault() {
        List<Figure> figures = new ArrayList<>(List.of(values()));
        figures.remove(IDLE_10000);
        figures.remove(FIRST_CONNECT_AOT);
        figures.remove(FIRST_CONNECT_CDS); // a training run per contender: run by name
        return List.copyOf(figures);
    }

    public static String ids() {
        StringBuilder sb = new StringBuilder();
        for (Figure f : values()) {
            sb.append(sb.length() == 0 ? "" : ",").append(f.id);
        }
        return sb.toString();
    }

    /**
     * Whether this figure is measured for {@code contender}. The idle and parked-reader figures are about readers
     * that block; contenders that spin by design (raw Chronicle, via with the BUSY pauser) would show a core per
     * waiting thread there.
     */
    boolean measures(String contender) {
        switch (this) {
            case IDLE_100: case IDLE_1000: case IDLE_10000: case WAKE_64: case CONNECT_RATE_8:
                return contender.equals("tcp") || contender.equals("uds") || contender.equals("via-backoff")
                        || contender.equals("via-ring-backoff");
            case CONNECT_RATE_1:
                // A spinning contender's server thread per connection is a core per connection in flight.
                return contender.equals("tcp") || contender.equals("uds") || contender.startsWith("via");
            default:
                return true;
        }
    }

    /** Client threads of the connection-rate figures. */
    int connectThreads() {
        return this == CONNECT_RATE_8 ? 8 : 1;
    }

    int idleConnections() {
        return this == IDLE_100 ? 100 : this == IDLE_1000 ? 1_000 : largeIdleConnections();
    }

    /**
     * idle10000's count: 10,000, or the environment's {@code VIA_BENCH_IDLE_LARGE} (inherited by the peers) for a
     * machine whose limits (RLIMIT_NOFILE) do not let a process hold 10,000 connections of a transport.
     */
    private static int largeIdleConnections() {
        String n = System.getenv("VIA_BENCH_IDLE_LARGE");
        return n == null || n.isBlank() ? 10_000 : Integer.parseInt(n.trim());
    }

    int messageSize() {
        switch (this) {
            case RTT_64: case WAKE_64: case CONNECT_RATE_1: case CONNECT_RATE_8: return 64;
            case RTT_4K: case STREAM_4K: return 4 * 1024;
            case STREAM_64K: return 64 * 1024;
            default: return 1;
        }
    }

    // ------------------------------------------------------------------------------------------------ server

    /** Server side of the workload, on connections accepted from {@code listener}. */
    Map<String, String> serve(Contender.Listener listener, Params p) throws IOException {
        switch (this) {
            case RTT_64: case RTT_4K: return serveEchoUntilLast(listener, messageSize());
            case STREAM_4K: case STREAM_64K: return serveStream(listener, p);
            case CONNECT: return serveConnects(listener, p);
            case IDLE_100: case IDLE_1000: case IDLE_10000: return serveIdle(listener, idleConnections());
            case WAKE_64: return serveEcho(listener, (long) (wakeWarmup(p) + p.wakeIterations()) * messageSize());
            case CONNECT_RATE_1: case CONNECT_RATE_8: return serveConnectionRate(listener);
            case FIRST_CONNECT: return serveConnects(listener, 1);
            case FIRST_CONNECT_PREPARED: case FIRST_CONNECT_PROCESS: case FIRST_CONNECT_CDS: case FIRST_CONNECT_AOT:
                return serveConnects(listener, 1);
            default: throw new AssertionError(this);
        }
    }

    private static int wakeWarmup(Params p) {
        return Math.min(p.rttWarmup(), 5_000);
    }

    /** Accepts n connections, tells the client this process's pid, and blocks a thread in read on each. */
    private static Map<String, String> serveIdle(Contender.Listener listener, int n) throws IOException {
        List<Connection> connections = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            connections.add(listener.accept());
        }
        byte[] pid = new byte[8];
        LONG.set(pid, 0, ProcessHandle.current().pid());
        connections.get(0).write(pid, 0, 8);
        List<Thread> readers = blockedReaders(connections);
        for (Thread t : readers) {
            try {
                t.join(TimeUnit.MINUTES.toMillis(5)); // until the client closes
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        for (Connection c : connections) {
            c.close();
        }
        return Map.of("connections", Integer.toString(n));
    }

    /** One thread per connection, blocked in read until end of stream or an error (a close from another thread). */
    private static List<Thread> blockedReaders(List<Connection> connections) {
        List<Thread> threads = new ArrayList<>();
        for (Connection c : connections) {
            Thread t = new Thread(() -> {
                byte[] buf = new byte[64];
                try {
                    while (c.read(buf, 0, buf.length) >= 0) {
                        // nothing is sent on an idle connection
                    }
                } catch (IOException | RuntimeException closed) {
                    // the connection was closed under the reader: the figure is over
                }
            }, "idle-reader");
            t.setDaemon(true);
            t.start();
            threads.add(t);
        }
        return threads;
    }

    private static Map<String, String> serveEcho(Contender.Listener listener, long totalBytes) throws IOException {
        byte[] buf = new byte[READ_BUFFER];
        long remaining = totalBytes;
        try (Connection c = listener.accept()) {
            while (remaining > 0) {
                int n = c.read(buf, 0, (int) Math.min(buf.length, remaining));
                if (n < 0) {
                    throw new IOException("client closed with " + remaining + " bytes still to echo");
                }
                c.write(buf, 0, n);
                remaining -= n;
            }
        }
        return Map.of("echoedBytes", Long.toString(totalBytes));
    }

    /**
     * Echoes messages of {@code size} bytes until the one the client marked as its last ({@link #LAST_MARK} at
     * {@link #MARK_OFFSET}): the client decides how long it warms up. Echoes whatever arrives as it arrives, as
     * {@link #serveEcho} does, and reads the mark from the bytes passing through.
     */
    private static Map<String, String> serveEchoUntilLast(Contender.Listener listener, int size) throws IOException {
        byte[] buf = new byte[READ_BUFFER];
        byte[] mark = new byte[Long.BYTES];
        long echoed = 0;
        int inMessage = 0; // bytes of the current message echoed so far
        boolean last = false;
        try (Connection c = listener.accept()) {
            while (true) {
                int n = c.read(buf, 0, buf.length);
                if (n < 0) {
                    throw new IOException("client closed after " + echoed + " bytes, before its last message");
                }
                c.write(buf, 0, n);
                echoed += n;
                for (int i = 0; i < n; ) { // walk the message boundaries inside this chunk
                    int take = Math.min(n - i, size - inMessage);
                    int from = Math.max(inMessage, MARK_OFFSET);
                    int to = Math.min(inMessage + take, MARK_OFFSET + Long.BYTES);
                    if (from < to) {
                        System.arraycopy(buf, i + from - inMessage, mark, from - MARK_OFFSET, to - from);
                    }
                    inMessage += take;
                    i += take;
                    if (inMessage == size) {
                        last = (long) LONG.get(mark, 0) == LAST_MARK;
                        inMessage = 0;
                        if (last && i != n) {
                            throw new IOException("bytes after the client's last message");
                        }
                    }
                }
                if (last) {
                    return Map.of("echoedBytes", Long.toString(echoed));
                }
            }
        }
    }

    private Map<String, String> serveStream(Contender.Listener listener, Params p) throws IOException {
        long warmupBytes = mib(p.streamWarmupMiB());
        long roundBytes = mib(p.streamRoundMiB());
        byte[] pattern = pattern(messageSize());
        long expectedWarmup = crcOfStream(pattern, warmupBytes);
        long expectedRound = crcOfStream(pattern, roundBytes);
        byte[] buf = new byte[READ_BUFFER];
        byte[] ack = new byte[ACK_BYTES];
        CRC32C crc = new CRC32C();
        long verified = 0;
        try (Connection c = listener.accept()) {
            for (int round = warmupBytes > 0 ? -1 : 0; round < p.streamRounds(); round++) {
                long bytes = round < 0 ? warmupBytes : roundBytes;
                crc.reset();
                long remaining = bytes;
                while (remaining > 0) {
                    int n = c.read(buf, 0, (int) Math.min(buf.length, remaining));
                    if (n < 0) {
                        throw new IOException("client closed with " + remaining + " bytes of the round missing");
                    }
                    crc.update(buf, 0, n); // every byte is checked: the CRC of the whole round must match
                    remaining -= n;
                }
                long expected = round < 0 ? expectedWarmup : expectedRound;
                if (crc.getValue() != expected) {
                    throw new IOException("round " + round + ": received bytes differ from the pattern (CRC32C "
                            + Long.toHexString(crc.getValue()) + " != " + Long.toHexString(expected) + ")");
                }
                verified += bytes;
                LONG.set(ack, 0, bytes);
                LONG.set(ack, 8, crc.getValue());
                c.write(ack, 0, ACK_BYTES);
            }
        }
        return Map.of("verifiedBytes", Long.toString(verified));
    }

    private static Map<String, String> serveConnects(Contender.Listener listener, Params p) throws IOException {
        return serveConnects(listener, p.connectWarmup() + p.connects());
    }

    private static Map<String, String> serveConnects(Contender.Listener listener, int total) throws IOException {
        byte[] one = new byte[1];
        for (int i = 0; i < total; i++) {
            try (Connection c = listener.accept()) {
                c.readFully(one, 0, 1);
                c.write(one, 0, 1);
            }
        }
        return Map.of("connections", Integer.toString(total));
    }

    /**
     * First byte of the connection-rate round trip that ends the figure. After its echo the client opens one more
     * connection, without data, only to return the server's accept: the server sees the flag then and stops.
     */
    private static final byte LAST_CONNECTION = 1;

    /**
     * Accepts on this thread and serves each connection on a thread of its own: one 64 B echo, then waits for the
     * client's close.
     */
    private static Map<String, String> serveConnectionRate(Contender.Listener listener) throws IOException {
        ExecutorService handlers = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "connection-handler");
            t.setDaemon(true);
            return t;
        });
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicBoolean lastSeen = new AtomicBoolean();
        long served = 0;
        try {
            while (true) {
                Connection c = listener.accept();
                if (lastSeen.get()) {
                    c.close(); // the client's closing connection: every measured one was echoed
                    break;
                }
                served++;
                handlers.execute(() -> {
                    byte[] buf = new byte[64];
                    try (c) {
                        c.readFully(buf, 0, buf.length);
                        if (buf[0] == LAST_CONNECTION) {
                            lastSeen.set(true); // before the echo: the closing connection comes after it
                        }
                        c.write(buf, 0, buf.length);
                        while (c.read(buf, 0, buf.length) >= 0) {
                            // until the client closes
                        }
                    } catch (IOException | RuntimeException e) {
                        failure.compareAndSet(null, e);
                    }
                });
            }
        } finally {
            handlers.shutdown();
            try {
                if (!handlers.awaitTermination(30, TimeUnit.SECONDS)) {
                    failure.compareAndSet(null, new IOException("connection handlers still running after 30 s"));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (failure.get() != null) {
            throw new IOException("serving one of " + served + " connections failed", failure.get());
        }
        return Map.of("connections", Long.toString(served));
    }

    // ------------------------------------------------------------------------------------------------ client

    /** Client side of the workload: connects to {@code address}, runs and times it. */
    Map<String, String> drive(Contender contender, String address, Params p) throws IOException {
        switch (this) {
            case RTT_64: case RTT_4K: return driveRoundTrips(contender, address, p);
            case STREAM_4K: case STREAM_64K: return driveStream(contender, address, p);
            case CONNECT: return driveConnects(contender, address, p);
            case IDLE_100: case IDLE_1000: case IDLE_10000:
                return driveIdle(contender, address, p, idleConnections());
            case WAKE_64: return driveWakeUps(contender, address, p);
            case CONNECT_RATE_1: case CONNECT_RATE_8: return driveConnectionRate(contender, address, p);
            case FIRST_CONNECT: case FIRST_CONNECT_PROCESS: case FIRST_CONNECT_CDS: case FIRST_CONNECT_AOT:
                return driveFirstConnect(contender, address);
            case FIRST_CONNECT_PREPARED: {
                long t0 = System.nanoTime();
                if (contender instanceof ViaContender via) {
                    // the pool is per base directory and endpoint; the pauser does not matter to it
                    ViaClient.prepare(ViaContender.config(Path.of(address), PauserKind.BACKOFF, via.transport()),
                            ViaContender.ENDPOINT);
                }
                long prepareNanos = System.nanoTime() - t0;
                Map<String, String> r = driveFirstConnect(contender, address);
                r.put("prepare_ns", Long.toString(prepareNanos));
                return r;
            }
            default: throw new AssertionError(this);
        }
    }

    private static Map<String, String> driveIdle(Contender contender, String address, Params p, int n)
            throws IOException {
        List<Connection> connections = new ArrayList<>();
        try {
            long lastConnectsFrom = 0;
            for (int i = 0; i < n; i++) {
                if (i == n - Math.min(n, 1_000)) {
                    lastConnectsFrom = System.nanoTime();
                }
                connections.add(contender.connect(address));
            }
            double lastConnectsMillis = (System.nanoTime() - lastConnectsFrom) / 1e6 / Math.min(n, 1_000);
            byte[] pidBytes = new byte[8];
            connections.get(0).readFully(pidBytes, 0, 8);
            long serverPid = (long) LONG.get(pidBytes, 0);
            long clientPid = ProcessHandle.current().pid();
            List<Thread> readers = blockedReaders(connections);
            sleepMillis(IDLE_SETTLE_MILLIS);
            long server0 = cpuTicks(serverPid);
            long client0 = cpuTicks(clientPid);
            long t0 = System.nanoTime();
            sleepMillis(TimeUnit.SECONDS.toMillis(p.idleSeconds()));
            long server1 = cpuTicks(serverPid);
            long client1 = cpuTicks(clientPid);
            double seconds = (System.nanoTime() - t0) / 1e9;
            double serverCores = (server1 - server0) / (double) CLOCK_TICKS_PER_SECOND / seconds;
            double clientCores = (client1 - client0) / (double) CLOCK_TICKS_PER_SECOND / seconds;
            // resources held while all are open (before the closes below)
            long clientMaps = mappings(clientPid);
            long serverMaps = mappings(serverPid);
            long clientRssKib = rssKib(clientPid);
            long serverRssKib = rssKib(serverPid);
            for (Connection c : connections) {
                c.close();
            }
            for (Thread t : readers) {
                try {
                    t.join(10_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            Map<String, String> r = new LinkedHashMap<>();
            r.put("connections", Integer.toString(n));
            r.put("seconds", Double.toString(seconds));
            r.put("server_cores", Double.toString(serverCores));
            r.put("client_cores", Double.toString(clientCores));
            r.put("cores", Double.toString(serverCores + clientCores));
            r.put("last_connects_ms", Double.toString(lastConnectsMillis));
            r.put("client_maps", Long.toString(clientMaps));
            r.put("server_maps", Long.toString(serverMaps));
            r.put("client_rss_mib", Long.toString(clientRssKib / 1024));
            r.put("server_rss_mib", Long.toString(serverRssKib / 1024));
            return r;
        } finally {
            for (Connection c : connections) {
                try {
                    c.close();
                } catch (IOException | RuntimeException ignored) {
                    // closed above
                }
            }
        }
    }

    /** utime + stime of process {@code pid} in clock ticks (fields 14 and 15 of /proc/PID/stat). */
    private static long cpuTicks(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    /** The memory mappings of a process: what {@code vm.max_map_count} limits. */
    private static long mappings(long pid) throws IOException {
        try (Stream<String> lines = Files.lines(Path.of("/proc/" + pid + "/maps"))) {
            return lines.count();
        }
    }

    private static long rssKib(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.substring(6).trim().split("\\s+")[0]);
            }
        }
        return -1;
    }

    private static void sleepMillis(long millis) throws IOException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private Map<String, String> driveWakeUps(Contender contender, String address, Params p) throws IOException {
        int size = messageSize();
        byte[] out = new byte[size];
        byte[] in = new byte[size];
        Histogram histogram = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
        int warmup = wakeWarmup(p);
        int total = warmup + p.wakeIterations();
        try (Connection c = contender.connect(address)) {
            for (int i = 0; i < total; i++) {
                LONG.set(out, 0, (long) i);
                if (i >= warmup) {
                    LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(WAKE_PAUSE_MICROS));
                }
                long t0 = System.nanoTime();
                c.write(out, 0, size);
                c.readFully(in, 0, size);
                long rtt = System.nanoTime() - t0;
                if (!Arrays.equals(in, out)) {
                    throw new IOException("echo " + i + " differs from what was sent");
                }
                if (i >= warmup) {
                    histogram.recordValue(Math.min(rtt, histogram.getHighestTrackableValue()));
                }
            }
        }
        Map<String, String> r = new LinkedHashMap<>();
        r.put("count", Long.toString(histogram.getTotalCount()));
        r.put("p50_ns", Long.toString(histogram.getValueAtPercentile(50)));
        r.put("p99_ns", Long.toString(histogram.getValueAtPercentile(99)));
        r.put("p999_ns", Long.toString(histogram.getValueAtPercentile(99.9)));
        r.put("max_ns", Long.toString(histogram.getMaxValue()));
        return r;
    }

    private Map<String, String> driveRoundTrips(Contender contender, String address, Params p) throws IOException {
        int size = messageSize();
        byte[] out = new byte[size];
        byte[] in = new byte[size];
        for (int i = 0; i < size; i++) {
            out[i] = (byte) (i * 31 + 7);
        }
        Histogram histogram = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
        SlowRoundTrips slow = SlowRoundTrips.fromEnvironment(id() + "-" + contender.name());
        long warmupMaxCount = Math.max(p.rttWarmup(), WARMUP_PAYLOAD_LIMIT / size);
        long warmupNanos = TimeUnit.MILLISECONDS.toNanos(p.rttWarmupMillis());
        int warmup = -1; // round trips of the warm-up, once it is over
        long warmupStart = System.nanoTime();
        long warmupEnd = 0;
        try (Connection c = contender.connect(address)) {
            for (int i = 0; warmup < 0 || i < warmup + p.rttIterations(); i++) {
                if (warmup < 0 && i >= p.rttWarmup()
                        && (System.nanoTime() - warmupStart >= warmupNanos || i >= warmupMaxCount)) {
                    warmup = i;
                    warmupEnd = System.nanoTime();
                }
                LONG.set(out, 0, (long) i);
                LONG.set(out, MARK_OFFSET, warmup >= 0 && i == warmup + p.rttIterations() - 1 ? LAST_MARK : 0L);
                out[size - 1] = (byte) i;
                long t0 = System.nanoTime();
                c.write(out, 0, size);
                c.readFully(in, 0, size);
                long rtt = System.nanoTime() - t0;
                if (!Arrays.equals(in, out)) {
                    throw new IOException("echo " + i + " differs from what was sent");
                }
                if (warmup >= 0) {
                    histogram.recordValue(Math.min(rtt, histogram.getHighestTrackableValue()));
                    slow.record(i, t0, rtt);
                }
            }
        }
        slow.write();
        Map<String, String> r = new LinkedHashMap<>();
        r.put("warmup_count", Integer.toString(warmup));
        r.put("warmup_ms", Long.toString(TimeUnit.NANOSECONDS.toMillis(warmupEnd - warmupStart)));
        r.put("count", Long.toString(histogram.getTotalCount()));
        r.put("p50_ns", Long.toString(histogram.getValueAtPercentile(50)));
        r.put("p90_ns", Long.toString(histogram.getValueAtPercentile(90)));
        r.put("p99_ns", Long.toString(histogram.getValueAtPercentile(99)));
        r.put("p999_ns", Long.toString(histogram.getValueAtPercentile(99.9)));
        r.put("max_ns", Long.toString(histogram.getMaxValue()));
        r.put("mean_ns", Long.toString(Math.round(histogram.getMean())));
        return r;
    }

    private Map<String, String> driveStream(Contender contender, String address, Params p) throws IOException {
        int write = messageSize();
        long warmupBytes = mib(p.streamWarmupMiB());
        long roundBytes = mib(p.streamRoundMiB());
        byte[] pattern = pattern(write);
        long expectedWarmup = crcOfStream(pattern, warmupBytes);
        long expectedRound = crcOfStream(pattern, roundBytes);
        byte[] ack = new byte[ACK_BYTES];
        double[] mbps = new double[p.streamRounds()];
        try (Connection c = contender.connect(address)) {
            for (int round = warmupBytes > 0 ? -1 : 0; round < p.streamRounds(); round++) {
                long bytes = round < 0 ? warmupBytes : roundBytes;
                long t0 = System.nanoTime();
                for (long pos = 0; pos < bytes; pos += write) {
                    c.write(pattern, (int) (pos % PATTERN_PERIOD), write);
                }
                c.readFully(ack, 0, ACK_BYTES);
                long nanos = System.nanoTime() - t0;
                long acked = (long) LONG.get(ack, 0);
                long crc = (long) LONG.get(ack, 8);
                long expected = round < 0 ? expectedWarmup : expectedRound;
                if (acked != bytes || crc != expected) {
                    throw new IOException("round " + round + ": server acknowledged " + acked + " bytes with CRC32C "
                            + Long.toHexString(crc) + ", expected " + bytes + " / " + Long.toHexString(expected));
                }
                if (round >= 0) {
                    mbps[round] = bytes / (nanos / 1e9) / 1e6;
                }
            }
        }
        double[] sorted = mbps.clone();
        Arrays.sort(sorted);
        Map<String, String> r = new LinkedHashMap<>();
        r.put("rounds", Integer.toString(sorted.length));
        r.put("roundBytes", Long.toString(roundBytes));
        r.put("median_mbps", Double.toString(sorted[(sorted.length - 1) / 2]));
        r.put("min_mbps", Double.toString(sorted[0]));
        r.put("max_mbps", Double.toString(sorted[sorted.length - 1]));
        return r;
    }

    private static Map<String, String> driveConnects(Contender contender, String address, Params p) throws IOException {
        byte[] one = {42};
        byte[] in = new byte[1];
        int total = p.connectWarmup() + p.connects();
        long[] connect = new long[p.connects()];
        long[] connectAndWrite = new long[p.connects()];
        for (int i = 0; i < total; i++) {
            long t0 = System.nanoTime();
            Connection c = contender.connect(address);
            long t1 = System.nanoTime();
            try (c) {
                c.write(one, 0, 1);
                long t2 = System.nanoTime();
                c.readFully(in, 0, 1);
                if (in[0] != one[0]) {
                    throw new IOException("connection " + i + " echoed " + in[0] + " instead of " + one[0]);
                }
                if (i >= p.connectWarmup()) {
                    connect[i - p.connectWarmup()] = t1 - t0;
                    connectAndWrite[i - p.connectWarmup()] = t2 - t0;
                }
            }
        }
        Arrays.sort(connect);
        Arrays.sort(connectAndWrite);
        Map<String, String> r = new LinkedHashMap<>();
        r.put("count", Integer.toString(connect.length));
        r.put("median_ns", Long.toString(connect[(connect.length - 1) / 2]));
        r.put("p90_ns", Long.toString(connect[(int) Math.ceil(connect.length * 0.9) - 1]));
        r.put("min_ns", Long.toString(connect[0]));
        r.put("max_ns", Long.toString(connect[connect.length - 1]));
        r.put("median_with_write_ns", Long.toString(connectAndWrite[(connectAndWrite.length - 1) / 2]));
        return r;
    }

    /**
     * {@link #connectThreads()} threads each run connect, one 64 B round trip (checked), close, for
     * {@code connectWarmup} cycles, then all together for {@code idleSeconds}; the rate counts the measured cycles.
     */
    private Map<String, String> driveConnectionRate(Contender contender, String address, Params p)
            throws IOException {
        int threads = connectThreads();
        long measureNanos = TimeUnit.SECONDS.toNanos(p.idleSeconds());
        CyclicBarrier start = new CyclicBarrier(threads + 1);
        long[] counts = new long[threads];
        long[] worst = new long[threads];
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> clients = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            Thread client = new Thread(() -> {
                byte[] out = new byte[64];
                byte[] in = new byte[64];
                try {
                    for (int i = 0; i < p.connectWarmup(); i++) {
                        connectionCycle(contender, address, out, in, i);
                    }
                    start.await(60, TimeUnit.SECONDS);
                    long n = 0;
                    while (!stop.get()) {
                        long t0 = System.nanoTime();
                        connectionCycle(contender, address, out, in, n);
                        worst[id] = Math.max(worst[id], System.nanoTime() - t0);
                        n++;
                    }
                    counts[id] = n;
                } catch (Exception e) {
                    failure.compareAndSet(null, e);
                    stop.set(true);
                }
            }, "connect-client-" + t);
            client.start();
            clients.add(client);
        }
        long nanos;
        try {
            start.await(TimeUnit.SECONDS.toMillis(p.timeoutSec()), TimeUnit.MILLISECONDS);
            long t0 = System.nanoTime();
            sleepMillis(TimeUnit.NANOSECONDS.toMillis(measureNanos));
            stop.set(true);
            for (Thread client : clients) {
                client.join(TimeUnit.SECONDS.toMillis(p.timeoutSec()));
            }
            nanos = System.nanoTime() - t0;
        } catch (Exception e) {
            stop.set(true);
            throw new IOException("connection-rate clients did not start or finish: " + failure.get(), e);
        }
        if (failure.get() != null) {
            throw new IOException("a connection cycle failed", failure.get());
        }
        // The closing pair: a last round trip that tells the server to stop, then a connection that wakes its accept.
        byte[] out = new byte[64];
        byte[] in = new byte[64];
        out[0] = LAST_CONNECTION;
        try (Connection c = contender.connect(address)) {
            c.write(out, 0, out.length);
            c.readFully(in, 0, in.length);
        }
        contender.connect(address).close();
        long total = Arrays.stream(counts).sum();
        Map<String, String> r = new LinkedHashMap<>();
        r.put("threads", Integer.toString(threads));
        r.put("connections", Long.toString(total));
        r.put("seconds", Double.toString(nanos / 1e9));
        r.put("per_second", Double.toString(total / (nanos / 1e9)));
        r.put("slowest_cycle_ns", Long.toString(Arrays.stream(worst).max().orElse(0)));
        return r;
    }

    /** Connect, a 64 B round trip whose echo is checked, close. Byte 0 is never {@link #LAST_CONNECTION}. */
    private static void connectionCycle(Contender contender, String address, byte[] out, byte[] in, long i)
            throws IOException {
        LONG.set(out, 8, i);
        out[0] = 0;
        try (Connection c = contender.connect(address)) {
            c.write(out, 0, out.length);
            c.readFully(in, 0, in.length);
        }
        if (!Arrays.equals(in, out)) {
            throw new IOException("connection " + i + ": the echo differs from what was sent");
        }
    }

    /** The first connect of this JVM: nothing of the contender ran before it. */
    private static Map<String, String> driveFirstConnect(Contender contender, String address) throws IOException {
        byte[] one = {42};
        byte[] in = new byte[1];
        long t0 = System.nanoTime();
        try (Connection c = contender.connect(address)) {
            long t1 = System.nanoTime();
            // the wall clock, for the harness's launch-to-connect time (FreshClientRuns); read after the timed part
            long connectedAtMicros = wallClockMicros() - (System.nanoTime() - t1) / 1000;
            c.write(one, 0, 1);
            c.readFully(in, 0, 1);
            long t2 = System.nanoTime();
            if (in[0] != one[0]) {
                throw new IOException("the first connection echoed " + in[0] + " instead of " + one[0]);
            }
            Map<String, String> r = new LinkedHashMap<>();
            r.put("connect_ns", Long.toString(t1 - t0));
            r.put("connect_and_echo_ns", Long.toString(t2 - t0));
            r.put("jvm_uptime_ms", Long.toString(ManagementFactory.getRuntimeMXBean().getUptime()));
            r.put(FreshClientRuns.CONNECTED_AT_US, Long.toString(connectedAtMicros));
            return r;
        }
    }

    /** Microseconds since the epoch (the harness's clock is the same: one machine). */
    static long wallClockMicros() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1000;
    }

    // ------------------------------------------------------------------------------------------------ pattern

    private static long mib(int n) {
        return n * 1024L * 1024L;
    }

    /**
     * A deterministic pseudo-random stream with period {@link #PATTERN_PERIOD}, laid out so that the write at stream
     * position {@code pos} is the contiguous slice {@code [pos % PERIOD, pos % PERIOD + write)}.
     */
    private static byte[] pattern(int maxWrite) {
        byte[] b = new byte[PATTERN_PERIOD + maxWrite];
        SplittableRandom random = new SplittableRandom(0x5EED_F00DL);
        for (int i = 0; i < PATTERN_PERIOD; i++) {
            b[i] = (byte) random.nextInt();
        }
        System.arraycopy(b, 0, b, PATTERN_PERIOD, maxWrite);
        return b;
    }

    /** CRC32C of the first {@code bytes} bytes of the pattern stream. */
    private static long crcOfStream(byte[] pattern, long bytes) {
        CRC32C crc = new CRC32C();
        for (long pos = 0; pos < bytes; ) {
            int off = (int) (pos % PATTERN_PERIOD);
            int n = (int) Math.min(PATTERN_PERIOD - off, bytes - pos);
            crc.update(pattern, off, n);
            pos += n;
        }
        return crc.getValue();
    }
}
