package io.viaemu.spring.boot.it;

import java.nio.file.Path;

import io.micrometer.core.instrument.MeterRegistry;
import io.viaemu.ViaConfig;
import io.viaemu.spring.boot.ViaServers;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Base of the {@code @SpringBootTest}s whose application forks real worker JVMs: the base directory in a temporary
 * directory of the test class ({@code via.base-dir}), the workers' logs printed when a test fails, and the beans
 * the tests look at.
 */
abstract class WorkerJvmApplicationTest {
    static final long TEST_PID = ProcessHandle.current().pid();

    @TempDir
    static Path tmp;

    @RegisterExtension
    final WorkerLogsOnFailure logs = new WorkerLogsOnFailure(tmp == null ? null : tmp.resolve("via"));

    @Autowired
    ViaConfig config;

    @Autowired
    ViaServers servers;

    @Autowired
    MeterRegistry meters;

    @DynamicPropertySource
    static void baseDir(DynamicPropertyRegistry registry) {
        registry.add("via.base-dir", () -> tmp.resolve("via").toString());
    }
}
