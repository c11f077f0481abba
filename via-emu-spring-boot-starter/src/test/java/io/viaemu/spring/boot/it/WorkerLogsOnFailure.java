package io.viaemu.spring.boot.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * Worker JVMs log to BASE/ENDPOINT/logs; when a test fails, print those logs next to the failure, since the worker
 * side of a failed handover is otherwise lost with the temporary directory.
 */
final class WorkerLogsOnFailure implements TestWatcher {
    private final Path base;

    WorkerLogsOnFailure(Path base) {
        this.base = base;
    }

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        if (base == null || !Files.isDirectory(base)) {
            return;
        }
        try (Stream<Path> files = Files.walk(base)) {
            files.filter(p -> p.getParent() != null && p.getParent().getFileName().toString().equals("logs"))
                    .forEach(log -> {
                        System.out.println("===== worker log " + base.relativize(log) + " =====");
                        try {
                            System.out.println(Files.readString(log));
                        } catch (IOException e) {
                            System.out.println("<unreadable: " + e + ">");
                        }
                    });
        } catch (IOException e) {
            System.out.println("cannot list worker logs: " + e);
        }
    }
}
