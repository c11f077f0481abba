package io.viaemu.spring.boot.autoconfigure;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.viaemu.PauserKind;
import io.viaemu.Trigger;
import io.viaemu.ViaClient;
import io.viaemu.ViaConfig;
import io.viaemu.ViaConnection;
import io.viaemu.ViaServer;
import io.viaemu.spring.boot.ByteArrayConnection;
import io.viaemu.spring.boot.ConnectionHandlerRegistry;
import io.viaemu.spring.boot.ConnectionLines;
import io.viaemu.spring.boot.ViaConnectionDispatcher;
import io.viaemu.spring.boot.ViaServers;
import io.viaemu.spring.boot.ViaWorkerRunner;
import io.viaemu.spring.boot.actuate.ViaConnectionsEndpoint;
import io.viaemu.spring.boot.actuate.ViaConnectionsEndpoint.ConnectionDescriptor;
import io.viaemu.spring.boot.actuate.ViaConnectionsEndpoint.ServerDescriptor;
import io.viaemu.spring.boot.actuate.ViaHealthIndicator;
import io.viaemu.spring.boot.actuate.ViaMetrics;
import io.viaemu.worker.HandlerResolver;
import org.apache.commons.logging.LogFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.core.annotation.Order;
import org.springframework.core.io.ClassPathResource;

class ViaAutoConfigurationTests {
    /** What workers get for commons-logging: the implementation this JVM's LogFactory found. */
    static final String LOG_FACTORY = "-D" + LogFactory.FACTORY_PROPERTY + "="
            + LogFactory.getFactory().getClass().getName();

    @TempDir
    Path tmp;

    private ApplicationContextRunner runner() {
        return new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(ViaAutoConfiguration.class,
                        ViaEndpointAutoConfiguration.class, ViaHealthAutoConfiguration.class,
                        ViaMetricsAutoConfiguration.class))
                .withPropertyValues("via.base-dir=" + tmp.resolve("via"),
                        "management.endpoints.web.exposure.include=viaconnections");
    }

    private static String line(ViaConnection c) throws IOException {
        return ConnectionLines.readLine(c, 1024, 10_000);
    }

    private static void send(ViaConnection c, String s) throws IOException {
        c.send(s.getBytes(UTF_8));
    }

    @Test
    void serverModeCreatesConfigServerAndDispatcherAndWorkersBootThisApplication() {
        runner().withUserConfiguration(TestHandlers.AppWithMain.class)
                .withPropertyValues("via.endpoint=orders", "via.worker.jvm-options=-Xmx64m")
                .run(ctx -> {
                    assertThat(ctx).hasNotFailed().hasSingleBean(ViaConfig.class).hasSingleBean(ViaServer.class)
                            .hasSingleBean(ViaServers.class).hasSingleBean(ViaConnectionDispatcher.class)
                            .hasSingleBean(ConnectionHandlerRegistry.class).doesNotHaveBean(ViaWorkerRunner.class);
                    ViaConfig config = ctx.getBean(ViaConfig.class);
                    assertThat(config.baseDir()).isEqualTo(tmp.resolve("via"));
                    assertThat(ctx.getBean(ViaServer.class).endpoint()).isEqualTo("orders");
                    assertThat(Files.isDirectory(tmp.resolve("via/orders/listen"))).isTrue();
                    // the configured options, then what a trimmed worker adds (no background pre-initialiser), and
                    // the commons-logging implementation this JVM found
                    assertThat(config.workerJvmOptions()).containsExactly("-Xmx64m",
                            ViaAutoConfiguration.NO_BACKGROUND_PREINITIALIZER, LOG_FACTORY);
                    List<String> cmd = config.workerCommand();
                    assertThat(cmd).hasSize(5);
                    assertThat(cmd.get(0)).isEqualTo("-cp");
                    // the test class path, with absolute entries: what the worker JVM needs to load this app
                    assertThat(cmd.get(1).split(File.pathSeparator))
                            .allSatisfy(e -> assertThat(Path.of(e).isAbsolute()).isTrue())
                            .hasSameSizeAs(System.getProperty("java.class.path").split(File.pathSeparator));
                    assertThat(cmd.subList(2, 5)).containsExactly(TestHandlers.AppWithMain.class.getName(),
                            "--spring.main.web-application-type=none", "--spring.main.banner-mode=off");
                });
    }

    @Test
    void backsOffWhenTheApplicationDefinesItsViaConfig() {
        ViaConfig mine = ViaConfig.builder(tmp.resolve("mine")).triggers(Trigger.T1_PARENT_CLOSE)
                .workerCommand(List.of("-cp", "x", "Main")).build();
        runner().withBean(ViaConfig.class, () -> mine).run(ctx -> {
            assertThat(ctx).hasSingleBean(ViaConfig.class);
            assertThat(ctx.getBean(ViaConfig.class)).isSameAs(mine);
            assertThat(ctx.getBean(ViaServer.class).config()).isSameAs(mine);
            assertThat(Files.isDirectory(tmp.resolve("mine/via/listen"))).isTrue();
        });
    }

    @Test
    void backsOffWhenTheApplicationDefinesItsViaServer() {
        runner().withBean("myServer", ViaServer.class,
                        () -> listen(ViaConfig.builder(tmp.resolve("own")).build(), "own"))
                .run(ctx -> {
                    assertThat(ctx).hasSingleBean(ViaServer.class);
                    ViaServer own = ctx.getBean(ViaServer.class);
                    assertThat(own.endpoint()).isEqualTo("own");
                    assertThat(ctx.getBean(ViaServers.class).primary()).isSameAs(own);
                    assertThat(tmp.resolve("via/via")).doesNotExist(); // no second server on via.endpoint
                });
    }

    private static ViaServer listen(ViaConfig config, String endpoint) {
        try {
            return ViaServer.listen(config, endpoint);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void customizersChangeTheBuilderInOrderAfterTheProperties() {
        runner().withPropertyValues("via.timeouts.handover=3s", "via.max-connections=5")
                .withBean("second", ViaConfigCustomizer.class, Later::new)
                .withBean("first", ViaConfigCustomizer.class, Earlier::new)
                .run(ctx -> {
                    ViaConfig c = ctx.getBean(ViaConfig.class);
                    assertThat(c.maxConnections()).isEqualTo(9); // Later ran last
                    assertThat(c.handoverTimeout()).isEqualTo(Duration.ofSeconds(3)); // property kept
                    assertThat(c.pauser()).isEqualTo(PauserKind.YIELDING);
                });
    }

    @Order(1)
    static class Earlier implements ViaConfigCustomizer {
        @Override
        public void customize(ViaConfig.Builder b) {
            b.maxConnections(7).pauser(PauserKind.YIELDING);
        }
    }

    @Order(2)
    static class Later implements ViaConfigCustomizer {
        @Override
        public void customize(ViaConfig.Builder b) {
            b.maxConnections(9);
        }
    }

    @Test
    void bindsAYamlFileIntoTheViaConfigBean() {
        runner().withInitializer(ctx -> {
            try {
                new YamlPropertySourceLoader().load("via-test.yml", new ClassPathResource("via-test.yml"))
                        .forEach(ctx.getEnvironment().getPropertySources()::addLast);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }).run(ctx -> {
            // via.base-dir of the runner wins over the file (added last); the rest comes from the YAML
            ViaConfig c = ctx.getBean(ViaConfig.class);
            assertThat(ctx.getBean(ViaServer.class).endpoint()).isEqualTo("yaml-endpoint");
            assertThat(c.triggers()).containsExactlyInAnyOrder(Trigger.T1_PARENT_CLOSE, Trigger.T2_PARENT_ABORT);
            assertThat(c.retention()).isEqualTo(Duration.ofMinutes(10));
            assertThat(c.workerPoolSize()).isEqualTo(2);
            assertThat(c.workerJvmOptions()).containsExactly("-Xmx256m", "-XX:TieredStopAtLevel=1",
                    ViaAutoConfiguration.NO_BACKGROUND_PREINITIALIZER, LOG_FACTORY);
            assertThat(c.pauser()).isEqualTo(PauserKind.BUSY);
            // the pool starts idle workers at once; closing the context must stop them again
            assertThat(ctx.getBean(ViaServer.class).workers().idleCount()).isEqualTo(2);
        });
    }

    @Test
    void workerModeRunsNoServerButResolvesHandlersByName() throws Exception {
        runner().withUserConfiguration(TestHandlers.AlphaBetaTarget.class)
                .withPropertyValues("via.worker.id=00000000000000ab", "via.base-dir=" + tmp.resolve("absent"))
                .run(ctx -> {
                    assertThat(ctx).hasNotFailed().hasSingleBean(ViaWorkerRunner.class)
                            .hasSingleBean(ViaConfig.class).doesNotHaveBean(ViaServer.class)
                            .doesNotHaveBean(ViaServers.class).doesNotHaveBean(ViaConnectionDispatcher.class)
                            .doesNotHaveBean(ViaConnectionsEndpoint.class).doesNotHaveBean(ViaHealthIndicator.class);
                    assertThat(tmp.resolve("absent")).doesNotExist(); // nothing listens in a worker
                    HandlerResolver resolver = ctx.getBean(ConnectionHandlerRegistry.class);

                    var target = new ByteArrayConnection("");
                    resolver.resolve("target").handle(target);
                    assertThat(target.sent()).isEqualTo("target ran\n");

                    var lines = new ByteArrayConnection("a\nb\n");
                    resolver.resolve("alpha").handle(lines);
                    assertThat(lines.sent()).isEqualTo("alpha:a\nalpha:b\n");

                    assertThatThrownBy(() -> resolver.resolve("beta")).isInstanceOf(IllegalArgumentException.class)
                            .hasMessageContaining("runs only in the parent");
                    assertThatThrownBy(() -> resolver.resolve("nope")).isInstanceOf(IllegalArgumentException.class)
                            .hasMessageContaining("no @ConnectionHandler named 'nope'");
                });
    }

    @Test
    void invalidHandlersFailTheStartupWithAReason() {
        runner().withBean(TestHandlers.ForkingParentSide.class).run(ctx -> assertThat(ctx).getFailure()
                .hasStackTraceContaining("cannot have fork = true"));
        runner().withBean(TestHandlers.WrongParameter.class).run(ctx -> assertThat(ctx).getFailure()
                .hasStackTraceContaining("must take exactly one ViaConnection or ParentConnection parameter"));
        runner().withUserConfiguration(TestHandlers.AlphaBetaTarget.class)
                .withBean(TestHandlers.SecondDefaultEndpoint.class)
                .run(ctx -> assertThat(ctx).getFailure()
                        .hasStackTraceContaining("more than one @ConnectionHandler accepts connections")
                        .hasStackTraceContaining("endpoint 'via'"));
        runner().withUserConfiguration(TestHandlers.AlphaBetaTarget.class)
                .withBean(TestHandlers.SameNameAsAlpha.class)
                .run(ctx -> assertThat(ctx).getFailure()
                        .hasStackTraceContaining("two @ConnectionHandler methods are named 'alpha'"));
    }

    @Test
    void dispatchesEachEndpointToItsHandlerAndReportsTheConnections() {
        runner().withUserConfiguration(TestHandlers.AlphaBetaTarget.class)
                .withBean(SimpleMeterRegistry.class)
                .withPropertyValues("via.endpoint=alpha")
                .run(ctx -> {
                    assertThat(ctx).hasNotFailed();
                    ViaServers servers = ctx.getBean(ViaServers.class);
                    assertThat(servers.all()).extracting(ViaServer::endpoint).containsExactly("alpha", "beta");
                    ViaConfig config = ctx.getBean(ViaConfig.class);
                    MeterRegistry meters = ctx.getBean(MeterRegistry.class);

                    try (ViaConnection a = ViaClient.connect(config, "alpha");
                            ViaConnection b = ViaClient.connect(config, "beta")) {
                        send(a, "one\n");
                        send(b, "two\n");
                        assertThat(line(a)).isEqualTo("alpha:one");
                        assertThat(line(b)).isEqualTo("beta:two");

                        assertThat(meters.get(ViaMetrics.CONNECTIONS_OPEN).tag("endpoint", "beta").gauge().value())
                                .isEqualTo(1.0);

                        ViaConnectionsEndpoint endpoint = ctx.getBean(ViaConnectionsEndpoint.class);
                        ServerDescriptor beta = endpoint.connections().servers().stream()
                                .filter(s -> s.endpoint().equals("beta")).findFirst().orElseThrow();
                        assertThat(beta.openConnections()).isEqualTo(1);
                        assertThat(beta.triggers()).hasSize(4);
                        assertThat(beta.workerPool().size()).isZero();
                        assertThat(beta.connections()).extracting(ConnectionDescriptor::id).containsExactly(b.id());
                        ConnectionDescriptor one = endpoint.connection(b.id());
                        long pid = ProcessHandle.current().pid();
                        assertThat(one.state()).isEqualTo("ESTABLISHED");
                        assertThat(one.clientPid()).isEqualTo(pid);
                        assertThat(one.parentPid()).isEqualTo(pid);
                        assertThat(one.childPid()).isZero();
                        assertThat(one.flags()).containsEntry("P", false).containsEntry("C", false)
                                .containsEntry("reconnectionCompletion", false);
                        assertThat(one.triggerFired()).isNull();
                        assertThat(one.handoverMillis()).isEqualTo(-1);
                        assertThat(endpoint.connection("0123456789abcdef")).isNull();
                        assertThat(endpoint.connection("../../etc")).isNull();
                    }
                    assertThat(meters.get(ViaMetrics.HANDOVERS_COMPLETED).tag("endpoint", "alpha").functionCounter()
                            .count()).isZero();
                });
    }

    @Test
    void healthIsUpForAPrivateWritableBaseAndDownWhenOthersMayWriteIt() {
        runner().run(ctx -> {
            ViaHealthIndicator health = ctx.getBean(ViaHealthIndicator.class);
            Health up = health.health();
            assertThat(up.getStatus()).isEqualTo(Status.UP);
            assertThat(up.getDetails()).containsKey("freeBytes");
            @SuppressWarnings("unchecked")
            Map<String, Map<String, Object>> endpoints = (Map<String, Map<String, Object>>) up.getDetails()
                    .get("endpoints");
            assertThat(endpoints.get("via")).containsEntry("listenQueue", "ok");

            Path base = tmp.resolve("via");
            Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxrwxrwx"));
            try {
                Health down = health.health();
                assertThat(down.getStatus()).isEqualTo(Status.DOWN);
                assertThat((String) down.getDetails().get("problem")).contains("accessible to others");
            } finally {
                Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwx------"));
            }

            Path listen = base.resolve("via/listen");
            Path moved = base.resolve("via/listen-moved");
            Files.move(listen, moved);
            try {
                Health down = health.health();
                assertThat(down.getStatus()).isEqualTo(Status.DOWN);
                assertThat((String) down.getDetails().get("problem")).contains("listen queue of endpoint 'via'");
            } finally {
                Files.move(moved, listen);
            }
            assertThat(health.health().getStatus()).isEqualTo(Status.UP);
        });
    }

    @Test
    void actuatorPartsBackOffWithoutTheirLibrariesOrWhenDisabled() {
        // an application without spring-boot-actuator, spring-boot-health and Micrometer
        runner().withClassLoader(new FilteredClassLoader("org.springframework.boot.actuate",
                        "org.springframework.boot.health", "io.micrometer"))
                .run(ctx -> assertThat(ctx).hasNotFailed().hasSingleBean(ViaServer.class)
                        .doesNotHaveBean(ViaConnectionsEndpoint.class).doesNotHaveBean(ViaMetrics.class)
                        .doesNotHaveBean(ViaHealthIndicator.class));
        runner().withPropertyValues("management.health.via.enabled=false",
                        "management.endpoints.web.exposure.include=health")
                .run(ctx -> assertThat(ctx).hasNotFailed().doesNotHaveBean(ViaHealthIndicator.class)
                        .doesNotHaveBean(ViaConnectionsEndpoint.class)
                        .doesNotHaveBean(ViaMetrics.class)); // no MeterRegistry bean either
    }
}
