package io.viaemu.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import io.viaemu.protocol.FlagBlock;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * Base of the tests that run a server and a client JVM: an owner-only base directory and an output directory in a
 * fresh temp dir, and, afterwards, every process the test started or that mentions the base directory (workers the
 * server started) killed.
 */
public abstract class SeparateProcessTest {
    @TempDir
    protected Path tmp;
    protected Path base;
    protected Path out;
    protected JvmProcess server;
    protected JvmProcess client;

    @BeforeEach
    void createDirectories() throws IOException {
        base = TestDirs.privateDir(tmp, "base");
        out = Files.createDirectories(tmp.resolve("out"));
    }

    @AfterEach
    void stopProcesses() {
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
        TestDirs.killProcessesMentioning(base);
    }

    /** The flag block of the one connection of {@code endpoint} under the base directory (read-only). */
    protected FlagBlock onlyConnectionFlags(String endpoint) throws IOException {
        try (Stream<Path> s = Files.list(base.resolve(endpoint).resolve("conn"))) {
            List<Path> dirs = s.toList();
            assertThat(dirs).hasSize(1);
            return FlagBlock.openReadOnly(dirs.get(0));
        }
    }

    /**
     * Tells the streaming client of the handover tests to stop (its {@code stop} file in the output directory) and
     * waits for its exit code.
     */
    protected int stopStreamingClient(Duration timeout) throws IOException {
        Files.writeString(out.resolve("stop"), "");
        return client.awaitExit(timeout);
    }

    /** Waits for the child handler's report ({@code child-done.txt} in the output directory) and returns it. */
    protected String awaitChildDone(Duration timeout) throws IOException, InterruptedException {
        Path done = out.resolve("child-done.txt");
        awaitFile(done, timeout);
        return Files.readString(done);
    }

    /** How many longs the streaming client sent, from its {@code client-sent.txt}. */
    protected long longsSent() throws IOException {
        return Long.parseLong(Files.readString(out.resolve("client-sent.txt")).trim());
    }

    /** Waits until {@code p} exists (then a little longer: its writer may still be writing it). */
    protected static void awaitFile(Path p, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!Files.exists(p)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(p + " did not appear within " + timeout);
            }
            Thread.sleep(20);
        }
        Thread.sleep(50);
    }
}
