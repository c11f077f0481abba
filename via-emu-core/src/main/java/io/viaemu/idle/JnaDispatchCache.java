package io.viaemu.idle;

import java.io.IOException;
import java.io.InputStream;
import java.net.JarURLConnection;
import java.net.URL;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.jar.JarEntry;
import java.util.zip.CRC32;

import io.viaemu.internal.FilePermissions;

/**
 * Gives JNA its {@code jnidispatch} library already unpacked, so that a fresh JVM's JNA start does not unpack it.
 *
 * <p>JNA's {@code Native} class, at its initialisation, copies {@code libjnidispatch.so} out of its jar into a new
 * temporary file ({@code File.createTempFile}, which pays for the JDK's first {@code SecureRandom}), loads it, and
 * deletes it at exit: every JVM unpacks it again. That was 25-30 of the 60-74 ms of JNA's start in a fresh JVM on
 * this 2-core machine (measured: {@code Class.forName("com.sun.jna.Native")} 60-74 ms, 32-46 ms with
 * {@code jna.boot.library.path} naming a directory that holds the library). Here the library is kept, once per user
 * and per library content, in {@code java.io.tmpdir/via-emu-native-UID/CRC-SIZE/}, and JNA is pointed at it with
 * its documented {@code jna.boot.library.path} property.
 *
 * <p>The bytes JNA loads are those of the JNA on this class path: every JVM compares the kept file's size and CRC-32
 * with those JNA's jar records for the library (its central directory: nothing is inflated), and a kept file that
 * differs (truncated, corrupted, another version's) is replaced with the jar's bytes (written beside it, then renamed
 * over it, so no process ever loads a half-written file). Reading the library out of the jar and comparing every
 * byte, as this class first did, cost 8-9 ms of a fresh client's first connect (async-profiler: an interpreted
 * comparison of 134 KiB and the jar's first resource stream); a CRC-32 over the kept file is a native call. The
 * CRC guards against accidents, not an attacker: the directories are 0700 and must be owned by this user
 * ({@link FilePermissions#checkPrivate}), so no other user can plant a library there, and a process that can write
 * there can run code as the user anyway. Anything unexpected (no such resource, a directory that is not private, an I/O
 * error) leaves the property unset and JNA unpacks as it always did. Nothing is done if the application set
 * {@code jna.boot.library.path} itself, or with {@code -Dvia.jna.dispatch-cache=false}.
 */
final class JnaDispatchCache {
    /** JNA's property: directories it loads {@code jnidispatch} from before unpacking its own copy. */
    static final String BOOT_PATH = "jna.boot.library.path";
    static final String ENABLED = "via.jna.dispatch-cache";
    private static final String LIBRARY = "libjnidispatch.so";

    private JnaDispatchCache() {
    }

    /** Points JNA at the kept library; call before anything initialises JNA's {@code Native}. Never throws. */
    static void prepare() {
        try {
            if (System.getProperty(BOOT_PATH) != null || !Boolean.parseBoolean(System.getProperty(ENABLED, "true"))) {
                return;
            }
            Path dir = keep(Paths.get(System.getProperty("java.io.tmpdir")));
            if (dir != null) {
                System.setProperty(BOOT_PATH, dir.toString());
            }
        } catch (Throwable e) {
            // JNA unpacks its own copy, as without this class
        }
    }

    /** The directory under {@code tmp} that holds this JNA's library, made or mended; null if it cannot be. */
    static Path keep(Path tmp) throws IOException {
        JarURLConnection jar = jarEntry();
        if (jar == null) {
            return null;
        }
        try {
            JarEntry entry = jar.getJarEntry();
            long size = entry.getSize();
            long crc = entry.getCrc();
            if (size < 0 || crc < 0) {
                return null; // not in the jar's central directory: nothing to compare with
            }
            Path user = tmp.resolve("via-emu-native-" + uid());
            Path dir = user.resolve(Long.toHexString(crc) + "-" + size);
            FilePermissions.createPrivateDirectories(dir);
            FilePermissions.checkPrivate(user);
            FilePermissions.checkPrivate(dir);
            Path file = dir.resolve(LIBRARY);
            if (!Files.isRegularFile(file) || Files.size(file) != size || crc(Files.readAllBytes(file)) != crc) {
                byte[] library;
                try (InputStream in = jar.getInputStream()) {
                    library = in.readAllBytes();
                }
                if (library.length != size || crc(library) != crc) {
                    throw new IOException("JNA's jar holds a " + LIBRARY + " that does not match its own directory");
                }
                write(dir, file, library);
            }
            return dir;
        } finally {
            jar.getJarFile().close(); // not cached (setUseCaches(false)): ours to close
        }
    }

    private static long crc(byte[] bytes) {
        CRC32 crc = new CRC32();
        crc.update(bytes);
        return crc.getValue();
    }

    /** Writes {@code library} beside {@code file} and renames it over the file. */
    private static void write(Path dir, Path file, byte[] library) throws IOException {
        // named by pid, not Files.createTempFile (whose SecureRandom is what this class saves a fresh JVM)
        Path partial = dir.resolve(LIBRARY + "." + ProcessHandle.current().pid() + ".partial");
        try {
            Files.write(partial, library, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE);
            try {
                Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(partial);
        }
    }

    /**
     * This platform's {@code libjnidispatch.so} in JNA's jar, connected (its entry read from the jar's central
     * directory), or null (another platform, no JNA, JNA not in a jar).
     */
    private static JarURLConnection jarEntry() throws IOException {
        String arch = System.getProperty("os.arch", "");
        String prefix = arch.equals("amd64") || arch.equals("x86_64") ? "linux-x86-64"
                : arch.equals("aarch64") ? "linux-aarch64" : null;
        if (prefix == null || !System.getProperty("os.name", "").startsWith("Linux")) {
            return null;
        }
        ClassLoader loader = JnaDispatchCache.class.getClassLoader();
        URL url = loader == null ? null : loader.getResource("com/sun/jna/" + prefix + "/" + LIBRARY);
        if (url == null || !(url.openConnection() instanceof JarURLConnection jar)) {
            return null;
        }
        jar.setUseCaches(false);
        jar.connect();
        return jar;
    }

    /** This process's uid as the directory's name has it (the owner {@link FilePermissions#checkPrivate} checks). */
    private static String uid() throws IOException {
        Object uid = Files.getAttribute(Paths.get("/proc/self"), "unix:uid");
        return String.valueOf(uid);
    }
}
