package io.viaemu.idle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import io.viaemu.ParentConnection;
import io.viaemu.ViaClient;
import io.viaemu.ViaException;
import io.viaemu.ViaServer;
import io.viaemu.protocol.ConnectionEnd;
import io.viaemu.testapp.TestConfigs;
import io.viaemu.testing.TestDirs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The one call a writer blocked on flow control makes ({@link ConnectionEnd#awaitPeerProgress}) and the one its
 * peer's reader makes after consuming ({@link ConnectionEnd#ringPeer}), between a server and a client in one JVM.
 */
class PeerProgressWaitTest {
    @TempDir
    Path tmp;

    @Test
    void aParkedWriterWakesWhenThePeerRingsAndFailsWhenTheConnectionDoes() throws Exception {
        Path base = TestDirs.privateDir(tmp, "base");
        try (ViaServer server = ViaServer.listen(TestConfigs.config(base, "none", 0), "progress")) {
            ConnectionEnd client = (ConnectionEnd) ViaClient.connect(TestConfigs.config(base, "none", 0), "progress");
            ParentConnection accepted = server.accept(10_000);
            ConnectionEnd parent = (ConnectionEnd) accepted;
            AtomicBoolean consumed = new AtomicBoolean();

            CompletableFuture<Boolean> woken = CompletableFuture.supplyAsync(() -> {
                try {
                    return client.awaitPeerProgress(consumed::get, 0); // no timeout: only the ring ends it
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            TimeUnit.MILLISECONDS.sleep(300); // past the spin budget: parked
            assertThat(woken).isNotDone();
            assertThat(client.ownDoorbell().waiters()).as("the writer is parked on its own doorbell").isEqualTo(1);
            consumed.set(true);
            parent.ringPeer();
            assertThat(woken.get(5, TimeUnit.SECONDS)).isTrue();
            assertThat(client.ownDoorbell().waiters()).isZero();

            assertThat(client.awaitPeerProgress(() -> false, 100)).as("a timeout ends the wait").isFalse();

            CompletableFuture<Boolean> failing = CompletableFuture.supplyAsync(() -> {
                try {
                    return client.awaitPeerProgress(() -> false, 0);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            TimeUnit.MILLISECONDS.sleep(300);
            accepted.abort(); // fails the connection: the flag change rings the parked writer
            assertThatThrownBy(() -> failing.get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(RuntimeException.class)
                    .hasRootCauseInstanceOf(ViaException.class).hasMessageContaining("failed");
            client.close();
        }
    }
}
