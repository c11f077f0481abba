package io.viaemu.idle;

import java.lang.reflect.Method;
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
 * <p>Bound in two steps, so that a fresh JVM's first connect pays for neither JNA's {@link NativeLibrary} (its class
 * initialisation runs {@code /sbin/ldconfig -p} as a child process, 15-20 ms in a fresh JVM on this 2-core machine)
 * nor its direct-mapping registration (60-135 ms, most of it JNA's {@code Structure.FFIType} set-up): the class's
 * initialisation looks the functions up in libc with {@code dlopen}/{@code dlsym} (JNA's own {@code Native.open} and
 * {@code Native.findSymbol}, which {@code NativeLibrary} calls; reached by reflection, {@code NativeLibrary} itself
 * where that fails) and calls them through {@link Function} (a call costs ~2-3 µs: the arguments are boxed and
 * converted). Once a process has made {@link #DIRECT_AFTER_CALLS} calls, a daemon thread registers the direct
 * mapping ({@code NativeLibrary} then), and every call after that goes the direct way (well under a microsecond).
 * Both make the same system calls: nothing but their cost depends on which one a call takes.
 */
public final class LinuxCalls {
    /**
     * The logger, made on first use (only failures log): this class is initialised early on a thread of its own
     * ({@code NativeWarmup}), which must not wait for SLF4J's initialisation while the caller's thread does it.
     */
    private static final class Log {
        static final Logger LOG = LoggerFactory.getLogger(LinuxCalls.class);
    }

    /** True if the native library was bound (Linux with a usable JNA). */
    public static final boolean BOUND;
    /** {@code SYS_futex} for this architecture, -1 if unknown. */
    static final long SYS_FUTEX;
    /** {@code SYS_pidfd_open}: 434 on every architecture (the unified syscall table since Linux 5.3). */
    static final long SYS_PIDFD_OPEN = 434;
    /**
     * Indirect calls after which the direct mapping is registered: a process that only connects once or parks now
     * and then never pays for the registration (nor for it while it makes its first connect); one that waits and
     * wakes often gets the fast calls after a few round trips.
     */
    static final int DIRECT_AFTER_CALLS = 256;
    /** glibc's libc (the name JNA's {@code NativeLibrary} maps "c" to on Linux). */
    private static final String LIBC = "libc.so.6";
    /** {@code dlopen} flags as JNA passes them by default ({@code RTLD_LAZY | RTLD_GLOBAL} in its native code). */
    private static final int DEFAULT_OPEN_FLAGS = -1;
    private static final String[] NAMES = {"syscall", "epoll_create1", "epoll_ctl", "epoll_wait", "close", "poll"};

    private static final Function SYSCALL;
    private static final Function EPOLL_CREATE1;
    private static final Function EPOLL_CTL;
    private static final Function EPOLL_WAIT;
    private static final Function CLOSE;
    private static final Function POLL;
    /** Set once {@link Direct}'s natives are registered: from then on every call takes them. */
    private static volatile boolean direct;
    /** Indirect calls so far (approximate: not atomic; only for {@link #DIRECT_AFTER_CALLS}). */
    private static int indirectCalls;
    private static volatile boolean registrationStarted;
    /** True if the functions were found by {@code dlsym} ({@link Symbols}), false if through NativeLibrary. */
    private static boolean lookedUpBySymbols;

    static {
        JnaDispatchCache.prepare(); // before anything below initialises JNA's Native
        String arch = System.getProperty("os.arch", "");
        SYS_FUTEX = arch.equals("amd64") || arch.equals("x86_64") ? 202 : arch.equals("aarch64") ? 98 : -1;
        Function[] f = null;
        if (Platform.isLinux() && SYS_FUTEX > 0) {
            try {
                f = lookUp();
            } catch (Throwable e) {
                Log.LOG.warn("via-emu: cannot bind libc through JNA ({}); waits fall back to bounded timed parks", e.toString());
            }
        }
        BOUND = f != null;
        if (f == null) {
            f = new Function[NAMES.length];
        }
        SYSCALL = f[0];
        EPOLL_CREATE1 = f[1];
        EPOLL_CTL = f[2];
        EPOLL_WAIT = f[3];
        CLOSE = f[4];
        POLL = f[5];
    }

    /** {@link #NAMES}' functions: by {@code dlsym} on libc's handle where it can, else through NativeLibrary. */
    private static Function[] lookUp() {
        Function[] f = new Function[NAMES.length];
        long[] addresses = Symbols.addresses(LIBC, NAMES);
        if (addresses != null) {
            for (int i = 0; i < f.length; i++) {
                f[i] = Function.getFunction(new Pointer(addresses[i]));
            }
            lookedUpBySymbols = true;
            return f;
        }
        NativeLibrary libc = NativeLibrary.getInstance(Platform.C_LIBRARY_NAME);
        for (int i = 0; i < f.length; i++) {
            f[i] = libc.getFunction(NAMES[i]);
        }
        return f;
    }

    /** JNA's {@code dlopen}/{@code dlsym} without {@link NativeLibrary}'s class initialisation. */
    static final class Symbols {
        private Symbols() {
        }

        /** The addresses of {@code names} in {@code library}, or null if any cannot be had this way. */
        static long[] addresses(String library, String[] names) {
            try {
                Method open = Native.class.getDeclaredMethod("open", String.class, int.class);
                Method find = Native.class.getDeclaredMethod("findSymbol", long.class, String.class);
                open.setAccessible(true);
                find.setAccessible(true);
                long handle = (Long) open.invoke(null, library, DEFAULT_OPEN_FLAGS);
                if (handle == 0) {
                    return null;
                }
                long[] addresses = new long[names.length];
                for (int i = 0; i < names.length; i++) {
                    addresses[i] = (Long) find.invoke(null, handle, names[i]);
                    if (addresses[i] == 0) {
                        return null;
                    }
                }
                return addresses; // the handle stays open: libc is never unloaded anyway
            } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
                // another JNA (no such methods), a module that does not open com.sun.jna, no such library (dlopen
                // and dlsym failures come as UnsatisfiedLinkError wrapped in an InvocationTargetException)
                Log.LOG.debug("via-emu: JNA's dlopen/dlsym not reachable ({}); binding libc through NativeLibrary",
                        e.toString());
                return null;
            }
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

    /** Counts an indirect call; the {@link #DIRECT_AFTER_CALLS}th starts the direct mapping's registration. */
    private static void countIndirect() {
        if (++indirectCalls >= DIRECT_AFTER_CALLS && !registrationStarted) {
            registerDirectSoon();
        }
    }

    private static synchronized void registerDirectSoon() {
        if (registrationStarted || !BOUND) {
            return;
        }
        registrationStarted = true;
        Register register = new Register();
        try {
            BackgroundThreads.daemon("via-native-bind", register).start(); // unpinned: off the caller's CPU
        } catch (Throwable e) {
            register.run(); // no thread to be had: here, then
        }
    }

    /** Registers {@link Direct}'s natives, then switches every call to them (a class: no lambda to bootstrap). */
    private static final class Register implements Runnable {
        @Override
        public void run() {
            try {
                Native.register(Direct.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
                direct = true;
            } catch (Throwable e) {
                Log.LOG.debug("via-emu: JNA's direct mapping unavailable ({}); native calls stay indirect", e.toString());
            }
        }
    }

    private LinuxCalls() {
    }

    public static long syscall(long number, long a1, long a2, long a3, long a4, long a5, long a6) {
        if (direct) {
            return Direct.syscall(number, a1, a2, a3, a4, a5, a6);
        }
        countIndirect();
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

    /** True if the indirect calls were bound without JNA's NativeLibrary (tests, diagnostics). */
    static boolean lookedUpBySymbols() {
        return lookedUpBySymbols;
    }

    /** True once the direct mapping's registration was started (tests, diagnostics). */
    static boolean registrationStarted() {
        return registrationStarted;
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
