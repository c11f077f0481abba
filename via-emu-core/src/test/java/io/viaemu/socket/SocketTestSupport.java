package io.viaemu.socket;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.stream.Stream;

import io.viaemu.ViaConfig;

/** What the socket tests share: a private base directory, a configuration with test-sized timeouts, line I/O. */
final class SocketTestSupport {

    private SocketTestSupport() {
    }

    /**
     * A base directory under a JUnit temp dir. The core refuses a base directory others can read or write, and
     * @TempDir is created with the umask's permissions, so the base is a subdirectory created rwx------.
     */
    static Path privateBaseDir(Path tempDir) throws IOException {
        return Files.createDirectory(tempDir.resolve("via"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }

    /**
     * A configuration for tests: a short connect timeout, so a test about a connect that nobody answers fails
     * fast; the rest as the defaults (all triggers T1-T4 on, no worker pool).
     */
    static ViaConfig config(Path baseDir) {
        return ViaConfig.builder(baseDir).connectTimeout(Duration.ofSeconds(5)).build();
    }

    /** Writes a line (\n) in one write. */
    static void writeLine(Socket s, String line) throws IOException {
        s.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Reads one line byte by byte, so nothing after it is taken off the socket (no read-ahead buffer). Null at end
     * of stream.
     */
    static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
            int b = in.read();
            if (b < 0) {
                return line.size() == 0 ? null : line.toString(StandardCharsets.UTF_8);
            }
            if (b == '\n') {
                return line.toString(StandardCharsets.UTF_8);
            }
            line.write(b);
        }
    }

    /** The contents of the worker logs under a base directory, for assertion messages. */
    static String workerLogs(Path baseDir) {
        StringBuilder sb = new StringBuilder();
        try (Stream<Path> files = Files.walk(baseDir)) {
            files.filter(p -> p.toString().endsWith(".log")).forEach(p -> {
                sb.append("==== ").append(p).append('\n');
                try {
                    sb.append(Files.readString(p)).append('\n');
                } catch (IOException e) {
                    sb.append("<unreadable: ").append(e).append(">\n");
                }
            });
        } catch (IOException e) {
            sb.append("<cannot list ").append(baseDir).append(": ").append(e).append(">");
        }
        return sb.toString();
    }
}
