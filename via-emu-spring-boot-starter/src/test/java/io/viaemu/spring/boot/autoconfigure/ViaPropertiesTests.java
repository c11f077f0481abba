package io.viaemu.spring.boot.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.viaemu.PauserKind;
import io.viaemu.Trigger;
import io.viaemu.ViaConfig;
import io.viaemu.internal.ConfigArgs;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.BindResult;
import org.springframework.boot.context.properties.bind.BindHandler;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.bind.handler.NoUnboundElementsBindHandler;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.core.env.PropertySource;
import org.springframework.core.io.ClassPathResource;

class ViaPropertiesTests {

    private static ViaProperties bind(Map<String, String> values) {
        ConfigurationPropertySource source = new MapConfigurationPropertySource(values);
        // NoUnboundElementsBindHandler: a via.* key that matches no property fails the bind instead of being ignored
        BindResult<ViaProperties> r = new Binder(source).bind("via", Bindable.of(ViaProperties.class),
                new NoUnboundElementsBindHandler(BindHandler.DEFAULT));
        return r.orElseGet(ViaProperties::new);
    }

    @Test
    void defaultsAreTheCoreBuildersDefaults() {
        ViaProperties p = new ViaProperties();
        p.setBaseDir(Path.of("/tmp/x"));
        assertThat(ViaConfigs.settings(p.toConfigBuilder().build()))
                .isEqualTo(ViaConfigs.settings(ViaConfig.builder(Path.of("/tmp/x")).build()));
        assertThat(p.isWorker()).isFalse();
    }

    @Test
    void bindsEveryPropertyWithRelaxedNamesDurationsSizesAndLists() {
        Map<String, String> m = new HashMap<>();
        m.put("via.base-dir", "/var/via");
        m.put("via.endpoint", "orders");
        m.put("via.pauser", "yielding");
        m.put("via.transport", "chronicle"); // roll-cycle and block-size are Chronicle's (the ring has neither)
        m.put("via.roll-cycle", "HOURLY");
        m.put("via.block-size", "32MB");
        m.put("via.max-message-size", "64KB");
        m.put("via.max-connections", "12");
        m.put("via.connection-disk-quota", "1GB");
        m.put("via.send-window", "256KB");
        m.put("via.retention", "5m");
        m.put("via.triggers.t1-parent-close", "false");
        m.put("via.triggers.t2-parent-abort", "true");
        m.put("via.triggers.t3-child-receive", "false");
        m.put("via.triggers.t4-child-send", "true");
        m.put("via.timeouts.connect", "3s");
        m.put("via.timeouts.handover", "1500ms");
        m.put("via.timeouts.child-start", "PT2M");
        m.put("via.timeouts.poll-interval", "2ms");
        m.put("via.timeouts.peer", "7s");
        m.put("via.worker.pool-size", "3");
        m.put("via.worker.jvm-options[0]", "-Xmx128m");
        m.put("via.worker.jvm-options[1]", "-XX:+UseSerialGC");

        ViaProperties p = bind(m);
        ViaConfig c = p.toConfigBuilder().build();

        assertThat(p.getEndpoint()).isEqualTo("orders");
        assertThat(c.baseDir()).isEqualTo(Path.of("/var/via"));
        assertThat(c.pauser()).isEqualTo(PauserKind.YIELDING);
        assertThat(c.rollCycle()).isEqualTo("HOURLY");
        assertThat(c.blockSize()).isEqualTo(32L << 20);
        assertThat(c.maxMessageSize()).isEqualTo(64 << 10);
        assertThat(c.maxConnections()).isEqualTo(12);
        assertThat(c.connectionDiskQuota()).isEqualTo(1L << 30);
        assertThat(c.sendWindow()).isEqualTo(256L << 10);
        assertThat(c.retention()).isEqualTo(Duration.ofMinutes(5));
        assertThat(c.triggers()).containsExactlyInAnyOrder(Trigger.T2_PARENT_ABORT, Trigger.T4_CHILD_SEND);
        assertThat(c.connectTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(c.handoverTimeout()).isEqualTo(Duration.ofMillis(1500));
        assertThat(c.childStartTimeout()).isEqualTo(Duration.ofMinutes(2));
        assertThat(c.pollInterval()).isEqualTo(Duration.ofMillis(2));
        assertThat(c.peerTimeout()).isEqualTo(Duration.ofSeconds(7));
        assertThat(c.workerPoolSize()).isEqualTo(3);
        assertThat(c.workerJvmOptions()).containsExactly("-Xmx128m", "-XX:+UseSerialGC");
    }

    @Test
    void commaSeparatedJvmOptionsBindAsAList() {
        ViaProperties p = bind(Map.of("via.worker.jvm-options", "-Xmx64m,-Xss512k"));
        assertThat(p.getWorker().getJvmOptions()).containsExactly("-Xmx64m", "-Xss512k");
    }

    /**
     * The contract with the core: a worker JVM gets its parent's configuration as the --via.* arguments of
     * ConfigArgs and binds them here. Every argument must be a property (the bind handler fails on unknown ones)
     * and the result must be the parent's configuration.
     */
    @Test
    void workerArgumentsOfTheCoreBindToTheSameConfiguration() {
        ViaConfig parent = ViaConfig.builder(Path.of("/srv/via"))
                .triggers(EnumSet.of(Trigger.T1_PARENT_CLOSE, Trigger.T3_CHILD_RECEIVE))
                .transport("chronicle") // roll-cycle and block-size are Chronicle's
                .pauser(PauserKind.BUSY).rollCycle("HOURLY").blockSize(8L << 20).maxMessageSize(4096)
                .maxConnections(7).connectionDiskQuota(12345).sendWindow(777_777).retention(Duration.ofSeconds(90))
                .connectTimeout(Duration.ofMillis(1234)).handoverTimeout(Duration.ofSeconds(4))
                .childStartTimeout(Duration.ofSeconds(33)).pollInterval(Duration.ofMillis(3))
                .peerTimeout(Duration.ofSeconds(6)).workerPoolSize(2)
                .workerMaxConnections(500).workerMaxConnectionsJitter(50).workerConcurrency(4)
                .workerMaxHeap(200L << 20).workerMaxRss(400L << 20).workerHandlerTimeout(Duration.ofSeconds(30))
                .build();
        List<String> args = ConfigArgs.toArgs(parent, "orders");
        Map<String, String> m = new HashMap<>(ConfigArgs.parse(args.toArray(String[]::new)));
        m.put(ConfigArgs.WORKER_ID, "00000000000000ff");

        ViaProperties p = bind(m);

        assertThat(ViaConfigs.channelSettings(p.toConfigBuilder().build()))
                .isEqualTo(ViaConfigs.channelSettings(parent));
        assertThat(p.getEndpoint()).isEqualTo("orders");
        assertThat(p.isWorker()).isTrue();
        assertThat(p.getWorker().getId()).isEqualTo("00000000000000ff");
        ViaConfig worker = p.toConfigBuilder().build();
        assertThat(worker.workerMaxConnections()).isEqualTo(500);
        assertThat(worker.workerConcurrency()).isEqualTo(4);
        assertThat(worker.workerHandlerTimeout()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void reusableWorkerPropertiesBindAndOneShotIsTheDefault() {
        ViaConfig defaults = bind(Map.of()).toConfigBuilder().build();
        assertThat(defaults.workerMaxConnections()).isEqualTo(1);
        assertThat(defaults.workerConcurrency()).isEqualTo(1);
        assertThat(defaults.workerHandlerTimeout()).isEqualTo(Duration.ZERO);
        ViaConfig c = bind(Map.of("via.worker.max-connections", "0", "via.worker.max-connections-jitter", "10",
                "via.worker.concurrency", "8", "via.worker.max-heap", "256MB", "via.worker.max-rss", "1GB",
                "via.worker.handler-timeout", "2m")).toConfigBuilder().build();
        assertThat(c.workerMaxConnections()).isZero();
        assertThat(c.workerMaxConnectionsJitter()).isEqualTo(10);
        assertThat(c.workerConcurrency()).isEqualTo(8);
        assertThat(c.workerMaxHeap()).isEqualTo(256L << 20);
        assertThat(c.workerMaxRss()).isEqualTo(1L << 30);
        assertThat(c.workerHandlerTimeout()).isEqualTo(Duration.ofMinutes(2));
    }

    @Test
    void anUnknownViaKeyFailsTheStrictBindTheContractTestRelies() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> bind(Map.of("via.timeouts.handover-timeout", "1s")))
                .hasStackTraceContaining("via.timeouts.handover-timeout");
    }

    @Test
    void bindsFromYaml() throws IOException {
        List<PropertySource<?>> sources = new YamlPropertySourceLoader().load("via-test.yml",
                new ClassPathResource("via-test.yml"));
        Binder binder = new Binder(org.springframework.boot.context.properties.source.ConfigurationPropertySources
                .from(sources));
        ViaProperties p = binder.bind("via", Bindable.of(ViaProperties.class), new NoUnboundElementsBindHandler(BindHandler.DEFAULT))
                .get();
        ViaConfig c = p.toConfigBuilder().build();

        assertThat(p.getEndpoint()).isEqualTo("yaml-endpoint");
        assertThat(c.baseDir()).isEqualTo(Path.of("/tmp/via-yaml"));
        assertThat(c.pauser()).isEqualTo(PauserKind.BUSY);
        assertThat(c.maxMessageSize()).isEqualTo(256 << 10);
        assertThat(c.retention()).isEqualTo(Duration.ofMinutes(10));
        assertThat(c.triggers()).containsExactlyInAnyOrder(Trigger.T1_PARENT_CLOSE, Trigger.T2_PARENT_ABORT);
        assertThat(c.handoverTimeout()).isEqualTo(Duration.ofSeconds(20));
        assertThat(c.pollInterval()).isEqualTo(Duration.ofMillis(5));
        assertThat(c.workerPoolSize()).isEqualTo(2);
        assertThat(c.workerJvmOptions()).containsExactly("-Xmx256m", "-XX:TieredStopAtLevel=1");
    }
}
