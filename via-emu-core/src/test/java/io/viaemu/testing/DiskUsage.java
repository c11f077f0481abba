package io.viaemu.testing;

import java.io.IOException;
import java.nio.file.Path;

/** What {@code du} says a directory takes on disk (allocated blocks: queue files are sparse). */
public final class DiskUsage {
    private DiskUsage() {
    }

    /** Allocated bytes under {@code dir}; files deleted while du walks are simply not counted. */
    public static long allocatedBytes(Path dir) throws IOException {
        Process du = new ProcessBuilder("du", "-s", "-B1", dir.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(du.getInputStream().readAllBytes()).trim();
        try {
            du.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        if (out.isEmpty()) {
            throw new IOException("du printed nothing for " + dir);
        }
        return Long.parseLong(out.split("\\s+")[0]);
    }
}
