package io.viaemu.spring.boot.autoconfigure;

import io.viaemu.spring.boot.ViaServers;
import io.viaemu.spring.boot.actuate.ViaConnectionsEndpoint;
import io.viaemu.spring.boot.actuate.ViaTimelineEndpoint;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * The {@code viaconnections} and {@code viatimeline} actuator endpoints, each when the actuator is present and the
 * endpoint is available (exposed).
 */
@AutoConfiguration(after = ViaAutoConfiguration.class)
@ConditionalOnClass({Endpoint.class, ConditionalOnAvailableEndpoint.class})
@ConditionalOnBean(ViaServers.class)
public class ViaEndpointAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnAvailableEndpoint
    public ViaConnectionsEndpoint viaConnectionsEndpoint(ViaServers servers) {
        return new ViaConnectionsEndpoint(servers);
    }

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnAvailableEndpoint
    public ViaTimelineEndpoint viaTimelineEndpoint(ViaServers servers) {
        return new ViaTimelineEndpoint(servers);
    }
}
