package io.viaemu.idle;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
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
 * <p>Safe by construction: the bytes JNA loads are always those of the JNA on this class path. Every JVM reads the
 * library out of JNA's jar (134 KiB, about a millisecond) and compares it with the kept file; a kept file that
 * differs in any byte is replaced (written beside it, then renamed over it, so no process ever loads a half-written
 * file). The directories are 0700 and must be owned by this user ({@link FilePermissions#checkPrivate}), so no other
 * user can plant a library there. Anything unexpected (no such resource, a directory that is not private, an I/O
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
        byte[] library = resource();
        if (library == null) {
            return null;
        }
        CRC32 crc = new CRC32();
        crc.update(library);
        Path user = tmp.resolve("via-emu-native-" + uid());
        Path dir = user.resolve(Long.toHexString(crc.getValue()) + "-" + library.length);
        FilePermissions.createPrivateDirectories(dir);
        FilePermissions.checkPrivate(user);
        FilePermissions.checkPrivate(dir);
        Path file = dir.resolve(LIBRARY);
        if (!Files.isRegularFile(file) || !Arrays.equals(Files.readAllBytes(file), library)) {
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
        return dir;
    }

    /** The bytes of this platform's {@code libjnidispatch.so} in JNA's jar, or null (another platform, no JNA). */
    private static byte[] resource() throws IOException {
        String arch = System.getProperty("os.arch", "");
        String prefix = arch.equals("amd64") || arch.equals("x86_64") ? "linux-x86-64"
                : arch.equals("aarch64") ? "linux-aarch64" : null;
        if (prefix == null || !System.getProperty("os.name", "").startsWith("Linux")) {
            return null;
        }
        ClassLoader loader = JnaDispatchCache.class.getClassLoader();
        try (InputStream in = loader == null ? null : loader.getResourceAsStream("com/sun/jna/" + prefix + "/" + LIBRARY)) {
            return in == null ? null : in.readAllBytes();
        }
    }

    /** This process's uid as the directory's name has it (the owner {@link FilePermissions#checkPrivate} checks). */
    private static String uid() throws IOException {
        Object uid = Files.getAttribute(Paths.get("/proc/self"), "unix:uid");
        return String.valueOf(uid);
    }
}
