package io.viaemu.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

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
}
