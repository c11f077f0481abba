package io.viaemu.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import io.viaemu.inspect.BytesInFlight;
import io.viaemu.inspect.ConnectionView;
import io.viaemu.inspect.EndpointView;
import io.viaemu.inspect.WorkerView;

/** The command's text output: tables a person reads in a terminal. */
final class Text {
    private static final String CONNECTION_ROW = "  %-16s  %-12s  %-14s  %-14s  %-14s  %-6s  %-11s  %-4s  %11s  %9s  %9s%n";

    private Text() {
    }

    static void endpoints(PrintWriter out, Path base, List<EndpointView> endpoints) {
        if (endpoints.isEmpty()) {
            out.println("no via-emu endpoints under " + base);
            return;
        }
        for (EndpointView e : endpoints) {
            out.printf(Locale.ROOT, "endpoint %s  server %s  connections %d  workers %d  disk %s%n", e.name(),
                    e.server().pid() == 0 ? "none" : "pid " + e.server().describe(), e.connections().size(),
                    e.workers().size(), bytes(e.diskBytes()));
            if (e.connections().isEmpty()) {
                continue;
            }
            out.printf(Locale.ROOT, CONNECTION_ROW, "ID", "STATE", "CLIENT", "PARENT", "CHILD", "FLAGS", "INTERMIT",
                    "TRIG", "UNCONSUMED", "COPIED", "DISK");
            for (ConnectionView c : e.connections()) {
                BytesInFlight f = c.bytesInFlight();
                out.printf(Locale.ROOT, CONNECTION_ROW, c.id(), c.state(), c.client().describe(),
                        c.parent().describe(), c.child().describe(), flags(c.flags()),
                        String.valueOf(c.flags().get("transmissionIntermission")),
                        c.triggerFired() == null ? "-" : c.triggerFired().substring(0, 2),
                        f.upUnconsumed() == null ? "-" : (f.upUnconsumedExact() ? "" : ">=") + f.upUnconsumed(),
                        f.copied(), bytes(c.diskBytes()));
            }
        }
        out.println("FLAGS: P C copy-request data-received reconnection-completion, '-' where clear. UNCONSUMED: bytes "
                + "the client sent that the server has not consumed (known from EMU_FORK to the handover).");
    }

    /** The five boolean flags as letters, like ls -l's mode: "PC-dR". */
    static String flags(Map<String, Object> flags) {
        return "" + letter(flags, "P", 'P') + letter(flags, "C", 'C') + letter(flags, "copyRequest", 'c')
                + letter(flags, "dataReceived", 'd') + letter(flags, "reconnectionCompletion", 'R');
    }

    private static char letter(Map<String, Object> flags, String name, char c) {
        return Boolean.TRUE.equals(flags.get(name)) ? c : '-';
    }

    static void connection(PrintWriter out, ConnectionView c) {
        out.printf(Locale.ROOT, "connection %s  endpoint %s  state %s%n", c.id(), c.endpoint(), c.state());
        out.printf(Locale.ROOT, "  client %s  parent %s  child %s  worker %s%n", c.client().describe(),
                c.parent().describe(), c.child().describe(), c.workerId() == null ? "-" : c.workerId());
        out.printf(Locale.ROOT, "  flags: P=%s C=%s copy-request=%s data-received=%s reconnection-completion=%s "
                + "transmission-intermission=%s%n", c.flags().get("P"), c.flags().get("C"),
                c.flags().get("copyRequest"), c.flags().get("dataReceived"), c.flags().get("reconnectionCompletion"),
                c.flags().get("transmissionIntermission"));
        out.printf(Locale.ROOT, "  triggers enabled %s, fired %s%n", c.triggersEnabled().isEmpty() ? "none"
                : c.triggersEnabled(), c.triggerFired() == null ? "none" : c.triggerFired());
        BytesInFlight f = c.bytesInFlight();
        out.printf(Locale.ROOT, "  bytes: unconsumed by the server %s, copied at the handover %d, appended (quota) %d;"
                + " disk %s%n", f.upUnconsumed() == null ? "unknown" : (f.upUnconsumedExact() ? "" : ">=")
                        + f.upUnconsumed(), f.copied(), f.appended(), bytes(c.diskBytes()));
        if (c.error() != null) {
            out.println("  error: " + c.error());
        }
        for (Map.Entry<String, Instant> e : c.timestamps().entrySet()) {
            out.printf(Locale.ROOT, "  %-22s %s%n", e.getKey(), e.getValue());
        }
        if (!c.steps().isEmpty()) {
            out.printf(Locale.ROOT, "  %-40s %-6s %-6s %12s %12s %12s%n", "STEP", "FROM", "TO", "SENT ms",
                    "NOTICED ms", "TRANSIT ms");
            for (ConnectionView.StepView s : c.steps()) {
                out.printf(Locale.ROOT, "  %-40s %-6s %-6s %12.3f %12s %12s%n", s.label(), s.from(),
                        s.to() == null ? "" : s.to(), s.sentMs(), ms(s.receivedMs()), ms(s.transitMs()));
            }
        }
        if (c.pauseMicros() >= 0) {
            out.printf(Locale.ROOT, "  pause (trigger to completion) %.3f ms:", c.pauseMicros() / 1000.0);
            for (ConnectionView.SegmentView g : c.pauseSteps()) {
                out.printf(Locale.ROOT, " %s %.3f", g.step(), g.ms());
            }
            out.println();
        }
    }

    static void workers(PrintWriter out, List<WorkerView> workers) {
        if (workers.isEmpty()) {
            out.println("no worker directories");
            return;
        }
        out.printf(Locale.ROOT, "%-10s  %-16s  %-14s  %-5s  %-16s  %9s%n", "ENDPOINT", "WORKER", "PID", "READY",
                "CONNECTION", "DISK");
        for (WorkerView w : workers) {
            out.printf(Locale.ROOT, "%-10s  %-16s  %-14s  %-5s  %-16s  %9s%n", w.endpoint(), w.id(),
                    w.process().describe(), w.ready() ? "yes" : "no", w.connectionId() == null ? "-" : w.connectionId(),
                    bytes(w.diskBytes()));
        }
    }

    private static String ms(Double v) {
        return v == null ? "-" : String.format(Locale.ROOT, "%.3f", v);
    }

    static String bytes(long b) {
        if (b < 0) {
            return "?";
        }
        if (b < 1024) {
            return b + " B";
        }
        if (b < 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f KiB", b / 1024.0);
        }
        return String.format(Locale.ROOT, "%.1f MiB", b / (1024.0 * 1024));
    }
}
