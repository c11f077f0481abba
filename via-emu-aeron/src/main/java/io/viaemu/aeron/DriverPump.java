package io.viaemu.aeron;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

import io.aeron.driver.MediaDriver;
import org.agrona.concurrent.AgentInvoker;

/**
 * Runs a media driver that has no threads of its own (Aeron's {@code INVOKER} threading mode,
 * {@code via.aeron.threading=invoker}, the default) from the threads that wait on it: the gateway's session duty
 * cycles and the remote client's sends and receives each call {@link #invoke()} as part of their own loop, so a
 * frame is put on the wire (and taken off it) by the thread that wrote (or waits for) it, with no hand-off to a
 * driver thread. One duty cycle at a time: {@link #invoke()} runs the driver's conductor, sender and receiver once
 * if no other thread is running them right now, else returns at once (that other thread does the work).
 *
 * <p>A background thread {@code via-aeron-driver-NAME} keeps the driver going when nobody else does (the
 * handshake's waits, heartbeats and status messages of idle connections, retransmissions): it invokes the driver
 * and, when there was nothing to do, parks {@value #IDLE_PARK_MICROS} µs ({@value #BUSY_PARK_MICROS} µs while other
 * threads invoked it within the last millisecond). It never spins, so it takes no core from the threads that do.
 *
 * <p>With {@code shared} or {@code dedicated} threading the driver has its own threads and {@link #invoke()} does
 * nothing.
 */
final class DriverPump {
    static final DriverPump NONE = new DriverPump(null, null);
    private static final long IDLE_PARK_MICROS = 100;
    private static final long BUSY_PARK_MICROS = 1000;

    private final MediaDriver driver;
    private final AgentInvoker invoker;
    private final ReentrantLock lock = new ReentrantLock();
    private volatile boolean closed;
    private volatile long lastForegroundNanos;

    private DriverPump(MediaDriver driver, String name) {
        this.driver = driver;
        this.invoker = driver == null ? null : driver.sharedAgentInvoker();
        if (invoker != null) {
            Thread t = new Thread(this::background, "via-aeron-driver-" + name);
            t.setDaemon(true);
            t.start();
        }
    }

    /** The pump of {@code driver}: a background thread if the driver runs in INVOKER mode, else nothing. */
    static DriverPump of(MediaDriver driver, String name) {
        return driver == null ? NONE : new DriverPump(driver, name);
    }

    /** True if the driver has no threads of its own and is run by {@link #invoke()}. */
    boolean invokes() {
        return invoker != null;
    }

    /**
     * One duty cycle of the driver (INVOKER mode) unless another thread is running one: the work it did (0 if none,
     * or if the driver has its own threads).
     */
    int invoke() {
        if (invoker == null) {
            return 0;
        }
        lastForegroundNanos = System.nanoTime();
        return invokeOnce();
    }

    private int invokeOnce() {
        if (!lock.tryLock()) {
            return 0;
        }
        try {
            return closed ? 0 : invoker.invoke();
        } finally {
            lock.unlock();
        }
    }

    private void background() {
        long busyWindow = TimeUnit.MILLISECONDS.toNanos(1);
        while (!closed) {
            if (invokeOnce() == 0) {
                boolean othersInvoke = System.nanoTime() - lastForegroundNanos < busyWindow;
                LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(othersInvoke ? BUSY_PARK_MICROS
                        : IDLE_PARK_MICROS));
            }
        }
    }

    /** Closes the driver; with an invoker, after the duty cycle running now (none starts afterwards). */
    void closeDriver() {
        if (driver == null) {
            return;
        }
        lock.lock();
        try {
            closed = true;
            driver.close();
        } finally {
            lock.unlock();
        }
    }
}
