package io.viaemu.internal;

import io.viaemu.idle.Doorbell;

/**
 * Starts, once per JVM, the initialisation of via-emu's native calls on a daemon thread of its own: JNA's
 * {@code Native} class (its {@code jnidispatch} library unpacked and loaded, {@code java.util.logging} set up, a
 * {@code SecureRandom} for the unpacked file's name: 25-60 ms in a fresh JVM on this 2-core machine, measured with
 * async-profiler), libc's functions ({@code idle.LinuxCalls}), the futex self-test ({@code idle.Futex}) and the
 * process exit watch ({@link ProcessExitWatch}: pidfd, epoll, its thread). A fresh client's first connect needs
 * them only once it has its connection slot ready (the doorbells, the CONNECT's wake-up of the acceptor); until
 * then its thread loads and runs the rest of the connect path (SLF4J, the slot's files and mappings) while this
 * one works on the other CPU.
 *
 * <p>The thread starts with the JVM options' check ({@link JvmOptions#checkRequired}), which the connecting thread
 * makes after its first steps.
 *
 * <p>Nothing is lost by the parallel start: a thread that needs one of these classes before it is initialised
 * waits for the initialisation (the JVM's class initialisation lock), so no futex wake-up can be skipped, and the
 * liveness check that runs before (is the server alive?) asks /proc until the exit watch is ready
 * ({@link ProcessExitWatch.Initialised}).
 */
public final class NativeWarmup {
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
            t.start();
        } catch (Throwable e) {
            // no thread to be had: whoever needs the classes first initialises them
        }
    }

    /**
     * The thread's body (a class, not a lambda): the JVM options' check first ({@link JvmOptions#checkRequired}: its
     * first look at the classpath's resources searches every module of the JDK, 5-20 ms, which the connecting
     * thread would otherwise wait for; it checks after its own first steps and finds it done), then unpinning
     * (which initialises JNA and LinuxCalls), the futex and the exit watch.
     */
    private static final class Init implements Runnable {
        @Override
        public void run() {
            try {
                JvmOptions.checkRequired();
            } catch (Throwable e) {
                // the connecting thread's own check reports it
            }
            BackgroundThreads.unpin();
            Doorbell.futexAvailable();
            ProcessExitWatch.available();
        }
    }
}
