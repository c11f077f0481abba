package io.viaemu.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.concurrent.TimeUnit;

import io.viaemu.internal.JvmOptions;

/**
 * A separate JVM for tests: this test's classpath, the channel's JVM options, output to a file the test can wait on.
 * Every wait is bounded; {@link #close()} kills what is left.
 */
public final class JvmProcess implements AutoCloseable {
    private final String name;
    private final Process process;
    private final Path output;

    private JvmProcess(String name, Process process, Path output) {
        this.name = name;
        this.process = process;
        this.output = output;
    }

    /** Starts {@code mainClass} with {@code args}; extra JVM options (e.g. -Dkey=value) first. */
    public static JvmProcess start(Path logDir, String name, List<String> jvmOptions, Class<?> mainClass,
            String... args) {
        return start(logDir, name, JvmOptions.channelOptions(), jvmOptions, mainClass, args);
    }

    /** As {@link #start} but without the channel's JVM options: a JVM as a user who missed them starts it. */
    public static JvmProcess startWithoutChannelOptions(Path logDir, String name, List<String> jvmOptions,
            Class<?> mainClass, String... args) {
        return start(logDir, name, List.of(), jvmOptions, mainClass, args);
    }

    /**
     * As {@link #start}, the command passed through {@code wrap} first: for example {@code ip netns exec NS ...},
     * which execs the JVM, so the process is still the JVM (and a kill -9 of it is one).
     */
    public static JvmProcess startWrapped(UnaryOperator<List<String>> wrap, Path logDir, String name,
            List<String> jvmOptions, Class<?> mainClass, String... args) {
        return start(wrap, logDir, name, JvmOptions.channelOptions(), jvmOptions, mainClass, args);
    }

    private static JvmProcess start(Path logDir, String name, List<String> channelOptions, List<String> jvmOptions,
            Class<?> mainClass, String... args) {
        return start(UnaryOperator.identity(), logDir, name, channelOptions, jvmOptions, mainClass, args);
    }

    private static JvmProcess start(UnaryOperator<List<String>> wrap, Path logDir, String name,
            List<String> channelOptions, List<String> jvmOptions, Class<?> mainClass, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.addAll(channelOptions);
        cmd.addAll(TestTransport.peerJvmOptions()); // a suite run on another transport: the peers default to it too
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass.getName());
        cmd.addAll(List.of(args));
        try {
            Files.createDirectories(logDir);
            Path out = logDir.resolve(name + ".out");
            ProcessBuilder pb = new ProcessBuilder(wrap.apply(cmd)).redirectErrorStream(true)
                    .redirectOutput(out.toFile());
            return new JvmProcess(name, pb.start(), out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String name() {
        return name;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public long pid() {
        return process.pid();
    }

    public Process process() {
        return process;
    }

    public Path outputFile() {
        return output;
    }

    public String output() {
        try {
            return Files.exists(output) ? Files.readString(output, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "<unreadable: " + e + ">";
        }
    }

    /** Waits until the output contains {@code text}; fails with the output if it does not in time or the JVM ends. */
    public JvmProcess awaitOutput(String text, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (output().contains(text)) {
                return this;
            }
            if (!process.isAlive()) {
                if (output().contains(text)) {
                    return this;
                }
                throw new AssertionError(name + " exited (" + process.exitValue() + ") before printing '" + text
                        + "'. Output:\n" + output());
            }
            sleep(10);
        }
        throw new AssertionError(name + " did not print '" + text + "' within " + timeout + ". Output:\n" + output());
    }

    /** Waits for the exit; fails with the output on timeout. */
    public int awaitExit(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new AssertionError(name + " did not exit within " + timeout + ". Output:\n" + output());
            }
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** kill -9: the JVM gets no chance to run shutdown hooks or finish anything. */
    /** SIGKILL without waiting for the exit: to kill several processes at (almost) the same moment. */
    public void sigkill() {
        process.destroyForcibly();
    }

    public void kill9() {
        process.destroyForcibly(); // SIGKILL on Linux
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A polite stop (SIGTERM): shutdown hooks run. */
    public void terminate() {
        process.destroy();
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
