package io.viaemu.testing;

import org.junit.jupiter.api.Assumptions;

import io.viaemu.ViaConfig;
import io.viaemu.transport.TransportFactory;
import java.nio.file.Path;

/** The transport this test run's configurations default to ({@value ViaConfig#DEFAULT_TRANSPORT_PROPERTY}). */
public final class TestTransport {
    private TestTransport() {
    }

    public static String name() {
        return ViaConfig.builder(Path.of("/")).transport();
    }

    /** Skips a test about Chronicle's files (cycle files, rolls) in a run on another transport. */
    public static void assumeChronicle() {
        Assumptions.assumeTrue(TransportFactory.CHRONICLE.equals(name()),
                "about Chronicle's cycle files; this run's transport is " + name());
    }
}
