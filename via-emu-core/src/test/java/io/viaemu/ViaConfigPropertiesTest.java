package io.viaemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import io.viaemu.internal.ConfigArgs;
import org.junit.jupiter.api.Test;
import io.viaemu.testing.TestTransport;

/**
 * Every {@link ViaConfig} setting from {@code via.*} properties with the Spring Boot starter's names and formats
 * (issue 9, item 7); bad values fail naming the property and the value.
 */
class ViaConfigPropertiesTest {

    @Test
    void everySettingHasAProperty() {
        TestTransport.assumeChronicle(); // it checks Chronicle's options, which other transports ignore
        Map<String, String> p = new HashMap<>();
        p.put("via.base-dir", "/run/app/via");
        p.put("via.pauser", "busy");
        p.put("via.roll-cycle", "TEST_SECONDLY");
        p.put("via.block-size", "32MB");
        p.put("via.max-message-size", "512KB");
        p.put("via.max-connections", "7");
        p.put("via.connect-slots", "3");
        p.put("via.connect-slot-idle-timeout", "5s");
        p.put("via.connection-disk-quota", "1GB");
        p.put("via.retention", "10m");
        p.put("via.triggers.t1-parent-close", "true");
        p.put("via.triggers.t2-parent-abort", "FALSE");
        p.put("via.triggers.t3-child-receive", "false");
        p.put("via.triggers.t4-child-send", "true");
        p.put("via.timeouts.connect", "10s");
        p.put("via.timeouts.handover", "PT3S");
        p.put("via.timeouts.child-start", "2m");
        p.put("via.timeouts.poll-interval", "500us");
        p.put("via.timeouts.peer", "2500");
        p.put("via.worker.pool-size", "2");
        p.put("via.worker.jvm-options", "-Xmx256m, -Xss512k");
        p.put("via.worker.command", "-cp,/app/lib/*,com.example.Main");
        p.put("via.shutdown-hook", "false");
        p.put("via.socket.map.7000", "echo"); // not a setting: ignored here

        ViaConfig c = ViaConfig.fromProperties(p);

        assertThat(c.baseDir()).isEqualTo(Path.of("/run/app/via"));
        assertThat(c.pauser()).isEqualTo(PauserKind.BUSY);
        assertThat(c.rollCycle()).isEqualTo("TEST_SECONDLY");
        assertThat(c.blockSize()).isEqualTo(32L << 20);
        assertThat(c.maxMessageSize()).isEqualTo(512 << 10);
        assertThat(c.maxConnections()).isEqualTo(7);
        assertThat(c.connectSlots()).isEqualTo(3);
        assertThat(c.connectSlotIdleTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(c.connectionDiskQuota()).isEqualTo(1L << 30);
        assertThat(c.retention()).isEqualTo(Duration.ofMinutes(10));
        assertThat(c.triggers()).containsExactlyInAnyOrder(Trigger.T1_PARENT_CLOSE, Trigger.T4_CHILD_SEND);
        assertThat(c.connectTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.handoverTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(c.childStartTimeout()).isEqualTo(Duration.ofMinutes(2));
        assertThat(c.pollInterval()).isEqualTo(Duration.ofNanos(500_000));
        assertThat(c.peerTimeout()).isEqualTo(Duration.ofMillis(2500));
        assertThat(c.workerPoolSize()).isEqualTo(2);
        assertThat(c.workerJvmOptions()).containsExactly("-Xmx256m", "-Xss512k");
        assertThat(c.workerCommand()).containsExactly("-cp", "/app/lib/*", "com.example.Main");
        assertThat(c.shutdownHook()).isFalse();
    }

    @Test
    void nothingSetGivesTheBuildersDefaultsUnderTheStartersDefaultBaseDirectory() {
        ViaConfig c = ViaConfig.fromProperties(new Properties());
        ViaConfig defaults = ViaConfig.builder(ViaConfig.defaultBaseDir()).build();
        // the default moved to tmpfs (issue 13): $XDG_RUNTIME_DIR/via-emu, else /dev/shm/via-emu-USER, else tmpdir
        String runtime = System.getenv("XDG_RUNTIME_DIR");
        Path expected = runtime != null && !runtime.isBlank() && Files.isDirectory(Path.of(runtime))
                ? Path.of(runtime, "via-emu")
                : Files.isDirectory(Path.of("/dev/shm")) ? Path.of("/dev/shm", "via-emu-" + System.getProperty("user.name"))
                : Path.of(System.getProperty("java.io.tmpdir"), "via-emu-" + System.getProperty("user.name"));
        assertThat(c.baseDir()).isEqualTo(expected.toAbsolutePath());
        assertThat(c.toString()).isEqualTo(defaults.toString());
        assertThat(c.triggers()).isEqualTo(EnumSet.allOf(Trigger.class));
        assertThat(c.connectTimeout()).isEqualTo(defaults.connectTimeout());
        assertThat(c.peerTimeout()).isEqualTo(defaults.peerTimeout());
        assertThat(c.blockSize()).isEqualTo(defaults.blockSize());
        assertThat(c.workerCommand()).isNull();
        assertThat(c.shutdownHook()).isTrue();
    }

    @Test
    void oneTriggerOffLeavesTheOthersOn() {
        ViaConfig c = ViaConfig.fromProperties(Map.of("via.triggers.t3-child-receive", "false"));
        assertThat(c.triggers()).containsExactlyInAnyOrder(Trigger.T1_PARENT_CLOSE, Trigger.T2_PARENT_ABORT,
                Trigger.T4_CHILD_SEND);
    }

    @Test
    void indexedListsKeepCommasInsideValues() {
        ViaConfig c = ViaConfig.fromProperties(Map.of("via.worker.jvm-options[1]", "-Xlog:gc:file=gc.log:time,uptime",
                "via.worker.jvm-options[0]", "-Xmx64m"));
        assertThat(c.workerJvmOptions()).containsExactly("-Xmx64m", "-Xlog:gc:file=gc.log:time,uptime");
    }

    @Test
    void systemPropertiesAreRead() {
        String key = "via.timeouts.connect";
        String before = System.getProperty(key);
        System.setProperty(key, "1234ms");
        try {
            assertThat(ViaConfig.fromSystemProperties().connectTimeout()).isEqualTo(Duration.ofMillis(1234));
        } finally {
            if (before == null) {
                System.clearProperty(key);
            } else {
                System.setProperty(key, before);
            }
        }
    }

    @Test
    void badValuesNameThePropertyAndTheValue() {
        TestTransport.assumeChronicle(); // it checks Chronicle's options, which other transports ignore
        assertBad("via.timeouts.connect", "ten", "not a duration");
        assertBad("via.timeouts.connect", "10xs", "unknown unit");
        assertBad("via.timeouts.connect", "10parsecs", "not a duration");
        assertBad("via.timeouts.peer", "0s", "must be positive");
        assertBad("via.pauser", "fast", "busy, yielding, backoff");
        assertBad("via.worker.pool-size", "-1", "cannot be negative");
        assertBad("via.worker.pool-size", "two", "not a number");
        assertBad("via.max-connections", "99999999999", "not a number");
        assertBad("via.connect-slots", "-1", "cannot be negative");
        assertBad("via.connect-slot-idle-timeout", "0s", "positive");
        assertBad("via.block-size", "16XB", "unknown unit");
        assertBad("via.max-message-size", "8GB", "too large");
        assertBad("via.max-message-size", "10", "at least 64 bytes");
        assertBad("via.triggers.t1-parent-close", "maybe", "not true or false");
        assertBad("via.shutdown-hook", "yes", "not true or false");
    }

    @Test
    void misspeltTimeoutsAndTriggersFailInsteadOfBeingIgnored() {
        assertThatThrownBy(() -> ViaConfig.fromProperties(Map.of("via.timeouts.conect", "1s")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("via.timeouts.conect")
                .hasMessageContaining("via.timeouts.connect");
        assertThatThrownBy(() -> ViaConfig.fromProperties(Map.of("via.triggers.t1", "false")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("via.triggers.t1-parent-close");
    }

    @Test
    void aCombinationTheBuilderRefusesNamesTheProperties() {
        TestTransport.assumeChronicle(); // it checks Chronicle's options, which other transports ignore
        assertThatThrownBy(() -> ViaConfig.fromProperties(Map.of("via.block-size", "1MB",
                "via.max-message-size", "1MB"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("via.block-size").hasMessageContaining("via.max-message-size");
    }

    @Test
    void aWorkersArgumentsGiveItsParentsConfiguration() {
        TestTransport.assumeChronicle(); // it checks Chronicle's options, which other transports ignore
        ViaConfig parent = ViaConfig.builder(Path.of("/run/x")).triggers(Trigger.T2_PARENT_ABORT)
                .pauser(PauserKind.YIELDING).rollCycle("TEST_SECONDLY").blockSize(8L << 20).maxMessageSize(4096)
                .maxConnections(3).connectionDiskQuota(1 << 20).retention(Duration.ofSeconds(90))
                .connectTimeout(Duration.ofMillis(1500)).handoverTimeout(Duration.ofSeconds(4))
                .childStartTimeout(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(2))
                .peerTimeout(Duration.ofSeconds(3)).build();
        List<String> args = ConfigArgs.toArgs(parent, "ep");
        ViaConfig worker = ConfigArgs.fromArgs(ConfigArgs.parse(args.toArray(new String[0])));
        assertThat(worker.toString()).isEqualTo(parent.toString());
        assertThat(worker.triggers()).isEqualTo(parent.triggers());
        assertThat(worker.pauser()).isEqualTo(PauserKind.YIELDING);
        assertThat(worker.blockSize()).isEqualTo(parent.blockSize());
        assertThat(worker.maxMessageSize()).isEqualTo(parent.maxMessageSize());
        assertThat(worker.maxConnections()).isEqualTo(parent.maxConnections());
        assertThat(worker.connectionDiskQuota()).isEqualTo(parent.connectionDiskQuota());
        assertThat(worker.retention()).isEqualTo(parent.retention());
        assertThat(worker.connectTimeout()).isEqualTo(parent.connectTimeout());
        assertThat(worker.handoverTimeout()).isEqualTo(parent.handoverTimeout());
        assertThat(worker.childStartTimeout()).isEqualTo(parent.childStartTimeout());
        assertThat(worker.pollInterval()).isEqualTo(parent.pollInterval());
        assertThat(worker.peerTimeout()).isEqualTo(parent.peerTimeout());
    }

    private static void assertBad(String key, String value, String reason) {
        assertThatThrownBy(() -> ViaConfig.fromProperties(Map.of(key, value)))
                .as(key + "=" + value).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(key).hasMessageContaining("'" + value + "'").hasMessageContaining(reason);
    }
}
