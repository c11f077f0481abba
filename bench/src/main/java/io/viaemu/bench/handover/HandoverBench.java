package io.viaemu.bench.handover;

import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import io.viaemu.ConnectionSnapshot;
import io.viaemu.ParentConnection;
import io.viaemu.Trigger;
import io.viaemu.ViaClient;
import io.viaemu.ViaConfig;
import io.viaemu.ViaConnection;
import io.viaemu.ViaServer;
import io.viaemu.protocol.FlagBlock;

/**
 * The handover, measured across three processes (client, parent, child). The client streams numbered 64-byte
 * messages as fast as it can; the parent consumes and checks them, forks the connection (EMU_FORK) and, after a
 * given number of messages, closes its end (T1): the child receives the rest. Reported, for a cold worker (JVM
 * started by the fork) and a warm pool: fork latency, trigger to the child's grant (it can receive), trigger to the
 * completion flag, the client's longest send stall, and lost / duplicated / out-of-order message counts.
 *
 * <p>Usage: {@code HandoverBench [--messages N] [--trigger-after N]}; roles {@code server} and {@code client} are
 * the peers it starts.
 */
public final class HandoverBench {
    static final int MESSAGE = 64;
    static final String ENDPOINT = "handover";

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("server")) {
            server(Path.of(args[1]), Long.parseLong(args[2]), Integer.parseInt(args[3]), Path.of(args[4]));
            return;
        }
        if (args.length > 0 && args[0].equals("client")) {
            client(Path.of(args[1]), Long.parseLong(args[2]), Path.of(args[3]));
            return;
        }
        long messages = 1_000_000;
        long triggerAfter = 200_000;
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (args[i].equals("--messages")) {
                messages = Long.parseLong(args[i + 1]);
            } else if (args[i].equals("--trigger-after")) {
                triggerAfter = Long.parseLong(args[i + 1]);
            }
        }
        List<String[]> rows = new ArrayList<>();
        for (int pool : new int[] {0, 1}) {
            rows.add(run(messages, triggerAfter, pool));
        }
        StringBuilder table = new StringBuilder();
        table.append("| Handover (").append(messages).append(" numbered 64 B messages, T1 after ")
                .append(triggerAfter).append(") | cold worker | warm pool |\n| --- | ---: | ---: |\n");
        String[] names = {"EMU_FORK: fork() until the child is ready (ms)", "trigger to the child's grant (µs)",
            "trigger to the completion flag (µs)", "client's longest send stall (µs)", "bytes copied to the child",
            "lost / duplicated / out of order", "messages parent / child"};
        for (int i = 0; i < names.length; i++) {
            table.append("| ").append(names[i]).append(" | ").append(rows.get(0)[i]).append(" | ")
                    .append(rows.get(1)[i]).append(" |\n");
        }
        System.out.print(table);
        Path out = Path.of("bench", "target");
        if (Files.isDirectory(out)) {
            Files.writeString(out.resolve("handover-results.md"), table);
        }
        boolean ok = rows.stream().allMatch(r -> r[5].equals("0 / 0 / 0"));
        System.exit(ok ? 0 : 1);
    }

    private static String[] run(long messages, long triggerAfter, int pool) throws Exception {
        Path tmp = Files.createTempDirectory("via-handover-bench");
        Path base = Files.createDirectories(tmp.resolve("base"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path out = Files.createDirectories(tmp.resolve("out"));
        Process server = BenchPeers.start(tmp.resolve("server.log"), List.of(), HandoverBench.class, "server",
                base.toString(), Long.toString(triggerAfter), Integer.toString(pool), out.toString());
        try {
            await(out.resolve("server.ready"), server, 60);
            if (pool > 0) {
                Thread.sleep(3000); // let the pool's worker finish starting: "warm"
            }
            Process client = BenchPeers.start(tmp.resolve("client.log"), List.of(), HandoverBench.class, "client",
                    base.toString(), Long.toString(messages), out.toString());
            if (!client.waitFor(180, TimeUnit.SECONDS)) {
                client.destroyForcibly();
                throw new IllegalStateException("client did not finish; see " + tmp);
            }
            await(out.resolve("child.result"), server, 60);
            await(out.resolve("server.result"), server, 60);
            Properties s = load(out.resolve("server.result"));
            Properties c = load(out.resolve("client.result"));
            Properties ch = load(out.resolve("child.result"));
            MessageCounter parent = MessageCounter.from(s);
            MessageCounter child = MessageCounter.from(ch);
            long sent = Long.parseLong(c.getProperty("sent"));
            long received = parent.count + child.count;
            long lost = Math.max(0, sent - received);
            long dup = Math.max(0, received - sent) + (child.first <= parent.last ? parent.last - child.first + 1 : 0);
            long gap = child.first > parent.last + 1 ? child.first - parent.last - 1 : 0;
            long outOfOrder = parent.outOfOrder + child.outOfOrder + (gap > 0 || dup > 0 ? 1 : 0);
            System.err.println((pool == 0 ? "cold: " : "warm: ") + s.getProperty("steps"));
            return new String[] {
                String.format(Locale.ROOT, "%.1f", Long.parseLong(s.getProperty("forkMicros")) / 1000.0),
                s.getProperty("toGrantMicros"), s.getProperty("toCompletionMicros"),
                c.getProperty("maxStallMicros"), s.getProperty("bytesCopied"),
                (lost + gap) + " / " + dup + " / " + outOfOrder,
                parent.count + " / " + child.count};
        } finally {
            server.destroyForcibly();
            server.waitFor(10, TimeUnit.SECONDS);
        }
    }

    // ------------------------------------------------------------------------------------------------ peers

    static ViaConfig config(Path base, int pool, Path out) {
        return ViaConfig.builder(base).triggers(Set.of(Trigger.T1_PARENT_CLOSE)).workerPoolSize(pool)
                .retention(Duration.ofMinutes(10))
                .workerJvmOptions(List.of("-Dvia.bench.out=" + out, "-XX:TieredStopAtLevel=1", "-Xshare:auto"))
                .build();
    }

    private static void server(Path base, long triggerAfter, int pool, Path out) throws Exception {
        ViaServer server = ViaServer.listen(config(base, pool, out), ENDPOINT);
        Files.writeString(out.resolve("server.ready"), "");
        ParentConnection c = server.accept(120_000);
        long t0 = System.nanoTime();
        c.fork(CountingHandler.class.getName());
        long forkMicros = (System.nanoTime() - t0) / 1000;
        MessageCounter counter = new MessageCounter();
        byte[] msg = new byte[MESSAGE];
        while (counter.count < triggerAfter && readFully(c, msg)) {
            counter.add(ByteBuffer.wrap(msg).getLong());
        }
        c.close(); // T1
        ConnectionSnapshot snap = server.snapshot(c.id()).orElseThrow();
        Map<FlagBlock.Word, Long> w = FlagBlock.openReadOnly(
                base.resolve(ENDPOINT).resolve("conn").resolve(c.id())).snapshot();
        long t = w.get(FlagBlock.Word.NANOS_TRIGGER);
        String steps = "trigger>intermitted " + (w.get(FlagBlock.Word.NANOS_INTERMITTED) - t) / 1000
                + " µs, >reconnect requested " + (w.get(FlagBlock.Word.NANOS_RECONNECT_REQUESTED) - t) / 1000
                + " µs, >client sent RECONNECT " + (w.get(FlagBlock.Word.NANOS_RECONNECT_SENT) - t) / 1000
                + " µs, >granted " + (w.get(FlagBlock.Word.NANOS_GRANTED) - t) / 1000 + " µs";
        Files.writeString(out.resolve("server.result"), counter.toProperties() + "forkMicros=" + forkMicros
                + "\ntoGrantMicros=" + snap.handoverToGrantMicros() + "\ntoCompletionMicros=" + snap.handoverMicros()
                + "\nbytesCopied=" + snap.bytesCopied() + "\nsteps=" + steps + "\n");
        Thread.sleep(120_000); // the orchestrator ends this process
    }

    private static boolean readFully(ViaConnection c, byte[] b) throws Exception {
        return CountingHandler.readFully(c, b);
    }

    private static void client(Path base, long messages, Path out) throws Exception {
        ViaConnection c = ViaClient.connect(config(base, 0, out), ENDPOINT);
        ByteBuffer msg = ByteBuffer.allocate(MESSAGE);
        long maxStall = 0;
        for (long seq = 0; seq < messages; seq++) {
            msg.clear();
            msg.putLong(seq);
            long t0 = System.nanoTime();
            c.send(msg.array(), 0, MESSAGE);
            maxStall = Math.max(maxStall, System.nanoTime() - t0);
        }
        c.shutdownOutput();
        byte[] buf = new byte[64];
        while (c.receive(buf, 0, buf.length, 60_000) >= 0) {
            // the child closes after our end of stream
        }
        Files.writeString(out.resolve("client.result"), "sent=" + messages + "\nmaxStallMicros=" + maxStall / 1000
                + "\n");
        c.close();
        System.exit(0);
    }

    // ------------------------------------------------------------------------------------------------ plumbing



    private static void await(Path file, Process server, int seconds) throws Exception {
        BenchPeers.awaitFile(file, server, seconds, file.getParent().getParent());
        Thread.sleep(20); // the file is written: let its writer finish it
    }

    private static Properties load(Path p) throws IOException {
        Properties props = new Properties();
        props.load(new StringReader(Files.readString(p)));
        return props;
    }
}
