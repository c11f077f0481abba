package io.viaemu.bench.handover;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import io.viaemu.internal.FilePermissions;

/**
 * The floor under the handover pause on this machine, without via-emu: the same chain of cross-process steps as a
 * handover, each one a message on a Unix domain socket that the next process is blocked reading (the kernel's own
 * wake-up, as good as a futex), between three processes named as the handover's roles:
 *
 * <pre>
 *   parent --S7--> client --S47--> parent --S11 (P)--> client --S49--> child --S50--> client --S51--> parent
 * </pre>
 *
 * The client polls for S7 without blocking, as a streaming client sees the request in its next send; the other five
 * steps each wake a blocked reader, as the handover's waiters that park do (BACKOFF past its spin). The child stamps
 * the grant ({@link System#nanoTime()}, one clock on one host) and the stamp travels on to the parent with S51:
 * "trigger to the grant" is S7's send to that stamp, "trigger to the completion" S7's send to the parent reading
 * S51, the two figures of {@link HandoverPauseBench}. With {@code --busy N}, N more processes each spin one thread
 * for the whole run: the streaming client and the child's reader of that bench, or BUSY waiters, hold CPUs so.
 *
 * <p>Usage: {@code WakeChainBench [--rounds N] [--busy 0,1,2] [--gap-us N]}: every busy count in one run, rounds
 * {@code --gap-us} apart (the waiters park between them).
 */
public final class WakeChainBench {
    private static final int STAMP = 8;

    private WakeChainBench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("child")) {
            child(Path.of(args[1]));
            return;
        }
        if (args.length > 0 && args[0].equals("client")) {
            client(Path.of(args[1]));
            return;
        }
        if (args.length > 0 && args[0].equals("spin")) {
            spin(Path.of(args[1]));
            return;
        }
        System.out.print(run(args));
    }

    /** The orchestrator: every case of {@code args}, returns the report (a Markdown table between two load lines). */
    static String run(String[] args) throws Exception {
        int rounds = 2_000;
        long gapMicros = 2_000;
        List<Integer> busyCounts = List.of(0, 1, 2);
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--rounds":
                    rounds = Integer.parseInt(args[++i]);
                    break;
                case "--gap-us":
                    gapMicros = Long.parseLong(args[++i]);
                    break;
                case "--busy":
                    busyCounts = new ArrayList<>();
                    for (String n : args[++i].split(",")) {
                        busyCounts.add(Integer.parseInt(n.trim()));
                    }
                    break;
                default:
                    throw new IllegalArgumentException("unknown option " + args[i]
                            + "; usage: WakeChainBench [--rounds N] [--busy 0,1,2] [--gap-us N]");
            }
        }
        StringBuilder table = new StringBuilder(String.format(Locale.ROOT, "%d rounds per case, %d µs apart; Unix "
                + "domain sockets, blocking reads; load before: %s%n", rounds, gapMicros,
                Files.readString(Path.of("/proc/loadavg")).trim()));
        table.append("| p50 / p90 / p99 / max (µs) |");
        StringBuilder rule = new StringBuilder("| --- |");
        List<long[][]> results = new ArrayList<>();
        for (int busy : busyCounts) {
            table.append(" ").append(busy).append(busy == 1 ? " busy thread |" : " busy threads |");
            rule.append(" ---: |");
            results.add(runCase(rounds, gapMicros, busy));
        }
        table.append('\n').append(rule).append('\n');
        String[] names = {"trigger to the grant (S7 .. S50: four wake-ups)",
            "trigger to the completion (S7 .. S51: five wake-ups)"};
        for (int f = 0; f < names.length; f++) {
            table.append("| ").append(names[f]).append(" |");
            for (long[][] r : results) {
                table.append(' ').append(HandoverPauseBench.percentiles(r[f])).append(" |");
            }
            table.append('\n');
        }
        table.append("load after: ").append(Files.readString(Path.of("/proc/loadavg")).trim()).append('\n');
        return table.toString();
    }

    /** One case: fresh peers, {@code rounds} chains; returns {grant, completion} in µs per round. */
    private static long[][] runCase(int rounds, long gapMicros, int busy) throws Exception {
        Path base = Files.createTempDirectory("via-wake-chain");
        List<Process> peers = new ArrayList<>();
        try {
            peers.add(BenchPeers.start(base.resolve("child.log"), List.of(), WakeChainBench.class, "child",
                    base.toString()));
            BenchPeers.awaitFile(base.resolve("child.sock"), peers.get(0), 60, base);
            peers.add(BenchPeers.start(base.resolve("client.log"), List.of(), WakeChainBench.class, "client",
                    base.toString()));
            BenchPeers.awaitFile(base.resolve("client.ready"), peers.get(1), 60, base);
            for (int i = 0; i < busy; i++) {
                peers.add(BenchPeers.start(base.resolve("spin" + i + ".log"), List.of(), WakeChainBench.class,
                        "spin", base.resolve("spin" + i).toString()));
                BenchPeers.awaitFile(base.resolve("spin" + i + ".ready"), peers.get(peers.size() - 1), 60, base);
            }
            // the chain's reads block: a peer that stalls instead of dying is killed at this deadline, and the read
            // then ends with "peer closed" instead of waiting for ever
            long limitMillis = TimeUnit.SECONDS.toMillis(120) + (rounds + 1_000L) * (gapMicros / 1000 + 1) * 2;
            Thread watchdog = new Thread(() -> {
                try {
                    Thread.sleep(limitMillis);
                    peers.forEach(Process::destroyForcibly);
                } catch (InterruptedException e) {
                    // the case ended in time
                }
            }, "wake-chain-watchdog");
            watchdog.setDaemon(true);
            watchdog.start();
            try (SocketChannel s7 = connect(base.resolve("client-s7.sock"));
                    SocketChannel pc = connect(base.resolve("client.sock"))) {
                ByteBuffer one = ByteBuffer.allocateDirect(1);
                ByteBuffer s51 = ByteBuffer.allocateDirect(STAMP).order(ByteOrder.nativeOrder());
                int warmup = Math.max(200, rounds / 10);
                long[] grant = new long[rounds];
                long[] completion = new long[rounds];
                for (int r = -warmup; r < rounds; r++) {
                    TimeUnit.MICROSECONDS.sleep(gapMicros);
                    long t0 = System.nanoTime();
                    write(s7, one); // S7: the client polls for it
                    read(pc, one); // S47
                    write(pc, one); // S11: P
                    read(pc, s51); // S51, with the child's grant stamp (S50)
                    long done = System.nanoTime();
                    if (r >= 0) {
                        grant[r] = (s51.getLong(0) - t0) / 1000;
                        completion[r] = (done - t0) / 1000;
                    }
                }
                return new long[][] {grant, completion};
            } finally {
                watchdog.interrupt();
            }
        } finally {
            for (Process p : peers) {
                p.destroy();
            }
            for (Process p : peers) {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            }
            FilePermissions.deleteTree(base);
        }
    }

    /** The client: polls S7, answers S47, blocks for P, sends S49 to the child, blocks for S50, sends S51. */
    private static void client(Path base) throws IOException {
        try (ServerSocketChannel s7Server = listen(base.resolve("client-s7.sock"));
                ServerSocketChannel pcServer = listen(base.resolve("client.sock"));
                SocketChannel ch = connect(base.resolve("child.sock"))) {
            Files.writeString(base.resolve("client.ready"), "");
            try (SocketChannel s7 = s7Server.accept(); SocketChannel pc = pcServer.accept()) {
                s7.configureBlocking(false);
                ByteBuffer one = ByteBuffer.allocateDirect(1);
                ByteBuffer stamp = ByteBuffer.allocateDirect(STAMP).order(ByteOrder.nativeOrder());
                while (true) {
                    one.clear();
                    while (one.hasRemaining()) { // a streaming client's sends see S7: polled, not a wake-up
                        if (s7.read(one) < 0) {
                            return;
                        }
                        Thread.onSpinWait();
                    }
                    write(pc, one); // S47
                    read(pc, one); // P
                    write(ch, one); // S49
                    read(ch, stamp); // S50 and its stamp
                    write(pc, stamp); // S51
                }
            }
        }
    }

    /** The child: blocks for S49, stamps its grant and sends it (S50). */
    private static void child(Path base) throws IOException {
        try (ServerSocketChannel server = listen(base.resolve("child.sock")); SocketChannel c = server.accept()) {
            ByteBuffer one = ByteBuffer.allocateDirect(1);
            ByteBuffer stamp = ByteBuffer.allocateDirect(STAMP).order(ByteOrder.nativeOrder());
            while (true) {
                one.clear();
                if (!readFully(c, one)) {
                    return;
                }
                stamp.putLong(0, System.nanoTime());
                write(c, stamp);
            }
        }
    }

    /** A thread that holds a CPU for the whole case, as a streaming sender or a spinning waiter does. */
    private static void spin(Path name) throws IOException {
        Files.writeString(name.resolveSibling(name.getFileName() + ".ready"), "");
        long x = 0;
        while (Files.isDirectory(name.getParent())) {
            for (int i = 0; i < 1_000_000; i++) {
                x += i ^ (x >>> 3);
            }
        }
        System.out.println(x);
    }

    private static ServerSocketChannel listen(Path path) throws IOException {
        ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        s.bind(UnixDomainSocketAddress.of(path));
        return s;
    }

    private static SocketChannel connect(Path path) throws IOException {
        SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
        c.connect(UnixDomainSocketAddress.of(path));
        return c;
    }

    private static void write(SocketChannel c, ByteBuffer b) throws IOException {
        b.clear();
        while (b.hasRemaining()) {
            c.write(b);
        }
    }

    private static void read(SocketChannel c, ByteBuffer b) throws IOException {
        b.clear();
        if (!readFully(c, b)) {
            throw new IOException("peer closed");
        }
    }

    private static boolean readFully(SocketChannel c, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            if (c.read(b) < 0) {
                return false;
            }
        }
        return true;
    }
}
