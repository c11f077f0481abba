package io.viaemu.faults;

import static io.viaemu.faults.Faults.EP;
import static io.viaemu.faults.Faults.STEP;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import io.viaemu.ViaClient;
import io.viaemu.ViaConfig;
import io.viaemu.ViaConnection;
import io.viaemu.ViaException;
import io.viaemu.ViaServer;
import io.viaemu.protocol.ErrorCode;
import io.viaemu.protocol.FlagBlock;
import io.viaemu.testapp.FaultConfigs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Owner-only files, refusal of a shared base directory, connection limits and the per-connection disk quota. */
class SecurityTest extends FaultProcessTest {
    @ParameterizedTest(name = "base directory {0}")
    @ValueSource(strings = {"rwxrwxrwx", "rwxrwx---", "rwx---rwx", "rwxr-xr-x", "rwx-----x"})
    void serverAndClientRefuseABaseDirectoryOthersCanUse(String perms) throws IOException {
        base = Files.createDirectory(tmp.resolve("shared"));
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString(perms));
        ViaConfig config = ViaConfig.builder(base).connectTimeout(Duration.ofMillis(500)).build();
        String expected = "via-emu base directory " + base + " is accessible to others (" + perms
                + "); it must be owner-only (chmod 700)";
        assertThatThrownBy(() -> ViaServer.listen(config, EP)).isInstanceOf(IOException.class)
                .hasMessage(expected);
        assertThat(base.resolve(EP)).as("nothing created in it").doesNotExist();
        // the client would put its traffic in a directory others can rename and replace: it must refuse too
        assertThatThrownBy(() -> ViaClient.connect(config, EP)).isInstanceOf(IOException.class)
                .hasMessage(expected);
        assertThat(base.resolve(EP)).as("nothing created in it").doesNotExist();
    }

    @Test
    void everyFileIsOwnerOnlyAndEveryDirectoryToo() throws Exception {
        Map<String, String> props = FaultConfigs.props("pool", "1", "rollCycle", "TEST_SECONDLY");
        ViaConfig config = startFaultServer(props, "ECHO");
        try (ViaConnection c = ViaClient.connect(config, EP)) {
            for (int i = 0; i < 3; i++) { // across cycle rolls: files created later must be private too
                c.send(new byte[1000]);
                assertThat(c.receive(new byte[1000], 0, 1000, 10_000)).isPositive();
                Thread.sleep(600);
            }
            Faults.await("the pool's worker is ready", STEP, () -> Faults.list(base.resolve(EP).resolve("workers"))
                    .stream().anyMatch(w -> Files.exists(w.resolve("ready"))));
            assertThat(Faults.connDir(base, c).resolve(FlagBlock.FILE_NAME)).exists();
            List<String> wrong = new ArrayList<>();
            List<String> checked = new ArrayList<>();
            try (Stream<Path> all = Files.walk(base)) {
                all.forEach(p -> {
                    try {
                        String actual = PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
                        String want = Files.isDirectory(p) ? "rwx------" : "rw-------";
                        checked.add(base.relativize(p).toString());
                        if (!actual.equals(want)) {
                            wrong.add(base.relativize(p) + " " + actual);
                        }
                    } catch (IOException gone) {
                        // deleted while walking (a rolled cycle file)
                    }
                });
            }
            assertThat(checked).as("queue files, flag block, worker inbox and log were checked")
                    .anyMatch(p -> p.endsWith(".cq4") || p.endsWith("/ring")).anyMatch(p -> p.endsWith("flags"))
                    .anyMatch(p -> p.contains("inbox")).anyMatch(p -> p.endsWith(".log"));
            assertThat(wrong).as("files and directories not owner-only").isEmpty();
        }
    }

    @Test
    void connectionsBeyondTheMaximumAreRefusedClearly() throws Exception {
        Map<String, String> props = FaultConfigs.props("maxConnections", "2");
        ViaConfig config = startFaultServer(props, "ECHO");
        ViaConnection c1 = ViaClient.connect(config, EP);
        try (ViaConnection c2 = ViaClient.connect(config, EP)) {
            assertThatThrownBy(() -> ViaClient.connect(config, EP)).isInstanceOf(ViaException.class)
                    .hasMessage("connection to '" + EP + "' refused: " + ErrorCode.REFUSED.description()
                            + " (endpoint '" + EP + "' has its maximum of 2 connections)");
            assertThat(Faults.line(server.awaitOutput("refused connection", STEP).output(), "refused connection"))
                    .contains("max connections (2)");
            assertThat(Faults.list(base.resolve(EP).resolve("conn"))).as("the refused client removed its directory")
                    .hasSize(2);
            c1.close();
            // once the server released c1, there is room again
            long deadline = System.nanoTime() + 10_000_000_000L;
            ViaConnection c3 = null;
            while (c3 == null) {
                try {
                    c3 = ViaClient.connect(config, EP);
                } catch (ViaException refused) {
                    if (System.nanoTime() > deadline) {
                        throw refused;
                    }
                    Thread.sleep(50);
                }
            }
            try (ViaConnection c = c3) {
                c.send(new byte[] {9});
                assertThat(c.receive(new byte[1], 0, 1, 10_000)).isEqualTo(1);
            }
            c2.send(new byte[] {8});
            assertThat(c2.receive(new byte[1], 0, 1, 10_000)).isEqualTo(1);
        }
        assertThat(server.process().isAlive()).isTrue();
    }

    @Test
    void theDiskQuotaStopsAConnectionThatWritesTooMuch() throws Exception {
        int quota = 64 * 1024;
        Map<String, String> props = FaultConfigs.props("diskQuota", Integer.toString(quota));
        ViaConfig config = startFaultServer(props, "ECHO");
        long echoed = 0;
        String failure = null;
        try (ViaConnection c = ViaClient.connect(config, EP)) {
            byte[] chunk = new byte[4096];
            byte[] back = new byte[4096];
            for (int i = 0; i < 100 && failure == null; i++) { // 400 KiB would be sent without a quota
                try {
                    c.send(chunk);
                    int off = 0;
                    while (off < chunk.length) {
                        off += c.receive(back, off, chunk.length - off, 10_000);
                    }
                    echoed += chunk.length;
                } catch (ViaException e) {
                    failure = e.getMessage();
                }
            }
            assertThat(failure).as("a send or receive failed").isNotNull();
            assertThat(failure).contains("quota");
            assertThat(echoed * 2).as("bytes written by both sides before the refusal").isLessThanOrEqualTo(quota);
            assertThat(FlagBlock.openReadOnly(Faults.connDir(base, c)).error()).isEqualTo(ErrorCode.QUOTA);
        }
        Faults.assertEchoWorks(config, "another connection's quota ran out"); // the quota is per connection
    }
}
