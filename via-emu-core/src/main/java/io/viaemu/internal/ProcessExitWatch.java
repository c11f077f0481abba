package io.viaemu.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicLong;

import io.viaemu.idle.LinuxCalls;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Notices the exit of peer processes without polling: one thread per process blocks in {@code epoll_wait} on a
 * pidfd ({@code pidfd_open(2)}, Linux 5.3+) of every watched peer; a pidfd becomes readable when its process exits,
 * a zombie not yet reaped included. On an exit it records the process as exited and wakes the
 * {@link Housekeeper}, whose tick fails (or recovers) the connections of that peer, which rings their doorbells and
 * so wakes every thread parked on them. Where pidfds are unavailable, the housekeeper polls as before.
 */
public final class ProcessExitWatch {
    /** The logger, made on first use (see {@code LinuxCalls.Log}: this class too is initialised early). */
    private static final class Log {
        static final Logger LOG = LoggerFactory.getLogger(ProcessExitWatch.class);
    }
    private static final int EPOLL_CTL_ADD = 1;
    private static final int EPOLLIN = 0x001;
    /** {@code struct epoll_event} is packed on x86_64 (12 bytes), naturally aligned elsewhere (16). */
    private static final int EVENT_SIZE = System.getProperty("os.arch", "").equals("aarch64") ? 16 : 12;
    private static final int DATA_OFFSET = EVENT_SIZE == 12 ? 4 : 8;
    private static final int MAX_EVENTS = 64;

    private static final int EPOLL_FD = open();
    /** Watched processes by pidfd, and the pidfd of each watched pid. */
    private static final Map<Integer, long[]> BY_FD = new ConcurrentHashMap<>();
    private static final Map<Long, Integer> FD_BY_PID = new ConcurrentHashMap<>();
    /** Processes seen exiting: pid to start time (bounded: old entries are dropped). */
    private static final Map<Long, Long> EXITED_PROCESSES = new ConcurrentHashMap<>();
    private static final AtomicLong EXITS = new AtomicLong();
    private static final List<Runnable> LISTENERS = new CopyOnWriteArrayList<>();

    private ProcessExitWatch() {
    }

    private static int open() {
        try {
            if (!LinuxCalls.BOUND) {
                return -1;
            }
            int self = LinuxCalls.pidfdOpen(ProcessHandle.current().pid());
            if (self < 0) {
                Log.LOG.warn("via-emu: pidfd_open unavailable (kernel {}); peer deaths are noticed by polling",
                        System.getProperty("os.version"));
                return -1;
            }
            LinuxCalls.close(self);
            int ep = LinuxCalls.epoll_create1(0x80000); // EPOLL_CLOEXEC
            if (ep < 0) {
                Log.LOG.warn("via-emu: epoll_create1 failed; peer deaths are noticed by polling");
                return -1;
            }
            BackgroundThreads.daemon("via-exit-watch", new Watcher(ep)).start();
            return ep;
        } catch (Throwable e) {
            Log.LOG.warn("via-emu: no process exit watch ({}); peer deaths are noticed by polling", e.toString());
            return -1;
        }
    }

    /** True if exits of watched processes are reported at once. */
    public static boolean available() {
        return EPOLL_FD >= 0;
    }

    /** Runs {@code listener} (quick, non-blocking) on the watch thread after every reported exit. */
    public static void addListener(Runnable listener) {
        LISTENERS.add(listener);
    }

    public static void removeListener(Runnable listener) {
        LISTENERS.remove(listener);
    }

    /** How many watched processes were seen exiting so far: a change means a tick must check liveness. */
    public static long exits() {
        return EXITS.get();
    }

    /**
     * Watches process {@code pid} started at {@code startMillis} (0: unknown). Cheap when it is watched already;
     * otherwise the watch is set up on a background thread (the first look at a process reads several /proc files,
     * which must not delay a connect). A process found gone is recorded as exited.
     */
    public static void watch(long pid, long startMillis) {
        if (EPOLL_FD < 0 || pid <= 0 || FD_BY_PID.containsKey(pid) || pid == ProcessHandle.current().pid()) {
            return;
        }
        REGISTRAR.execute(new Register(pid, startMillis));
    }

    /** Sets watches up, one at a time, off the callers' threads; idle (blocked on its queue) otherwise. */
    private static final ExecutorService REGISTRAR = Executors.newSingleThreadExecutor(new RegistrarThreads());

    /** Classes rather than lambdas: a fresh JVM's first connect watches its peer (no bootstraps on its path). */
    private static final class RegistrarThreads implements ThreadFactory {
        @Override
        public Thread newThread(Runnable r) {
            return BackgroundThreads.daemon("via-exit-watch-add", r);
        }
    }

    private static final class Register implements Runnable {
        private final long pid;
        private final long startMillis;

        Register(long pid, long startMillis) {
            this.pid = pid;
            this.startMillis = startMillis;
        }

        @Override
        public void run() {
            register(pid, startMillis);
        }
    }

    private static void register(long pid, long startMillis) {
        synchronized (ProcessExitWatch.class) {
            if (FD_BY_PID.containsKey(pid)) {
                return;
            }
            int fd = LinuxCalls.pidfdOpen(pid);
            if (fd < 0) {
                // no such process any more, or no descriptor to spare (EMFILE): /proc tells which; a live one stays
                // unwatched, and its death is found by ProcessLiveness's check of its peers, once per interval
                if (!Processes.isAlive(pid, startMillis)) {
                    exited(pid, startMillis);
                } else {
                    Log.LOG.debug("no pidfd for live process {}; its exit is noticed by polling", pid);
                }
                return;
            }
            // the pidfd names whatever process has the pid now: only if that is the one we mean is it a watch of it
            if (!Processes.isAlive(pid, startMillis)) {
                LinuxCalls.close(fd);
                exited(pid, startMillis);
                return;
            }
            ByteBuffer ev = ByteBuffer.allocateDirect(EVENT_SIZE).order(ByteOrder.nativeOrder());
            ev.putInt(0, EPOLLIN);
            ev.putLong(DATA_OFFSET, fd);
            BY_FD.put(fd, new long[] {pid, startMillis});
            FD_BY_PID.put(pid, fd);
            if (LinuxCalls.epoll_ctl(EPOLL_FD, EPOLL_CTL_ADD, fd, LinuxCalls.address(ev)) != 0) {
                BY_FD.remove(fd);
                FD_BY_PID.remove(pid);
                LinuxCalls.close(fd);
            }
        }
    }

    /**
     * True if process {@code pid} started at {@code startMillis} (0: unknown) was seen exiting. Unlike a look at
     * /proc this is also true for a zombie its parent has not reaped yet.
     */
    public static boolean hasExited(long pid, long startMillis) {
        return state(pid, startMillis) == EXITED;
    }

    /** {@link #state}: the process was seen exiting. */
    public static final int EXITED = 0;
    /** {@link #state}: the process is watched and its pidfd says it still runs. */
    public static final int RUNNING = 1;
    /** {@link #state}: not watched: ask /proc. */
    public static final int UNKNOWN = 2;

    /**
     * What the watch knows about process {@code pid} started at {@code startMillis} (0: unknown): one
     * {@code poll(2)} of its pidfd at most, cheaper than reading /proc, and right about zombies.
     */
    public static int state(long pid, long startMillis) {
        Long start = EXITED_PROCESSES.get(pid);
        if (start != null) {
            return startMillis == 0 || start == 0 || Math.abs(start - startMillis) < 1000 ? EXITED : UNKNOWN;
        }
        Integer fd = FD_BY_PID.get(pid);
        if (fd == null) {
            return UNKNOWN;
        }
        long[] watched = BY_FD.get(fd);
        if (watched == null || (startMillis != 0 && watched[1] != 0 && Math.abs(watched[1] - startMillis) >= 1000)) {
            return UNKNOWN; // another process by that pid, or the watch just ended
        }
        // exited but not reported by the watch thread yet? the pidfd itself says (no waiting)
        ByteBuffer pollfd = POLLFD.get();
        pollfd.putInt(0, fd);
        pollfd.putShort(4, (short) POLLIN);
        pollfd.putShort(6, (short) 0);
        int n = LinuxCalls.poll(LinuxCalls.address(pollfd), 1, 0);
        if (n == 1 && (pollfd.getShort(6) & POLLIN) != 0) {
            return EXITED;
        }
        return n == 0 ? RUNNING : UNKNOWN;
    }

    private static final int POLLIN = 0x001;
    /** One {@code struct pollfd} per thread. */
    private static final ThreadLocal<ByteBuffer> POLLFD = new ThreadLocal<>() {
        @Override
        protected ByteBuffer initialValue() { // a class, not a lambda: no bootstrap in a fresh JVM's first connect
            return ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
        }
    };

    /** The watch thread's body (a class, not a lambda: this class is initialised in a fresh JVM's first connect). */
    private static final class Watcher implements Runnable {
        private final int ep;

        Watcher(int ep) {
            this.ep = ep;
        }

        @Override
        public void run() {
            ProcessExitWatch.run(ep);
        }
    }

    private static void run(int ep) {
        ByteBuffer events = ByteBuffer.allocateDirect(EVENT_SIZE * MAX_EVENTS).order(ByteOrder.nativeOrder());
        long address = LinuxCalls.address(events);
        while (true) {
            int n = LinuxCalls.epoll_wait(ep, address, MAX_EVENTS, -1);
            if (n <= 0) {
                continue; // EINTR
            }
            for (int i = 0; i < n; i++) {
                int fd = (int) events.getLong(i * EVENT_SIZE + DATA_OFFSET);
                long[] process = BY_FD.remove(fd);
                LinuxCalls.close(fd); // also removes it from the epoll set
                if (process == null) {
                    continue;
                }
                synchronized (ProcessExitWatch.class) {
                    FD_BY_PID.remove(process[0], fd);
                }
                record(process[0], process[1]);
            }
            notifyExits();
        }
    }

    private static void exited(long pid, long startMillis) {
        record(pid, startMillis);
        notifyExits();
    }

    private static void record(long pid, long startMillis) {
        if (EXITED_PROCESSES.size() > 10_000) {
            EXITED_PROCESSES.clear(); // bounds memory; /proc answers for processes long gone
        }
        EXITED_PROCESSES.put(pid, startMillis);
        EXITS.incrementAndGet();
        Log.LOG.debug("process {} exited", pid);
    }

    private static void notifyExits() {
        Housekeeper.wakeIfRunning();
        for (Runnable l : LISTENERS) {
            try {
                l.run();
            } catch (RuntimeException e) {
                Log.LOG.warn("exit listener {} failed: {}", l, e.toString());
            }
        }
    }

    /**
     * Whether this class is initialised, readable without initialising it: until it is, no process is watched and
     * the watch knows nothing (every {@link #state} would be {@link #UNKNOWN}, {@link #exits()} 0), so a caller may
     * ask /proc instead of waiting for its initialisation (JNA's, on another thread: {@code NativeWarmup}).
     */
    static final class Initialised {
        static volatile boolean done;

        private Initialised() {
        }
    }

    static {
        Initialised.done = true; // last: every static field above is set
    }
}
