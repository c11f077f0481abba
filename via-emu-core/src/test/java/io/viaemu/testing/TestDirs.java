package io.viaemu.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/** Owner-only directories (the core refuses a base directory others can use) and cleanup of stray processes. */
public final class TestDirs {
    private TestDirs() {
    }

    public static Path privateDir(Path parent, String name) throws IOException {
        return Files.createDirectories(parent.resolve(name),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }

    /** Kills every process whose command line mentions {@code marker} (workers the test did not start itself). */
    public static void killProcessesMentioning(Path marker) {
        String m = marker.toString();
        ProcessHandle.allProcesses()
                .filter(p -> p.pid() != ProcessHandle.current().pid())
                .filter(p -> p.info().arguments().map(List::of).orElse(List.of()).stream().anyMatch(a -> a.contains(m)))
                .forEach(ProcessHandle::destroyForcibly);
    }
}
