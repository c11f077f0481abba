package io.viaemu.aeron;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.viaemu.internal.JvmOptions;

/**
 * A separate JVM inside a network namespace ({@code ip netns exec NS java ...}, which execs the JVM: the process
 * is the JVM, so a kill -9 of it is one), the pattern of the core's {@code JvmProcess}: this test's classpath, the
 * channel's JVM options, output to a file. Every wait is bounded; {@link #close()} kills what is left.
 */
final class NsJvm implements AutoCloseable {
    private final String name;
    private final Process process;
    private final Path output;

    private NsJvm(String name, Process process, Path output) {
        this.name = name;
        this.process = process;
        this.output = output;
    }

    static NsJvm start(String ns, Path logDir, String name, List<String> jvmOptions, Class<?> mainClass,
            String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.addAll(JvmOptions.channelOptions());
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass.getName());
        cmd.addAll(List.of(args));
        try {
            Files.createDirectories(logDir);
            Path out = logDir.resolve(name + ".out");
            ProcessBuilder pb = new ProcessBuilder(NetnsPair.inNamespace(ns, cmd)).redirectErrorStream(true)
                    .redirectOutput(out.toFile());
            return new NsJvm(name, pb.start(), out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    long pid() {
        return process.pid();
    }

    String name() {
        return name;
    }

    String output() {
        try {
            return Files.exists(output) ? Files.readString(output, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "<unreadable: " + e + ">";
        }
    }

    NsJvm awaitOutput(String text, Duration timeout) {
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

    int awaitExit(Duration timeout) {
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

    void kill9() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    boolean isAlive() {
        return process.isAlive();
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
