package io.viaemu.faults;

import static io.viaemu.faults.Faults.EP;
import static io.viaemu.faults.Faults.STEP;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import io.viaemu.ViaConfig;
import io.viaemu.internal.FilePermissions;
import io.viaemu.internal.Layout;
import io.viaemu.internal.Processes;
import io.viaemu.protocol.ConnectionState;
import io.viaemu.protocol.FlagBlock;
import io.viaemu.protocol.FlagBlock.Word;
import io.viaemu.protocol.MessageType;
import io.viaemu.testapp.FaultConfigs;
import io.viaemu.testapp.FaultServerMain;
import io.viaemu.testapp.StreamingClientMain;
import io.viaemu.testing.JvmProcess;
import io.viaemu.testing.SeparateProcessTest;
import io.viaemu.transport.Channel;
import org.junit.jupiter.api.Test;

/**
 * A server killed with its connections and workers, then started again on the same base directory: what the dead
 * run left must be cleaned at start (and not be mistaken for live connections or requests), and new clients work.
 */
class RestartTest extends SeparateProcessTest {


    @Test
    void restartedServerCleansWhatTheDeadRunLeftAndServesNewClients() throws Exception {
        Map<String, String> props = FaultConfigs.props("pool", "1"); // an idle worker too
        ViaConfig config = FaultConfigs.config(base, props);
        Path conns = base.resolve(EP).resolve("conn");
        Path workers = base.resolve(EP).resolve("workers");

        // run 1: a streaming client and an idle worker; then everything is killed -9
        server = Faults.startServer(tmp, "server-1", props, FaultServerMain.class, base.toString(), EP, "ECHO");
        client = JvmProcess.start(tmp.resolve("logs"), "client", List.of(), StreamingClientMain.class,
                base.toString(), EP, "none", out.toString()).awaitOutput("CONNECTED", STEP);
        Faults.await("the pool's worker is ready", STEP, () -> Faults.list(workers).stream()
                .anyMatch(w -> Files.exists(w.resolve("ready"))));
        Path deadRunConnection = Faults.list(conns).get(0);
        long workerPid = Long.parseLong(Files.readString(Faults.list(workers).get(0).resolve("ready")).trim());
        // all at the same moment: a server that outlived its client by the client's exit would see the death,
        // fail the connection and keep it for inspection (retention), which a crash of the whole host does not do
        ProcessHandle.of(workerPid).ifPresent(ProcessHandle::destroyForcibly);
        client.sigkill();
        server.sigkill();
        client.kill9();
        server.kill9();
        Faults.await("the worker is dead", Duration.ofSeconds(10), () -> !ProcessHandle.of(workerPid)
                .map(ProcessHandle::isAlive).orElse(false));

        // what else a crash can leave: half-created directories, torn or foreign flag files, a reused pid
        Path noFlags = oldDir(conns.resolve(Layout.idString(Layout.randomId())));
        Path tornFlags = oldDir(conns.resolve(Layout.idString(Layout.randomId())));
        Files.write(tornFlags.resolve(FlagBlock.FILE_NAME), new byte[100]);
        oldDir(tornFlags);
        Path noMagic = oldDir(conns.resolve(Layout.idString(Layout.randomId())));
        Files.write(noMagic.resolve(FlagBlock.FILE_NAME), new byte[4096]);
        oldDir(noMagic);
        Path reusedPid = conns.resolve(Layout.idString(Layout.randomId()));
        FilePermissions.createPrivateDirectories(reusedPid);
        FlagBlock reused = FlagBlock.create(reusedPid);
        reused.set(Word.CLIENT_PID, Processes.currentPid()); // this JVM's pid, but another process's start time
        reused.set(Word.CLIENT_START, Processes.currentStart() - 3_600_000);
        reused.set(Word.STATE, ConnectionState.ESTABLISHED.code());
        Path youngNoFlags = Files.createDirectories(conns.resolve(Layout.idString(Layout.randomId())));
        // a client between FlagBlock.create (magic word) and writing its pid: being created, not dead
        Path youngNoPids = conns.resolve(Layout.idString(Layout.randomId()));
        FilePermissions.createPrivateDirectories(youngNoPids);
        FlagBlock.create(youngNoPids);
        // the same, left by a client killed in that moment long ago
        Path oldNoPids = conns.resolve(Layout.idString(Layout.randomId()));
        FilePermissions.createPrivateDirectories(oldNoPids);
        FlagBlock.create(oldNoPids);
        oldDir(oldNoPids);
        // a request left in the listen queue by a live client of the dead run: must not be granted by run 2
        Path pending = conns.resolve(Layout.idString(Layout.randomId()));
        FilePermissions.createPrivateDirectories(pending);
        FlagBlock pendingFlags = FlagBlock.create(pending);
        pendingFlags.set(Word.CLIENT_START, Processes.currentStart());
        pendingFlags.set(Word.CLIENT_PID, Processes.currentPid());
        pendingFlags.set(Word.STATE, ConnectionState.CONNECTING.code());
        try (Channel listen = Faults.rawChannel(config, Layout.listenDir(base, EP))) {
            Faults.append(listen, Faults.doc(MessageType.CONNECT)
                    .putLong(Layout.parseId(pending.getFileName().toString()))
                    .putLong(Processes.currentPid()).putLong(Processes.currentStart()));
        }
        assertThat(Faults.list(workers)).as("the killed worker left its directory").isNotEmpty();

        // run 2
        server = Faults.startServer(tmp, "server-2", FaultConfigs.props(), FaultServerMain.class, base.toString(),
                EP, "ECHO");
        // cleaned at start, before LISTENING
        assertThat(deadRunConnection).as("connection of the dead run").doesNotExist();
        assertThat(noFlags).as("old directory without a flag block").doesNotExist();
        assertThat(tornFlags).as("torn flag block").doesNotExist();
        assertThat(noMagic).as("flag file without the magic word").doesNotExist();
        assertThat(reusedPid).as("flag block whose client pid was reused by another process").doesNotExist();
        assertThat(Faults.list(workers)).as("the directory of the worker killed -9").isEmpty();
        assertThat(youngNoFlags).as("a client may be creating this one right now").exists();
        assertThat(youngNoPids).as("a client is writing its pid into this flag block right now").exists();
        assertThat(oldNoPids).as("flag block whose client died before writing its pid").doesNotExist();
        assertThat(pending).as("its client (this JVM) lives").exists();
        Faults.assertEchoWorks(config, "a restart");
        Thread.sleep(300);
        assertThat(pendingFlags.get(Word.PARENT_PID)).as("the dead run's CONNECT was not granted").isZero();
        assertThat(pendingFlags.state()).isEqualTo(ConnectionState.CONNECTING);
        assertThat(server.output()).doesNotContain("ERROR").doesNotContain("Exception");
    }

    private static Path oldDir(Path dir) throws IOException {
        FilePermissions.createPrivateDirectories(dir);
        Files.setLastModifiedTime(dir, FileTime.from(Instant.now().minus(Duration.ofHours(1))));
        return dir;
    }
}
