package io.viaemu.spring.boot.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;

import io.viaemu.ViaConfig;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.BindHandler;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.bind.handler.NoUnboundElementsBindHandler;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/**
 * The core's {@link ViaConfig#fromProperties} (system properties of plain and socket-factory applications) reads the
 * same names and value formats as this starter's {@link ViaProperties}: one set of {@code via.*} properties gives
 * the same configuration through Spring's binder and through the core (issue 9, item 7).
 */
class CorePropertiesParityTests {

    @Test
    void theSamePropertiesGiveTheSameConfigurationInTheCoreAndTheStarter() {
        Map<String, String> m = new HashMap<>();
        m.put("via.base-dir", "/var/via");
        m.put("via.pauser", "busy");
        m.put("via.roll-cycle", "HOURLY");
        m.put("via.block-size", "32MB");
        m.put("via.max-message-size", "64KB");
        m.put("via.max-connections", "12");
        m.put("via.connection-disk-quota", "1GB");
        m.put("via.retention", "5m");
        m.put("via.triggers.t1-parent-close", "false");
        m.put("via.triggers.t4-child-send", "false");
        m.put("via.timeouts.connect", "10s");
        m.put("via.timeouts.handover", "PT7S");
        m.put("via.timeouts.child-start", "90s");
        m.put("via.timeouts.poll-interval", "2ms");
        m.put("via.timeouts.peer", "3500");
        m.put("via.worker.pool-size", "2");
        m.put("via.worker.jvm-options", "-Xmx64m,-Xss512k");

        ViaProperties bound = new Binder(new MapConfigurationPropertySource(m)).bind("via",
                Bindable.of(ViaProperties.class), new NoUnboundElementsBindHandler(BindHandler.DEFAULT)).get();

        assertThat(ViaConfigs.settings(ViaConfig.fromProperties(m)))
                .isEqualTo(ViaConfigs.settings(bound.toConfigBuilder().build()));
    }

    @Test
    void theRingCapacityIsTheSameInTheCoreAndTheStarter() {
        Map<String, String> m = new HashMap<>();
        m.put("via.base-dir", "/var/via");
        m.put("via.transport", "ring");
        m.put("via.ring-capacity", "32MB");
        ViaProperties bound = new Binder(new MapConfigurationPropertySource(m)).bind("via",
                Bindable.of(ViaProperties.class), new NoUnboundElementsBindHandler(BindHandler.DEFAULT)).get();
        ViaConfig fromStarter = bound.toConfigBuilder().build();
        assertThat(ViaConfigs.settings(ViaConfig.fromProperties(m))).isEqualTo(ViaConfigs.settings(fromStarter));
        assertThat(fromStarter.transportOptions()).containsEntry("ring-capacity", Long.toString(32L << 20));
    }

    @Test
    void theDefaultBaseDirectoryIsTheStartersDefault() {
        assertThat(ViaConfig.defaultBaseDir().toAbsolutePath()).isEqualTo(new ViaProperties().getBaseDir()
                .toAbsolutePath());
    }
}
