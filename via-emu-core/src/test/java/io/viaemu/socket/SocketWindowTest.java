package io.viaemu.socket;

import static io.viaemu.socket.SocketTestSupport.config;
import static io.viaemu.socket.SocketTestSupport.privateBaseDir;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import io.viaemu.ViaConfig;
import io.viaemu.protocol.ConnectionEnd;
import io.viaemu.protocol.FlagBlock;
import io.viaemu.protocol.FlagBlock.Word;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** SO_SNDBUF and SO_RCVBUF of an emulated socket are the connection's flow-control windows. */
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SocketWindowTest {
    private static final int PORT = 7100;

    @TempDir
    Path tempDir;
    private ServerSocket listener;
    private Socket client;
    private Socket server;

    @BeforeEach
    void listen() throws IOException {
        ViaServerSocketFactory servers = new ViaServerSocketFactory(config(privateBaseDir(tempDir)),
                new ViaAddressMap().map(PORT, "window"));
        listener = servers.createServerSocket(PORT, 50, InetAddress.getLoopbackAddress());
        listener.setSoTimeout(5_000);
        client = servers.socketFactory().createSocket();
    }

    @AfterEach
    void close() throws IOException {
        for (Closeable c : new Closeable[] {client, server, listener}) {
            if (c != null) {
                c.close();
            }
        }
    }

    @Test
    void soSndbufSetBeforeConnectingIsTheSendWindow() throws Exception {
        client.setSendBufferSize(32 * 1024);
        connect();
        assertThat(client.getSendBufferSize()).isEqualTo(32 * 1024);
        assertBlocksAt(32 * 1024);
    }

    @Test
    void soRcvbufOfTheReceiverLimitsTheSender() throws Exception {
        connect();
        assertThat(client.getSendBufferSize()).as("unset: the configured window")
                .isEqualTo(ViaConfig.DEFAULT_SEND_WINDOW);
        server.setReceiveBufferSize(16 * 1024);
        assertBlocksAt(16 * 1024);
    }

    @Test
    void anAcceptedSocketInheritsTheListenersSoRcvbuf() throws Exception {
        listener.setReceiveBufferSize(12 * 1024);
        connect();
        assertThat(server.getReceiveBufferSize()).isEqualTo(12 * 1024);
        assertBlocksAt(12 * 1024);
    }

    @Test
    void closingTheSocketFromAnotherThreadEndsABlockedWrite() throws Exception {
        connect();
        client.setSendBufferSize(8 * 1024);
        CompletableFuture<Void> write = CompletableFuture.runAsync(() -> write(client, new byte[64 * 1024]));
        FlagBlock flags = flags();
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (flags.get(Word.UP_APPENDED) < 6 * 1024 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        Thread.sleep(100);
        assertThat(write).isNotDone();
        client.close();
        assertThatThrownBy(() -> write.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .hasRootCauseInstanceOf(SocketException.class);
    }

    private void assertBlocksAt(int window) throws Exception {
        byte[] data = new byte[8 * window];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) i;
        }
        CompletableFuture<Void> write = CompletableFuture.runAsync(() -> write(client, data));
        FlagBlock flags = flags();
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (flags.get(Word.UP_APPENDED) < window * 3L / 4 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        Thread.sleep(200);
        assertThat(write).as("the write blocks at the window").isNotDone();
        assertThat(flags.get(Word.UP_APPENDED)).isLessThanOrEqualTo(window);
        byte[] got = new byte[data.length];
        InputStream in = server.getInputStream();
        int off = 0;
        while (off < got.length) {
            int n = in.read(got, off, got.length - off);
            assertThat(n).isPositive();
            off += n;
        }
        write.get(5, TimeUnit.SECONDS);
        assertThat(got).isEqualTo(data);
    }

    private void connect() throws IOException {
        client.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), PORT), 5_000);
        server = listener.accept();
        server.setSoTimeout(5_000);
    }

    private FlagBlock flags() {
        return ((ConnectionEnd) ((ViaSocket) client).connection()).flags();
    }

    private static void write(Socket s, byte[] b) {
        try {
            s.getOutputStream().write(b);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
