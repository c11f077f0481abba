package io.viaemu.socket;

import static io.viaemu.socket.SocketTestSupport.config;
import static io.viaemu.socket.SocketTestSupport.privateBaseDir;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import javax.net.SocketFactory;

import io.viaemu.ViaClient;
import io.viaemu.ViaConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The java.net.ServerSocket contract on {@link ViaServerSocket}: binding, accept timeouts, close. */
@Timeout(value = 20, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ViaServerSocketContractTest {

    private static final int PORT = 7100;

    @TempDir
    Path tempDir;

    private ViaConfig config;
    private ViaAddressMap map;
    private ViaServerSocketFactory servers;
    private SocketFactory clients;

    @BeforeEach
    void setUp() throws IOException {
        config = config(privateBaseDir(tempDir));
        map = new ViaAddressMap().map(PORT, "server-contract");
        servers = new ViaServerSocketFactory(config, map);
        clients = servers.socketFactory();
    }

    /**
     * Client and server share this JVM: a closed connection's slot is kept by the client and its server end finishes
     * closing in the background, which may still write in the connection's directory while JUnit deletes the
     * temporary directory. The slots go first, then the tree is deleted until it stays deleted (at most 10 s).
     */
    @AfterEach
    void tearDown() throws Exception {
        ViaClient.releaseSlots();
        Path base = config.baseDir();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (Files.exists(base)) {
            try (Stream<Path> paths = Files.walk(base)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                // a file went while walking: walk again
            }
            if (System.nanoTime() - deadline > 0) {
                break; // JUnit's own deletion reports what is left
            }
            Thread.sleep(20);
        }
    }

    @Test
    void acceptHonoursSoTimeoutAndTheServerSocketStaysUsable() throws IOException {
        try (ServerSocket listener = servers.createServerSocket(PORT)) {
            listener.setSoTimeout(200);
            assertThat(listener.getSoTimeout()).isEqualTo(200);
            long start = System.nanoTime();
            assertThatThrownBy(listener::accept).isInstanceOf(SocketTimeoutException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(150),
                    Duration.ofSeconds(10));

            try (Socket client = clients.createSocket("localhost", PORT); Socket accepted = listener.accept()) {
                assertThat(accepted).isInstanceOf(ViaSocket.class);
                client.getOutputStream().write(3);
                accepted.setSoTimeout(5_000);
                assertThat(accepted.getInputStream().read()).isEqualTo(3);
            }
        }
    }

    @Test
    void closeStopsAcceptingAndEndsABlockedAccept() throws Exception {
        ServerSocket listener = servers.createServerSocket(PORT);
        CompletableFuture<Throwable> acceptor = CompletableFuture.supplyAsync(() -> {
            try {
                listener.accept(); // SO_TIMEOUT 0: waits for ever, but for the close
                return null;
            } catch (Throwable t) {
                return t;
            }
        });
        Thread.sleep(200);
        assertThat(acceptor).isNotDone();
        listener.close();
        assertThat(acceptor.get(2, TimeUnit.SECONDS)).isInstanceOf(SocketException.class)
                .hasMessage("Socket is closed");
        assertThat(listener.isClosed()).isTrue();
        assertThatThrownBy(listener::accept).isInstanceOf(SocketException.class).hasMessage("Socket is closed");

        // the endpoint is free again: a new server socket can bind the same port
        try (ServerSocket again = servers.createServerSocket(PORT)) {
            assertThat(again.isBound()).isTrue();
        }
    }

    @Test
    void acceptedSocketsOutliveTheServerSocketAsWithTcp() throws IOException {
        ServerSocket listener = servers.createServerSocket(PORT);
        try (Socket client = clients.createSocket("localhost", PORT); Socket accepted = listener.accept()) {
            accepted.setSoTimeout(5_000);
            client.setSoTimeout(5_000);
            listener.close();

            client.getOutputStream().write(1);
            assertThat(accepted.getInputStream().read()).isEqualTo(1);
            accepted.getOutputStream().write(2);
            assertThat(client.getInputStream().read()).isEqualTo(2);

            // nobody accepts any more: a newcomer is turned away (closed at once, so it reads end of stream)
            try (Socket late = clients.createSocket()) {
                late.setSoTimeout(5_000);
                try {
                    late.connect(new InetSocketAddress("localhost", PORT), 2_000);
                    assertThat(late.getInputStream().read()).isEqualTo(-1);
                } catch (IOException refused) {
                    // also acceptable: refused before it was granted
                }
            }
        }
        // the last accepted socket is closed: the endpoint is released, connecting finds no server (refused, as TCP)
        try (Socket afterwards = clients.createSocket()) {
            assertThatThrownBy(() -> afterwards.connect(new InetSocketAddress("localhost", PORT), 300))
                    .isInstanceOf(ConnectException.class).hasMessageContaining("Connection refused");
        }
    }

    @Test
    void bindingAnUnmappedPortFailsWithABindExceptionNamingIt() {
        assertThatThrownBy(() -> servers.createServerSocket(7998)).isInstanceOf(BindException.class)
                .hasMessageContaining(":7998").hasMessageContaining("via.socket.map.7998=");
    }

    @Test
    void aSecondServerSocketOnTheSamePortIsAddressAlreadyInUse() throws IOException {
        try (ServerSocket first = servers.createServerSocket(PORT)) {
            assertThatThrownBy(() -> servers.createServerSocket(PORT)).isInstanceOf(BindException.class)
                    .hasMessageContaining("Address already in use");
            assertThat(first.isClosed()).isFalse();
        }
    }

    @Test
    void portZeroPicksAFreePortThatClientsSharingTheMapFind() throws IOException {
        int port;
        try (ServerSocket listener = servers.createServerSocket(0)) {
            port = listener.getLocalPort();
            assertThat(port).isBetween(49152, 65535);
            assertThat(((ViaServerSocket) listener).endpoint()).isEqualTo("ephemeral-" + port);
            try (Socket client = clients.createSocket("localhost", port); Socket accepted = listener.accept()) {
                client.getOutputStream().write(8);
                accepted.setSoTimeout(5_000);
                assertThat(accepted.getInputStream().read()).isEqualTo(8);
            }
        }
        assertThat(map.endpointFor(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))).isNull();
    }

    @Test
    void portZeroWithADefaultTemplateUsesTheTemplatesEndpoint() throws IOException {
        map.defaultTemplate("svc-{port}");
        try (ServerSocket listener = servers.createServerSocket(0)) {
            assertThat(((ViaServerSocket) listener).endpoint()).isEqualTo("svc-" + listener.getLocalPort());
        }
    }

    @Test
    void anUnboundServerSocketBindsLaterAndReportsItsAddress() throws IOException {
        try (ServerSocket listener = servers.createServerSocket()) {
            assertThat(listener.isBound()).isFalse();
            assertThat(listener.getLocalPort()).isEqualTo(-1);
            listener.setReuseAddress(true); // set before bind, as MockWebServer and others do
            listener.setReceiveBufferSize(32_000);
            listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), PORT));
            assertThat(listener.isBound()).isTrue();
            assertThat(listener.getLocalPort()).isEqualTo(PORT);
            assertThat(listener.getInetAddress()).isEqualTo(InetAddress.getLoopbackAddress());
            assertThat(listener.getLocalSocketAddress())
                    .isEqualTo(new InetSocketAddress(InetAddress.getLoopbackAddress(), PORT));
            assertThat(listener.getReuseAddress()).isTrue();
            assertThat(listener.getReceiveBufferSize()).isEqualTo(32_000);
            assertThat(listener.getOption(StandardSocketOptions.SO_REUSEADDR)).isTrue();
            assertThat(listener.toString()).contains("localport=" + PORT);
        }
    }

    @Test
    void theWildcardBindOfNewServerSocketPortIsLocal() throws IOException {
        try (ServerSocket listener = servers.createServerSocket(PORT)) {
            assertThat(listener.getInetAddress().isAnyLocalAddress()).isTrue();
            try (Socket client = clients.createSocket(InetAddress.getLoopbackAddress(), PORT);
                    Socket accepted = listener.accept()) {
                assertThat(accepted.getLocalAddress().isLoopbackAddress()).isTrue();
                assertThat(accepted.getLocalPort()).isEqualTo(PORT);
            }
        }
    }

    @Test
    void unmappedPortsBindRealTcpWhenTheFallbackIsOn() throws IOException {
        map.unmapped(ViaAddressMap.Unmapped.TCP);
        try (ServerSocket listener = servers.createServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            assertThat(((ViaServerSocket) listener).isVia()).isFalse();
            listener.setSoTimeout(5_000);
            // a plain JDK client reaches it: it is a real TCP port
            try (Socket plain = new Socket(InetAddress.getLoopbackAddress(), listener.getLocalPort());
                    Socket accepted = listener.accept()) {
                plain.getOutputStream().write(4);
                accepted.setSoTimeout(5_000);
                assertThat(accepted.getInputStream().read()).isEqualTo(4);
            }
        }
    }
}
