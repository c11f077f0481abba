package io.viaemu.logging;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import io.viaemu.internal.JvmOptions;
import io.viaemu.testing.JvmProcess;
import io.viaemu.testing.SeparateProcessTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Chronicle's routine chatter stays out of the application's log (issue 9, item 6): a JVM that opens connections over
 * via-emu sockets with logback at INFO for every logger (Chronicle's included) logs no INFO line from Chronicle, in
 * particular not "Took N ms to add mapping for ..." per new connection, which Chronicle's performance handler
 * ({@code Jvm.perf()}) logged at INFO before, along with "Took N ms to pollDiskSpace for ...". The one line Chronicle
 * logs at start-up ("Chronicle core loaded from ...") has no switch but the logger's level, and is allowed.
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ChronicleChatterTest extends SeparateProcessTest {

    @Test
    void noChronicleInfoLinesWithTheModuleOptionsOnly() throws Exception {
        // only the --add-opens/--add-exports of jvm.args: the -D switches come from via-emu itself
        List<String> moduleOptionsOnly = JvmOptions.channelOptions().stream().filter(o -> !o.startsWith("-D"))
                .collect(Collectors.toList());
        assertNoChronicleInfo(JvmProcess.startWithoutChannelOptions(out, "modules-only",
                concat(moduleOptionsOnly, logbackAtInfo()), ConnectionsAtInfoMain.class, base.toString(), "6"));
    }

    @Test
    void noChronicleInfoLinesWithTheWholeList() throws Exception {
        assertNoChronicleInfo(JvmProcess.start(out, "whole-list", logbackAtInfo(), ConnectionsAtInfoMain.class,
                base.toString(), "6"));
    }

    @Test
    void theUserCanTurnChroniclesPerformanceLogBackOn() throws Exception {
        // what the README says: -Ddisable.perf.info=false after the list; not asserting Chronicle logs something
        // (it logs a mapping only when it took over 2 ms), only that via-emu does not override the user's choice
        try (JvmProcess p = JvmProcess.start(out, "perf-on", concat(logbackAtInfo(),
                List.of("-Ddisable.perf.info=false")), PrintPropertyMain.class, base.toString())) {
            p.awaitOutput("DONE", Duration.ofSeconds(60));
            assertThat(p.output()).contains("disable.perf.info=false");
        }
    }

    private void assertNoChronicleInfo(JvmProcess process) {
        try (JvmProcess p = process) {
            p.awaitOutput("DONE", Duration.ofSeconds(90));
            String output = p.output();
            System.out.println(output);
            assertThat(output).as("logback ran at INFO: via-emu's own INFO line is there")
                    .contains("INFO io.viaemu.ViaServer - via-emu server listening");
            assertThat(output).doesNotContain("to add mapping").doesNotContain("to pollDiskSpace");
            // Chronicle logs where it was loaded from once at start-up, with no switch but the logger's level
            assertThat(output.lines().filter(l -> l.startsWith("INFO net.openhft"))
                    .filter(l -> !l.startsWith("INFO net.openhft.chronicle.core.Jvm - Chronicle core loaded from")))
                    .as("Chronicle's INFO lines").isEmpty();
        }
    }

    private List<String> logbackAtInfo() throws Exception {
        Path xml = tmp.resolve("logback-info.xml");
        Files.writeString(xml, "<configuration>\n"
                + "  <appender name=\"OUT\" class=\"ch.qos.logback.core.ConsoleAppender\">\n"
                + "    <encoder><pattern>%level %logger - %msg%n</pattern></encoder>\n"
                + "  </appender>\n"
                + "  <root level=\"INFO\"><appender-ref ref=\"OUT\"/></root>\n"
                + "</configuration>\n");
        return List.of("-Dlogback.configurationFile=" + xml);
    }

    private static List<String> concat(List<String> a, List<String> b) {
        return Stream.concat(a.stream(), b.stream()).collect(Collectors.toList());
    }
}
