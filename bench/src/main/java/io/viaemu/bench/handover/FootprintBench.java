package io.viaemu.bench.handover;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.viaemu.ViaClient;
import io.viaemu.ViaConfig;
import io.viaemu.ViaConnection;
import io.viaemu.ViaServer;
import io.viaemu.internal.JvmOptions;

/**
 * Memory and disk per open connection: a server JVM and a client JVM hold 1, 10 and 100 open connections (each has
 * echoed one 64-byte message); the orchestrator then reads the base directory's allocated size (du), the queue-file
 * mappings of both processes (/proc/PID/maps) and their resident sizes (/proc/PID/status).
 */
public final class FootprintBench {
    private static final String ENDPOINT = "footprint";

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("server")) {
            server(Path.of(args[1]), Integer.parseInt(args[2]));
            return;
        }
        if (args.length > 0 && args[0].equals("client")) {
            client(Path.of(args[1]), Integer.parseInt(args[2]));
            return;
        }
        StringBuilder table = new StringBuilder("| Open connections | disk (du) | disk per connection | files | mapped, "
                + "server + client | RSS server / client |\n| ---: | ---: | ---: | ---: | ---: | ---: |\n");
        for (int n : new int[] {1, 10, 100}) {
            table.append(run(n));
        }
        System.out.print(table);
        if (Files.isDirectory(Path.of("bench", "target"))) {
            Files.writeString(Path.of("bench", "target", "footprint-results.md"), table);
        }
    }

    private static String run(int n) throws Exception {
        Path tmp = Files.createTempDirectory("via-footprint");
        Path base = Files.createDirectories(tmp.resolve("base"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Process server = start(tmp, "server", base, n);
        Process client = null;
        try {
            awaitFile(base.resolve("server.ready"), server);
            client = start(tmp, "client", base, n);
            awaitFile(base.resolve("client.ready"), client);
            Thread.sleep(500); // let the server's side settle (grants, heartbeats)
            long du = duKib(base.resolve(ENDPOINT)) * 1024;
            long files;
            try (Stream<Path> s = Files.walk(base.resolve(ENDPOINT))) {
                files = s.filter(Files::isRegularFile).count();
            }
            long mapped = mappedBytes(server.pid(), base) + mappedBytes(client.pid(), base);
            return String.format(Locale.ROOT, "| %d | %s | %s | %d | %s | %s / %s |\n", n, mib(du), mib(du / n), files,
                    mib(mapped), mib(rssBytes(server.pid())), mib(rssBytes(client.pid())));
        } finally {
            if (client != null) {
                client.destroyForcibly();
                client.waitFor(10, TimeUnit.SECONDS);
            }
            server.destroyForcibly();
            server.waitFor(10, TimeUnit.SECONDS);
        }
    }

    static ViaConfig config(Path base) {
        return ViaConfig.builder(base).triggers(Set.of()).maxConnections(1000).build();
    }

    private static void server(Path base, int n) throws Exception {
        ViaServer server = ViaServer.listen(config(base), ENDPOINT);
        Files.writeString(base.resolve("server.ready"), "");
        List<ViaConnection> held = new ArrayList<>();
        byte[] buf = new byte[64];
        for (int i = 0; i < n; i++) {
            ViaConnection c = server.accept(60_000);
            int r = c.receive(buf, 0, buf.length, 60_000);
            c.send(buf, 0, r);
            held.add(c);
        }
        Thread.sleep(300_000); // held open until the orchestrator ends this process
    }

    private static void client(Path base, int n) throws Exception {
        List<ViaConnection> held = new ArrayList<>();
        byte[] buf = new byte[64];
        for (int i = 0; i < n; i++) {
            ViaConnection c = ViaClient.connect(config(base), ENDPOINT);
            c.send(buf);
            int got = 0;
            while (got < 64) {
                got += c.receive(buf, got, 64 - got, 60_000);
            }
            held.add(c);
        }
        Files.writeString(base.resolve("client.ready"), "");
        Thread.sleep(300_000);
    }

    private static Process start(Path tmp, String role, Path base, int n) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.addAll(JvmOptions.channelOptions());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(FootprintBench.class.getName());
        cmd.add(role);
        cmd.add(base.toString());
        cmd.add(Integer.toString(n));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve(role + ".log").toFile())
                .start();
    }

    private static void awaitFile(Path file, Process p) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!Files.exists(file)) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException(file + " did not appear; see " + file.getParent().getParent());
            }
            Thread.sleep(20);
        }
    }

    private static long duKib(Path dir) throws Exception {
        Process du = new ProcessBuilder("du", "-sk", dir.toString()).redirectErrorStream(true).start();
        String out = new String(du.getInputStream().readAllBytes()).trim();
        du.waitFor(30, TimeUnit.SECONDS);
        return Long.parseLong(out.split("\\s+")[0]);
    }

    /** Sum of the sizes of this process's mappings of files under {@code base}. */
    private static long mappedBytes(long pid, Path base) throws IOException {
        long total = 0;
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "maps"))) {
            if (line.contains(base.toString())) {
                String[] range = line.substring(0, line.indexOf(' ')).split("-");
                total += Long.parseUnsignedLong(range[1], 16) - Long.parseUnsignedLong(range[0], 16);
            }
        }
        return total;
    }

    private static long rssBytes(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        return -1;
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.2f MiB", bytes / (1024.0 * 1024.0));
    }
}
