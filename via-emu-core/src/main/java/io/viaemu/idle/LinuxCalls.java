package io.viaemu.idle;

import java.nio.ByteBuffer;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The few Linux calls via-emu's waits need (futex, pidfd_open, epoll), bound through JNA's direct mapping: JNA is on
 * the classpath through Chronicle, and a direct-mapped call costs well under a microsecond, which matters only on the
 * park and wake paths (the data path never calls into the kernel). Internal to via-emu; public for
 * {@code io.viaemu.internal}.
 *
 * <p>{@code syscall(2)} is variadic in C; it is bound here with six fixed {@code long} arguments, which is how the
 * x86_64 and aarch64 Linux ABIs pass variadic integer arguments anyway (glibc's {@code syscall} only moves
 * registers).
 */
public final class LinuxCalls {
    private static final Logger log = LoggerFactory.getLogger(LinuxCalls.class);

    /** True if the native library was bound (Linux with a usable JNA). */
    public static final boolean BOUND;
    /** {@code SYS_futex} for this architecture, -1 if unknown. */
    static final long SYS_FUTEX;
    /** {@code SYS_pidfd_open}: 434 on every architecture (the unified syscall table since Linux 5.3). */
    static final long SYS_PIDFD_OPEN = 434;

    static {
        String arch = System.getProperty("os.arch", "");
        SYS_FUTEX = arch.equals("amd64") || arch.equals("x86_64") ? 202 : arch.equals("aarch64") ? 98 : -1;
        boolean bound = false;
        if (Platform.isLinux() && SYS_FUTEX > 0) {
            try {
                Native.register(LinuxCalls.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
                bound = true;
            } catch (Throwable e) {
                log.warn("via-emu: cannot bind libc through JNA ({}); waits fall back to bounded timed parks", e.toString());
            }
        }
        BOUND = bound;
    }

    private LinuxCalls() {
    }

    public static native long syscall(long number, long a1, long a2, long a3, long a4, long a5, long a6);

    public static native int epoll_create1(int flags);

    public static native int epoll_ctl(int epfd, int op, int fd, long event);

    public static native int epoll_wait(int epfd, long events, int maxEvents, int timeoutMillis);

    public static native int close(int fd);

    public static native int poll(long fds, long nfds, int timeoutMillis);

    /** {@code pidfd_open(pid, 0)}: a file descriptor that becomes readable when the process exits; -1 on error. */
    public static int pidfdOpen(long pid) {
        return (int) syscall(SYS_PIDFD_OPEN, pid, 0, 0, 0, 0, 0);
    }

    /** The address of a direct buffer's first byte. */
    public static long address(ByteBuffer direct) {
        return com.sun.jna.Pointer.nativeValue(Native.getDirectBufferPointer(direct));
    }
}
