package io.viaemu.spring.boot.autoconfigure;

import io.micrometer.core.instrument.MeterRegistry;
import io.viaemu.spring.boot.ViaServers;
import io.viaemu.spring.boot.actuate.ViaMetrics;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/** Micrometer meters {@code via.*} when the application has a {@link MeterRegistry}. */
@AutoConfiguration(after = ViaAutoConfiguration.class, afterName = {
        "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration",
        "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration"})
@ConditionalOnClass(MeterRegistry.class)
@ConditionalOnBean({MeterRegistry.class, ViaServers.class})
public class ViaMetricsAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    public ViaMetrics viaMetrics(MeterRegistry registry, ViaServers servers) {
        return new ViaMetrics(registry, servers);
    }
}
