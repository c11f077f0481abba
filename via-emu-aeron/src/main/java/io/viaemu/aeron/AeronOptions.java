package io.viaemu.aeron;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.YieldingIdleStrategy;

/**
 * Settings of a remote connection, the same names on both sides (system properties of the client JVM and of the
 * gateway): {@code via.aeron.peer-timeout} (default 5s: a peer not heard from for this long is gone; heartbeats go every
 * tenth of it), {@code via.aeron.connect-timeout} (10s), {@code via.aeron.send-timeout} (0 = a send blocked by
 * back-pressure waits as long as the peer is alive), {@code via.aeron.idle=backoff|yield|busy} (how waiting threads
 * wait: {@code busy} spins a core per waiting thread for the lowest latency; {@code yield} spins with
 * {@code Thread.yield()}, giving the core to any other runnable thread; {@code backoff} yields for a few milliseconds,
 * then parks up to 100 µs), {@code via.aeron.threading=invoker|shared|dedicated} (the
 * media driver's threads: {@code invoker}, the default, none: the threads that send and wait run it, see
 * {@link DriverPump}; {@code shared} one thread for its conductor, sender and receiver; {@code dedicated} one
 * each; the driver threads wait with the idle strategy above).
 */
public final class AeronOptions {
    /** Yields before {@code backoff} parks (a few milliseconds of yielding). */
    static final int BACKOFF_YIELDS = 5_000;
    private Duration peerTimeout = Duration.ofSeconds(5);
    private Duration connectTimeout = Duration.ofSeconds(10);
    private Duration sendTimeout = Duration.ZERO;
    private String idle = "backoff";
    private String threading = "invoker";

    public static AeronOptions defaults() {
        return new AeronOptions();
    }

    /**
     * The defaults overridden by system properties: {@code via.remote.NAME} (the Spring Boot starter's names, so one
     * set of properties means the same in both), else {@code via.aeron.NAME}.
     */
    public static AeronOptions fromSystemProperties() {
        AeronOptions o = new AeronOptions();
        String v = property("peer-timeout");
        if (v != null) {
            o.peerTimeout(parse("via.remote.peer-timeout", v));
        }
        v = property("connect-timeout");
        if (v != null) {
            o.connectTimeout(parse("via.remote.connect-timeout", v));
        }
        v = property("send-timeout");
        if (v != null) {
            o.sendTimeout(parse("via.remote.send-timeout", v));
        }
        v = property("idle");
        if (v != null) {
            o.idle(v);
        }
        v = property("threading");
        if (v != null) {
            o.threading(v);
        }
        return o;
    }

    private static String property(String name) {
        String v = System.getProperty("via.remote." + name);
        return v != null ? v : System.getProperty("via.aeron." + name);
    }

    public AeronOptions peerTimeout(Duration d) {
        if (d.toMillis() < 50) {
            throw new IllegalArgumentException("via.aeron.peer-timeout must be at least 50 ms: " + d);
        }
        this.peerTimeout = d;
        return this;
    }

    public AeronOptions connectTimeout(Duration d) {
        this.connectTimeout = Objects.requireNonNull(d);
        return this;
    }

    public AeronOptions sendTimeout(Duration d) {
        this.sendTimeout = Objects.requireNonNull(d);
        return this;
    }

    public AeronOptions idle(String kind) {
        String k = kind.trim().toLowerCase(Locale.ROOT);
        if (!k.equals("busy") && !k.equals("yield") && !k.equals("backoff")) {
            throw new IllegalArgumentException("via.aeron.idle must be busy, yield or backoff: " + kind);
        }
        this.idle = k;
        return this;
    }

    /** The media driver's threading: {@code invoker} (no driver threads), {@code shared} or {@code dedicated}. */
    public AeronOptions threading(String mode) {
        String m = mode.trim().toLowerCase(Locale.ROOT);
        if (!m.equals("invoker") && !m.equals("shared") && !m.equals("dedicated")) {
            throw new IllegalArgumentException("via.aeron.threading must be invoker, shared or dedicated: " + mode);
        }
        this.threading = m;
        return this;
    }

    public String threading() {
        return threading;
    }

    public Duration peerTimeout() {
        return peerTimeout;
    }

    public Duration connectTimeout() {
        return connectTimeout;
    }

    public Duration sendTimeout() {
        return sendTimeout;
    }

    public String idle() {
        return idle;
    }

    long peerTimeoutNanos() {
        return peerTimeout.toNanos();
    }

    /**
     * A new idle strategy of the configured kind, for one waiting thread (public so that a benchmark's raw Aeron
     * peers wait exactly as via-emu's do). {@code backoff} does not spin: it yields from the first idle on
     * ({@link YieldThenParkIdleStrategy}), {@value #BACKOFF_YIELDS} times, then parks 1-100 µs. A waiting thread's
     * poll runs the driver in INVOKER mode (a socket read each), so 100 spins (Agrona's usual) held a core for
     * ~150 µs without yielding it, which on 2 cores kept the via-emu server that had the answer off the CPU (p50 296
     * µs against 20 µs yielding at once, 2026-12-02); even Agrona's two idles before its first yield cost a pinned
     * round trip ~1.5 µs (2026-12-03).
     */
    public IdleStrategy newIdleStrategy() {
        if (idle.equals("busy")) {
            return new BusySpinIdleStrategy();
        }
        if (idle.equals("yield")) {
            return new YieldingIdleStrategy();
        }
        return new YieldThenParkIdleStrategy(BACKOFF_YIELDS, TimeUnit.MICROSECONDS.toNanos(1),
                TimeUnit.MICROSECONDS.toNanos(100));
    }

    /** {@code 500ms}, {@code 10s}, {@code 2m}, or a bare number of milliseconds. */
    static Duration parse(String name, String value) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        try {
            if (v.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2).trim()));
            }
            if (v.endsWith("s")) {
                return Duration.ofMillis(Math.round(Double.parseDouble(v.substring(0, v.length() - 1).trim()) * 1000));
            }
            if (v.endsWith("m")) {
                return Duration.ofMinutes(Long.parseLong(v.substring(0, v.length() - 1).trim()));
            }
            return Duration.ofMillis(Long.parseLong(v));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + ": not a duration: " + value);
        }
    }

    @Override
    public String toString() {
        return "peer-timeout " + peerTimeout.toMillis() + " ms, connect-timeout " + connectTimeout.toMillis()
                + " ms, send-timeout " + sendTimeout.toMillis() + " ms, idle " + idle + ", threading " + threading;
    }
}
