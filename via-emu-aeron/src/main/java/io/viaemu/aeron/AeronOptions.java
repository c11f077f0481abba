package io.viaemu.aeron;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

/**
 * Settings of a remote connection, the same names on both sides (system properties of the client JVM and of the
 * gateway): {@code via.aeron.peer-timeout} (default 5s: a peer not heard from for this long is gone; heartbeats go every
 * tenth of it), {@code via.aeron.connect-timeout} (10s), {@code via.aeron.send-timeout} (0 = a send blocked by
 * back-pressure waits as long as the peer is alive), {@code via.aeron.idle=backoff|busy} (how waiting threads
 * wait: {@code busy} spins a core per waiting thread for the lowest latency; {@code backoff} spins briefly, then
 * yields for a few milliseconds, then parks up to 100 µs).
 */
public final class AeronOptions {
    private Duration peerTimeout = Duration.ofSeconds(5);
    private Duration connectTimeout = Duration.ofSeconds(10);
    private Duration sendTimeout = Duration.ZERO;
    private String idle = "backoff";

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
        if (!k.equals("busy") && !k.equals("backoff")) {
            throw new IllegalArgumentException("via.aeron.idle must be busy or backoff: " + kind);
        }
        this.idle = k;
        return this;
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

    IdleStrategy newIdleStrategy() {
        if (idle.equals("busy")) {
            return new BusySpinIdleStrategy();
        }
        return new BackoffIdleStrategy(100, 5_000, TimeUnit.MICROSECONDS.toNanos(1),
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
                + " ms, send-timeout " + sendTimeout.toMillis() + " ms, idle " + idle;
    }
}
