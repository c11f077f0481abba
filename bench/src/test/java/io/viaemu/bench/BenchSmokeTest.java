package io.viaemu.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * One short end-to-end run of the harness (a few seconds): every contender, one figure of each kind, tiny counts.
 * It checks that the peers start, talk, verify their data and report; the numbers themselves are not checked.
 */
class BenchSmokeTest {

    @Test
    @Timeout(120)
    void tinyRunOfEveryContenderProducesTheTable() throws Exception {
        Path out = Path.of("target", "smoke", "bench-results.md");
        Files.deleteIfExists(out);
        int exit = BenchMain.run(new String[] {
                "--quick", "--figures", "rtt64,stream4k,connect",
                "--rtt-warmup", "200", "--rtt-iterations", "1000",
                "--stream-warmup-mib", "1", "--stream-mib", "4", "--stream-rounds", "1",
                "--connect-warmup", "1", "--connects", "3",
                "--timeout-sec", "30", "--out", out.toString()});
        assertEquals(0, exit, "a figure failed, see the test output");
        String table = Files.readString(out, StandardCharsets.UTF_8);
        for (String contender : Contenders.names()) {
            assertTrue(table.contains("| " + contender + " |"), () -> "no column for " + contender + ":\n" + table);
        }
        assertTrue(table.contains("| Round trip 64 B, p50 (µs) | "), table);
        assertTrue(table.contains("(1.00×)"), table);
        assertTrue(!table.contains("FAILED"), table);
    }

    @Test
    void jvmOptionsDropCommentsAndBlankLines() {
        List<String> options = JvmOptions.parse(List.of("# comment", "", "  --add-opens=a/b=ALL-UNNAMED  ",
                "-Dx=1 -Dy=2"));
        List<String> expected = Runtime.version().feature() >= 24
                ? List.of("--add-opens=a/b=ALL-UNNAMED", "-Dx=1", "-Dy=2", JvmOptions.UNSAFE_FLAG)
                : List.of("--add-opens=a/b=ALL-UNNAMED", "-Dx=1", "-Dy=2");
        assertEquals(expected, options);
    }
}
