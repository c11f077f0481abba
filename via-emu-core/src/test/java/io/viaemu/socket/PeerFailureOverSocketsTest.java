package io.viaemu.socket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import io.viaemu.ViaConfig;
import io.viaemu.testing.JvmProcess;
import io.viaemu.testing.SeparateProcessTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A peer's death reaches socket code as TCP code expects it (issue 9, item 5): a {@link SocketException}
 * "Connection reset" with via-emu's reason appended, on reads and on writes, where via-emu used to throw a
 * SocketException carrying only its own reason ("connection ... failed: the parent process died and no handover
 * was possible"), which HTTP clients' retry logic does not recognise. Peers are separate JVMs killed with kill -9.
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class PeerFailureOverSocketsTest extends SeparateProcessTest {

    private static final int PORT = 7400;

    private ViaConfig config() {
        return SocketTestSupport.config(base);
    }

    @Test
    void aServerKilledWithoutHandoverResetsTheClientsConnection() throws Exception {
        server = JvmProcess.start(tmp.resolve("logs"), "server", List.of("-Dvia.socket.base-dir=" + base,
                "-Dvia.socket.map." + PORT + "=upper"), ClassicServerMain.class, "via", Integer.toString(PORT), "60")
                .awaitOutput("LISTENING", Duration.ofSeconds(60));
        ViaSocketFactory sockets = new ViaSocketFactory(config(), new ViaAddressMap().map(PORT, "upper"));
        try (Socket s = sockets.createSocket("localhost", PORT)) {
            s.setSoTimeout(20_000); // the death is noticed within the housekeeper's tick; this only bounds the test
            SocketTestSupport.writeLine(s, "hello");
            assertThat(SocketTestSupport.readLine(s.getInputStream())).startsWith("UPPER HELLO");

            server.kill9();

            InputStream in = s.getInputStream();
            assertThatThrownBy(in::read).isInstanceOf(SocketException.class)
                    .hasMessageStartingWith("Connection reset")
                    .hasMessageContaining("the parent process died");
            assertThatThrownBy(() -> SocketTestSupport.writeLine(s, "again")).isInstanceOf(SocketException.class)
                    .hasMessageStartingWith("Connection reset")
                    .hasMessageContaining("the parent process died");
        }
    }

    @Test
    void aClientKilledMidConnectionResetsTheServersSocket() throws Exception {
        ViaServerSocketFactory servers = new ViaServerSocketFactory(config(), new ViaAddressMap().map(PORT, "held"));
        try (ServerSocket listener = servers.createServerSocket(PORT)) {
            listener.setSoTimeout(60_000);
            client = JvmProcess.start(tmp.resolve("logs"), "client", List.of("-Dvia.socket.base-dir=" + base,
                    "-Dvia.socket.map." + PORT + "=held"), HoldingClientMain.class, "localhost",
                    Integer.toString(PORT), "60");
            try (Socket accepted = listener.accept()) {
                client.awaitOutput("CONNECTED", Duration.ofSeconds(60));
                accepted.setSoTimeout(20_000);
                assertThat(SocketTestSupport.readLine(accepted.getInputStream())).isEqualTo("HELLO");

                client.kill9();

                assertThatThrownBy(() -> accepted.getInputStream().read()).isInstanceOf(SocketException.class)
                        .hasMessageStartingWith("Connection reset")
                        .hasMessageContaining("the client process died");
            }
        }
    }

    @Test
    void aBaseDirectoryThatDoesNotExistIsAConnectExceptionNamingIt() {
        Path missing = tmp.resolve("no-such-base");
        ViaSocketFactory sockets = new ViaSocketFactory(ViaConfig.builder(missing).build(),
                new ViaAddressMap().map(PORT, "upper"));
        assertThatThrownBy(() -> sockets.createSocket("localhost", PORT)).isInstanceOf(ConnectException.class)
                .hasMessageStartingWith("Connection refused")
                .hasMessageContaining(missing.toString())
                .hasMessageContaining("does not exist");
    }
}
