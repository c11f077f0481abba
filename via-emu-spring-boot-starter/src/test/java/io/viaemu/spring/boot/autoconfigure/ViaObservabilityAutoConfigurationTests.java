package io.viaemu.spring.boot.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import io.micrometer.observation.ObservationRegistry;
import io.viaemu.spring.boot.actuate.ViaConnectionsEndpoint;
import io.viaemu.spring.boot.actuate.ViaHandoverObservation;
import io.viaemu.spring.boot.actuate.ViaTimelineEndpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The timeline endpoint is gated like {@code viaconnections} (only when exposed, only with the actuator), and the
 * handover observation exists only where the application has an {@link ObservationRegistry}.
 */
class ViaObservabilityAutoConfigurationTests {

    @TempDir
    Path tmp;

    private ApplicationContextRunner runner() {
        return new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(ViaAutoConfiguration.class,
                        ViaEndpointAutoConfiguration.class, ViaObservationAutoConfiguration.class))
                .withPropertyValues("via.base-dir=" + tmp.resolve("via"));
    }

    @Test
    void timelineEndpointOnlyWhenExposed() {
        runner().withPropertyValues("management.endpoints.web.exposure.include=viaconnections")
                .run(ctx -> assertThat(ctx).hasNotFailed().hasSingleBean(ViaConnectionsEndpoint.class)
                        .doesNotHaveBean(ViaTimelineEndpoint.class));
        runner().withPropertyValues("management.endpoints.web.exposure.include=viaconnections,viatimeline")
                .run(ctx -> assertThat(ctx).hasNotFailed().hasSingleBean(ViaConnectionsEndpoint.class)
                        .hasSingleBean(ViaTimelineEndpoint.class));
        runner().withPropertyValues("management.endpoints.web.exposure.include=*",
                        "management.endpoint.viatimeline.enabled=false")
                .run(ctx -> assertThat(ctx).hasNotFailed().doesNotHaveBean(ViaTimelineEndpoint.class));
        runner().withClassLoader(new FilteredClassLoader("org.springframework.boot.actuate"))
                .withPropertyValues("management.endpoints.web.exposure.include=viatimeline")
                .run(ctx -> assertThat(ctx).hasNotFailed().doesNotHaveBean(ViaTimelineEndpoint.class));
    }

    @Test
    void handoverObservationOnlyWithAnObservationRegistry() {
        runner().run(ctx -> assertThat(ctx).hasNotFailed().doesNotHaveBean(ViaHandoverObservation.class));
        runner().withUserConfiguration(WithRegistry.class)
                .run(ctx -> assertThat(ctx).hasNotFailed().hasSingleBean(ViaHandoverObservation.class));
        runner().withUserConfiguration(WithRegistry.class)
                .withClassLoader(new FilteredClassLoader("io.micrometer.observation"))
                .run(ctx -> assertThat(ctx).hasNotFailed().doesNotHaveBean(ViaHandoverObservation.class));
    }

    @Configuration(proxyBeanMethods = false)
    static class WithRegistry {
        @Bean
        ObservationRegistry observationRegistry() {
            return ObservationRegistry.create();
        }
    }
}
