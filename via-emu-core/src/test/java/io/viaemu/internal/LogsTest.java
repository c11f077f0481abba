package io.viaemu.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

import io.viaemu.ViaClient;
import io.viaemu.ViaConnection;
import io.viaemu.testapp.EchoServerMain;
import io.viaemu.testapp.TestConfigs;
import io.viaemu.testing.JvmProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * SLF4J's set-up kept off a fresh client's first connect ({@link Logs}), each case in a fresh JVM (this one's SLF4J
 * is long set up): the lines the connect made are written afterwards, all of them and in order.
 */
class LogsTest {
    private static final String LATE = "written late]";

    /** A logback configuration with via-emu's loggers at DEBUG, the thread in each line. */
    private static Path debugLogging(Path dir) throws IOException {
        Path xml = dir.resolve("logback-debug.xml");
        Files.writeString(xml, """
                <configuration>
                  <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
                    <encoder><pattern>%-5level [%thread] %logger - %msg%n</pattern></encoder>
                  </appender>
                  <logger name="io.viaemu" level="DEBUG"/>
                  <logger name="net.openhft" level="WARN"/>
                  <root level="INFO"><appender-ref ref="OUT"/></root>
                </configuration>
                """);
        return xml;
    }

    @Test
    void aFreshClientsFirstConnectSetsUpNoLoggingAndItsLinesAreWrittenAfter(@TempDir Path dir) throws Exception {
        Path base = dir.resolve("base");
        Path xml = debugLogging(dir);
        try (JvmProcess server = JvmProcess.start(dir.resolve("logs"), "echo-server", List.of(), EchoServerMain.class,
                base.toString(), "echo").awaitOutput("LISTENING", Duration.ofSeconds(60));
             JvmProcess client = JvmProcess.start(dir.resolve("logs"), "client",
                     List.of("-Dlogback.configurationFile=" + xml),
                     FirstConnect.class, base.toString())) {
            assertThat(client.awaitExit(Duration.ofSeconds(60))).as(client.output()).isZero();
            String out = client.output();
            // the connect's lines were made by the connecting thread before SLF4J was set up (else none would be
            // kept), and written by the warm-up thread, which set it up once the connect returned
            List<String> late = out.lines().filter(l -> l.endsWith(LATE)).toList();
            assertThat(late).as(out).isNotEmpty()
                    .allMatch(l -> l.startsWith("DEBUG [via-native-init] io.viaemu."), "a DEBUG line of via-emu")
                    .allMatch(l -> l.endsWith("[thread main, " + LATE), "made by the connecting thread");
            // among them the connect's own move (S43)
            assertThat(late).as(out).anyMatch(l -> l.contains("client: S43 connection permission (CONNECTING -> "
                    + "ESTABLISHED)"));
            // and before any line made after the connect (the close's), which are not late
            int lastLate = out.lastIndexOf(LATE);
            assertThat(out.indexOf("LOGGED AFTER")).isGreaterThan(lastLate);
            assertThat(out.substring(lastLate)).contains("io.viaemu.protocol - connection ");
        }
    }

    @Test
    void pastTheLimitTheNextLineSetsUpLoggingAndNoLineIsLost(@TempDir Path dir) throws Exception {
        try (JvmProcess jvm = JvmProcess.start(dir.resolve("logs"), "many", List.of(
                "-Dlogback.configurationFile=" + debugLogging(dir)), ManyLines.class)) {
            assertThat(jvm.awaitExit(Duration.ofSeconds(60))).as(jvm.output()).isZero();
            List<String> lines = jvm.output().lines().filter(l -> l.contains("line number ")).toList();
            int total = Logs.MAX_KEPT + 10;
            assertThat(lines).hasSize(total);
            for (int i = 0; i < total; i++) {
                assertThat(lines.get(i)).contains("line number " + i + " of")
                        .matches(i < Logs.MAX_KEPT ? ".*" + Pattern.quote(LATE) + "$" : ".*of \\d+$");
            }
        }
    }

    /** A fresh client: its first connect, what it kept then, an echo, and waits for its lines to be written. */
    public static final class FirstConnect {
        public static void main(String[] args) throws Exception {
            try (ViaConnection c = ViaClient.connect(TestConfigs.config(Path.of(args[0]), "none", 0), "echo")) {
                c.send(new byte[] {7});
                byte[] one = new byte[1];
                if (c.receive(one, 0, 1, 10_000) != 1 || one[0] != 7) {
                    throw new AssertionError("no echo");
                }
                long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                while (Logs.keptLines() > 0 && System.nanoTime() < deadline) {
                    Thread.sleep(5);
                }
                System.out.println("kept after the warm-up: " + Logs.keptLines());
            }
            LoggerFactory.getLogger(FirstConnect.class).info("LOGGED AFTER the close");
        }
    }

    /** More DEBUG lines than are kept, with an initialisation scheduled that never comes. */
    public static final class ManyLines {
        public static void main(String[] args) {
            Logs.initialiseLater();
            int total = Logs.MAX_KEPT + 10;
            for (int i = 0; i < total; i++) {
                Logs.debug("io.viaemu.test", "line number {} of {}", i, total);
            }
        }
    }
}
