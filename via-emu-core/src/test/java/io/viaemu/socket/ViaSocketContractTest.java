package io.viaemu.socket;

import static io.viaemu.socket.SocketTestSupport.config;
import static io.viaemu.socket.SocketTestSupport.privateBaseDir;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import javax.net.ServerSocketFactory;
import javax.net.SocketFactory;

import io.viaemu.ViaConfig;
import io.viaemu.internal.EndpointLock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The java.net.Socket contract, checked on sockets from {@link ViaSocketFactory} connected to a
 * {@link ViaServerSocket} in this JVM over real queue files. Each test states one rule a TCP socket follows.
 * Every blocking call is bounded: socket timeouts where the test is not about them, and a preemptive timeout per
 * test.
 */
@Timeout(value = 20, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ViaSocketContractTest {

    private static final int PORT = 7000;
    private static final int READ_LIMIT_MS = 5_000;

    @TempDir
    Path tempDir;

    private ViaAddressMap map;
    private ViaConfig config;
    private SocketFactory clients;
    private ServerSocket listener;
    private Socket client;
    private Socket server;

    @BeforeEach
    void listen() throws IOException {
        config = config(privateBaseDir(tempDir));
        map = new ViaAddressMap().map(PORT, "contract");
        ViaServerSocketFactory servers = new ViaServerSocketFactory(config, map);
        clients = servers.socketFactory();
        listener = servers.createServerSocket(PORT, 50, InetAddress.getLoopbackAddress());
        listener.setSoTimeout(READ_LIMIT_MS);
    }

    /** Holds an endpoint like a server that never grants. */
    private Closeable hungServer;

    @AfterEach
    void closeAll() throws IOException {
        for (Closeable c : new Closeable[] {client, server, listener, hungServer}) {
            if (c != null) {
                c.close();
            }
        }
    }

    /** A connected pair: {@link #client} and the server's accepted {@link #server}, both with bounded reads. */
    private void connectPair() throws IOException {
        client = clients.createSocket("localhost", PORT);
        server = listener.accept();
        client.setSoTimeout(READ_LIMIT_MS);
        server.setSoTimeout(READ_LIMIT_MS);
    }

    @Test
    void bytesArriveInOrderAsOneStreamWithoutTheWritersMessageBoundaries() throws IOException {
        connectPair();
        OutputStream out = client.getOutputStream();
        out.write("hel".getBytes(StandardCharsets.US_ASCII));
        out.write("lo ".getBytes(StandardCharsets.US_ASCII));
        out.write("world".getBytes(StandardCharsets.US_ASCII));
        assertThat(new String(server.getInputStream().readNBytes(11), StandardCharsets.US_ASCII))
                .isEqualTo("hello world");

        // 3 MiB in one write: more than the largest via-emu document (1 MiB), so the connection splits it
        byte[] big = new byte[3 << 20];
        new Random(42).nextBytes(big);
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            try {
                server.getOutputStream().write(big);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        assertThat(client.getInputStream().readNBytes(big.length)).isEqualTo(big);
        writer.join();
    }

    @Test
    void readTimeoutThrowsSocketTimeoutExceptionAndTheSocketStaysUsable() throws Exception {
        connectPair();
        client.setSoTimeout(200);
        assertThat(client.getSoTimeout()).isEqualTo(200);
        InputStream in = client.getInputStream();

        long start = System.nanoTime();
        assertThatThrownBy(in::read).isInstanceOf(SocketTimeoutException.class);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(150));

        // the timeout spoilt nothing: the socket is open and the next byte arrives
        assertThat(client.isClosed()).isFalse();
        server.getOutputStream().write('x');
        client.setSoTimeout(READ_LIMIT_MS);
        assertThat(in.read()).isEqualTo('x');
    }

    @Test
    void shutdownOutputMakesThePeerReadEndOfStreamAndTheOtherDirectionStillWorks() throws IOException {
        connectPair();
        client.getOutputStream().write("request".getBytes(StandardCharsets.US_ASCII));
        client.shutdownOutput();
        assertThat(client.isOutputShutdown()).isTrue();
        assertThat(client.isClosed()).isFalse();

        InputStream serverIn = server.getInputStream();
        assertThat(new String(serverIn.readNBytes(7), StandardCharsets.US_ASCII)).isEqualTo("request");
        assertThat(serverIn.read()).isEqualTo(-1);

        // half-closed: the server answers after reading end of stream, as HTTP/1.0-style clients rely on
        server.getOutputStream().write("response".getBytes(StandardCharsets.US_ASCII));
        assertThat(new String(client.getInputStream().readNBytes(8), StandardCharsets.US_ASCII))
                .isEqualTo("response");

        assertThatThrownBy(() -> client.getOutputStream()).isInstanceOf(SocketException.class)
                .hasMessageContaining("shutdown");
    }

    @Test
    void writingAfterShutdownOutputThroughAnEarlierStreamThrows() throws IOException {
        connectPair();
        OutputStream out = client.getOutputStream();
        client.shutdownOutput();
        assertThatThrownBy(() -> out.write(1)).isInstanceOf(SocketException.class);
    }

    @Test
    void closeMakesThePeerReadEndOfStream() throws IOException {
        connectPair();
        client.getOutputStream().write(7);
        client.close();
        InputStream serverIn = server.getInputStream();
        assertThat(serverIn.read()).isEqualTo(7);
        assertThat(serverIn.read()).isEqualTo(-1);
    }

    @Test
    void serverCloseMakesTheClientReadEndOfStream() throws IOException {
        connectPair();
        server.close();
        assertThat(client.getInputStream().read()).isEqualTo(-1);
    }

    @Test
    void readingOrWritingAfterCloseThrowsSocketIsClosed() throws IOException {
        connectPair();
        InputStream in = client.getInputStream();
        OutputStream out = client.getOutputStream();
        client.close();

        assertThat(client.isClosed()).isTrue();
        assertThatThrownBy(in::read).isInstanceOf(SocketException.class).hasMessage("Socket is closed");
        assertThatThrownBy(() -> in.read(new byte[4])).isInstanceOf(SocketException.class)
                .hasMessage("Socket is closed");
        assertThatThrownBy(() -> out.write(1)).isInstanceOf(SocketException.class).hasMessage("Socket is closed");
        assertThatThrownBy(client::getInputStream).isInstanceOf(SocketException.class)
                .hasMessage("Socket is closed");
        assertThatThrownBy(client::getOutputStream).isInstanceOf(SocketException.class)
                .hasMessage("Socket is closed");
        client.close(); // closing twice is allowed
    }

    @Test
    void closingTheSocketFromAnotherThreadEndsABlockedRead() throws Exception {
        connectPair();
        client.setSoTimeout(0); // blocked for ever, but for the close
        CompletableFuture<Throwable> reader = CompletableFuture.supplyAsync(() -> {
            try {
                client.getInputStream().read();
                return null;
            } catch (Throwable t) {
                return t;
            }
        });
        Thread.sleep(200); // let it block
        assertThat(reader).isNotDone();
        client.close();
        assertThat(reader.get(5, TimeUnit.SECONDS)).isInstanceOf(SocketException.class)
                .hasMessage("Socket is closed");
    }

    @Test
    void closingTheInputStreamClosesTheSocket() throws IOException {
        connectPair();
        client.getInputStream().close();
        assertThat(client.isClosed()).isTrue();
        assertThat(server.getInputStream().read()).isEqualTo(-1);
    }

    @Test
    void availableCountsBytesThatHaveArrivedWithoutReadingThem() throws IOException {
        connectPair();
        InputStream in = client.getInputStream();
        assertThat(in.available()).isZero();

        server.getOutputStream().write("12345".getBytes(StandardCharsets.US_ASCII));
        // arrival is asynchronous: poll available() as code that avoids blocking reads does
        await().atMost(Duration.ofSeconds(10)).until(() -> in.available() > 0);
        assertThat(in.available()).isEqualTo(5);

        assertThat(new String(in.readNBytes(5), StandardCharsets.US_ASCII)).isEqualTo("12345");
        assertThat(in.available()).isZero();
    }

    @Test
    void connectedStateFlagsAndStreamIdentityAreThoseOfASocket() throws IOException {
        connectPair();
        assertThat(client.isConnected()).isTrue();
        assertThat(client.isBound()).isTrue();
        assertThat(client.isClosed()).isFalse();
        assertThat(client.isInputShutdown()).isFalse();
        assertThat(client.isOutputShutdown()).isFalse();
        assertThat(client.getInputStream()).isSameAs(client.getInputStream());
        assertThat(client.getOutputStream()).isSameAs(client.getOutputStream());
        assertThat(server.isConnected()).isTrue();
        assertThat(server.getInputStream()).isSameAs(server.getInputStream());

        InputStream in = client.getInputStream();
        client.shutdownInput();
        assertThat(client.isInputShutdown()).isTrue();
        server.getOutputStream().write(1);
        assertThat(in.read()).isEqualTo(-1); // input shut down: end of stream, whatever arrives
        assertThat(in.available()).isZero();
        assertThatThrownBy(client::getInputStream).isInstanceOf(SocketException.class)
                .hasMessage("Socket input is shutdown");
        assertThatThrownBy(client::shutdownInput).isInstanceOf(SocketException.class);

        client.close();
        assertThat(client.isClosed()).isTrue();
        assertThat(client.isConnected()).isTrue(); // as the JDK's: stays true after close
    }

    @Test
    void addressesAreTheMappedOnes() throws IOException {
        connectPair();
        assertThat(client.getInetAddress().isLoopbackAddress()).isTrue();
        assertThat(client.getPort()).isEqualTo(PORT);
        assertThat(client.getRemoteSocketAddress()).isEqualTo(new InetSocketAddress(client.getInetAddress(), PORT));
        assertThat(client.getLocalAddress().isLoopbackAddress()).isTrue();
        assertThat(client.getLocalPort()).isBetween(49152, 65535);

        assertThat(server.getLocalPort()).isEqualTo(PORT);
        assertThat(server.getLocalAddress().isLoopbackAddress()).isTrue();
        assertThat(server.getInetAddress().isLoopbackAddress()).isTrue();
        // the two ends agree on the client's port, as with TCP
        assertThat(server.getPort()).isEqualTo(client.getLocalPort());

        assertThat(listener.getLocalPort()).isEqualTo(PORT);
        assertThat(listener.getInetAddress().isLoopbackAddress()).isTrue();
        assertThat(client.toString()).contains("port=" + PORT);
    }

    @Test
    void tcpOptionsAreAcceptedAndRecorded() throws IOException {
        connectPair();
        client.setTcpNoDelay(true);
        client.setKeepAlive(true);
        client.setReceiveBufferSize(12_345);
        client.setSendBufferSize(54_321);
        client.setSoLinger(true, 5);
        client.setReuseAddress(true);
        client.setTrafficClass(0x10);
        client.setOOBInline(true);
        client.setPerformancePreferences(0, 1, 2);
        assertThat(client.getTcpNoDelay()).isTrue();
        assertThat(client.getKeepAlive()).isTrue();
        assertThat(client.getReceiveBufferSize()).isEqualTo(12_345);
        assertThat(client.getSendBufferSize()).isEqualTo(54_321);
        assertThat(client.getSoLinger()).isEqualTo(5);
        assertThat(client.getReuseAddress()).isTrue();
        assertThat(client.getTrafficClass()).isEqualTo(0x10);
        assertThat(client.getOOBInline()).isTrue();
        client.setSoLinger(false, 0);
        assertThat(client.getSoLinger()).isEqualTo(-1);

        // the JDK 9 option API
        client.setOption(StandardSocketOptions.TCP_NODELAY, false);
        assertThat(client.getOption(StandardSocketOptions.TCP_NODELAY)).isFalse();
        client.setOption(StandardSocketOptions.SO_LINGER, 3);
        assertThat(client.getOption(StandardSocketOptions.SO_LINGER)).isEqualTo(3);
        assertThat(client.supportedOptions()).contains(StandardSocketOptions.TCP_NODELAY,
                StandardSocketOptions.SO_KEEPALIVE, StandardSocketOptions.SO_RCVBUF);
        assertThatThrownBy(() -> client.setOption(StandardSocketOptions.IP_MULTICAST_TTL, 1))
                .isInstanceOf(UnsupportedOperationException.class);

        // and the connection still carries bytes
        client.getOutputStream().write(9);
        assertThat(server.getInputStream().read()).isEqualTo(9);
    }

    @Test
    void anAcceptedSocketGivesItsParentConnectionForForking() throws IOException {
        connectPair();
        ViaSocket accepted = (ViaSocket) server;
        ViaSocket connecting = (ViaSocket) client;
        assertThat(accepted.isVia()).isTrue();
        assertThat(accepted.endpoint()).isEqualTo("contract");
        assertThat(connecting.endpoint()).isEqualTo("contract");
        // one connection, seen from both ends
        assertThat(accepted.parentConnection().id()).isEqualTo(connecting.connection().id());
        assertThat(accepted.parentConnection().isForked()).isFalse();
        assertThatThrownBy(connecting::parentConnection).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void availableCountsArrivedBytesWithoutTakingThemOffTheConnection() throws IOException {
        connectPair();
        client.getOutputStream().write('a');
        InputStream serverIn = server.getInputStream();
        await().atMost(Duration.ofSeconds(10)).until(() -> serverIn.available() > 0);
        // still the connection's to give: a handover now would hand this byte to the worker
        assertThat(((ViaSocket) server).parentConnection().available()).isEqualTo(1);
        assertThat(serverIn.read()).isEqualTo('a');
    }

    @Test
    void anUnconnectedSocketConnectsLaterAsLibrariesDo() throws IOException {
        client = clients.createSocket();
        assertThat(client.isConnected()).isFalse();
        assertThat(client.getPort()).isZero();
        client.setSoTimeout(READ_LIMIT_MS); // options before connecting, as libraries set them
        client.setTcpNoDelay(true);
        client.connect(new InetSocketAddress("localhost", PORT), 3_000);
        server = listener.accept();
        assertThat(client.isConnected()).isTrue();
        assertThat(client.getTcpNoDelay()).isTrue();

        client.getOutputStream().write(42);
        assertThat(server.getInputStream().read()).isEqualTo(42);
        assertThatThrownBy(() -> client.connect(new InetSocketAddress("localhost", PORT)))
                .isInstanceOf(SocketException.class);
    }

    @Test
    void anUnresolvableHostNameWorksWithAHostEntryAndNoDns() throws IOException {
        map.map("echo.via.test", PORT, "contract");
        client = clients.createSocket();
        client.connect(InetSocketAddress.createUnresolved("echo.via.test", PORT), 3_000);
        server = listener.accept();
        assertThat(client.getInetAddress().getHostName()).isEqualTo("echo.via.test");
        assertThat(client.getInetAddress().isLoopbackAddress()).isTrue();
        client.getOutputStream().write(1);
        assertThat(server.getInputStream().read()).isEqualTo(1);
    }

    @Test
    void anUnmappedPortFailsWithAConnectExceptionNamingTheAddress() {
        assertThatThrownBy(() -> clients.createSocket("localhost", 7999)).isInstanceOf(ConnectException.class)
                .hasMessageContaining("localhost/127.0.0.1:7999").hasMessageContaining("via.socket.map.7999=");
    }

    @Test
    void aPortEntryDoesNotCaptureARemoteHost() throws IOException {
        // same port as the mapped one, but not a local address: unmapped (no packet is sent: the policy is FAIL)
        InetAddress remote = InetAddress.getByAddress("remote.example", new byte[] {(byte) 192, 0, 2, 1});
        assertThatThrownBy(() -> clients.createSocket(remote, PORT)).isInstanceOf(ConnectException.class)
                .hasMessageContaining("remote.example/192.0.2.1:" + PORT);
    }

    @Test
    void connectingWhereNoServerListensIsRefusedAtOnceLikeTcp() throws IOException {
        map.map(7006, "nobody-listens-at-all");
        client = new ViaSocketFactory(config, map).createSocket();
        long start = System.nanoTime();
        assertThatThrownBy(() -> client.connect(new InetSocketAddress("localhost", 7006), 5_000))
                .isInstanceOf(ConnectException.class).hasMessageContaining("Connection refused");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
    }

    @Test
    void aConnectTimeoutBoundsAConnectNobodyAnswers() throws IOException {
        map.map(7005, "nobody-listens");
        // a server that holds the endpoint but never grants (hung): only the connect timeout ends the wait
        hungServer = EndpointLock.acquire(config.baseDir().resolve("nobody-listens"),
                "nobody-listens");
        // the configuration's own connect timeout is long, so finishing well before it shows connect's timeout won
        ViaConfig patient = config.toBuilder().connectTimeout(Duration.ofSeconds(60)).build();
        client = new ViaSocketFactory(patient, map).createSocket();
        long start = System.nanoTime();
        assertThatThrownBy(() -> client.connect(new InetSocketAddress("localhost", 7005), 300))
                .isInstanceOf(SocketTimeoutException.class).hasMessageContaining("nobody-listens");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(250),
                Duration.ofSeconds(15));
    }

    @Test
    void unmappedAddressesUseRealTcpWhenTheFallbackIsOn() throws IOException {
        map.unmapped(ViaAddressMap.Unmapped.TCP);
        try (ServerSocket tcpServer = ServerSocketFactory.getDefault().createServerSocket(0, 50,
                InetAddress.getLoopbackAddress())) {
            tcpServer.setSoTimeout(READ_LIMIT_MS);
            client = clients.createSocket(InetAddress.getLoopbackAddress(), tcpServer.getLocalPort());
            try (Socket tcpPeer = tcpServer.accept()) {
                assertThat(((ViaSocket) client).isVia()).isFalse();
                assertThat(client.getPort()).isEqualTo(tcpServer.getLocalPort());
                assertThat(client.getLocalPort()).isEqualTo(tcpPeer.getPort());
                client.setTcpNoDelay(true);
                assertThat(client.getTcpNoDelay()).isTrue();
                client.getOutputStream().write(5);
                assertThat(tcpPeer.getInputStream().read()).isEqualTo(5);
                client.close();
                tcpPeer.setSoTimeout(READ_LIMIT_MS);
                assertThat(tcpPeer.getInputStream().read()).isEqualTo(-1);
            }
        }
        // mapped addresses still go over via-emu
        try (Socket mapped = clients.createSocket("localhost", PORT); Socket accepted = listener.accept()) {
            assertThat(((ViaSocket) mapped).isVia()).isTrue();
            mapped.getOutputStream().write(6);
            accepted.setSoTimeout(READ_LIMIT_MS);
            assertThat(accepted.getInputStream().read()).isEqualTo(6);
        }
    }
}
