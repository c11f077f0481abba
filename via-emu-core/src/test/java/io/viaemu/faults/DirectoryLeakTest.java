package io.viaemu.faults;

import static io.viaemu.faults.Faults.EP;
import static io.viaemu.faults.Faults.STEP;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import io.viaemu.ViaClient;
import io.viaemu.ViaConfig;
import io.viaemu.ViaRefusedException;
import io.viaemu.ViaServer;
import io.viaemu.testapp.FaultConfigs;
import io.viaemu.testapp.HaltingClientMain;
import io.viaemu.testapp.LifecycleServerMain;
import io.viaemu.testing.JvmProcess;
import io.viaemu.testing.SeparateProcessTest;
import org.junit.jupiter.api.Test;

/**
 * Connection directories (queues and flag block) must not outlive the connection's processes: whoever is the last
 * live process of a connection deletes its directory, in whatever order the ends close or die; and what processes
 * that all died at once left is deleted by the next via-emu process that opens the base directory, even when no
 * server of that endpoint ever runs again.
 */
class DirectoryLeakTest extends SeparateProcessTest {
    private static final long SEED = 9_0001L;
    private static final int ITERATIONS = 20;
    /**
     * The server outlives each halted client: it is the connection's last live process and must delete the
     * directory about as soon as it knows the client is dead (its liveness checks run every 10-20 ms), not when a
     * periodic sweep (every 2 s) or a later process comes by. Generous for a loaded 2-core machine.
     */
    private static final Duration LAST_PROCESS_DELETES_WITHIN = Duration.ofSeconds(1);

    private final Map<String, String> props = FaultConfigs.props("retentionMs", "0");

    @Test
    void clientsHaltedAtRandomMomentsAroundTheServersCloseLeaveNoDirectory() throws Exception {
        server = Faults.startServer(tmp, "server", props, LifecycleServerMain.class, base.toString(), EP,
                "ACCEPT-CLOSE", out.toString());
        Path conns = base.resolve(EP).resolve("conn");
        Random random = new Random(SEED);
        List<String> orders = new ArrayList<>();
        for (int i = 0; i < ITERATIONS; i++) {
            // the server closes 0-300 ms after the connect, the client halts 0-300 ms after it: either comes first
            long serverCloseMillis = random.nextInt(300);
            long haltMillis = random.nextInt(300);
            int since = server.output().length();
            JvmProcess halting = JvmProcess.start(tmp.resolve("logs"), "client-" + i, FaultConfigs.jvmOptions(props),
                    HaltingClientMain.class, base.toString(), EP, Long.toString(serverCloseMillis),
                    Long.toString(haltMillis), "HALT").awaitOutput("CONNECTED", STEP);
            String id = Faults.line(halting.output(), "CONNECTED").substring("CONNECTED ".length()).trim();
            assertThat(halting.awaitExit(STEP)).as("client %d halted", i).isZero();
            String closed = Faults.line(Faults.awaitOutputSince(server, since, "CLOSED " + id, STEP), "CLOSED " + id);
            orders.add("server close " + serverCloseMillis + " ms / client halt " + haltMillis + " ms: " + closed);
            Path dir = conns.resolve(id);
            long t0 = System.nanoTime();
            Faults.await("iteration " + i + " (" + orders.get(i) + "): " + dir + " deleted by the server, the last"
                    + " live process", LAST_PROCESS_DELETES_WITHIN, () -> !Files.exists(dir));
            System.out.println(orders.get(i) + " -> deleted " + (System.nanoTime() - t0) / 1_000_000 + " ms after"
                    + " the client's exit was seen");
        }
        Files.writeString(out.resolve("stop"), "");
        server.awaitExit(STEP);
        assertThat(Faults.list(conns)).as("connection directories after every process exited").isEmpty();
    }

    @Test
    void aClientThatClosedDeletesTheDirectoryWhenTheServerIsKilledAfterwards() throws Exception {
        server = Faults.startServer(tmp, "server", props, LifecycleServerMain.class, base.toString(), EP,
                "ACCEPT-CLOSE", out.toString());
        client = JvmProcess.start(tmp.resolve("logs"), "client", FaultConfigs.jvmOptions(props),
                HaltingClientMain.class, base.toString(), EP, "600000", "200", "CLOSE").awaitOutput("CLIENT-CLOSED", STEP);
        Path dir = Faults.list(base.resolve(EP).resolve("conn")).get(0);
        server.kill9();
        Faults.await(dir + " deleted by the client, now the last live process", Duration.ofSeconds(2),
                () -> !Files.exists(dir));
        assertThat(client.process().isAlive()).as("the client process still runs").isTrue();
    }

    @Test
    void aServerOnAnotherEndpointDeletesWhatDeadProcessesOfAnEndpointLeft() throws Exception {
        Path dir = leaveConnectionOfDeadProcesses();
        ViaConfig config = FaultConfigs.config(base, props);
        try (ViaServer other = ViaServer.listen(config, "other")) {
            assertThat(dir).as("swept when a server of another endpoint starts").doesNotExist();
        }
    }

    @Test
    void aClientConnectingAnywhereDeletesWhatDeadProcessesOfAnEndpointLeft() throws Exception {
        Path dir = leaveConnectionOfDeadProcesses();
        ViaConfig config = FaultConfigs.config(base, props);
        assertThatThrownBy(() -> ViaClient.connect(config, "nobody")).isInstanceOf(ViaRefusedException.class);
        Faults.await(dir + " swept after a client's connect", Duration.ofSeconds(10), () -> !Files.exists(dir));
    }

    /** A server and its client, both killed -9 mid-stream: nobody of theirs is left to delete the directory. */
    private Path leaveConnectionOfDeadProcesses() throws Exception {
        server = Faults.startServer(tmp, "server", props, LifecycleServerMain.class, base.toString(), EP,
                "ACCEPT-CLOSE", out.toString());
        client = JvmProcess.start(tmp.resolve("logs"), "client", FaultConfigs.jvmOptions(props),
                HaltingClientMain.class, base.toString(), EP, "600000", "600000", "HALT")
                .awaitOutput("CONNECTED", STEP);
        Path dir = Faults.list(base.resolve(EP).resolve("conn")).get(0);
        Thread.sleep(200);
        server.kill9(); // first: a client killed first would be seen dead by the server, which would delete
        client.kill9();
        Thread.sleep(200);
        assertThat(dir).as("what the dead processes left").exists();
        return dir;
    }
}
