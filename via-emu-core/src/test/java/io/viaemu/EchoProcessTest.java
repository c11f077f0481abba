package io.viaemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import java.util.Random;

import io.viaemu.testapp.EchoServerMain;
import io.viaemu.testapp.TestConfigs;
import io.viaemu.testing.JvmProcess;
import io.viaemu.testing.SeparateProcessTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Client in this JVM, echo server in another: the byte stream, its streams view, timeouts and close. */
class EchoProcessTest extends SeparateProcessTest {

    @BeforeEach
    void startServer() {
        server = JvmProcess.start(tmp.resolve("logs"), "echo-server", List.of(), EchoServerMain.class,
                base.toString(), "echo").awaitOutput("LISTENING", Duration.ofSeconds(60));
    }

    private ViaConnection connect() throws IOException {
        return ViaClient.connect(TestConfigs.config(base, "none", 0), "echo");
    }

    @Test
    void roundTripsBytesInOrderAcrossProcesses() throws Exception {
        try (ViaConnection c = connect()) {
            Random random = new Random(42);
            for (int size : new int[] {1, 64, 4096, 100_000, 3 << 20}) { // the last is split into several documents
                byte[] sent = new byte[size];
                random.nextBytes(sent);
                c.send(sent);
                byte[] got = new byte[size];
                int off = 0;
                while (off < size) {
                    int n = c.receive(got, off, size - off, 10_000);
                    assertThat(n).isPositive();
                    off += n;
                }
                assertThat(got).isEqualTo(sent);
            }
        }
    }

    @Test
    void streamsViewAndReadTimeout() throws Exception {
        try (ViaConnection c = connect()) {
            OutputStream out = c.outputStream();
            InputStream in = c.inputStream();
            c.setReadTimeout(200);
            assertThatThrownBy(in::read).isInstanceOf(ViaTimeoutException.class); // nothing sent yet
            out.write("hello\n".getBytes());
            byte[] buf = new byte[6];
            assertThat(in.readNBytes(buf, 0, 6)).isEqualTo(6);
            assertThat(new String(buf)).isEqualTo("hello\n");
            assertThat(in.available()).isZero();
        }
    }

    @Test
    void shutdownOutputGivesTheServerEndOfStreamAndItClosesBack() throws Exception {
        try (ViaConnection c = connect()) {
            c.send("bye".getBytes());
            c.shutdownOutput();
            byte[] buf = new byte[16];
            int n = c.receive(buf, 0, buf.length, 10_000);
            assertThat(new String(buf, 0, n)).isEqualTo("bye");
            assertThat(c.receive(buf, 0, buf.length, 10_000)).isEqualTo(-1); // server closed after our EOF
            assertThatThrownBy(() -> c.send(new byte[1])).isInstanceOf(ViaException.class)
                    .hasMessageContaining("shut down");
        }
    }

    @Test
    void connectingToAnEndpointNobodyServesIsRefusedAtOnce() {
        long start = System.nanoTime();
        assertThatThrownBy(() -> ViaClient.connect(TestConfigs.config(base, "none", 0), "nobody-listens"))
                .isInstanceOf(ViaRefusedException.class)
                .hasMessageContaining("no server listens on endpoint 'nobody-listens'");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
    }

    @Test
    void aSecondServerOnTheSameEndpointIsRefused() {
        assertThatThrownBy(() -> ViaServer.listen(TestConfigs.config(base, "none", 0), "echo"))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("endpoint 'echo' already has a server (pid " + server.pid() + ")");
    }

    @Test
    void availableCountsWhatHasArrivedBeforeAnyReceive() throws Exception {
        try (ViaConnection c = connect()) {
            c.send(new byte[] {1, 2, 3});
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (c.available() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertThat(c.available()).isEqualTo(3);
        }
    }
}
