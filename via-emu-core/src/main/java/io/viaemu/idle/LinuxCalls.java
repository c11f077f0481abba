package io.viaemu.idle;

import java.nio.ByteBuffer;

import com.sun.jna.Function;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import io.viaemu.internal.BackgroundThreads;
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
 *
 * <p>Bound in two steps, so that a fresh JVM's first connect does not wait for JNA's direct-mapping registration
 * (60-135 ms in a fresh JVM on this 2-core machine, most of it JNA's {@code Structure.FFIType} set-up, against
 * 3-10 ms for a first indirect call): the class's initialisation looks the functions up in libc
 * ({@link Function}, a call costs ~2-3 µs: the arguments are boxed and converted), and a daemon thread registers the
 * direct mapping meanwhile; every call after that registration goes the direct way. Both make the same system
 * calls: nothing but their cost depends on which one a call takes.
 */
public final class LinuxCalls {
    private static final Logger log = LoggerFactory.getLogger(LinuxCalls.class);

    /** True if the native library was bound (Linux with a usable JNA). */
    public static final boolean BOUND;
    /** {@code SYS_futex} for this architecture, -1 if unknown. */
    static final long SYS_FUTEX;
    /** {@code SYS_pidfd_open}: 434 on every architecture (the unified syscall table since Linux 5.3). */
    static final long SYS_PIDFD_OPEN = 434;

    private static final Function SYSCALL;
    private static final Function EPOLL_CREATE1;
    private static final Function EPOLL_CTL;
    private static final Function EPOLL_WAIT;
    private static final Function CLOSE;
    private static final Function POLL;
    /** Set once {@link Direct}'s natives are registered: from then on every call takes them. */
    private static volatile boolean direct;

    static {
        String arch = System.getProperty("os.arch", "");
        SYS_FUTEX = arch.equals("amd64") || arch.equals("x86_64") ? 202 : arch.equals("aarch64") ? 98 : -1;
        NativeLibrary libc = null;
        Function[] f = new Function[6];
        if (Platform.isLinux() && SYS_FUTEX > 0) {
            try {
                libc = NativeLibrary.getInstance(Platform.C_LIBRARY_NAME);
                String[] names = {"syscall", "epoll_create1", "epoll_ctl", "epoll_wait", "close", "poll"};
                for (int i = 0; i < names.length; i++) {
                    f[i] = libc.getFunction(names[i]);
                }
            } catch (Throwable e) {
                libc = null;
                log.warn("via-emu: cannot bind libc through JNA ({}); waits fall back to bounded timed parks", e.toString());
            }
        }
        SYSCALL = f[0];
        EPOLL_CREATE1 = f[1];
        EPOLL_CTL = f[2];
        EPOLL_WAIT = f[3];
        CLOSE = f[4];
        POLL = f[5];
        BOUND = libc != null;
        if (BOUND) {
            registerDirectSoon(libc);
        }
    }

    /** The direct mapping, registered by {@link #registerDirectSoon}. */
    private static final class Direct {
        static native long syscall(long number, long a1, long a2, long a3, long a4, long a5, long a6);

        static native int epoll_create1(int flags);

        static native int epoll_ctl(int epfd, int op, int fd, long event);

        static native int epoll_wait(int epfd, long events, int maxEvents, int timeoutMillis);

        static native int close(int fd);

        static native int poll(long fds, long nfds, int timeoutMillis);
    }

    private static void registerDirectSoon(NativeLibrary libc) {
        Register register = new Register(libc);
        try {
            BackgroundThreads.daemon("via-native-bind", register).start(); // unpinned: off the caller's CPU
        } catch (Throwable e) {
            register.run(); // no thread to be had: here, then
        }
    }

    /** Registers {@link Direct}'s natives, then switches every call to them (a class: no lambda to bootstrap). */
    private static final class Register implements Runnable {
        private final NativeLibrary libc;

        Register(NativeLibrary libc) {
            this.libc = libc;
        }

        @Override
        public void run() {
            try {
                Native.register(Direct.class, libc);
                direct = true;
            } catch (Throwable e) {
                log.debug("via-emu: JNA's direct mapping unavailable ({}); native calls stay indirect", e.toString());
            }
        }
    }

    private LinuxCalls() {
    }

    public static long syscall(long number, long a1, long a2, long a3, long a4, long a5, long a6) {
        if (direct) {
            return Direct.syscall(number, a1, a2, a3, a4, a5, a6);
        }
        return SYSCALL.invokeLong(new Object[] {number, a1, a2, a3, a4, a5, a6});
    }

    public static int epoll_create1(int flags) {
        return direct ? Direct.epoll_create1(flags) : EPOLL_CREATE1.invokeInt(new Object[] {flags});
    }

    public static int epoll_ctl(int epfd, int op, int fd, long event) {
        return direct ? Direct.epoll_ctl(epfd, op, fd, event)
                : EPOLL_CTL.invokeInt(new Object[] {epfd, op, fd, new Pointer(event)});
    }

    public static int epoll_wait(int epfd, long events, int maxEvents, int timeoutMillis) {
        return direct ? Direct.epoll_wait(epfd, events, maxEvents, timeoutMillis)
                : EPOLL_WAIT.invokeInt(new Object[] {epfd, new Pointer(events), maxEvents, timeoutMillis});
    }

    public static int close(int fd) {
        return direct ? Direct.close(fd) : CLOSE.invokeInt(new Object[] {fd});
    }

    public static int poll(long fds, long nfds, int timeoutMillis) {
        return direct ? Direct.poll(fds, nfds, timeoutMillis)
                : POLL.invokeInt(new Object[] {new Pointer(fds), nfds, timeoutMillis});
    }

    /** True once the direct mapping is in use (tests, diagnostics). */
    static boolean direct() {
        return direct;
    }

    /** {@code pidfd_open(pid, 0)}: a file descriptor that becomes readable when the process exits; -1 on error. */
    public static int pidfdOpen(long pid) {
        return (int) syscall(SYS_PIDFD_OPEN, pid, 0, 0, 0, 0, 0);
    }

    /** The address of a direct buffer's first byte. */
    public static long address(ByteBuffer direct) {
        return Pointer.nativeValue(Native.getDirectBufferPointer(direct));
    }
}
