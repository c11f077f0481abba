package io.viaemu.cli;

import java.io.Console;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

import io.viaemu.inspect.ConnectionView;
import io.viaemu.inspect.EndpointView;
import io.viaemu.inspect.HandoverTimeline;
import io.viaemu.inspect.TimelineSvg;
import io.viaemu.inspect.ViaInspector;
import io.viaemu.inspect.WorkerView;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;
import tools.jackson.databind.ObjectWriter;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code via-emu}: what {@code ss} is for TCP, for a via-emu base directory. It reads flag blocks and queues
 * read-only ({@link ViaInspector}) and never writes, so it works on a running server and on what dead processes left.
 * Exit codes: 0 done, 1 no such connection, 2 bad usage or no base directory.
 */
@Command(name = "via-emu", mixinStandardHelpOptions = true, version = "via-emu 0.1.0",
        description = "Shows the endpoints, connections and workers of a via-emu base directory.",
        subcommands = {ViaEmuCommand.Ls.class, ViaEmuCommand.Show.class, ViaEmuCommand.Watch.class,
                ViaEmuCommand.Workers.class, ViaEmuCommand.Timeline.class},
        exitCodeOnInvalidInput = 2, exitCodeOnExecutionException = 2)
public final class ViaEmuCommand implements Runnable {
    static final int NOT_FOUND = 1;
    static final int USAGE = 2;

    @Option(names = {"-d", "--base-dir"}, scope = ScopeType.INHERIT, paramLabel = "DIR",
            defaultValue = "${env:VIA_BASE_DIR}",
            description = "The via-emu base directory (via.base-dir; default: the VIA_BASE_DIR environment variable).")
    Path baseDir;

    @Option(names = "--json", scope = ScopeType.INHERIT, description = "Print JSON (for scripts) instead of text.")
    boolean json;

    @Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(new PrintWriter(System.out, true, StandardCharsets.UTF_8),
                new PrintWriter(System.err, true, StandardCharsets.UTF_8), args));
    }

    /** Runs the command with these streams (tests call this); returns the exit code. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cl = new CommandLine(new ViaEmuCommand());
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof UserError u) {
                err.println("via-emu: " + u.getMessage());
                return u.exitCode;
            }
            if (e instanceof NoSuchFileException || e instanceof NotDirectoryException) {
                err.println("via-emu: " + describe(e));
                return USAGE;
            }
            err.println("via-emu: " + e);
            return USAGE;
        });
        int code = cl.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    private static String describe(Exception e) {
        if (e instanceof NoSuchFileException n) {
            return (n.getReason() == null ? "no such file" : n.getReason()) + ": " + n.getFile();
        }
        return e.getMessage();
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a command: ls, show, watch, workers, timeline");
    }

    /** A mistake of the caller's, said in one line. */
    static final class UserError extends RuntimeException {
        final int exitCode;

        UserError(String message, int exitCode) {
            super(message);
            this.exitCode = exitCode;
        }
    }

    ViaInspector inspector() throws IOException {
        if (baseDir == null || baseDir.toString().isEmpty()) {
            throw new UserError("no base directory: give --base-dir DIR or set VIA_BASE_DIR", USAGE);
        }
        return new ViaInspector(baseDir);
    }

    static final ObjectWriter JSON = JsonMapper.builder().build().writerWithDefaultPrettyPrinter();
    static final ObjectWriter JSON_LINE = JsonMapper.builder().build().writer();

    /** Base of the subcommands: the top command's options. */
    abstract static class Sub implements Callable<Integer> {
        @CommandLine.ParentCommand
        ViaEmuCommand top;
        @Spec
        CommandLine.Model.CommandSpec spec;

        PrintWriter out() {
            return spec.commandLine().getOut();
        }

        ConnectionView find(ViaInspector inspector, String id) throws IOException {
            Optional<ConnectionView> c;
            try {
                c = inspector.connection(id);
            } catch (IllegalArgumentException ambiguous) {
                throw new UserError(ambiguous.getMessage(), USAGE);
            }
            return c.orElseThrow(() -> new UserError("no connection '" + id + "' under " + inspector.base()
                    + " (closed connections are deleted; `via-emu ls` lists those on disk)", NOT_FOUND));
        }
    }

    @Command(name = "ls", description = "Every endpoint and connection: state, pids, flags, trigger, bytes in flight, disk.")
    static final class Ls extends Sub {
        @Override
        public Integer call() throws IOException {
            List<EndpointView> endpoints = top.inspector().endpoints();
            if (top.json) {
                out().println(JSON.writeValueAsString(ordered("baseDir", top.baseDir.toString(), "endpoints", endpoints)));
            } else {
                Text.endpoints(out(), top.baseDir, endpoints);
            }
            return 0;
        }
    }

    @Command(name = "show", description = "One connection with its flags, step stamps and the handover's durations.")
    static final class Show extends Sub {
        @Parameters(paramLabel = "ID", description = "Connection id (16 hex digits, or a unique prefix).")
        String id;

        @Override
        public Integer call() throws IOException {
            ConnectionView c = find(top.inspector(), id);
            if (top.json) {
                out().println(JSON.writeValueAsString(c));
            } else {
                Text.connection(out(), c);
            }
            return 0;
        }
    }

    @Command(name = "watch", description = "ls again and again until Ctrl-C (or --count refreshes).")
    static final class Watch extends Sub {
        @Option(names = {"-n", "--interval"}, defaultValue = "1s", paramLabel = "DURATION",
                description = "Time between refreshes, e.g. 500ms, 2s (default ${DEFAULT-VALUE}).",
                converter = DurationConverter.class)
        Duration interval;

        @Option(names = {"-c", "--count"}, defaultValue = "0", description = "Stop after this many refreshes (0: never).")
        int count;

        @Override
        public Integer call() throws IOException, InterruptedException {
            ViaInspector inspector = top.inspector();
            boolean terminal = !top.json && isTerminal();
            for (int i = 0; count <= 0 || i < count; i++) {
                if (i > 0) {
                    Thread.sleep(interval.toMillis());
                }
                List<EndpointView> endpoints = inspector.endpoints();
                if (top.json) {
                    // one document per line: a script reads the stream line by line
                    out().println(JSON_LINE.writeValueAsString(ordered("time", Instant.now().toString(),
                            "endpoints", endpoints)));
                } else {
                    if (terminal) {
                        out().print("\033[H\033[2J"); // home and clear, like watch(1)
                    }
                    out().println("every " + interval.toMillis() + " ms, " + Instant.now()
                            + (count > 0 ? " (" + (i + 1) + "/" + count + ")" : "  (Ctrl-C ends)"));
                    Text.endpoints(out(), top.baseDir, endpoints);
                }
                out().flush();
            }
            return 0;
        }
    }

    /**
     * Whether standard output is a terminal (then watch clears the screen). JDK 22+ gives a Console even when
     * output is redirected and says so through Console.isTerminal(), which JDK 17 (the target here) does not have.
     */
    static boolean isTerminal() {
        Console console = System.console();
        if (console == null) {
            return false;
        }
        try {
            return (Boolean) Console.class.getMethod("isTerminal").invoke(console);
        } catch (ReflectiveOperationException beforeJdk22) {
            return true;
        }
    }

    @Command(name = "workers", description = "Every worker directory: pid, alive, ready, the connection it serves.")
    static final class Workers extends Sub {
        @Override
        public Integer call() throws IOException {
            List<WorkerView> workers = top.inspector().workers();
            if (top.json) {
                out().println(JSON.writeValueAsString(workers));
            } else {
                Text.workers(out(), workers);
            }
            return 0;
        }
    }

    @Command(name = "timeline", description = "Writes one connection's handover timeline (as in the patent's Fig. 9) as SVG.")
    static final class Timeline extends Sub {
        @Parameters(paramLabel = "ID", description = "Connection id (16 hex digits, or a unique prefix).")
        String id;

        @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE", description = "The SVG file to write.")
        Path output;

        @Override
        public Integer call() throws IOException {
            ViaInspector inspector = top.inspector();
            ConnectionView c = find(inspector, id);
            HandoverTimeline t = inspector.timeline(c)
                    .orElseThrow(() -> new UserError("connection " + c.id() + " was deleted meanwhile", NOT_FOUND));
            Files.writeString(output, TimelineSvg.document(c, t), StandardCharsets.UTF_8);
            if (top.json) {
                out().println(JSON.writeValueAsString(ordered("connection", c.id(), "svg", output.toString(),
                        "steps", c.steps().size())));
            } else {
                out().println("wrote " + output + " (" + c.steps().size() + " steps"
                        + (t.pauseNanos() >= 0 ? ", pause " + HandoverTimeline.millis(t.pauseNanos()) : "") + ")");
            }
            return 0;
        }
    }

    /** A JSON object with its keys in this order. */
    static Map<String, Object> ordered(Object... keysAndValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return m;
    }

    /** "500ms", "2s", "1m", or ISO-8601 ("PT0.5S"). */
    static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String s) {
            String v = s.trim().toLowerCase(Locale.ROOT);
            Duration d;
            if (v.endsWith("ms")) {
                d = Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
            } else if (v.endsWith("s") && !v.startsWith("p")) {
                d = Duration.ofMillis(Math.round(Double.parseDouble(v.substring(0, v.length() - 1)) * 1000));
            } else if (v.endsWith("m") && !v.startsWith("p")) {
                d = Duration.ofMinutes(Long.parseLong(v.substring(0, v.length() - 1)));
            } else {
                d = Duration.parse(s.trim().toUpperCase(Locale.ROOT));
            }
            if (d.isNegative() || d.isZero()) {
                throw new CommandLine.TypeConversionException("interval must be positive: " + s);
            }
            return d;
        }
    }
}
