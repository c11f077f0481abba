package io.viaemu.spring.boot.autoconfigure;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;

import io.viaemu.ViaConfig;
import io.viaemu.aeron.AeronGateway;
import io.viaemu.aeron.AeronOptions;
import io.viaemu.aeron.AeronSocketFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * Clients on other hosts, when via-emu-aeron is on the classpath ({@code via.remote.*}, {@link ViaRemoteProperties}):
 * on a server host the gateway ({@code via.remote.gateway.enabled=true}), on a client host a {@link
 * AeronSocketFactory} for the {@code via.remote.routes} (a mapped {@code host:port} becomes a via-emu socket through
 * the route's gateway, any other address plain TCP).
 */
@AutoConfiguration(after = ViaAutoConfiguration.class)
@ConditionalOnClass(AeronGateway.class)
@EnableConfigurationProperties(ViaRemoteProperties.class)
public class ViaRemoteAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    public AeronOptions viaRemoteOptions(ViaRemoteProperties properties) {
        return properties.toOptions();
    }

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    @ConditionalOnProperty(prefix = "via.remote.gateway", name = "enabled", havingValue = "true")
    public AeronGateway viaRemoteGateway(ViaRemoteProperties properties, ViaConfig viaConfig, AeronOptions options)
            throws IOException {
        ViaRemoteProperties.Gateway g = properties.getGateway();
        if (g.getListen() == null || g.getListen().isBlank()) {
            throw new IllegalStateException("via.remote.gateway.listen (host:port) is required when the gateway is "
                    + "enabled");
        }
        Map<String, byte[]> own = new LinkedHashMap<>();
        g.getEndpointTokenFiles().forEach((endpoint, file) -> own.put(endpoint, AeronGateway.tokenOf(file)));
        if (g.getTokenFile() == null && own.isEmpty()) {
            throw new IllegalStateException("via.remote.gateway.token-file or via.remote.gateway.endpoint-token-files "
                    + "is required when the gateway is enabled");
        }
        byte[] token = g.getTokenFile() == null ? null : AeronGateway.tokenOf(g.getTokenFile());
        return AeronGateway.start(g.getListen(), token, own, new LinkedHashSet<>(g.getEndpoints()), viaConfig,
                options, g.getAeronDir());
    }

    @Bean
    @ConditionalOnMissingBean
    @Conditional(RoutesCondition.class)
    public AeronSocketFactory viaRemoteSocketFactory(ViaRemoteProperties properties, AeronOptions options) {
        Map<String, AeronSocketFactory.Target> map = new LinkedHashMap<>();
        for (ViaRemoteProperties.Route r : properties.getRoutes()) {
            if (r.getAddress() == null || r.getGateway() == null || r.getEndpoint() == null
                    || r.getTokenFile() == null) {
                throw new IllegalStateException("via.remote.routes: every route needs address, gateway, endpoint and "
                        + "token-file");
            }
            map.put(r.getAddress(), new AeronSocketFactory.Target(r.getGateway(), r.getEndpoint(),
                    AeronGateway.tokenOf(r.getTokenFile())));
        }
        return new AeronSocketFactory(map, null, options);
    }

    /** At least one {@code via.remote.routes} entry. */
    static class RoutesCondition extends SpringBootCondition {
        @Override
        public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
            boolean bound = Binder.get(context.getEnvironment())
                    .bind("via.remote.routes", Bindable.listOf(ViaRemoteProperties.Route.class))
                    .map(l -> !l.isEmpty()).orElse(false);
            return bound ? ConditionOutcome.match("via.remote.routes are set")
                    : ConditionOutcome.noMatch("no via.remote.routes");
        }
    }
}
