package io.viaemu.bench.remote;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.viaemu.PauserKind;
import io.viaemu.ParentConnection;
import io.viaemu.ViaConfig;
import io.viaemu.ViaConnection;
import io.viaemu.ViaServer;
import io.viaemu.aeron.AeronGateway;
import io.viaemu.aeron.AeronOptions;
import io.viaemu.protocol.ConnectionEnd;
import io.viaemu.aeron.AeronViaClient;
import org.HdrHistogram.Histogram;
import org.agrona.concurrent.AgentInvoker;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.ShutdownSignalBarrier;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Clients on other hosts, measured across two network namespaces joined by a veth pair (root only): 64 B round
 * trips (p50/p99) and a one-way stream, in one run, for TCP over the veth, raw Aeron UDP (one publication and one
 * subscription per direction, embedded drivers), raw Aeron UDP with the server host's driver a standalone process
 * (aeron-udp-driver: the topology via-emu's server host has) and via-emu through the Aeron gateway (remote client in
 * one namespace; gateway daemon and a via-emu echo server, each its own JVM, in the other).
 *
 * <pre>
 * flock /tmp/via-bench.lock bench/run-remote.sh [--rtt N] [--stream-mib M] [--idle busy|yield|backoff]
 *                                               [--threading invoker|shared|dedicated] [--pin]
 *                                               [--via-pauser busy|yielding|backoff|poll]
 *                                               [--stamps] [--contenders tcp,aeron-udp,aeron-udp-driver,via-aeron]
 * </pre>
 *
 * {@code --idle} and {@code --threading} apply to raw Aeron and to via-emu's Aeron hops alike (the applications'
 * waits, the media drivers' threads, the gateway's session thread): the same Aeron settings on both, so the two
 * differ only by what via-emu adds. {@code --threading invoker} (the default) runs each driver from the thread
 * that sends and waits (no driver threads); {@code shared}, one driver thread per JVM. {@code --via-pauser} is how
 * the via-emu echo server waits on its local queue: one of via-emu's pausers ({@code via.pauser}), or {@code poll}, a
 * loop over the non-blocking {@code receiveNow} that waits with the Aeron idle strategy, as the raw Aeron server
 * does. {@code --pin} runs every JVM of the client's namespace on CPU 0
 * and every JVM of the server's on CPU 1 ({@code taskset}), as two one-core hosts would: the contenders' threads
 * then compete only with the threads of their own host (and whatever else runs on the machine).
 *
 * <p>With {@code -Dremote.bench.profile=DIR} every peer JVM runs async-profiler (wall clock, per thread, collapsed
 * stacks into DIR/NAME.collapsed): where the client, the gateway and the server spend a round trip.
 *
 * The same JVM class is the orchestrator (no arguments but options) and every peer ({@code peer ROLE ...}).
 */
public final class RemoteBench {
    private static final int GATEWAY_PORT = 40123;
    private static final int TCP_PORT = 40200;
    private static final int AERON_UP_PORT = 40300;
    private static final int AERON_DOWN_PORT = 40301;
    private static final int MESSAGE = 64;
    /**
     * {@code --stamps} (peers: {@code -Dremote.bench.stamps=true}): the timed round trips carry System.nanoTime()
     * stamps (one clock: the namespaces share the host's): long 0 the client's send, 5 the echo server's receive,
     * and via-aeron's gateway (-Dvia.aeron.stamps=true) writes 1-4 going up and 6-7 coming down; the client prints
     * each hop's p50 and mean.
     */
    private static final boolean STAMPS = Boolean.getBoolean("remote.bench.stamps");

    private RemoteBench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("peer")) {
            peer(args);
            return;
        }
        int rtts = 100_000;
        int streamMib = 256;
        String idle = "backoff";
        String threading = "invoker";
        boolean pin = false;
        boolean stamps = false;
        String viaPauser = "backoff";
        List<String> contenders = List.of("tcp", "aeron-udp", "aeron-udp-driver", "via-aeron");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--rtt": rtts = Integer.parseInt(args[++i]); break;
                case "--stream-mib": streamMib = Integer.parseInt(args[++i]); break;
                case "--idle": idle = args[++i]; break;
                case "--threading": threading = args[++i]; break;
                case "--pin": pin = true; break;
                case "--stamps": stamps = true; break;
                case "--via-pauser": viaPauser = args[++i]; break;
                case "--contenders": contenders = List.of(args[++i].split(",")); break;
                default: throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        new Orchestrator(rtts, streamMib, idle, threading, pin, stamps, viaPauser, contenders).run();
    }

    // ------------------------------------------------------------------------------------------ orchestrator

    private static final class Orchestrator {
        private final int rtts;
        private final int streamMib;
        private final String idle;
        private final String threading;
        private final boolean pin;
        private final boolean stamps;
        private final String viaPauser;
        private final List<String> contenders;
        /** -Dremote.bench.profile=DIR: every peer JVM runs async-profiler (wall clock, per thread) into DIR. */
        private final String profileDir = System.getProperty("remote.bench.profile");
        private final String profilerLib = System.getProperty("remote.bench.profiler",
                "/tmp/ap-aeron/linux-x64/libasyncProfiler.so");
        private final String prefix = "via-" + ProcessHandle.current().pid() + "-b";
        private final String clientNs = prefix + "-c";
        private final String serverNs = prefix + "-s";
        private final String clientIp = "10.213.250.1";
        private final String serverIp = "10.213.250.2";
        private final List<Process> live = new ArrayList<>();
        private final Map<Process, Path> outputs = new LinkedHashMap<>();
        private Path work;

        Orchestrator(int rtts, int streamMib, String idle, String threading, boolean pin, boolean stamps,
                String viaPauser, List<String> contenders) {
            this.threading = threading;
            this.stamps = stamps;
            this.pin = pin;
            this.contenders = contenders;
            this.rtts = rtts;
            this.streamMib = streamMib;
            this.idle = idle;
            this.viaPauser = viaPauser;
        }

        void run() throws Exception {
            work = Files.createTempDirectory("via-remote-bench-");
            Runtime.getRuntime().addShutdownHook(new Thread(this::cleanUp));
            try {
                sh("ip", "netns", "add", serverNs);
                sh("ip", "netns", "add", clientNs);
                String pid = Long.toString(ProcessHandle.current().pid() % 100000);
                sh("ip", "link", "add", "vbc" + pid, "netns", clientNs, "type", "veth", "peer", "name", "vbs" + pid,
                        "netns", serverNs);
                sh("ip", "-n", clientNs, "addr", "add", clientIp + "/30", "dev", "vbc" + pid);
                sh("ip", "-n", serverNs, "addr", "add", serverIp + "/30", "dev", "vbs" + pid);
                sh("ip", "-n", clientNs, "link", "set", "vbc" + pid, "up");
                sh("ip", "-n", serverNs, "link", "set", "vbs" + pid, "up");
                sh("ip", "-n", clientNs, "link", "set", "lo", "up");
                sh("ip", "-n", serverNs, "link", "set", "lo", "up");
                Map<String, String> results = new LinkedHashMap<>();
                for (String c : contenders) {
                    switch (c) {
                        case "tcp": results.put(c, tcp()); break;
                        case "aeron-udp": results.put(c, aeronUdp()); break;
                        case "aeron-udp-driver":
                            results.put(c, aeronUdpDriver(threading.equals("invoker") ? "shared" : threading));
                            break;
                        case "via-aeron": results.put(c, viaAeron(c)); break;
                        default:
                            if (c.startsWith("via-aeron@")) {
                                results.put(c, viaAeron(c));
                                break;
                            }
                            if (c.startsWith("aeron-udp-driver@")) {
                                results.put(c, aeronUdpDriver(c.substring(c.indexOf('@') + 1)));
                                break;
                            }
                            throw new IllegalArgumentException("unknown contender " + c);
                    }
                }
                System.out.println();
                System.out.println("| contender | 64 B round trip p50 (µs) | p99 (µs) | stream (MB/s) |");
                System.out.println("| --- | ---: | ---: | ---: |");
                for (Map.Entry<String, String> e : results.entrySet()) {
                    String[] f = e.getValue().split(" ");
                    System.out.println("| " + e.getKey() + " | " + f[0] + " | " + f[1] + " | " + f[2] + " |");
                }
                System.out.println("(" + rtts + " round trips after 20,000 warm-up; stream of " + streamMib
                        + " MiB in 64 KiB writes; Aeron idle " + idle + ", driver threading " + threading
                        + ", via-emu pauser " + viaPauser + (pin ? ", client host on CPU 0, server host on CPU 1"
                        : ", unpinned") + ")");
            } finally {
                cleanUp();
            }
        }

        private String tcp() throws Exception {
            Process s = peer(serverNs, "tcp-server", "tcp-server", serverIp, Integer.toString(TCP_PORT));
            awaitLine(s, "READY");
            return client("tcp", serverIp + ":" + TCP_PORT, s);
        }

        private String aeronUdp() throws Exception {
            Process s = peer(serverNs, "aeron-server", "aeron-server", serverIp, clientIp, idle, threading);
            awaitLine(s, "READY");
            return client("aeron-udp", serverIp + "," + clientIp, s);
        }

        /**
         * Raw Aeron with the server host's media driver in a process of its own (Aeron's production deployment, and
         * the topology via-emu's gateway has): a standalone {@code MediaDriver} JVM and the echo server an Aeron
         * client of it through its directory. That driver cannot be INVOKER (nobody outside it would run it): with
         * {@code --threading invoker} it is SHARED, one thread running conductor, sender and receiver with the
         * bench's idle strategy, which is what a thread of the driver's process invoking it in a loop would be (the
         * gateway's session thread without the hand-off); otherwise the bench's threading;
         * {@code aeron-udp-driver@shared|dedicated} chooses. The client is as in aeron-udp.
         */
        private String aeronUdpDriver(String driverThreading) throws Exception {
            String dir = work.resolve("aeron-standalone-driver").toString();
            Process driver = peer(serverNs, "aeron-driver", "aeron-driver", dir, driverThreading, idle);
            awaitLine(driver, "READY");
            Process s = peer(serverNs, "aeron-driver-server", "aeron-driver-server", serverIp, clientIp, idle,
                    dir);
            awaitLine(s, "READY");
            String r = client("aeron-udp-driver@" + driverThreading, serverIp + "," + clientIp, s);
            driver.destroy();
            driver.waitFor(10, TimeUnit.SECONDS);
            return r;
        }

        /**
         * via-emu through the gateway. A variant {@code via-aeron@NAME=VALUE/NAME=VALUE} runs the gateway with
         * {@code -Dvia.aeron.NAME=VALUE} each ({@code threading=shared}: its driver's threading only;
         * {@code pauser=P}: the echo server's wait, as {@code --via-pauser}; {@code server.PROP=VALUE}: a system
         * property of the echo server's JVM), so that settings are compared in one run.
         */
        private String viaAeron(String contender) throws Exception {
            List<String> gatewayProps = new ArrayList<>(List.of("-Dvia.aeron.idle=" + idle));
            String gatewayThreading = threading;
            String serverWait = viaPauser;
            List<String> serverProps = new ArrayList<>(List.of("-Dvia.aeron.idle=" + idle));
            int at = contender.indexOf('@');
            if (at > 0) {
                for (String kv : contender.substring(at + 1).split("/")) {
                    if (kv.startsWith("threading=")) {
                        gatewayThreading = kv.substring("threading=".length());
                    } else if (kv.startsWith("pauser=")) {
                        serverWait = kv.substring("pauser=".length());
                    } else if (kv.startsWith("server.")) {
                        serverProps.add("-D" + kv.substring("server.".length()));
                    } else {
                        gatewayProps.add("-Dvia.aeron." + kv);
                    }
                }
            }
            Path base = Files.createDirectories(work.resolve("base-" + outputs.size()));
            Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwx------"));
            Path token = work.resolve("token");
            Files.writeString(token, "bench-token-0123456789abcdef");
            Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-------"));
            Process server = start(serverNs, fileName(contender) + "-server", serverProps,
                    RemoteBench.class.getName(), "peer", "via-server", base.toString(), serverWait, idle);
            awaitLine(server, "READY");
            String gatewayPauser = serverWait.equals("poll") ? "backoff" : serverWait; // the gateway never waits on it
            gatewayProps.add("-Dvia.base-dir=" + base);
            gatewayProps.add("-Dvia.pauser=" + gatewayPauser);
            Process gateway = start(serverNs, fileName(contender) + "-gateway", gatewayProps, AeronGateway.class.getName(),
                    "--listen", serverIp + ":" + GATEWAY_PORT, "--token-file", token.toString(), "--aeron-dir",
                    work.resolve("aeron-gateway").toString(), "--idle", idle, "--threading", gatewayThreading);
            awaitLine(gateway, "listening on");
            String r = client("via-aeron", serverIp + ":" + GATEWAY_PORT + "," + token, server);
            gateway.destroy();
            gateway.waitFor(10, TimeUnit.SECONDS);
            return r;
        }

        private String client(String contender, String address, Process server) throws Exception {
            String kind = contender.indexOf('@') > 0 ? contender.substring(0, contender.indexOf('@')) : contender;
            Process c = start(clientNs, fileName(contender) + "-client", List.of("-Dvia.aeron.idle=" + idle,
                    "-Dvia.aeron.threading=" + threading), RemoteBench.class.getName(), "peer", "client", kind,
                    address, Integer.toString(rtts), Integer.toString(streamMib), idle, threading);
            if (!c.waitFor(10, TimeUnit.MINUTES)) {
                throw new IOException(contender + " client did not finish in 10 minutes");
            }
            String out = Files.readString(outputs.get(c));
            server.destroy();
            server.waitFor(10, TimeUnit.SECONDS);
            for (String line : out.split("\n")) {
                if (line.startsWith("STAMPS ")) {
                    System.err.println("[remote-bench] " + contender + ": " + line);
                }
                if (line.startsWith("RESULT ")) {
                    System.err.println("[remote-bench] " + contender + ": " + line);
                    return line.substring("RESULT ".length()).trim();
                }
            }
            throw new IOException(contender + " client gave no result:\n" + out);
        }

        private Process peer(String ns, String name, String... args) throws IOException {
            List<String> a = new ArrayList<>(List.of("peer"));
            a.addAll(List.of(args));
            return start(ns, name, List.of("-Dvia.aeron.idle=" + idle), RemoteBench.class.getName(),
                    a.toArray(new String[0]));
        }

        private Process start(String ns, String name, List<String> props, String main, String... args)
                throws IOException {
            List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns));
            if (pin) {
                cmd.addAll(List.of("taskset", "-c", ns.equals(clientNs) ? "0" : "1"));
            }
            cmd.add(ProcessHandle.current().info().command().orElse("java"));
            cmd.addAll(ProcessHandle.current().info().arguments().map(RemoteBench::jvmOptionsOf)
                    .orElse(List.of()));
            cmd.addAll(props);
            if (stamps) {
                cmd.add("-Dremote.bench.stamps=true");
                cmd.add("-Dvia.aeron.stamps=true");
            }
            if (profileDir != null) {
                cmd.add("-agentpath:" + profilerLib + "=start,event=wall,interval=200us,threads,file="
                        + Path.of(profileDir, name + ".collapsed"));
            }
            cmd.add("-cp");
            cmd.add(System.getProperty("java.class.path"));
            cmd.add(main);
            cmd.addAll(List.of(args));
            Path out = work.resolve(name + ".out");
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            live.add(p);
            outputs.put(p, out);
            return p;
        }

        private static String fileName(String contender) {
            return contender.replaceAll("[^A-Za-z0-9=._-]", "+");
        }

        /** Waits for {@code p} (its own output file only: an earlier peer's READY must not count) to print text. */
        private void awaitLine(Process p, String text) throws Exception {
            Path out = outputs.get(p);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline) {
                if (Files.exists(out) && Files.readString(out).contains(text)) {
                    return;
                }
                if (!p.isAlive()) {
                    throw new IOException(out.getFileName() + " exited before printing " + text + ":\n"
                            + Files.readString(out));
                }
                Thread.sleep(20);
            }
            throw new IOException(out.getFileName() + " did not print " + text + " in 60 s");
        }

        private void cleanUp() {
            for (Process p : live) {
                p.destroyForcibly();
            }
            live.clear();
            outputs.clear();
            if (work != null && Files.exists(work)) {
                try (Stream<Path> files = Files.walk(work)) {
                    files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                } catch (IOException e) {
                    System.err.println("could not delete " + work + ": " + e);
                }
            }
            for (String ns : new String[] {clientNs, serverNs}) {
                try {
                    new ProcessBuilder("ip", "netns", "del", ns).redirectErrorStream(true)
                            .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(20, TimeUnit.SECONDS);
                } catch (IOException | InterruptedException e) {
                    System.err.println("could not delete " + ns + ": " + e);
                }
            }
        }

        private static void sh(String... cmd) throws IOException, InterruptedException {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(20, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException(String.join(" ", cmd) + " failed: " + out);
            }
        }
    }

    /** This JVM's options (the @argfile expanded), without the main class and its arguments. */
    private static List<String> jvmOptionsOf(String[] arguments) {
        List<String> options = new ArrayList<>();
        for (int i = 0; i < arguments.length; i++) {
            String a = arguments[i];
            if (a.equals("-cp") || a.equals("-classpath")) {
                i++;
                continue;
            }
            if (!a.startsWith("-") && !a.startsWith("@")) { // an @argfile stays one: the peer expands it
                break;
            }
            if (!a.startsWith("-Dvia.aeron.idle") && !a.startsWith("-Dvia.aeron.threading")
                    && !a.startsWith("-agentpath")) {
                options.add(a);
            }
        }
        return options;
    }

    // ------------------------------------------------------------------------------------------ peers

    /** A byte stream, whatever carries it. */
    private interface Duplex {
        void write(byte[] b, int off, int len) throws IOException;

        int read(byte[] b, int off, int len) throws IOException;
    }

    private static void peer(String[] args) throws Exception {
        switch (args[1]) {
            case "tcp-server": {
                try (ServerSocket ss = new ServerSocket()) {
                    ss.bind(new InetSocketAddress(args[2], Integer.parseInt(args[3])));
                    System.out.println("READY");
                    Socket s = ss.accept();
                    s.setTcpNoDelay(true);
                    serve(socketDuplex(s));
                }
                break;
            }
            case "aeron-server": {
                AeronPair pair = AeronPair.open("server-" + ProcessHandle.current().pid(),
                        "aeron:udp?endpoint=" + args[2] + ":" + AERON_UP_PORT,
                        "aeron:udp?endpoint=" + args[3] + ":" + AERON_DOWN_PORT, args[4], args[5]);
                System.out.println("READY");
                serve(pair);
                break;
            }
            case "aeron-driver": {
                // a standalone media driver (its own process, as Aeron deploys one in production), until SIGTERM
                MediaDriver.Context dc = AeronPair.driverContext(args[2], args[3], args[4]);
                try (MediaDriver driver = MediaDriver.launch(dc)) {
                    System.out.println("READY " + driver.aeronDirectoryName());
                    new ShutdownSignalBarrier().await();
                }
                break;
            }
            case "aeron-driver-server": {
                AeronPair pair = AeronPair.connect(args[5], "aeron:udp?endpoint=" + args[2] + ":" + AERON_UP_PORT,
                        "aeron:udp?endpoint=" + args[3] + ":" + AERON_DOWN_PORT, args[4]);
                System.out.println("READY");
                serve(pair);
                break;
            }
            case "via-server": {
                boolean poll = args[3].equals("poll");
                ViaConfig config = ViaConfig.builder(Path.of(args[2]))
                        .pauser(PauserKind.valueOf((poll ? "backoff" : args[3]).toUpperCase(Locale.ROOT)))
                        .connectTimeout(Duration.ofSeconds(30)).build();
                try (ViaServer server = ViaServer.listen(config, "bench")) {
                    System.out.println("READY");
                    ParentConnection c = server.accept(0);
                    serve(poll ? pollingDuplex((ConnectionEnd) c, AeronPair.idleStrategy(args[4])) : viaDuplex(c));
                }
                break;
            }
            case "client":
                client(args[2], args[3], Integer.parseInt(args[4]), Integer.parseInt(args[5]), args[6], args[7]);
                break;
            default:
                throw new IllegalArgumentException(args[1]);
        }
        System.exit(0);
    }

    /** Commands: 'E' count (echo count 64 B messages), 'S' bytes (sink them, answer one byte), 'Q'. */
    private static void serve(Duplex d) throws IOException {
        byte[] buf = new byte[65536];
        byte[] head = new byte[9];
        while (true) {
            readFully(d, head, 0, 1);
            if (head[0] == 'Q') {
                return;
            }
            readFully(d, head, 1, 8);
            long n = 0;
            for (int i = 1; i < 9; i++) {
                n = (n << 8) | (head[i] & 0xff);
            }
            if (head[0] == 'E') {
                UnsafeBuffer stamp = new UnsafeBuffer(buf);
                for (long i = 0; i < n; i++) {
                    readFully(d, buf, 0, MESSAGE);
                    if (STAMPS) {
                        stamp.putLong(5 * 8, System.nanoTime());
                    }
                    d.write(buf, 0, MESSAGE);
                }
            } else {
                long left = n;
                while (left > 0) {
                    int k = d.read(buf, 0, (int) Math.min(buf.length, left));
                    if (k < 0) {
                        throw new EOFException();
                    }
                    left -= k;
                }
                d.write(buf, 0, 1);
            }
        }
    }

    private static void command(Duplex d, char c, long n) throws IOException {
        byte[] h = new byte[9];
        h[0] = (byte) c;
        for (int i = 8; i >= 1; i--) {
            h[i] = (byte) n;
            n >>>= 8;
        }
        d.write(h, 0, 9);
    }

    private static void client(String contender, String address, int rtts, int streamMib, String idle,
            String threading) throws Exception {
        Duplex d;
        String[] a = address.split(",");
        switch (contender) {
            case "tcp": {
                int colon = a[0].lastIndexOf(':');
                Socket s = new Socket(a[0].substring(0, colon), Integer.parseInt(a[0].substring(colon + 1)));
                s.setTcpNoDelay(true);
                d = socketDuplex(s);
                break;
            }
            case "aeron-udp":
            case "aeron-udp-driver": {
                AeronPair pair = AeronPair.open("client-" + ProcessHandle.current().pid(),
                        "aeron:udp?endpoint=" + a[1] + ":" + AERON_DOWN_PORT,
                        "aeron:udp?endpoint=" + a[0] + ":" + AERON_UP_PORT, idle, threading);
                pair.awaitConnected();
                d = pair;
                break;
            }
            case "via-aeron": {
                String token = Files.readString(Path.of(a[1])).trim();
                d = viaDuplex(AeronViaClient.connect(a[0], "bench", token));
                break;
            }
            default:
                throw new IllegalArgumentException(contender);
        }
        byte[] msg = new byte[MESSAGE];
        int warmup = 20_000;
        command(d, 'E', warmup + (long) rtts);
        for (int i = 0; i < warmup; i++) {
            d.write(msg, 0, MESSAGE);
            readFully(d, msg, 0, MESSAGE);
        }
        Histogram h = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
        Hops hops = STAMPS ? new Hops(contender.equals("via-aeron")) : null;
        UnsafeBuffer stamp = new UnsafeBuffer(msg);
        for (int i = 0; i < rtts; i++) {
            long t0 = System.nanoTime();
            if (hops != null) {
                stamp.putLong(0, t0);
            }
            d.write(msg, 0, MESSAGE);
            readFully(d, msg, 0, MESSAGE);
            long t1 = System.nanoTime();
            h.recordValue(t1 - t0);
            if (hops != null) {
                hops.record(stamp, t1);
            }
        }
        if (hops != null) {
            System.out.println("STAMPS " + hops);
        }
        long total = (long) streamMib << 20;
        byte[] chunk = new byte[65536];
        command(d, 'S', total);
        long t0 = System.nanoTime();
        for (long sent = 0; sent < total; sent += chunk.length) {
            d.write(chunk, 0, chunk.length);
        }
        readFully(d, chunk, 0, 1);
        double seconds = (System.nanoTime() - t0) / 1e9;
        command(d, 'Q', 0);
        System.out.printf("RESULT %.2f %.2f %.0f%n", h.getValueAtPercentile(50) / 1000.0,
                h.getValueAtPercentile(99) / 1000.0, total / seconds / 1e6);
        System.out.flush();
        Thread.sleep(200);
    }

    /** The hops of stamped round trips ({@link #STAMPS}): p50 and mean of each, µs. */
    private static final class Hops {
        private final String[] names;
        private final Histogram[] hs;

        Hops(boolean via) {
            names = via
                    ? new String[] {"client send->gw cycle start", "gw driver invoke", "gw invoke->poll",
                        "gw poll->server has it", "server->gw has reply", "gw reply->client has it",
                        "gw prev cycle->this cycle", "gw reply cycle start->reply read"}
                    : new String[] {"client send->server has it", "server->client has it"};
            hs = new Histogram[names.length];
            for (int i = 0; i < hs.length; i++) {
                hs[i] = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
            }
        }

        void record(UnsafeBuffer b, long end) {
            long[] t = new long[8];
            for (int i = 0; i < 8; i++) {
                t[i] = b.getLong(i * 8);
            }
            long[] d = names.length == 2 ? new long[] {t[5] - t[0], end - t[5]}
                    : new long[] {t[1] - t[0], t[2] - t[1], t[3] - t[2], t[5] - t[3], t[6] - t[5], end - t[6],
                        t[1] - t[4], t[6] - t[7]};
            for (int i = 0; i < d.length; i++) {
                if (d[i] >= 0 && d[i] < TimeUnit.SECONDS.toNanos(10)) {
                    hs[i].recordValue(d[i]);
                }
            }
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < names.length; i++) {
                sb.append(String.format(Locale.ROOT, "%s%s p50 %.2f mean %.2f", i == 0 ? "" : "; ", names[i],
                        hs[i].getValueAtPercentile(50) / 1000.0, hs[i].getMean() / 1000.0));
            }
            return sb.toString();
        }
    }

    private static void readFully(Duplex d, byte[] b, int off, int len) throws IOException {
        while (len > 0) {
            int n = d.read(b, off, len);
            if (n < 0) {
                throw new EOFException();
            }
            off += n;
            len -= n;
        }
    }

    private static Duplex socketDuplex(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        OutputStream out = s.getOutputStream();
        return new Duplex() {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return in.read(b, off, len);
            }
        };
    }

    /** A via-emu connection read with the non-blocking receiveNow, waiting with an Aeron idle strategy. */
    private static Duplex pollingDuplex(ConnectionEnd c, IdleStrategy idle) {
        return new Duplex() {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                c.send(b, off, len);
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                idle.reset();
                int n;
                while ((n = c.receiveNow(b, off, len)) == 0) {
                    idle.idle();
                }
                return n;
            }
        };
    }

    private static Duplex viaDuplex(ViaConnection c) {
        return new Duplex() {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                c.send(b, off, len);
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return c.receive(b, off, len, 0);
            }
        };
    }

    /**
     * Raw Aeron UDP: an embedded driver, one exclusive publication out and one subscription in. In INVOKER mode the
     * driver and the Aeron client's conductor have no threads: this peer's one thread runs both in its loops.
     */
    private static final class AeronPair implements Duplex {
        private final ExclusivePublication out;
        private final Subscription in;
        /** The driver's and the client conductor's duty cycles (INVOKER mode), else null. */
        private final AgentInvoker driverInvoker;
        private final AgentInvoker conductorInvoker;
        private final UnsafeBuffer wrap = new UnsafeBuffer(new byte[0]);
        private byte[] pending = new byte[1 << 16];
        private int pendingOff;
        private int pendingLen;
        private final IdleStrategy idle;

        private AeronPair(ExclusivePublication out, Subscription in, IdleStrategy idle, AgentInvoker driverInvoker,
                AgentInvoker conductorInvoker) {
            this.out = out;
            this.in = in;
            this.idle = idle;
            this.driverInvoker = driverInvoker;
            this.conductorInvoker = conductorInvoker;
        }

        /** Exactly via-emu's idle strategy of that name ({@code via.aeron.idle}). */
        static IdleStrategy idleStrategy(String idle) {
            return AeronOptions.defaults().idle(idle).newIdleStrategy();
        }

        static MediaDriver.Context driverContext(String dir, String threading, String idle) {
            MediaDriver.Context dc = new MediaDriver.Context()
                    .aeronDirectoryName(dir)
                    .dirDeleteOnStart(true).dirDeleteOnShutdown(true)
                    .termBufferSparseFile(true);
            switch (threading) {
                case "invoker": dc.threadingMode(ThreadingMode.INVOKER); break;
                case "dedicated": dc.threadingMode(ThreadingMode.DEDICATED).conductorIdleStrategy(idleStrategy(idle))
                        .senderIdleStrategy(idleStrategy(idle)).receiverIdleStrategy(idleStrategy(idle)); break;
                default: dc.threadingMode(ThreadingMode.SHARED).sharedIdleStrategy(idleStrategy(idle)); break;
            }
            return dc;
        }

        static AeronPair open(String name, String inChannel, String outChannel, String idle, String threading) {
            MediaDriver.Context dc = driverContext("/dev/shm/via-remote-bench-" + name, threading, idle);
            MediaDriver driver = MediaDriver.launchEmbedded(dc);
            Runtime.getRuntime().addShutdownHook(new Thread(driver::close));
            AgentInvoker driverInvoker = driver.sharedAgentInvoker();
            Aeron.Context ac = new Aeron.Context().aeronDirectoryName(driver.aeronDirectoryName());
            if (driverInvoker != null) {
                ac.driverAgentInvoker(driverInvoker).useConductorAgentInvoker(true);
            }
            Aeron aeron = Aeron.connect(ac);
            Subscription sub = aeron.addSubscription(inChannel, 10);
            ExclusivePublication pub = aeron.addExclusivePublication(outChannel, 10);
            return new AeronPair(pub, sub, idleStrategy(idle), driverInvoker, aeron.conductorAgentInvoker());
        }

        /**
         * An Aeron client of a media driver in another process (aeron-udp-driver): that driver has threads of its
         * own; this peer's one thread runs only its Aeron client conductor, in its loops, as in INVOKER mode.
         */
        static AeronPair connect(String aeronDir, String inChannel, String outChannel, String idle) {
            Aeron aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(aeronDir)
                    .useConductorAgentInvoker(true));
            Runtime.getRuntime().addShutdownHook(new Thread(aeron::close));
            Subscription sub = aeron.addSubscription(inChannel, 10);
            ExclusivePublication pub = aeron.addExclusivePublication(outChannel, 10);
            return new AeronPair(pub, sub, idleStrategy(idle), null, aeron.conductorAgentInvoker());
        }

        /** The driver's (INVOKER mode) and the client conductor's (if invoked) duty cycles: the work done. */
        private int invoke() {
            int work = driverInvoker == null ? 0 : driverInvoker.invoke();
            return conductorInvoker == null ? work : work + conductorInvoker.invoke();
        }

        void awaitConnected() throws InterruptedException {
            while (!out.isConnected() || in.imageCount() == 0) {
                if (invoke() == 0) {
                    Thread.sleep(0, 100_000);
                }
            }
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            wrap.wrap(b);
            int max = out.maxPayloadLength();
            while (len > 0) {
                int n = Math.min(len, max);
                long r;
                while ((r = out.offer(wrap, off, n)) < 0) {
                    if (r == Publication.CLOSED || r == Publication.MAX_POSITION_EXCEEDED) {
                        throw new IOException("publication failed: " + r);
                    }
                    idle.idle(invoke());
                }
                off += n;
                len -= n;
            }
            invoke(); // INVOKER mode: the frames go on the wire now, from this thread
        }

        @Override
        public int read(byte[] b, int off, int len) {
            idle.reset();
            while (pendingLen == 0) {
                int driverWork = invoke();
                if (in.poll((buffer, offset, length, header) -> {
                    if (pendingLen + length > pending.length) {
                        byte[] bigger = new byte[Math.max(pending.length * 2, pendingLen + length)];
                        System.arraycopy(pending, pendingOff, bigger, 0, pendingLen);
                        pending = bigger;
                        pendingOff = 0;
                    } else if (pendingOff + pendingLen + length > pending.length) {
                        System.arraycopy(pending, pendingOff, pending, 0, pendingLen);
                        pendingOff = 0;
                    }
                    buffer.getBytes(offset, pending, pendingOff + pendingLen, length);
                    pendingLen += length;
                }, 16) == 0) {
                    idle.idle(driverWork);
                }
            }
            int n = Math.min(len, pendingLen);
            System.arraycopy(pending, pendingOff, b, off, n);
            pendingOff += n;
            pendingLen -= n;
            if (pendingLen == 0) {
                pendingOff = 0;
            }
            return n;
        }
    }
}
