package io.viaemu.aeron;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Two network namespaces joined by a veth pair, a client host and a server host: {@code via-PID-N-c} with
 * {@code 10.213.A.B+1/30}, {@code via-PID-N-s} with {@code .B+2/30}, only addresses inside the namespaces this
 * creates. Namespaces of earlier runs whose creating JVM is gone are deleted first; {@link #close()} deletes both
 * (which deletes the veth pair). Skips the test (a JUnit assumption) where namespaces cannot be created.
 */
final class NetnsPair implements AutoCloseable {
    private static final Pattern OURS = Pattern.compile("via-(\\d+)-(\\d+)-[cs]");
    private static final AtomicInteger COUNTER = new AtomicInteger();

    final String clientNs;
    final String serverNs;
    final String clientDev;
    final String serverDev;
    final String clientIp;
    final String serverIp;

    private NetnsPair(String clientNs, String serverNs, String clientDev, String serverDev, String clientIp,
            String serverIp) {
        this.clientNs = clientNs;
        this.serverNs = serverNs;
        this.clientDev = clientDev;
        this.serverDev = serverDev;
        this.clientIp = clientIp;
        this.serverIp = serverIp;
    }

    static NetnsPair create() throws IOException, InterruptedException {
        boolean root = "0".equals(run(false, "id", "-u").trim());
        assumeTrue(root, "network namespaces need root: skipped (run as root, as CI does)");
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/ip")) || Files.isExecutable(Path.of("/sbin/ip"))
                || Files.isExecutable(Path.of("/usr/bin/ip")), "no 'ip' command (iproute2): skipped");
        removeStale();
        long pid = ProcessHandle.current().pid();
        int n = COUNTER.getAndIncrement();
        String prefix = "via-" + pid + "-" + n;
        int a = (int) (pid % 200) + 20;
        int b = (n % 60) * 4;
        NetnsPair p = new NetnsPair(prefix + "-c", prefix + "-s", "vc" + pid % 100000 + "n" + n % 100,
                "vs" + pid % 100000 + "n" + n % 100, "10.213." + a + "." + (b + 1), "10.213." + a + "." + (b + 2));
        String probe = run(false, "ip", "netns", "add", p.serverNs);
        assumeTrue(probe.isEmpty() || !probe.contains("rror"), "cannot create a network namespace here ("
                + probe.trim() + "): skipped");
        try {
            run(true, "ip", "netns", "add", p.clientNs);
            run(true, "ip", "link", "add", p.clientDev, "netns", p.clientNs, "type", "veth", "peer", "name",
                    p.serverDev, "netns", p.serverNs);
            run(true, "ip", "-n", p.clientNs, "addr", "add", p.clientIp + "/30", "dev", p.clientDev);
            run(true, "ip", "-n", p.serverNs, "addr", "add", p.serverIp + "/30", "dev", p.serverDev);
            for (String[] nsDev : new String[][] {{p.clientNs, p.clientDev}, {p.serverNs, p.serverDev},
                {p.clientNs, "lo"}, {p.serverNs, "lo"}}) {
                run(true, "ip", "-n", nsDev[0], "link", "set", nsDev[1], "up");
            }
        } catch (IOException | RuntimeException e) {
            p.close();
            throw e;
        }
        return p;
    }

    /** The client side's veth end down (the server's loses its carrier too) or up again. */
    void link(boolean up) throws IOException, InterruptedException {
        run(true, "ip", "-n", clientNs, "link", "set", clientDev, up ? "up" : "down");
    }

    /** The command to run {@code cmd} inside {@code ns}. */
    static List<String> inNamespace(String ns, List<String> cmd) {
        List<String> all = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        all.addAll(cmd);
        return all;
    }

    @Override
    public void close() {
        for (String ns : new String[] {clientNs, serverNs}) {
            try {
                run(false, "ip", "netns", "del", ns);
            } catch (IOException | InterruptedException e) {
                System.err.println("could not delete network namespace " + ns + ": " + e);
            }
        }
    }

    /** This pair's namespaces that still exist (after {@link #close()}: none). */
    List<String> remaining() {
        List<String> left = new ArrayList<>();
        try {
            for (String line : run(false, "ip", "netns", "list").split("\n")) {
                String name = line.trim().split("\\s+")[0];
                if (name.equals(clientNs) || name.equals(serverNs)) {
                    left.add(name);
                }
            }
        } catch (IOException | InterruptedException e) {
            left.add("(ip netns list failed: " + e + ")");
        }
        return left;
    }

    private static void removeStale() throws IOException, InterruptedException {
        for (String line : run(false, "ip", "netns", "list").split("\n")) {
            String name = line.trim().split("\\s+")[0];
            Matcher m = OURS.matcher(name);
            if (m.matches() && !ProcessHandle.of(Long.parseLong(m.group(1))).map(ProcessHandle::isAlive)
                    .orElse(false)) {
                run(false, "ip", "netns", "del", name);
            }
        }
    }

    private static String run(boolean check, String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", cmd) + ": no answer in 20 s");
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (check && p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed (" + p.exitValue() + "): " + out);
        }
        return out;
    }
}
