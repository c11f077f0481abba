package io.viaemu.internal;

/**
 * The time the protocol decides timeouts by: the handover's waits (intermission, reconnection, child's grant), the
 * heartbeats and their staleness. The roles and the housekeeper read it instead of {@link System#nanoTime()} and
 * {@link System#currentTimeMillis()}, so that a test can drive a role through a timeout without waiting for it.
 * Implementations must be thread-safe.
 */
public interface Clock {

    /** Monotonic nanoseconds (only differences mean anything), like {@link System#nanoTime()}. */
    long nanoTime();

    /** Wall-clock milliseconds since the epoch, like {@link System#currentTimeMillis()}: heartbeats, step stamps. */
    long currentTimeMillis();

    /** The system's clocks. */
    Clock SYSTEM = new Clock() {
        @Override
        public long nanoTime() {
            return System.nanoTime();
        }

        @Override
        public long currentTimeMillis() {
            return System.currentTimeMillis();
        }

        @Override
        public String toString() {
            return "Clock.SYSTEM";
        }
    };
}
