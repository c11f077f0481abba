package io.viaemu.bench.handover;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A tiny run of the floor benchmark across its real processes: the chain completes and every cell is a figure. */
class WakeChainBenchTest {

    @Test
    @Timeout(120)
    void everyCaseRunsItsChainsAcrossThreeProcessesAndReportsBothFigures() throws Exception {
        String report = WakeChainBench.run(new String[] {"--rounds", "50", "--busy", "0,1", "--gap-us", "100"});
        assertTrue(report.contains("| p50 / p90 / p99 / max (µs) | 0 busy threads | 1 busy thread |"), report);
        List<String> rows = report.lines().filter(l -> l.startsWith("| trigger to the")).collect(Collectors.toList());
        assertEquals(2, rows.size(), report);
        for (String row : rows) {
            assertTrue(row.matches("\\| trigger to the [^|]+ \\|( [\\d,]+ / [\\d,]+ / [\\d,]+ / [\\d,]+ \\|){2}"),
                    () -> "two cells of four figures each: " + row);
        }
        assertTrue(report.contains("load after: "), report);
    }
}
