package io.viaemu.spring.boot.autoconfigure;

import io.viaemu.spring.boot.ViaServers;
import io.viaemu.spring.boot.actuate.ViaHealthIndicator;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

/** Health indicator {@code via} (bean {@code viaHealthIndicator}); off with {@code management.health.via.enabled=false}. */
@AutoConfiguration(after = ViaAutoConfiguration.class,
        beforeName = "org.springframework.boot.health.autoconfigure.contributor.HealthContributorAutoConfiguration")
@ConditionalOnClass({HealthIndicator.class, ConditionalOnEnabledHealthIndicator.class})
@ConditionalOnBean(ViaServers.class)
public class ViaHealthAutoConfiguration {

    /** The enabled-condition sits here, not on the class: its condition class only exists with spring-boot-health. */
    @Bean
    @ConditionalOnEnabledHealthIndicator("via")
    @ConditionalOnMissingBean(name = "viaHealthIndicator")
    public ViaHealthIndicator viaHealthIndicator(ViaServers servers) {
        return new ViaHealthIndicator(servers);
    }
}
