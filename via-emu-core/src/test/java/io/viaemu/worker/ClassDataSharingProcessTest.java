package io.viaemu.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

import io.viaemu.ViaClient;
import io.viaemu.ViaConnection;
import io.viaemu.protocol.FlagBlock;
import io.viaemu.testapp.ForkingEchoServerMain;
import io.viaemu.testapp.TestConfigs;
import io.viaemu.testing.JvmProcess;
import io.viaemu.testing.SeparateProcessTest;
import org.junit.jupiter.api.Test;

/**
 * A worker that served its connection and exited leaves a class-data archive behind (dynamic CDS on this JDK 17,
 * the AOT cache on 24+), and the next cold worker starts from it without the JVM refusing it.
 */
class ClassDataSharingProcessTest extends SeparateProcessTest {

    @Test
    void theFirstWorkerTrainsAndTheNextStartsFromTheArchive() throws Exception {
        // The JVM archives classes from jar files only: workers run from jars of this build's class directories.
        server = JvmProcess.start(out, "server", List.of(), ForkingEchoServerMain.class, base.toString(), "ep", "0",
                jarredClassPath()).awaitOutput("LISTENING", Duration.ofSeconds(60));
        Path archives = base.resolve(ClassDataSharing.DIRECTORY);

        long firstWorker;
        try {
            firstWorker = echoThroughAForkedWorker();
        } catch (AssertionError e) {
            throw new AssertionError("first worker failed; " + listing(base), e);
        }
        String firstCmdline = Files.readString(Path.of("/proc/" + firstWorker + "/cmdline")).replace('\0', ' ');
        assertThat(firstCmdline).as("the first worker trains").contains(
                Runtime.version().feature() >= 24 ? "-XX:AOTCacheOutput=" : "-XX:ArchiveClassesAtExit=");
        awaitExit(firstWorker);
        Path archive = awaitArchive(archives, server);

        long secondWorker;
        try {
            secondWorker = echoThroughAForkedWorker();
        } catch (AssertionError e) {
            throw new AssertionError("second worker failed; " + listing(base), e);
        }
        String cmdline = Files.readString(Path.of("/proc/" + secondWorker + "/cmdline")).replace('\0', ' ');
        assertThat(cmdline).contains((Runtime.version().feature() >= 24 ? "-XX:AOTCache=" : "-XX:SharedArchiveFile=")
                + archive);
        awaitExit(secondWorker);
        try (Stream<Path> logs = Files.list(base.resolve("ep").resolve("logs"))) {
            for (Path log : (Iterable<Path>) logs::iterator) {
                assertThat(Files.readString(log, StandardCharsets.UTF_8)).as(log.toString())
                        .doesNotContain("Unable to use shared archive").doesNotContain("[error]");
            }
        }
    }

    /** This JVM's class path with every directory replaced by a jar of its contents. */
    private String jarredClassPath() throws IOException {
        List<String> entries = new ArrayList<>();
        int n = 0;
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path p = Path.of(e);
            if (!Files.isDirectory(p)) {
                entries.add(e);
                continue;
            }
            Path jar = tmp.resolve("classes-" + n++ + ".jar");
            try (JarOutputStream j = new JarOutputStream(Files.newOutputStream(jar)); Stream<Path> files = Files.walk(p)) {
                for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                    j.putNextEntry(new JarEntry(p.relativize(f).toString().replace(File.separatorChar, '/')));
                    Files.copy(f, j);
                    j.closeEntry();
                }
            }
            entries.add(jar.toString());
        }
        return String.join(File.pathSeparator, entries);
    }

    private static String listing(Path dir) throws Exception {
        StringBuilder sb = new StringBuilder();
        try (Stream<Path> s = Files.walk(dir)) {
            s.forEach(p -> sb.append(p).append('\n'));
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                if (p.toString().endsWith(".log")) {
                    sb.append(Files.readString(p));
                }
            }
        }
        return sb.toString();
    }

    /** Connects, echoes through the forked worker, closes; returns the worker's pid. */
    private long echoThroughAForkedWorker() throws Exception {
        try (ViaConnection c = ViaClient.connect(TestConfigs.config(base, "T1", 0), "ep")) {
            c.send("ping".getBytes(StandardCharsets.UTF_8));
            byte[] buf = new byte[4];
            int off = 0;
            while (off < 4) {
                int n = c.receive(buf, off, 4 - off, 30_000);
                assertThat(n).isPositive();
                off += n;
            }
            assertThat(new String(buf, StandardCharsets.UTF_8)).isEqualTo("ping");
            return childPid(c.id());
        }
    }

    private long childPid(String id) throws Exception {
        FlagBlock flags = FlagBlock.openReadOnly(base.resolve("ep").resolve("conn").resolve(id));
        return flags.get(FlagBlock.Word.CHILD_PID);
    }

    private static void awaitExit(long pid) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
            assertThat(System.nanoTime() < deadline).as("worker " + pid + " exits after its connection").isTrue();
            Thread.sleep(20);
        }
    }

    private static Path awaitArchive(Path dir, JvmProcess server) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.isDirectory(dir)) {
                try (Stream<Path> s = Files.list(dir)) {
                    List<Path> archives = s.filter(p -> p.toString().endsWith(".jsa") || p.toString().endsWith(".aot"))
                            .filter(p -> !p.getFileName().toString().contains(".training-")).toList();
                    if (!archives.isEmpty()) {
                        return archives.get(0);
                    }
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no class-data archive in " + dir + "; server output:\n" + server.output() + "\nlisting: " + listing(dir.getParent()));
    }
}
