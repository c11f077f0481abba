package io.viaemu.spring.boot.remote;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import io.viaemu.ParentConnection;
import io.viaemu.ViaConfig;
import io.viaemu.ViaConnection;
import io.viaemu.ViaRefusedException;
import io.viaemu.ViaServer;
import io.viaemu.aeron.AeronGateway;
import io.viaemu.aeron.AeronOptions;
import io.viaemu.aeron.AeronSocketFactory;
import io.viaemu.aeron.AeronViaClient;
import io.viaemu.socket.ViaSocket;
import io.viaemu.spring.boot.autoconfigure.ViaAutoConfiguration;
import io.viaemu.spring.boot.autoconfigure.ViaRemoteAutoConfiguration;
import io.viaemu.testing.JvmProcess;
import io.viaemu.testing.TestDirs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * The starter's remote side ({@code via.remote.*}): the beans and their conditions in a context runner, and the
 * gateway the starter starts, in a Spring Boot JVM of its own, taking a remote client over Aeron UDP on loopback
 * to a via-emu server with an endpoint token.
 */
class ViaRemoteStarterTests {
    private static final Duration STEP = Duration.ofSeconds(60);

    @TempDir
    Path tmp;
    private JvmProcess gatewayApp;

    @AfterEach
    void tearDown() {
        if (gatewayApp != null) {
            gatewayApp.close();
            System.out.println("---- gateway app ----\n" + gatewayApp.output());
        }
    }

    private ApplicationContextRunner runner() {
        return new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(ViaAutoConfiguration.class, ViaRemoteAutoConfiguration.class))
                .withPropertyValues("via.base-dir=" + tmp.resolve("via"));
    }

    private Path token(String name, String value) throws IOException {
        Path f = tmp.resolve(name);
        Files.writeString(f, value + "\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        return f;
    }

    @Test
    void withoutRemotePropertiesOnlyTheOptionsAreThereNoGatewayNoSocketFactory() {
        runner().run(ctx -> {
            assertThat(ctx).hasNotFailed().hasSingleBean(AeronOptions.class).doesNotHaveBean(AeronGateway.class)
                    .doesNotHaveBean(AeronSocketFactory.class);
            assertThat(ctx.getBean(AeronOptions.class).peerTimeout()).isEqualTo(Duration.ofSeconds(5));
        });
    }

    @Test
    void routesMakeASocketFactoryThatMapsTheirAddressesAndLeavesOthersToTcp() throws Exception {
        Path t = token("db.token", "db-token-0123456789abcdef");
        runner().withPropertyValues("via.remote.peer-timeout=3s", "via.remote.idle=yield",
                "via.remote.threading=shared", "via.remote.routes[0].address=db.internal:5432", "via.remote.routes[0].gateway=10.0.0.5:40123",
                "via.remote.routes[0].endpoint=db", "via.remote.routes[0].token-file=" + t).run(ctx -> {
                    assertThat(ctx).hasNotFailed().hasSingleBean(AeronSocketFactory.class)
                            .doesNotHaveBean(AeronGateway.class);
                    AeronOptions o = ctx.getBean(AeronOptions.class);
                    assertThat(o.peerTimeout()).isEqualTo(Duration.ofSeconds(3));
                    assertThat(o.idle()).isEqualTo("yield");
                    assertThat(o.threading()).isEqualTo("shared");
                    AeronSocketFactory f = ctx.getBean(AeronSocketFactory.class);
                    assertThat(f.targets()).containsOnlyKeys("db.internal:5432");
                    assertThat(f.targets().get("db.internal:5432").gateway()).isEqualTo("10.0.0.5:40123");
                    assertThat(f.targets().get("db.internal:5432").endpoint()).isEqualTo("db");
                    try (ServerSocket ss = new ServerSocket(0); Socket s = f.createSocket("127.0.0.1",
                            ss.getLocalPort())) {
                        assertThat(s).isNotInstanceOf(ViaSocket.class); // not mapped: plain TCP
                        assertThat(s.isConnected()).isTrue();
                    }
                });
    }

    @Test
    void aRouteWithoutTokenOrAGatewayWithoutListenFailsTheContextClearly() throws Exception {
        runner().withPropertyValues("via.remote.routes[0].address=db.internal:5432",
                "via.remote.routes[0].gateway=10.0.0.5:40123", "via.remote.routes[0].endpoint=db").run(ctx ->
                assertThat(ctx).hasFailed().getFailure().rootCause()
                        .hasMessageContaining("every route needs address, gateway, endpoint and token-file"));
        runner().withPropertyValues("via.remote.gateway.enabled=true").run(ctx ->
                assertThat(ctx).hasFailed().getFailure().rootCause()
                        .hasMessageContaining("via.remote.gateway.listen (host:port) is required"));
        Path open = tmp.resolve("open.token");
        Files.writeString(open, "readable-by-all-0123456789");
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rw-r--r--"));
        runner().withPropertyValues("via.remote.gateway.enabled=true", "via.remote.gateway.listen=127.0.0.1:40990",
                "via.remote.gateway.token-file=" + open).run(ctx ->
                assertThat(ctx).hasFailed().getFailure().rootCause().hasMessageContaining("must be owner-only"));
    }

    @Test
    void theGatewayTheStarterStartsInItsOwnJvmServesARemoteClientWithTheEndpointsOwnToken() throws Exception {
        Path base = TestDirs.privateDir(tmp, "base");
        Path wide = token("gateway.token", "gateway-wide-token-0123456789");
        Path own = token("echo.token", "echo-own-token-0123456789abcdef");
        ViaConfig config = ViaConfig.builder(base).connectTimeout(Duration.ofSeconds(30)).build();
        int port = 40900 + (int) (ProcessHandle.current().pid() % 80);
        try (ViaServer server = ViaServer.listen(config, "echo")) {
            Thread echo = new Thread(() -> {
                try (ParentConnection c = server.accept(0)) {
                    byte[] buf = new byte[8192];
                    int n;
                    while ((n = c.receive(buf, 0, buf.length, 0)) >= 0) {
                        c.send(buf, 0, n);
                    }
                    c.shutdownOutput();
                } catch (IOException e) {
                    System.out.println("ECHO-ERROR " + e);
                }
            }, "echo");
            echo.setDaemon(true);
            echo.start();
            gatewayApp = JvmProcess.start(tmp, "gateway-app", List.of(), RemoteGatewayApp.class,
                    "--via.base-dir=" + base, "--via.remote.gateway.enabled=true",
                    "--via.remote.gateway.listen=127.0.0.1:" + port, "--via.remote.gateway.token-file=" + wide,
                    "--via.remote.gateway.endpoint-token-files.echo=" + own,
                    "--via.remote.gateway.aeron-dir=" + tmp.resolve("aeron-gateway"),
                    "--via.remote.peer-timeout=2s", "--spring.main.web-application-type=none");
            gatewayApp.awaitOutput("GATEWAY-APP-STARTED", STEP);
            AeronOptions options = AeronOptions.defaults().peerTimeout(Duration.ofSeconds(2));
            try {
                AeronViaClient.connect("127.0.0.1:" + port, "echo", AeronSocketFactory.readToken(wide), options).close();
                throw new AssertionError("the gateway-wide token was taken for an endpoint with its own");
            } catch (ViaRefusedException e) {
                assertThat(e.getMessage()).contains("wrong token for endpoint 'echo'");
            }
            byte[] sent = new byte[300_000];
            new Random(3).nextBytes(sent);
            try (ViaConnection c = AeronViaClient.connect("127.0.0.1:" + port, "echo",
                    AeronSocketFactory.readToken(own), options)) {
                Thread writer = new Thread(() -> {
                    try {
                        c.send(sent, 0, sent.length);
                        c.shutdownOutput();
                    } catch (IOException e) {
                        System.out.println("WRITE-ERROR " + e);
                    }
                });
                writer.start();
                byte[] got = c.inputStream().readAllBytes();
                writer.join(30_000);
                assertThat(Arrays.equals(sent, got)).as("echo of %d bytes, got %d", sent.length, got.length).isTrue();
            }
        }
    }
}
