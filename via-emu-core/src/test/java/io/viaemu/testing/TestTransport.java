package io.viaemu.testing;

import org.junit.jupiter.api.Assumptions;

import io.viaemu.ViaConfig;
import io.viaemu.transport.TransportFactory;
import java.nio.file.Path;
import java.util.List;

/** The transport this test run's configurations default to ({@value ViaConfig#DEFAULT_TRANSPORT_PROPERTY}). */
public final class TestTransport {
    private TestTransport() {
    }

    public static String name() {
        return ViaConfig.builder(Path.of("/")).transport();
    }

    /**
     * The JVM options that give a peer JVM this run's default transport (none when the run has none set): every JVM a
     * test starts must be on the same transport, or its connects meet nobody.
     */
    public static List<String> peerJvmOptions() {
        String transport = System.getProperty(ViaConfig.DEFAULT_TRANSPORT_PROPERTY);
        return transport == null ? List.of() : List.of("-D" + ViaConfig.DEFAULT_TRANSPORT_PROPERTY + "=" + transport);
    }

    /** Skips a test about Chronicle's files (cycle files, rolls) in a run on another transport. */
    public static void assumeChronicle() {
        Assumptions.assumeTrue(TransportFactory.CHRONICLE.equals(name()),
                "about Chronicle's cycle files; this run's transport is " + name());
    }
}
