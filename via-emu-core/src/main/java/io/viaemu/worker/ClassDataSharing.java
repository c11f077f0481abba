package io.viaemu.worker;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.stream.Stream;

import io.viaemu.internal.FilePermissions;
import io.viaemu.internal.Processes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Class-data sharing for worker JVMs: a cold worker maps the classes an earlier worker loaded instead of loading,
 * verifying and linking them again. JDK 24+ uses the AOT cache (JEP 483/514: {@code -XX:AOTCacheOutput} in a
 * training run, then {@code -XX:AOTCache}); JDK 17-23 a dynamic CDS archive ({@code -XX:ArchiveClassesAtExit},
 * then {@code -XX:SharedArchiveFile}).
 *
 * <p>The first worker launched for a given JDK, JVM options and class path trains: it writes the archive when it
 * exits normally (a one-shot worker after its connection), into a temporary file the launcher moves into place
 * once the process has exited with status 0, so no worker ever maps a half-written archive. Only one worker trains
 * at a time (a marker file holds its pid). Archives live in {@code BASE/class-data/}, named by a hash of
 * everything that makes an archive valid: java.home and version, the JVM options, and every class path entry with
 * its size and modification time, so a rebuilt jar or an upgraded JDK gets a new archive instead of a stale one
 * (which the JVM would refuse with a warning and run without). Archives of other keys are deleted when a new one
 * is installed.
 *
 * <p>Off when the worker JVM options already choose ({@code -Xshare:off} or {@code :on}, {@code -XX:SharedArchiveFile},
 * {@code -XX:ArchiveClassesAtExit}, {@code -XX:AOTCache...} or {@code -XX:AOTMode} option): {@code -Xshare:off}
 * in {@code via.worker.jvm-options} turns it off.
 */
final class ClassDataSharing {
    static final String DIRECTORY = "class-data";
    private static final Logger log = LoggerFactory.getLogger(ClassDataSharing.class);
    private static final List<String> USER_CHOICES = List.of("-Xshare", "-XX:SharedArchiveFile",
            "-XX:ArchiveClassesAtExit", "-XX:AOTCache", "-XX:AOTMode", "-XX:AOTConfiguration", "-XX:+AutoCreateSharedArchive");

    /** What to add to one worker's command, and what to do when it exits. */
    static final class Plan {
        final List<String> jvmOptions;
        /** The training run's output, moved to {@link #archive} when the worker exits with status 0; or null. */
        final Path trainingOutput;
        final Path archive;
        final Path marker;

        private Plan(List<String> jvmOptions, Path trainingOutput, Path archive, Path marker) {
            this.jvmOptions = jvmOptions;
            this.trainingOutput = trainingOutput;
            this.archive = archive;
            this.marker = marker;
        }
    }

    private static volatile boolean toldAboutDirectories;

    private final Path directory;
    private final int jdkFeature;

    ClassDataSharing(Path baseDir, int jdkFeature) {
        this.directory = baseDir.resolve(DIRECTORY);
        this.jdkFeature = jdkFeature;
    }

    Path directory() {
        return directory;
    }

    /**
     * The options for a worker started with {@code jvmOptions} and {@code program} ({@code -cp CP Main} or
     * {@code -jar app.jar} ...); empty if the user chose otherwise or the archive directory cannot be used.
     */
    Optional<Plan> plan(List<String> jvmOptions, List<String> program, long workerId) {
        for (String o : jvmOptions) {
            if (!o.equals("-Xshare:auto") && USER_CHOICES.stream().anyMatch(o::startsWith)) {
                return Optional.empty();
            }
        }
        Optional<Path> directoryEntry = classPath(program).stream().filter(ClassDataSharing::isNonEmptyDirectory)
                .findFirst();
        if (directoryEntry.isPresent()) {
            // The JVM archives classes from jar files only, and refuses to dump with a non-empty directory on the
            // class path ("Cannot have non-empty directory in paths"): a build's classes directory, say.
            if (!toldAboutDirectories) {
                toldAboutDirectories = true;
                log.info("worker JVMs start without class-data sharing: {} on their class path is a directory, "
                        + "not a jar (run the application from jars, e.g. Spring Boot's extracted layout)",
                        directoryEntry.get());
            }
            return Optional.empty();
        }
        try {
            FilePermissions.createPrivateDirectories(directory);
            String key = key(jvmOptions, program);
            boolean aot = jdkFeature >= 24;
            Path archive = directory.resolve(key + (aot ? ".aot" : ".jsa"));
            if (Files.isRegularFile(archive) && Files.size(archive) > 0) {
                return Optional.of(new Plan(List.of(aot ? "-XX:AOTCache=" + archive : "-XX:SharedArchiveFile=" + archive),
                        null, archive, null));
            }
            Path marker = directory.resolve(key + ".training");
            if (!claimTraining(marker)) {
                return Optional.empty(); // another worker is writing this archive: start without one
            }
            deleteTrainingOutputs(key); // of a training run whose launcher died
            Path output = directory.resolve(key + ".training-" + Long.toHexString(workerId) + (aot ? ".aot" : ".jsa"));
            return Optional.of(new Plan(List.of(aot ? "-XX:AOTCacheOutput=" + output : "-XX:ArchiveClassesAtExit=" + output),
                    output, archive, marker));
        } catch (IOException | RuntimeException e) {
            log.warn("worker JVMs start without class-data sharing: {}", e.toString());
            return Optional.empty();
        }
    }

    /** Called when the worker process has exited: installs a training run's archive. */
    void onExit(Plan plan, int exitStatus) {
        if (plan.trainingOutput == null) {
            return;
        }
        try {
            if (exitStatus == 0 && Files.isRegularFile(plan.trainingOutput) && Files.size(plan.trainingOutput) > 0) {
                FilePermissions.makePrivate(plan.trainingOutput);
                move(plan.trainingOutput, plan.archive);
                deleteOtherArchives(plan.archive);
                log.info("class-data archive for worker JVMs written: {}", plan.archive);
            } else {
                Files.deleteIfExists(plan.trainingOutput);
            }
        } catch (IOException e) {
            log.debug("could not install class-data archive {}: {}", plan.archive, e.toString());
        } finally {
            try {
                Files.deleteIfExists(plan.marker);
            } catch (IOException e) {
                log.debug("could not delete {}: {}", plan.marker, e.toString());
            }
        }
    }

    /** The entries of {@code -cp}/{@code -classpath}/{@code -jar} in a worker program. */
    static List<Path> classPath(List<String> program) {
        List<Path> entries = new ArrayList<>();
        for (int i = 1; i < program.size(); i++) {
            String option = program.get(i - 1);
            if (option.equals("-cp") || option.equals("-classpath")) {
                for (String entry : program.get(i).split(File.pathSeparator)) {
                    if (!entry.isEmpty()) {
                        entries.add(Path.of(entry));
                    }
                }
            } else if (option.equals("-jar")) {
                Path jar = Path.of(program.get(i));
                entries.add(jar);
                entries.addAll(manifestClassPath(jar)); // Spring Boot's extracted layout: app.jar + lib/*.jar
            }
        }
        return entries;
    }

    private static List<Path> manifestClassPath(Path jar) {
        List<Path> entries = new ArrayList<>();
        try (JarFile f = new JarFile(jar.toFile())) {
            Manifest m = f.getManifest();
            String cp = m == null ? null : m.getMainAttributes().getValue(Attributes.Name.CLASS_PATH);
            if (cp != null) {
                for (String e : cp.trim().split("\\s+")) {
                    entries.add(jar.toAbsolutePath().getParent().resolve(e));
                }
            }
        } catch (IOException | RuntimeException e) {
            // not a readable jar: the JVM will say so when the worker starts
        }
        return entries;
    }

    private static boolean isNonEmptyDirectory(Path p) {
        if (!Files.isDirectory(p)) {
            return false;
        }
        try (Stream<Path> s = Files.list(p)) {
            return s.findAny().isPresent();
        } catch (IOException e) {
            return true;
        }
    }

    /** A hash of what an archive depends on: the JDK, the JVM options and the class path's files as they are now. */
    String key(List<String> jvmOptions, List<String> program) throws IOException {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        update(sha, System.getProperty("java.home"));
        update(sha, System.getProperty("java.vm.version"));
        jvmOptions.forEach(o -> update(sha, o));
        program.forEach(arg -> update(sha, arg));
        for (Path p : classPath(program)) {
            if (Files.isRegularFile(p)) {
                BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
                update(sha, a.size() + ":" + a.lastModifiedTime().toMillis());
            }
        }
        return HexFormat.of().formatHex(sha.digest(), 0, 12);
    }

    private static void update(MessageDigest sha, String s) {
        sha.update(String.valueOf(s).getBytes(StandardCharsets.UTF_8));
        sha.update((byte) 0);
    }

    /** Creates the marker with this process's pid; takes it over if the process that made it is gone. */
    private static boolean claimTraining(Path marker) throws IOException {
        String me = Processes.currentPid() + ":" + Processes.currentStart();
        for (int attempt = 0; attempt < 2; attempt++) {
            try {
                Files.writeString(Files.createFile(marker), me);
                FilePermissions.makePrivate(marker);
                return true;
            } catch (FileAlreadyExistsException e) {
                String[] holder = readMarker(marker);
                if (holder != null && Processes.isAlive(Long.parseLong(holder[0]), Long.parseLong(holder[1]))) {
                    return false;
                }
                Files.deleteIfExists(marker); // its launcher died before the training run ended
            }
        }
        return false;
    }

    private static String[] readMarker(Path marker) {
        try {
            String[] parts = Files.readString(marker).trim().split(":");
            return parts.length == 2 ? parts : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private void deleteTrainingOutputs(String key) throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                if (f.getFileName().toString().startsWith(key + ".training-")) {
                    Files.deleteIfExists(f);
                }
            }
        }
    }

    /** Archives of other keys (older jars, other JDKs) and training leftovers of dead launchers. */
    private void deleteOtherArchives(Path keep) throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                String name = f.getFileName().toString();
                boolean archive = name.endsWith(".jsa") || name.endsWith(".aot");
                if (archive && !f.equals(keep) && !name.contains(".training-")) {
                    Files.deleteIfExists(f);
                }
            }
        }
    }
}
