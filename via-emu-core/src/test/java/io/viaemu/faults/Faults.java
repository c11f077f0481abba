package io.viaemu.faults;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import io.viaemu.ViaClient;
import io.viaemu.ViaConfig;
import io.viaemu.ViaConnection;
import io.viaemu.internal.Layout;
import io.viaemu.protocol.ConnectionQueues;
import io.viaemu.protocol.FlagBlock;
import io.viaemu.protocol.MessageType;
import io.viaemu.protocol.Messages;
import io.viaemu.testapp.FaultConfigs;
import io.viaemu.testing.JvmProcess;
import io.viaemu.transport.Channel;
import io.viaemu.transport.Transport;
import io.viaemu.transport.TransportFactory;

/** What the fault tests share: server JVMs, raw documents, bounded waits, the echo check. */
final class Faults {
    static final Duration STEP = Duration.ofSeconds(60);
    static final String EP = "ep";

    private Faults() {
    }

    /** Starts a server JVM with {@code via.test.*} properties and waits for LISTENING. */
    static JvmProcess startServer(Path tmp, String name, Map<String, String> props, Class<?> main, String... args) {
        return JvmProcess.start(tmp.resolve("logs"), name, FaultConfigs.jvmOptions(props), main, args)
                .awaitOutput("LISTENING", STEP);
    }

    /** A channel of this JVM's own on a queue directory, for writing documents no well-behaved peer would. */
    static Channel rawChannel(ViaConfig config, Path queueDir) {
        Transport transport = TransportFactory.create(config); // the configuration's, as the peers use
        Path connDir = queueDir.getParent();
        String name = queueDir.getFileName().toString();
        if ((name.equals("up") || name.equals("down")) && Files.exists(connDir.resolve("flags"))) {
            // a connection's queue rolls by size on its flag block's segment word, in every process that opens it
            try {
                FlagBlock flags = FlagBlock.open(connDir);
                return name.equals("up") ? ConnectionQueues.up(transport, connDir, flags, config)
                        : ConnectionQueues.down(transport, connDir, flags, config);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return transport.open(queueDir);
    }

    /** Appends {@code bytes} as one document, exactly as given (no header added). */
    static long appendRaw(Channel channel, byte[] bytes) {
        return channel.append(bytes, bytes.length, bytes, 0, 0);
    }

    static long append(Channel channel, Messages.Writer w) {
        return channel.append(w.bytes(), w.length(), w.bytes(), 0, 0);
    }

    static Messages.Writer doc(MessageType type) {
        return new Messages.Writer().start(type);
    }

    static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }

    static Path connDir(Path base, ViaConnection c) {
        return Layout.connectionDir(base, EP, Layout.parseId(c.id()));
    }

    /** A new client connects, and one round trip of {@code size} bytes comes back intact. */
    static void assertEchoWorks(ViaConfig config, String what) throws IOException {
        try (ViaConnection c = ViaClient.connect(config, EP)) {
            byte[] sent = ("still serving after " + what + " ").repeat(20).getBytes(StandardCharsets.UTF_8);
            c.send(sent);
            byte[] got = new byte[sent.length];
            int off = 0;
            while (off < got.length) {
                int n = c.receive(got, off, got.length - off, 10_000);
                assertThat(n).as("echo after " + what).isPositive();
                off += n;
            }
            assertThat(got).as("echo after " + what).isEqualTo(sent);
        }
    }

    /** Waits (bounded) until {@code condition} holds. */
    static void await(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("not within " + timeout + ": " + what);
            }
            sleep(10);
        }
    }

    /** Waits until the output written after {@code since} characters contains {@code text}; returns that output. */
    static String awaitOutputSince(JvmProcess p, int since, String text, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            String out = p.output();
            String tail = out.length() > since ? out.substring(since) : "";
            if (tail.contains(text)) {
                return tail;
            }
            if (System.nanoTime() - deadline > 0 || !p.process().isAlive()) {
                throw new AssertionError("'" + text + "' not in the output (alive=" + p.process().isAlive()
                        + ") within " + timeout + "; output since the action:\n" + tail);
            }
            sleep(10);
        }
    }

    /** The line of {@code output} that contains {@code text}. */
    static String line(String output, String text) {
        return output.lines().filter(l -> l.contains(text)).findFirst()
                .orElseThrow(() -> new AssertionError("no line with '" + text + "' in:\n" + output));
    }

    /** The entries of a directory; none if it does not exist. */
    static List<Path> list(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return new ArrayList<>(s.toList());
        } catch (NoSuchFileException gone) {
            return List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static long treeBytes(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return 0;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException gone) {
                    return 0;
                }
            }).sum();
        }
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
