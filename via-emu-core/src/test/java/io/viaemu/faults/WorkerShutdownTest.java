package io.viaemu.faults;

import static io.viaemu.faults.Faults.EP;
import static io.viaemu.faults.Faults.STEP;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import io.viaemu.testapp.FaultConfigs;
import io.viaemu.testapp.LifecycleServerMain;
import io.viaemu.testing.SeparateProcessTest;
import org.junit.jupiter.api.Test;

/**
 * An orderly shutdown of a server with a warm pool leaves nothing of its idle workers: the processes are gone and
 * so are their directories (ready file, inbox queue), without waiting for a later server's sweep.
 */
class WorkerShutdownTest extends SeparateProcessTest {

    @Test
    void closingTheServerRemovesItsIdleWorkersAndTheirDirectories() throws Exception {
        Map<String, String> props = FaultConfigs.props("pool", "2");
        Path workers = base.resolve(EP).resolve("workers");
        server = Faults.startServer(tmp, "server", props, LifecycleServerMain.class, base.toString(), EP,
                "CLOSE-ON-STOP", out.toString());
        Faults.await("both pool workers are ready", STEP, () -> Faults.list(workers).size() == 2
                && Faults.list(workers).stream().allMatch(w -> Files.exists(w.resolve("ready"))));
        List<Long> pids = Faults.list(workers).stream().map(w -> {
            try {
                return Long.parseLong(Files.readString(w.resolve("ready")).trim());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }).toList();

        Files.writeString(out.resolve("stop"), "");
        server.awaitOutput("SERVER-CLOSED", STEP);

        // close() returns once they are gone: nothing to wait for
        assertThat(pids).as("idle worker processes after close()")
                .noneMatch(pid -> ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
        assertThat(Faults.list(workers)).as("worker directories after close()").isEmpty();
    }
}
