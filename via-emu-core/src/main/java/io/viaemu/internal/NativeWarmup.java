package io.viaemu.internal;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.viaemu.idle.Doorbell;

/**
 * Starts, once per JVM, the initialisation of via-emu's native calls on a daemon thread of its own: JNA's
 * {@code Native} class (its {@code jnidispatch} library unpacked and loaded, {@code java.util.logging} set up, a
 * {@code SecureRandom} for the unpacked file's name: 25-60 ms in a fresh JVM on this 2-core machine, measured with
 * async-profiler), libc's functions ({@code idle.LinuxCalls}), the futex self-test ({@code idle.Futex}) and the
 * process exit watch ({@link ProcessExitWatch}: pidfd, epoll, its thread). A fresh client's first connect needs
 * them only once it has its connection slot ready (the doorbells, the CONNECT's wake-up of the acceptor); until
 * then its thread loads and runs the rest of the connect path (the JVM options' check, the slot's files and
 * mappings) while this one works on the other CPU. JNA's part is the longer one (async-profiler: the connecting
 * thread waited for it in {@code Futex}'s initialisation once SLF4J's set-up was off its path), so this thread
 * starts with it.
 *
 * <p>Nothing is lost by the parallel start: a thread that needs one of these classes before it is initialised
 * waits for the initialisation (the JVM's class initialisation lock), so no futex wake-up can be skipped, and the
 * liveness check that runs before (is the server alive?) asks /proc until the exit watch is ready
 * ({@link ProcessExitWatch.Initialised}).
 *
 * <p>Last, once the first connect returned (or a second passed), the thread initialises SLF4J ({@link Logs}): the
 * connect's own lines are kept until then, so neither CPU of a 2-core machine spends the 15-20 ms of SLF4J's set-up
 * while the connect runs.
 */
public final class NativeWarmup {
    /** How long background work waits for the first connect's return before it goes on all the same. */
    public static final long FIRST_CONNECT_WAIT_MILLIS = 1_000;
    private static final CountDownLatch FIRST_CONNECT_RETURNED = new CountDownLatch(1);
    private static boolean started;

    private NativeWarmup() {
    }

    /** Starts the initialisation (see the class comment) unless it was started before; never blocks. */
    public static synchronized void start() {
        if (started) {
            return;
        }
        started = true;
        try {
            Thread t = new Thread(new Init(), "via-native-init"); // unpinned by Init, after the options' check
            t.setDaemon(true);
            Logs.initialiseLater();
            t.start();
        } catch (Throwable e) {
            // no thread to be had: whoever needs the classes first initialises them, and SLF4J is set up now
            Logs.initialise();
        }
    }

    /** A connect returned (or failed): the thread may initialise SLF4J now. */
    public static void firstConnectReturned() {
        FIRST_CONNECT_RETURNED.countDown();
    }

    /**
     * Waits until this process's first connect returned, at most {@code millis}: for background work a connect
     * starts that need not share the CPUs with it (SLF4J's set-up, the client's sweep of other endpoints).
     */
    public static void awaitFirstConnect(long millis) {
        try {
            FIRST_CONNECT_RETURNED.await(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The thread's body (a class, not a lambda): unpinning (which initialises JNA and LinuxCalls), the futex and the
     * exit watch; then, after the first connect, SLF4J.
     */
    private static final class Init implements Runnable {
        @Override
        public void run() {
            BackgroundThreads.unpin();
            Doorbell.futexAvailable();
            ProcessExitWatch.available();
            awaitFirstConnect(FIRST_CONNECT_WAIT_MILLIS);
            Logs.initialise();
        }
    }
}
