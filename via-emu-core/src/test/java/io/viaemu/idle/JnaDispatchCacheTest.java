package io.viaemu.idle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;

import io.viaemu.testing.JvmProcess;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * JNA's {@code jnidispatch} is kept unpacked per user and content, always equal to the jar's, never in a directory
 * another user could write, and a fresh JVM's JNA loads the kept file instead of unpacking its own.
 */
class JnaDispatchCacheTest {

    @Test
    void keepsTheJarsLibraryAndMendsAFileThatDiffers(@TempDir Path tmp) throws IOException {
        byte[] jar = jarLibrary();
        assumeTrue(jar != null, "no jnidispatch for this platform in JNA's jar");
        Path dir = JnaDispatchCache.keep(tmp);
        assertThat(dir).isNotNull().startsWith(tmp);
        Path file = dir.resolve("libjnidispatch.so");
        assertThat(Files.readAllBytes(file)).isEqualTo(jar);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwx------");

        Files.write(file, new byte[] {1, 2, 3}); // a truncated or foreign file
        assertThat(JnaDispatchCache.keep(tmp)).isEqualTo(dir);
        assertThat(Files.readAllBytes(file)).isEqualTo(jar);

        byte[] corrupted = jar.clone(); // the right size, one bit wrong: its CRC-32 differs
        corrupted[corrupted.length / 2] ^= 0x10;
        Files.write(file, corrupted);
        assertThat(JnaDispatchCache.keep(tmp)).isEqualTo(dir);
        assertThat(Files.readAllBytes(file)).isEqualTo(jar);
        try (var left = Files.list(dir)) {
            assertThat(left.map(p -> p.getFileName().toString())).containsExactly("libjnidispatch.so");
        }
    }

    @Test
    void refusesADirectoryOthersCanWrite(@TempDir Path tmp) throws IOException {
        assumeTrue(jarLibrary() != null, "no jnidispatch for this platform in JNA's jar");
        Path dir = JnaDispatchCache.keep(tmp);
        Files.setPosixFilePermissions(dir.getParent(), PosixFilePermissions.fromString("rwxrwxrwx"));
        assertThatThrownBy(() -> JnaDispatchCache.keep(tmp)).isInstanceOf(IOException.class);
    }

    /** In a JVM of its own with an empty tmpdir: twice, so the second JVM finds the file the first one kept. */
    @Test
    void aFreshJvmsJnaLoadsTheKeptLibrary(@TempDir Path tmp) throws IOException {
        assumeTrue(LinuxCalls.BOUND && jarLibrary() != null, "no libc through JNA here");
        for (int run = 0; run < 2; run++) {
            try (JvmProcess jvm = JvmProcess.start(tmp, "jna-" + run, List.of("-Djava.io.tmpdir=" + tmp),
                    LoadsNative.class)) {
                assertThat(jvm.awaitExit(Duration.ofSeconds(60))).as(jvm.output()).isZero();
                assertThat(jvm.output()).contains("boot path " + tmp.resolve("via-emu-native-"))
                        .containsPattern("mapped " + tmp + "/via-emu-native-\\d+/[0-9a-f]+-\\d+/libjnidispatch.so");
            }
        }
    }

    /** Main of {@link #aFreshJvmsJnaLoadsTheKeptLibrary}: a native call, then where jnidispatch was loaded from. */
    public static final class LoadsNative {
        public static void main(String[] args) throws IOException {
            LinuxCalls.close(-1); // binds libc, initialising JNA's Native
            System.out.println("boot path " + System.getProperty(JnaDispatchCache.BOOT_PATH));
            for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
                if (line.endsWith("libjnidispatch.so")) {
                    System.out.println("mapped " + line.substring(line.indexOf('/')));
                }
            }
        }
    }

    private static byte[] jarLibrary() throws IOException {
        String arch = System.getProperty("os.arch", "");
        String prefix = arch.equals("amd64") ? "linux-x86-64" : arch.equals("aarch64") ? "linux-aarch64" : "none";
        try (InputStream in = JnaDispatchCacheTest.class.getClassLoader()
                .getResourceAsStream("com/sun/jna/" + prefix + "/libjnidispatch.so")) {
            return in == null ? null : in.readAllBytes();
        }
    }
}
