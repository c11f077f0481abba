package io.viaemu.spring.boot.autoconfigure;

import io.micrometer.observation.ObservationRegistry;
import io.viaemu.spring.boot.ViaServers;
import io.viaemu.spring.boot.actuate.ViaHandoverObservation;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/** Handovers as Micrometer observations ({@code via.handover}) when the application has an {@link ObservationRegistry}. */
@AutoConfiguration(after = ViaAutoConfiguration.class,
        afterName = "org.springframework.boot.micrometer.observation.autoconfigure.ObservationAutoConfiguration")
@ConditionalOnClass(ObservationRegistry.class)
@ConditionalOnBean({ObservationRegistry.class, ViaServers.class})
public class ViaObservationAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    public ViaHandoverObservation viaHandoverObservation(ObservationRegistry registry, ViaServers servers) {
        return new ViaHandoverObservation(registry, servers);
    }
}
