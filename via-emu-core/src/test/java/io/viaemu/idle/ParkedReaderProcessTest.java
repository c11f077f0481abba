package io.viaemu.idle;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.viaemu.ViaClient;
import io.viaemu.ViaConnection;
import io.viaemu.testapp.IdleClientMain;
import io.viaemu.testapp.IdleServerMain;
import io.viaemu.testapp.TestConfigs;
import io.viaemu.testing.JvmProcess;
import io.viaemu.testing.SeparateProcessTest;
import org.junit.jupiter.api.Test;

/**
 * Readers parked on idle connections, in other JVMs: they cost (almost) no CPU, and wake for data, for a handover
 * that starts while the client's application does nothing but wait, and for the death of their peer.
 */
class ParkedReaderProcessTest extends SeparateProcessTest {
    private static final Duration START = Duration.ofSeconds(60);
    private static final long CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux

    /** An echo server and a client JVM with {@code n} idle connections to it, every one accepted. */
    private void startIdleConnections(int n) throws Exception {
        server = JvmProcess.start(tmp.resolve("logs"), "server", List.of(), IdleServerMain.class, base.toString(),
                "idle", "echo").awaitOutput("LISTENING", START);
        client = JvmProcess.start(tmp.resolve("logs"), "client", List.of(), IdleClientMain.class, base.toString(),
                "idle", Integer.toString(n)).awaitOutput("CONNECTED " + n, START);
        server.awaitOutput("ACCEPTED " + n, START);
    }

    @Test
    void idleConnectionsCostAlmostNoCpuAndAParkedReaderWakesForData() throws Exception {
        int n = 50;
        startIdleConnections(n);
        TimeUnit.SECONDS.sleep(2); // past the spin budget, JIT compilation and start-up work

        long[] before = {cpuTicks(server.pid()), cpuTicks(client.pid())};
        long t0 = System.nanoTime();
        TimeUnit.SECONDS.sleep(3);
        double seconds = (System.nanoTime() - t0) / 1e9;
        double serverCores = (cpuTicks(server.pid()) - before[0]) / (double) CLOCK_TICKS_PER_SECOND / seconds;
        double clientCores = (cpuTicks(client.pid()) - before[1]) / (double) CLOCK_TICKS_PER_SECOND / seconds;
        // spinning or timed polling readers cost about a core per process here (measured before the doorbells)
        assertThat(serverCores).as("server CPU (cores) with %d idle connections", n).isLessThan(0.05);
        assertThat(clientCores).as("client CPU (cores) with %d idle connections", n).isLessThan(0.05);

        // one more connection from this JVM: its server-side reader parks, then is woken by the data
        try (ViaConnection c = ViaClient.connect(TestConfigs.config(base, "none", 0), "idle")) {
            server.awaitOutput("ACCEPTED " + (n + 1), START);
            TimeUnit.MILLISECONDS.sleep(500);
            byte[] ping = "ping".getBytes(StandardCharsets.UTF_8);
            long start = System.nanoTime();
            c.send(ping);
            byte[] back = new byte[4];
            int got = 0;
            while (got < 4) {
                int r = c.receive(back, got, 4 - got, 5_000);
                assertThat(r).isPositive();
                got += r;
            }
            long micros = TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - start);
            assertThat(new String(back, StandardCharsets.UTF_8)).isEqualTo("ping");
            assertThat(micros).as("round trip through a parked reader (µs)").isLessThan(1_000_000);
        }
    }

    @Test
    void aParkedClientTakesPartInAHandoverAndWakesForTheChildsData() {
        server = JvmProcess.start(tmp.resolve("logs"), "server", List.of(), IdleServerMain.class, base.toString(),
                "idle", "handover", "T1", "1").awaitOutput("LISTENING", START);
        client = JvmProcess.start(tmp.resolve("logs"), "client", List.of(), IdleClientMain.class, base.toString(),
                "idle", "1", "T1").awaitOutput("CONNECTED 1", START);
        server.awaitOutput("HANDED-OVER", START);
        client.awaitOutput("hello from the child", Duration.ofSeconds(10));
        Matcher m = Pattern.compile("HANDED-OVER (\\w+) micros=(\\d+)").matcher(server.output());
        assertThat(m.find()).isTrue();
        assertThat(m.group(1)).as("handed over").isEqualTo("true");
        // the client's application only waits in receive: its housekeeper, woken by the parent, does its part
        assertThat(Long.parseLong(m.group(2))).as("T1 handover of an idle client (µs)").isLessThan(3_000_000);
    }

    @Test
    void parkedReadersWakeWhenTheirPeerIsKilled() throws Exception {
        int n = 20;
        startIdleConnections(n);
        TimeUnit.SECONDS.sleep(1); // every reader parked
        long killedAt = System.nanoTime();
        server.kill9();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        long latest = 0;
        int errors = 0;
        while (System.nanoTime() < deadline) {
            Matcher m = Pattern.compile("ERROR \\d+ (\\d+) .*parent process died").matcher(client.output());
            errors = 0;
            latest = 0;
            while (m.find()) {
                errors++;
                latest = Math.max(latest, Long.parseLong(m.group(1)));
            }
            if (errors == n) {
                break;
            }
            TimeUnit.MILLISECONDS.sleep(50);
        }
        assertThat(errors).as("readers that learned of the parent's death. Client output:\n%s", client.output())
                .isEqualTo(n);
        assertThat(TimeUnit.NANOSECONDS.toMillis(latest - killedAt)).as("kill -9 to the last reader's error (ms)")
                .isLessThan(2_000);
    }

    /** utime + stime of a process, in clock ticks, from /proc/PID/stat. */
    private static long cpuTicks(long pid) throws Exception {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]); // fields 14 and 15 of the whole line
    }
}
