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
 * One short end-to-end run of the harness (well under 20 s): every contender, one streaming figure with tiny counts
 * (a connect, bulk writes, the receiver's check of every byte and its acknowledgements). It checks that the peers
 * start, talk, verify their data and report; the numbers themselves are not checked. It does not take the
 * machine-wide bench lock.
 */
class BenchSmokeTest {

    @Test
    @Timeout(120)
    void tinyRunOfEveryContenderProducesTheTable() throws Exception {
        Path out = Path.of("target", "smoke", "bench-results.md");
        Files.deleteIfExists(out);
        int exit = BenchMain.run(new String[] {
                "--quick", "--no-lock", "--figures", "stream4k",
                "--stream-warmup-mib", "1", "--stream-mib", "4", "--stream-rounds", "1",
                "--timeout-sec", "30", "--out", out.toString()});
        assertEquals(0, exit, "a figure failed, see the test output");
        String table = Files.readString(out, StandardCharsets.UTF_8);
        for (String contender : Contenders.names()) {
            assertTrue(table.contains("| " + contender + " |"), () -> "no column for " + contender + ":\n" + table);
        }
        assertTrue(table.contains("| Stream, 4 KiB writes (MB/s) | "), table);
        assertTrue(table.contains("(1.00×)"), table);
        assertTrue(!table.contains("FAILED"), table);
    }

    /**
     * The round trips' warm-up is decided by the client (a count and a time); the server echoes until the message
     * the client marked as its last, for message sizes whose chunks a stream socket may split anywhere.
     */
    @Test
    @Timeout(120)
    void roundTripsEndAtTheClientsLastMessage() throws Exception {
        Path out = Path.of("target", "smoke", "bench-rtt-results.md");
        Files.deleteIfExists(out);
        int exit = BenchMain.run(new String[] {
                "--quick", "--no-lock", "--figures", "rtt64,rtt4k", "--contenders", "tcp,via",
                "--rtt-warmup", "50", "--rtt-warmup-ms", "20", "--rtt-iterations", "300",
                "--timeout-sec", "30", "--out", out.toString()});
        assertEquals(0, exit, "a figure failed, see the test output");
        String table = Files.readString(out, StandardCharsets.UTF_8);
        assertTrue(table.contains("| Round trip 64 B, p50 (µs) | "), table);
        assertTrue(table.contains("| Round trip 4 KiB, p50 (µs) | "), table);
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
