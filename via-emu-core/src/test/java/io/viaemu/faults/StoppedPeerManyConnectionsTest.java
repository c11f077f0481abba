package io.viaemu.faults;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.viaemu.ViaClient;
import io.viaemu.ViaConfig;
import io.viaemu.ViaConnection;
import io.viaemu.internal.ProcessBells;
import io.viaemu.protocol.ErrorCode;
import io.viaemu.testapp.EchoServerMain;
import io.viaemu.testing.JvmProcess;
import io.viaemu.testing.SeparateProcessTest;
import io.viaemu.testing.Signals;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Liveness is a property of a process: a server stopped with SIGSTOP while this JVM holds many connections to it,
 * each with a reader parked in receive, has every one of them failed ("the peer stopped answering") within the
 * peer timeout, although each process writes one heartbeat (one doorbell file under {@code BASE/.bells}), not one
 * per connection, and the client checks the server's heartbeat once per interval, not once per connection.
 */
@Timeout(value = 180, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class StoppedPeerManyConnectionsTest extends SeparateProcessTest {
    private static final int CONNECTIONS = 200;
    private static final Duration PEER_TIMEOUT = Duration.ofSeconds(2);

    @AfterEach
    void resumeServer() throws Exception {
        if (server != null) {
            Signals.resume(server.pid()); // never leave a stopped process behind
        }
    }

    @Test
    void aStoppedServerFailsAllItsConnectionsWithinThePeerTimeout() throws Exception {
        server = JvmProcess.start(tmp.resolve("logs"), "server", List.of(), EchoServerMain.class, base.toString(),
                "echo").awaitOutput("LISTENING", Duration.ofSeconds(60));
        ViaConfig config = ViaConfig.builder(base).peerTimeout(PEER_TIMEOUT).build();
        List<ViaConnection> connections = new ArrayList<>();
        List<CompletableFuture<String>> readers = new ArrayList<>();
        try {
            byte[] one = new byte[1];
            for (int i = 0; i < CONNECTIONS; i++) {
                ViaConnection c = ViaClient.connect(config, "echo");
                connections.add(c);
                c.send(new byte[] {(byte) i}, 0, 1);
                assertThat(c.receive(one, 0, 1, 10_000)).isEqualTo(1);
                assertThat(one[0]).isEqualTo((byte) i);
            }
            // one file, one heartbeat per process: the server and this JVM, whatever the number of connections
            assertThat(bellFiles()).hasSize(2);
            long serverStart = startOf(server.pid());
            for (ViaConnection c : connections) {
                readers.add(CompletableFuture.supplyAsync(() -> receiveUntilFailure(c),
                        command -> newDaemon(command).start()));
            }
            TimeUnit.MILLISECONDS.sleep(500); // past the spin budget: every reader is parked

            long beforeStop = ProcessBells.heartbeat(base, server.pid(), serverStart);
            assertThat(beforeStop).as("the server's heartbeat").isPositive();
            long stoppedAt = System.nanoTime();
            Signals.stop(server.pid());
            long atStop = ProcessBells.heartbeat(base, server.pid(), serverStart);

            List<String> failures = new ArrayList<>();
            for (CompletableFuture<String> r : readers) {
                failures.add(r.get(30, TimeUnit.SECONDS));
            }
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stoppedAt);
            assertThat(failures).as("every parked reader fails for the stopped peer")
                    .allSatisfy(f -> assertThat(f).contains(ErrorCode.PEER_HUNG.description()));
            long timeout = PEER_TIMEOUT.toMillis();
            // the server's heartbeat is at most its interval old at the stop (a tenth of its own peer timeout, the
            // default 5 s), this JVM's check at most its interval (a tenth of 2 s) late: within the peer timeout
            // and a tenth, plus scheduling on a loaded machine
            long serverInterval = ViaConfig.builder(base).build().peerTimeout().toMillis() / 10;
            assertThat(millis).as("all %d failed after the peer timeout, not before", CONNECTIONS)
                    .isBetween(timeout - serverInterval - 50, timeout + timeout / 10 + 1_500);
            assertThat(ProcessBells.heartbeat(base, server.pid(), serverStart)).as("a stopped process does not beat")
                    .isEqualTo(atStop);
        } finally {
            for (ViaConnection c : connections) {
                c.close();
            }
        }
    }

    /** Blocks in receive (no timeout) until the connection fails; the failure's message. */
    private static String receiveUntilFailure(ViaConnection c) {
        byte[] buf = new byte[64];
        try {
            while (c.receive(buf, 0, buf.length, 0) >= 0) {
                // nothing is sent after the first echo
            }
            return "end of stream";
        } catch (IOException e) {
            return e.getMessage();
        }
    }

    private static Thread newDaemon(Runnable r) {
        Thread t = new Thread(r, "parked-reader");
        t.setDaemon(true);
        return t;
    }

    private List<Path> bellFiles() throws IOException {
        try (Stream<Path> s = Files.list(base.resolve(".bells"))) {
            return s.filter(p -> p.getFileName().toString().endsWith(".bell")).toList();
        }
    }

    /** The start time (epoch millis) in the name of process {@code pid}'s doorbell file. */
    private long startOf(long pid) throws IOException {
        for (Path p : bellFiles()) {
            String n = p.getFileName().toString();
            if (n.startsWith(pid + "-")) {
                return Long.parseLong(n.substring(n.indexOf('-') + 1, n.length() - ".bell".length()));
            }
        }
        throw new AssertionError("no doorbell file of process " + pid + " in " + bellFiles());
    }
}
