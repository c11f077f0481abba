package io.viaemu.spring.boot.autoconfigure;

import java.util.ArrayList;
import java.util.List;

import org.springframework.boot.autoconfigure.AutoConfigurationImportFilter;
import org.springframework.boot.autoconfigure.AutoConfigurationMetadata;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.EnvironmentAware;
import org.springframework.core.env.Environment;

/**
 * Worker mode's trimmed boot: in a worker JVM ({@code via.worker.id} set by the launcher) the auto-configurations
 * a worker never uses are left out before their classes are even loaded, as Spring Boot's own
 * {@code OnClassCondition} filter does. A worker serves handed-over via-emu connections and nothing else: it has no
 * web server (the launcher passes {@code spring.main.web-application-type=none}), nobody calls its actuator
 * endpoints or scrapes its metrics, no probe asks for its health. Those auto-configurations were 0.16-0.25 s of a
 * worker's 0.56 s context start on this machine; the application's own beans (handlers and what they inject) are
 * untouched.
 *
 * <p>{@code via.worker.trim.exclude} adds class names or package prefixes (ending in {@code .}) the application's
 * workers do not need either; {@code via.worker.trim.keep} keeps entries a handler does need (a handler that injects
 * a {@code MeterRegistry} keeps {@code org.springframework.boot.micrometer.}); {@code via.worker.trim.enabled=false}
 * turns trimming off. In the parent (no {@code via.worker.id}) nothing is filtered.
 */
public class WorkerTrimFilter implements AutoConfigurationImportFilter, EnvironmentAware {
    /**
     * What a worker never uses: the web servers and web frameworks, HTTP message conversion for them, the actuator
     * and its health and metrics, availability probes, and via-emu's own actuator parts (they describe the
     * parent's servers). Prefixes end in a dot; other entries are class names.
     */
    public static final List<String> NEVER_IN_WORKERS = List.of(
            "org.springframework.boot.actuate.autoconfigure.",
            "org.springframework.boot.health.autoconfigure.",
            "org.springframework.boot.micrometer.",
            "org.springframework.boot.autoconfigure.availability.",
            "org.springframework.boot.web.server.",
            "org.springframework.boot.servlet.autoconfigure.",
            "org.springframework.boot.webmvc.autoconfigure.",
            "org.springframework.boot.webflux.autoconfigure.",
            "org.springframework.boot.tomcat.autoconfigure.",
            "org.springframework.boot.jetty.autoconfigure.",
            "org.springframework.boot.reactor.netty.autoconfigure.",
            "org.springframework.boot.http.converter.autoconfigure.",
            "org.springframework.boot.http.codec.autoconfigure.",
            "io.viaemu.spring.boot.autoconfigure.ViaEndpointAutoConfiguration",
            "io.viaemu.spring.boot.autoconfigure.ViaHealthAutoConfiguration",
            "io.viaemu.spring.boot.autoconfigure.ViaMetricsAutoConfiguration",
            "io.viaemu.spring.boot.autoconfigure.ViaObservationAutoConfiguration");

    private Environment environment;

    @Override
    public void setEnvironment(Environment environment) {
        this.environment = environment;
    }

    @Override
    public boolean[] match(String[] autoConfigurationClasses, AutoConfigurationMetadata autoConfigurationMetadata) {
        boolean[] matches = new boolean[autoConfigurationClasses.length];
        List<String> exclude = excluded(environment);
        List<String> keep = exclude.isEmpty() ? List.of() : list(environment, "via.worker.trim.keep");
        for (int i = 0; i < matches.length; i++) {
            String name = autoConfigurationClasses[i];
            // entries are null where an earlier filter already left a class out
            matches[i] = name == null || !matchesAny(name, exclude) || matchesAny(name, keep);
        }
        return matches;
    }

    /** What is left out in this environment: nothing outside worker mode or with trimming off. */
    static List<String> excluded(Environment environment) {
        if (environment == null || environment.getProperty("via.worker.id") == null
                || !environment.getProperty("via.worker.trim.enabled", Boolean.class, true)) {
            return List.of();
        }
        List<String> exclude = new ArrayList<>(NEVER_IN_WORKERS);
        exclude.addAll(list(environment, "via.worker.trim.exclude"));
        return exclude;
    }

    static boolean matchesAny(String className, List<String> entries) {
        for (String e : entries) {
            if (e.endsWith(".") ? className.startsWith(e) : className.equals(e)) {
                return true;
            }
        }
        return false;
    }

    private static List<String> list(Environment environment, String key) {
        return Binder.get(environment).bind(key, Bindable.listOf(String.class)).orElse(List.of()).stream()
                .map(String::strip).filter(e -> !e.isEmpty()).toList();
    }
}
