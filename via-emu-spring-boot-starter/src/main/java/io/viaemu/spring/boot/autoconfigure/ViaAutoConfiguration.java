package io.viaemu.spring.boot.autoconfigure;

import java.io.IOException;

import io.viaemu.ViaConfig;
import io.viaemu.ViaServer;
import io.viaemu.spring.boot.ConnectionHandlerRegistry;
import io.viaemu.spring.boot.ViaConnectionDispatcher;
import io.viaemu.spring.boot.ViaHandoverListener;
import io.viaemu.spring.boot.ViaServers;
import io.viaemu.spring.boot.ViaWorkerRunner;
import io.viaemu.spring.boot.WorkerCommand;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.NoneNestedConditions;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * via-emu auto-configuration. Every application gets a {@link ViaConfig} from the {@code via.*} properties. Then:
 * <ul>
 * <li>server mode (no {@code via.worker.id}): a {@link ViaServer} on {@code via.endpoint}, a server for every other
 * endpoint a {@code @ConnectionHandler} names, and the dispatcher that runs handlers on accepted connections;</li>
 * <li>worker mode ({@code via.worker.id}, set by the launcher in the JVMs it starts): no server, but the worker
 * runtime, which serves the one connection its parent forks to it and then exits the application.</li>
 * </ul>
 */
@AutoConfiguration
@EnableConfigurationProperties(ViaProperties.class)
public class ViaAutoConfiguration {
    private static final Logger log = LoggerFactory.getLogger(ViaAutoConfiguration.class);

    /** Static: a bean post-processor must not drag its configuration class into early creation. */
    @Bean
    @ConditionalOnMissingBean
    public static ConnectionHandlerRegistry viaConnectionHandlerRegistry() {
        return new ConnectionHandlerRegistry();
    }

    @Bean
    @ConditionalOnMissingBean
    public ViaConfig viaConfig(ViaProperties properties, ObjectProvider<ViaConfigCustomizer> customizers,
            ConfigurableListableBeanFactory beanFactory, Environment environment) {
        ViaConfig.Builder builder = properties.toConfigBuilder();
        if (!properties.isWorker()) {
            // Workers must boot this application, not the core's default WorkerMain (which knows no beans).
            WorkerCommand.infer(beanFactory, environment).ifPresentOrElse(builder::workerCommand,
                    () -> log.warn("via-emu: cannot tell this application's main class; forks will run the core's "
                            + "WorkerMain unless a ViaConfigCustomizer sets the worker command"));
        }
        customizers.orderedStream().forEach(c -> c.customize(builder));
        return builder.build();
    }

    @Configuration(proxyBeanMethods = false)
    @Conditional(ServerModeCondition.class)
    static class ServerConfiguration {

        @Bean
        @ConditionalOnMissingBean
        ViaServer viaServer(ViaConfig config, ViaProperties properties) throws IOException {
            return ViaServer.listen(config, properties.getEndpoint());
        }

        @Bean
        @ConditionalOnMissingBean
        ViaServers viaServers(ViaServer server, ViaConfig config, ConnectionHandlerRegistry handlers) {
            return new ViaServers(server, config, handlers);
        }

        @Bean
        @ConditionalOnMissingBean
        ViaConnectionDispatcher viaConnectionDispatcher(ViaServers servers, ConnectionHandlerRegistry handlers,
                ObjectProvider<ViaHandoverListener> listeners) {
            return new ViaConnectionDispatcher(servers, handlers, listeners.orderedStream().toList());
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnProperty(prefix = "via.worker", name = "id")
    static class WorkerConfiguration {

        @Bean
        @ConditionalOnMissingBean
        ViaWorkerRunner viaWorkerRunner(ViaConfig config, ViaProperties properties,
                ConnectionHandlerRegistry handlers) {
            return new ViaWorkerRunner(config, properties.getEndpoint(), properties.getWorker().getId(), handlers);
        }
    }

    /** Server mode: {@code via.worker.id} is not set. */
    static class ServerModeCondition extends NoneNestedConditions {
        ServerModeCondition() {
            super(ConfigurationPhase.REGISTER_BEAN);
        }

        @ConditionalOnProperty(prefix = "via.worker", name = "id")
        static class WorkerMode {
        }
    }
}
