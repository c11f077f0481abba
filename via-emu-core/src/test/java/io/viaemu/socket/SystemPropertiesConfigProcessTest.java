package io.viaemu.socket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.ConnectException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import io.viaemu.ViaConfig;
import io.viaemu.testing.JvmProcess;
import io.viaemu.testing.SeparateProcessTest;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Socket code configured by nothing but system properties with the starter's names (issue 9, item 7): a server JVM
 * running {@link ViaServerSocketFactory#fromSystemProperties()} with {@code -Dvia.base-dir}, a maximum of one
 * connection and a warm worker pool of one, and a client JVM with {@code -Dvia.base-dir} and a connect timeout.
 * The old factories read only {@code via.socket.base-dir} and the map, and failed without it.
 */
@Timeout(value = 180, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SystemPropertiesConfigProcessTest extends SeparateProcessTest {

    private static final int PORT = 7600;

    @Test
    void serverAndClientTakeEverySettingFromSystemProperties() throws Exception {
        server = JvmProcess.start(tmp.resolve("logs"), "server", List.of("-Dvia.base-dir=" + base,
                "-Dvia.socket.map." + PORT + "=upper", "-Dvia.max-connections=1", "-Dvia.worker.pool-size=1",
                "-Dvia.pauser=yielding", "-Dvia.timeouts.child-start=90s"), ClassicServerMain.class, "via",
                Integer.toString(PORT), "120").awaitOutput("LISTENING", Duration.ofSeconds(60));

        // the pool size reached the server: it starts one warm worker JVM, which announces itself under workers/
        Path workers = base.resolve("upper").resolve("workers");
        Awaitility.await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100))
                .until(() -> Files.isDirectory(workers) && countEntries(workers) == 1);

        // the maximum of one connection reached it: a second connection at once is refused by the server
        ViaConfig local = ViaConfig.fromProperties(Map.of("via.base-dir", base.toString(),
                "via.timeouts.connect", "20s"));
        ViaSocketFactory sockets = new ViaSocketFactory(local, new ViaAddressMap().map(PORT, "upper"));
        try (Socket first = sockets.createSocket("localhost", PORT)) {
            first.setSoTimeout(20_000);
            SocketTestSupport.writeLine(first, "one");
            assertThat(SocketTestSupport.readLine(first.getInputStream())).startsWith("UPPER ONE");
            assertThatThrownBy(() -> sockets.createSocket("localhost", PORT)).isInstanceOf(ConnectException.class)
                    .hasMessageContaining("maximum of 1");
        }

        // a client JVM configured by -Dvia.* alone converses once the first connection is gone
        client = JvmProcess.start(tmp.resolve("logs"), "client", List.of("-Dvia.base-dir=" + base,
                "-Dvia.socket.map." + PORT + "=upper", "-Dvia.timeouts.connect=20s", "-Dvia.pauser=backoff"),
                ClassicClientMain.class, "via", "localhost", Integer.toString(PORT), "hello", "BYE");
        Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .until(() -> client.output().contains("CLIENT DONE") || client.output().contains("CLIENT FAILED"));
        assertThat(client.output()).contains("REPLY UPPER HELLO").contains("CLIENT DONE");
    }

    private static long countEntries(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.count();
        }
    }
}
