package io.viaemu.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;

import io.viaemu.testing.TestDirs;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The launcher's class-data sharing decisions, in one JVM (no worker started). */
class ClassDataSharingTest {
    @TempDir
    Path tmp;
    Path base;
    Path jar;
    List<String> program;

    @BeforeEach
    void setUp() throws Exception {
        base = TestDirs.privateDir(tmp, "base");
        jar = Files.write(tmp.resolve("app.jar"), new byte[] {1, 2, 3});
        program = List.of("-jar", jar.toString());
    }

    @Test
    void firstWorkerTrainsOthersStartWithoutUntilTheArchiveIsInstalled() throws Exception {
        ClassDataSharing cds = new ClassDataSharing(base, 17);
        ClassDataSharing.Plan training = cds.plan(List.of("-Xmx64m"), program, 1).orElseThrow();
        assertThat(training.jvmOptions).singleElement().asString().startsWith("-XX:ArchiveClassesAtExit=");
        assertThat(cds.plan(List.of("-Xmx64m"), program, 2)).isEmpty(); // one training run at a time

        Files.write(training.trainingOutput, new byte[] {42}); // what the JVM writes at exit
        cds.onExit(training, 0);

        ClassDataSharing.Plan using = cds.plan(List.of("-Xmx64m"), program, 3).orElseThrow();
        assertThat(using.jvmOptions).containsExactly("-XX:SharedArchiveFile=" + training.archive);
        assertThat(using.trainingOutput).isNull();
        assertThat(training.archive).exists();
        assertThat(training.marker).doesNotExist();
    }

    @Test
    void aFailedTrainingRunInstallsNothingAndTheNextWorkerTrainsAgain() throws Exception {
        ClassDataSharing cds = new ClassDataSharing(base, 17);
        ClassDataSharing.Plan training = cds.plan(List.of(), program, 1).orElseThrow();
        Files.write(training.trainingOutput, new byte[] {42}); // half written when it was killed
        cds.onExit(training, 137);
        assertThat(training.archive).doesNotExist();
        assertThat(training.trainingOutput).doesNotExist();
        assertThat(cds.plan(List.of(), program, 2).orElseThrow().trainingOutput).isNotNull();
    }

    @Test
    void jdk24AndLaterUseTheAotCache() throws Exception {
        ClassDataSharing cds = new ClassDataSharing(base, 25);
        ClassDataSharing.Plan training = cds.plan(List.of(), program, 1).orElseThrow();
        assertThat(training.jvmOptions).singleElement().asString().startsWith("-XX:AOTCacheOutput=");
        Files.write(training.trainingOutput, new byte[] {42});
        cds.onExit(training, 0);
        assertThat(cds.plan(List.of(), program, 2).orElseThrow().jvmOptions)
                .containsExactly("-XX:AOTCache=" + training.archive);
    }

    @Test
    void aRebuiltJarOrOtherOptionsGetAnotherArchive() throws Exception {
        ClassDataSharing cds = new ClassDataSharing(base, 17);
        String key = cds.key(List.of(), program);
        assertThat(cds.key(List.of("-Xmx1g"), program)).isNotEqualTo(key);
        Files.write(jar, new byte[] {1, 2, 3, 4});
        Files.setLastModifiedTime(jar, FileTime.fromMillis(System.currentTimeMillis() + 60_000));
        assertThat(cds.key(List.of(), program)).isNotEqualTo(key);
    }

    @Test
    void theUsersOwnSharingOptionsWin() {
        ClassDataSharing cds = new ClassDataSharing(base, 17);
        assertThat(cds.plan(List.of("-Xshare:off"), program, 1)).isEmpty();
        assertThat(cds.plan(List.of("-XX:SharedArchiveFile=/x.jsa"), program, 1)).isEmpty();
        assertThat(cds.plan(List.of("-Xshare:auto"), program, 1)).isPresent(); // the default is no choice
    }

    @Test
    void aMarkerLeftByADeadLauncherIsTakenOver() throws Exception {
        ClassDataSharing cds = new ClassDataSharing(base, 17);
        ClassDataSharing.Plan first = cds.plan(List.of(), program, 1).orElseThrow();
        Files.writeString(first.marker, "2147483646:1"); // a pid that does not run
        assertThat(cds.plan(List.of(), program, 2)).isPresent();
    }
}
