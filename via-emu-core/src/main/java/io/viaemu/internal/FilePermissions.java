package io.viaemu.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.Map;
import java.util.Set;

/**
 * Owner-only files: the channel is shared memory, so anyone who can open a queue or flag file can read and forge
 * traffic. Directories are created 0700 and files made 0600.
 */
public final class FilePermissions {
    private static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    public static final Set<PosixFilePermission> OWNER_DIR = PosixFilePermissions.fromString("rwx------");
    public static final Set<PosixFilePermission> OWNER_FILE = PosixFilePermissions.fromString("rw-------");

    private FilePermissions() {
    }

    /** Like {@link Files#createDirectories} but every directory it creates is 0700. */
    public static void createPrivateDirectories(Path dir) throws IOException {
        Path abs = dir.toAbsolutePath();
        if (Files.isDirectory(abs)) {
            return;
        }
        Path parent = abs.getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            createPrivateDirectories(parent);
        }
        try {
            if (POSIX) {
                Files.createDirectory(abs, PosixFilePermissions.asFileAttribute(OWNER_DIR));
            } else {
                Files.createDirectory(abs);
            }
        } catch (FileAlreadyExistsException raced) {
            // another process created it first: fine
        }
    }

    /** Best effort chmod 0600 (0700 for a directory). */
    public static void makePrivate(Path path) {
        if (!POSIX) {
            return;
        }
        try {
            Files.setPosixFilePermissions(path, Files.isDirectory(path) ? OWNER_DIR : OWNER_FILE);
        } catch (IOException | UnsupportedOperationException ignored) {
            // a file another process owns or already deleted: nothing to protect
        }
    }

    /**
     * Refuses a base directory that others could write to (or read): on a shared host that would let another user
     * forge or read connections.
     */
    public static void checkPrivate(Path dir) throws IOException {
        if (!POSIX) {
            return;
        }
        // one stat for both checks (clients check at every connect)
        Map<String, Object> attrs = Files.readAttributes(dir, "unix:mode,uid");
        int mode = (Integer) attrs.get("mode");
        if ((mode & 077) != 0) {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(dir);
            throw new IOException("via-emu base directory " + dir + " is accessible to others ("
                    + PosixFilePermissions.toString(perms) + "); it must be owner-only (chmod 700)");
        }
        Object owner = attrs.get("uid");
        Object me = currentUid();
        if (me != null && !me.equals(owner)) {
            throw new IOException("via-emu base directory " + dir + " is owned by uid " + owner
                    + ", not by this user (uid " + me + ")");
        }
    }

    private static volatile Object uid;

    /** This process's uid (found once: clients check the base directory at every connect). */
    private static Object currentUid() {
        Object u = uid;
        if (u == null) {
            uid = u = probeUid();
        }
        return u;
    }

    /**
     * The owner the files this process creates get: its file-system uid, read from {@code /proc/self/status}
     * (a read of a small file; the temporary file made before to learn it cost a fresh JVM the JDK's
     * {@code SecureRandom} set-up, ~17 ms of its first connect). Where /proc does not say, the owner of a temporary
     * file as before; null if neither works (the owner check is then skipped, as before).
     */
    private static Object probeUid() {
        Integer fsUid = fileSystemUid(Path.of("/proc/self/status"));
        if (fsUid != null) {
            return fsUid;
        }
        try {
            Path probe = Files.createTempFile("via-uid", ".probe");
            try {
                return Files.getAttribute(probe, "unix:uid");
            } finally {
                Files.deleteIfExists(probe);
            }
        } catch (IOException | UnsupportedOperationException e) {
            return null;
        }
    }

    /**
     * The file-system uid (the owner of files the process creates: the fourth of real, effective, saved and
     * file-system uid on the {@code Uid:} line) from a {@code /proc/PID/status} file; null if the file is missing
     * or has no such line.
     */
    static Integer fileSystemUid(Path status) {
        String text;
        try {
            text = new String(Files.readAllBytes(status), StandardCharsets.US_ASCII);
        } catch (IOException | RuntimeException e) {
            return null;
        }
        int line = text.startsWith("Uid:") ? 0 : text.indexOf("\nUid:");
        if (line < 0) {
            return null;
        }
        int end = text.indexOf('\n', line + 1);
        String ids = text.substring(text.indexOf(':', line) + 1, end < 0 ? text.length() : end);
        // four decimal ids separated by tabs (or spaces): the fourth is the file-system uid
        int fields = 0;
        int value = 0;
        boolean inNumber = false;
        for (int i = 0; i < ids.length(); i++) {
            char c = ids.charAt(i);
            if (c >= '0' && c <= '9') {
                if (!inNumber) {
                    fields++;
                    value = 0;
                    inNumber = true;
                }
                if (value > (Integer.MAX_VALUE - 9) / 10) {
                    return null;
                }
                value = value * 10 + (c - '0');
            } else if (c == ' ' || c == '\t') {
                inNumber = false;
            } else {
                return null;
            }
        }
        return fields == 4 ? value : null;
    }

    /** Deletes a directory tree, ignoring files that are already gone. */
    public static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        } catch (UncheckedIOException e) {
            if (!(e.getCause() instanceof NoSuchFileException)) {
                throw e.getCause();
            }
        } catch (NoSuchFileException gone) {
            // deleted by another process (the peer closing at the same time) since the exists() above
        }
    }
}
