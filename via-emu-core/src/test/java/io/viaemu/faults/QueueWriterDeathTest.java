package io.viaemu.faults;

import static io.viaemu.faults.Faults.STEP;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.viaemu.ViaConfig;
import io.viaemu.testapp.LockHoldingWriterMain;
import io.viaemu.testing.JvmProcess;
import io.viaemu.testing.TestDirs;
import io.viaemu.transport.Channel;
import io.viaemu.transport.ChannelReader;
import io.viaemu.transport.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A process killed in the middle of appending to a shared queue (listen queue, inbox, a connection's down queue
 * at the handover) dies holding the queue's write lock. The other writers must get the lock back quickly, well
 * within the protocol's timeouts (the child's GRANT must reach the client within the handover timeout), and the
 * half-written document must never reach a reader.
 */
class QueueWriterDeathTest {
    /** Well within the handover timeout the tests use (5 s), so a handover survives it. */
    private static final long RECOVERY_BOUND_MILLIS = 4_000;

    @TempDir
    Path tmp;

    @Test
    void writerKilledWhileHoldingTheWriteLockDoesNotStallOtherWriters() throws Exception {
        Path base = TestDirs.privateDir(tmp, "base");
        Path dir = base.resolve("q");
        ViaConfig config = ViaConfig.builder(base).build();
        Channel channel = Faults.rawChannel(config, dir);
        JvmProcess writer = null;
        try {
            Faults.appendRaw(channel, Faults.bytes(1, 5, 1)); // our appender exists before the lock is taken
            writer = JvmProcess.start(tmp.resolve("logs"), "writer", List.of(), LockHoldingWriterMain.class,
                    dir.toString(), config.rollCycle()).awaitOutput("HOLDING", STEP);
            writer.kill9();
            long t0 = System.nanoTime();
            Faults.appendRaw(channel, Faults.bytes(1, 5, 2));
            long tookMillis = (System.nanoTime() - t0) / 1_000_000;
            System.out.println("append after the lock holder's death took " + tookMillis + " ms");
            assertThat(tookMillis).as("append after a writer died holding the lock").isLessThan(RECOVERY_BOUND_MILLIS);
            List<String> docs = new ArrayList<>();
            try (ChannelReader r = channel.reader()) {
                Document d = new Document(64);
                while (r.next(d)) {
                    docs.add(java.util.Arrays.toString(java.util.Arrays.copyOf(d.bytes(), d.length())));
                }
            }
            assertThat(docs).as("the half-written document is not read").containsExactly("[1, 5, 1]", "[1, 5, 2]");
        } finally {
            if (writer != null) {
                writer.close();
            }
            channel.close();
        }
    }
}
