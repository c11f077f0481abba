package io.viaemu.spring.boot.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.springframework.mock.env.MockEnvironment;

/** Which auto-configurations a worker JVM leaves out (the real boot of a trimmed worker: the sample's tests). */
class WorkerTrimFilterTests {
    private static final String[] CANDIDATES = {
        "org.springframework.boot.tomcat.autoconfigure.servlet.TomcatServletWebServerAutoConfiguration",
        "org.springframework.boot.actuate.autoconfigure.endpoint.EndpointAutoConfiguration",
        "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration",
        "org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration",
        "io.viaemu.spring.boot.autoconfigure.ViaAutoConfiguration",
        "io.viaemu.spring.boot.autoconfigure.ViaEndpointAutoConfiguration",
        null, // left out by an earlier filter
    };

    private static boolean[] match(MockEnvironment env) {
        WorkerTrimFilter filter = new WorkerTrimFilter();
        filter.setEnvironment(env);
        return filter.match(CANDIDATES, null);
    }

    @Test
    void theParentKeepsEverything() {
        assertThat(match(new MockEnvironment())).containsExactly(true, true, true, true, true, true, true);
    }

    @Test
    void aWorkerLeavesOutWebServerActuatorMetricsAndViaActuatorPartsButKeepsTheRest() {
        MockEnvironment env = new MockEnvironment().withProperty("via.worker.id", "1f");
        assertThat(match(env)).containsExactly(false, false, false, true, true, false, true);
    }

    @Test
    void usersExcludeMoreAndKeepWhatTheirHandlersNeed() {
        MockEnvironment env = new MockEnvironment().withProperty("via.worker.id", "1f")
                .withProperty("via.worker.trim.exclude", "org.springframework.boot.jackson.autoconfigure.")
                .withProperty("via.worker.trim.keep[0]",
                        "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration");
        assertThat(match(env)).containsExactly(false, false, true, false, true, false, true);
    }

    @Test
    void trimmingCanBeTurnedOff() {
        MockEnvironment env = new MockEnvironment().withProperty("via.worker.id", "1f")
                .withProperty("via.worker.trim.enabled", "false");
        assertThat(match(env)).containsExactly(true, true, true, true, true, true, true);
    }
}
