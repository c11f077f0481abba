package io.viaemu.socket;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.viaemu.socket.classic.ClassicUppercaseClient;
import io.viaemu.socket.classic.ClassicUppercaseServer;
import io.viaemu.testing.JvmProcess;
import io.viaemu.testing.SeparateProcessTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Classic blocking socket code ({@link ClassicUppercaseServer}: accept loop, thread per client;
 * {@link ClassicUppercaseClient}) in separate JVMs: once over via-emu, with factories from system properties, and
 * once over real TCP on the loopback address with the JDK's default factories. Same classes, same replies.
 */
@Timeout(value = 90, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ClassicSocketCodeAcrossProcessesTest extends SeparateProcessTest {

    private static final Duration START = Duration.ofSeconds(30);
    private static final Duration RUN = Duration.ofSeconds(30);
    private static final Pattern LISTENING = Pattern.compile("LISTENING port=(\\d+)");
    private static final Pattern PID = Pattern.compile(" pid=(\\d+)$");


    @Test
    void theClassicClassesReferenceNothingOfViaEmu() throws IOException {
        // "unchanged code" made checkable: the compiled classes name no via-emu type (only their own package)
        for (Class<?> c : List.of(ClassicUppercaseServer.class, ClassicUppercaseClient.class)) {
            String classFile;
            try (InputStream in = c.getResourceAsStream(c.getSimpleName() + ".class")) {
                classFile = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
            }
            Matcher m = Pattern.compile("io/viaemu/[A-Za-z0-9_/$]*").matcher(classFile);
            List<String> references = new ArrayList<>();
            while (m.find()) {
                references.add(m.group());
            }
            assertThat(references).as(c.getName()).isNotEmpty()
                    .allMatch(r -> r.startsWith("io/viaemu/socket/classic/"));
        }
    }

    @Test
    void classicServerAndClientsRunUnchangedInSeparateJvmsOverViaEmuAndOverTcp() throws Exception {
        Path logs = tmp.resolve("logs");
        List<String> viaOptions = List.of("-Dvia.socket.base-dir=" + base,
                "-Dvia.socket.map.7301=classic-upper");

        List<List<String>> overVia;
        try (JvmProcess server = JvmProcess.start(logs, "server-via", viaOptions, ClassicServerMain.class, "via",
                "7301", "80")) {
            server.awaitOutput("LISTENING port=7301", START);
            overVia = runTwoClients(logs, "via", viaOptions, "7301", server);
            assertThat(server.output()).contains("ACCEPTED remote port");
            for (List<String> replies : overVia) {
                assertThat(replies).allMatch(r -> r.equals("BYE") || r.endsWith(" pid=" + server.pid()));
            }
        }

        List<List<String>> overTcp;
        try (JvmProcess server = JvmProcess.start(logs, "server-tcp", List.of(), ClassicServerMain.class, "tcp", "0",
                "80")) {
            Matcher m = LISTENING.matcher(server.awaitOutput("LISTENING port=", START).output());
            assertThat(m.find()).isTrue();
            overTcp = runTwoClients(logs, "tcp", List.of(), m.group(1), server);
        }

        // the same unchanged code gives the same conversation over both (but for who answered)
        assertThat(withoutPids(overVia)).isEqualTo(withoutPids(overTcp)).containsExactly(
                List.of("UPPER HELLO pid=", "UPPER VIA EMU pid=", "BYE"),
                List.of("UPPER SECOND CLIENT pid=", "UPPER 3 LINES pid=", "UPPER DONE pid=", "BYE"));
    }

    /** Two client JVMs at once (the server serves them on two threads); their replies. */
    private static List<List<String>> runTwoClients(Path logs, String mode, List<String> options, String port,
            JvmProcess server) {
        String host = mode.equals("via") ? "localhost" : "127.0.0.1";
        try (JvmProcess a = JvmProcess.start(logs, "client-a-" + mode, options, ClassicClientMain.class, mode, host,
                port, "hello", "via emu");
                JvmProcess b = JvmProcess.start(logs, "client-b-" + mode, options, ClassicClientMain.class, mode,
                        host, port, "second client", "3 lines", "done")) {
            List<List<String>> result = new ArrayList<>();
            for (JvmProcess client : List.of(a, b)) {
                assertThat(client.awaitExit(RUN)).as("%s output:%n%s%nserver output:%n%s", mode, client.output(),
                        server.output()).isZero();
                assertThat(client.output()).contains("CLIENT DONE");
                result.add(replies(client.output()));
            }
            return result;
        }
    }

    private static List<String> replies(String output) {
        List<String> replies = new ArrayList<>();
        for (String line : output.split("\n")) {
            if (line.startsWith("REPLY ")) {
                replies.add(line.substring(6));
            }
        }
        return replies;
    }

    private static List<List<String>> withoutPids(List<List<String>> conversations) {
        List<List<String>> out = new ArrayList<>();
        for (List<String> c : conversations) {
            List<String> stripped = new ArrayList<>();
            for (String r : c) {
                stripped.add(PID.matcher(r).replaceAll(" pid="));
            }
            out.add(stripped);
        }
        return out;
    }
}
