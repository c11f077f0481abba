package io.viaemu.setup;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import io.viaemu.ViaSetupException;
import io.viaemu.testing.JvmProcess;
import io.viaemu.testing.SeparateProcessTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A JVM started without via-emu's JVM options (issue 9, item 3): every entry point, the core API, the socket
 * factories and a third-party HTTP server that binds through a ServerSocketFactory, must fail at once with a
 * {@link ViaSetupException} naming the missing options and the file that lists them; none may hang or throw
 * Chronicle's AssertionError.
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class MissingJvmOptionsTest extends SeparateProcessTest {

    private static final List<String> ENTRY_POINTS = List.of("ViaServer.listen", "ViaClient.connect",
            "ServerSocket.bind", "ServerSocketFactory.createServerSocket", "SocketFactory.createSocket",
            "Socket.connect", "MockWebServer.start", "WorkerMain.main");

    @Test
    void everyEntryPointFailsWithAClearSetupExceptionAndNoneHangs() {
        try (JvmProcess p = JvmProcess.startWithoutChannelOptions(out, "bare", List.of(), EntryPointsMain.class,
                base.toString())) {
            p.awaitOutput("DONE", Duration.ofSeconds(100));
            System.out.println(p.output());
            Map<String, String> outcomes = p.output().lines().filter(l -> l.startsWith("ENTRY "))
                    .map(l -> l.substring("ENTRY ".length()).split(" -> ", 2))
                    .collect(Collectors.toMap(a -> a[0], a -> a[1], (a, b) -> a));
            assertThat(outcomes.keySet()).as(p.output()).containsExactlyInAnyOrderElementsOf(ENTRY_POINTS);
            for (String entry : ENTRY_POINTS) {
                assertThat(outcomes.get(entry)).as(entry)
                        .startsWith(ViaSetupException.class.getName() + ": ")
                        .contains("--add-opens=java.base/sun.nio.ch=ALL-UNNAMED")
                        .contains("META-INF/via-emu/jvm.args")
                        .doesNotContain("AssertionError");
            }
        }
    }
}
