package io.viaemu.nio.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.channels.SocketChannel;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import io.viaemu.nio.it.boot.BootWebAppMain;
import io.viaemu.testing.JvmProcess;
import io.viaemu.testing.SeparateProcessTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Unchanged NIO programs in separate JVMs, switched over to via-emu by the rules file alone ({@code -Dvia.conf}; the
 * via-emu-nio jar on the class path makes its provider the JVM's). Each test also shows the traffic did not go over
 * TCP: nothing listens on the mapped TCP port while the server serves it.
 */
@Timeout(value = 180, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class UnchangedNioStacksTest extends SeparateProcessTest {
    private static final int PORT = 7411;
    private static final Duration START = Duration.ofSeconds(60);

    private static void assertNoTcpListener(int port) {
        assertThatThrownBy(() -> {
            try (Socket s = new Socket()) { // this JVM has no rules: a real TCP connect
                s.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
            }
        }).isInstanceOf(ConnectException.class);
    }

    @Test
    void nettyEchoServerAndClientOverViaEmu() throws Exception {
        Path rules = NioSwitchOver.rulesFile(tmp, base, "bind *:" + PORT + " netty-echo",
                "connect *:" + PORT + " netty-echo");
        List<String> opts = NioSwitchOver.options(rules, null);
        server = JvmProcess.start(out, "netty-server", opts, NettyEchoServerMain.class, Integer.toString(PORT));
        server.awaitOutput("LISTENING", START);
        assertThat(server.output()).contains("via-emu server listening on endpoint 'netty-echo'");
        assertThat(Files.isDirectory(base.resolve("netty-echo"))).isTrue();
        assertNoTcpListener(PORT);

        client = JvmProcess.start(out, "netty-client", opts, NettyEchoClientMain.class, "localhost",
                Integer.toString(PORT), Integer.toString(1 << 20), "4");
        assertThat(client.awaitExit(Duration.ofSeconds(120))).as(client.output()).isZero();
        assertThat(client.output()).contains("OK 4 connections x 1048576 bytes echoed byte for byte");
    }

    @Test
    void oneSelectorServesViaAndTcpConnectionsAtOnce() throws Exception {
        int tcpPort = PORT + 1;
        Path rules = NioSwitchOver.rulesFile(tmp, base, "bind *:" + PORT + " mixed-echo",
                "connect *:" + PORT + " mixed-echo");
        Path agent = NioSwitchOver.agentJar(tmp);
        server = JvmProcess.start(out, "mixed-server", NioSwitchOver.options(rules, null),
                OneSelectorEchoServerMain.class, Integer.toString(PORT), Integer.toString(tcpPort));
        server.awaitOutput("LISTENING", START);
        assertThat(server.output()).contains("via-emu endpoint=mixed-echo").contains("tcp");
        assertNoTcpListener(PORT);

        // a classic client over via-emu (the agent's JVM-wide hook) and one over TCP (no rules), at the same time
        JvmProcess viaClient = JvmProcess.start(out, "via-client", NioSwitchOver.options(rules, agent),
                ClassicEchoClientMain.class, "localhost", Integer.toString(PORT), Integer.toString(3 << 20), "1");
        JvmProcess tcpClient = JvmProcess.start(out, "tcp-client", List.of(), ClassicEchoClientMain.class,
                "127.0.0.1", Integer.toString(tcpPort), Integer.toString(3 << 20), "2");
        try {
            assertThat(viaClient.awaitExit(Duration.ofSeconds(120))).as(viaClient.output()).isZero();
            assertThat(tcpClient.awaitExit(Duration.ofSeconds(120))).as(tcpClient.output()).isZero();
        } finally {
            viaClient.close();
            tcpClient.close();
        }
        assertThat(viaClient.output()).contains("OK 3145728 bytes"); // to a port nothing listens on over TCP
        assertThat(tcpClient.output()).contains("OK 3145728 bytes");
        assertThat(server.output()).contains("ACCEPTED ViaSocketChannel[via-emu endpoint=mixed-echo")
                .contains("ACCEPTED " + SocketChannel.class.getName() + "[connected");
    }

    @Test
    void jdkHttpServerWithHttpClientAndHttpUrlConnectionOverViaEmu() throws Exception {
        Path rules = NioSwitchOver.rulesFile(tmp, base, "bind *:" + PORT + " jdk-http",
                "connect localhost:" + PORT + " jdk-http");
        server = JvmProcess.start(out, "jdk-http-server", NioSwitchOver.options(rules, null), JdkHttpServerMain.class,
                Integer.toString(PORT));
        server.awaitOutput("LISTENING", START);
        assertThat(server.output()).contains("via-emu server listening on endpoint 'jdk-http'");
        assertNoTcpListener(PORT);
        String url = "http://localhost:" + PORT;

        client = JvmProcess.start(out, "http-client", NioSwitchOver.options(rules, null), JdkHttpClientMain.class,
                url, "8");
        assertThat(client.awaitExit(Duration.ofSeconds(150))).as(client.output()).isZero();
        assertThat(client.output()).contains("OK 8 concurrent clients");

        JvmProcess urlClient = JvmProcess.start(out, "url-client",
                NioSwitchOver.options(rules, NioSwitchOver.agentJar(tmp)), UrlConnectionClientMain.class, url);
        try {
            assertThat(urlClient.awaitExit(Duration.ofSeconds(120))).as(urlClient.output()).isZero();
        } finally {
            urlClient.close();
        }
        assertThat(urlClient.output()).contains("OK HttpURLConnection")
                .contains("classic sockets of this JVM go through via-emu");
    }

    @Test
    void springBootTomcatAppFetchedByHttpClientOverViaEmu() throws Exception {
        Path rules = NioSwitchOver.rulesFile(tmp, base, "bind *:" + PORT + " boot-web",
                "connect localhost:" + PORT + " boot-web");
        server = JvmProcess.start(out, "boot-server", NioSwitchOver.options(rules, null),
                BootWebAppMain.class, "--server.port=" + PORT, "--spring.main.banner-mode=off");
        server.awaitOutput("Started BootWebAppMain", Duration.ofSeconds(120));
        assertThat(server.output()).contains("Tomcat started on port " + PORT)
                .contains("via-emu server listening on endpoint 'boot-web'");
        assertNoTcpListener(PORT);

        client = JvmProcess.start(out, "http-client", NioSwitchOver.options(rules, null), JdkHttpClientMain.class,
                "http://localhost:" + PORT, "8");
        assertThat(client.awaitExit(Duration.ofSeconds(150))).as(client.output()).isZero();
        assertThat(client.output()).contains("OK 8 concurrent clients");
    }

    @Test
    void jetty12ServerFetchedByHttpClientOverViaEmu() throws Exception {
        Path rules = NioSwitchOver.rulesFile(tmp, base, "bind *:" + PORT + " jetty-web",
                "connect localhost:" + PORT + " jetty-web");
        server = JvmProcess.start(out, "jetty-server", NioSwitchOver.options(rules, null), JettyServerMain.class,
                Integer.toString(PORT));
        server.awaitOutput("LISTENING", START);
        assertThat(server.output()).contains("via-emu server listening on endpoint 'jetty-web'");
        assertNoTcpListener(PORT);

        client = JvmProcess.start(out, "http-client", NioSwitchOver.options(rules, null), JdkHttpClientMain.class,
                "http://localhost:" + PORT, "8");
        assertThat(client.awaitExit(Duration.ofSeconds(150))).as(client.output()).isZero();
        assertThat(client.output()).contains("OK 8 concurrent clients");
    }

    @Test
    void anAcceptedChannelHandedToAWorkerGoesOnThereByteForByte() throws Exception {
        Path rules = NioSwitchOver.rulesFile(tmp, base, "bind *:" + PORT + " nio-fork",
                "connect localhost:" + PORT + " nio-fork");
        server = JvmProcess.start(out, "forking-server", NioSwitchOver.options(rules, null),
                NioForkingServerMain.class, Integer.toString(PORT));
        server.awaitOutput("LISTENING", START);
        client = JvmProcess.start(out, "line-client", NioSwitchOver.options(rules, null), NioLineClientMain.class,
                "localhost", Integer.toString(PORT), Integer.toString(1 << 20));
        assertThat(client.awaitExit(Duration.ofSeconds(120))).as(client.output() + "\nserver:\n" + server.output())
                .isZero();
        assertThat(client.output()).contains("OK parent, then worker: 1048576 bytes");
        server.awaitOutput("HANDED OVER nio-fork", Duration.ofSeconds(10));
    }
}
