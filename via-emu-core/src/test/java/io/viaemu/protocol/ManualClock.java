package io.viaemu.protocol;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import io.viaemu.internal.Clock;

/** A clock that moves only when the test says so. */
final class ManualClock implements Clock {
    private final AtomicLong nanos = new AtomicLong(1_000_000_000_000L);
    private final AtomicLong millis = new AtomicLong(1_700_000_000_000L);

    private final AtomicLong reads = new AtomicLong();

    @Override
    public long nanoTime() {
        reads.incrementAndGet();
        return nanos.get();
    }

    /** How often {@link #nanoTime()} was read: a waiting role reads it on every pass of its wait. */
    long reads() {
        return reads.get();
    }

    @Override
    public long currentTimeMillis() {
        return millis.get();
    }

    void advance(Duration d) {
        nanos.addAndGet(d.toNanos());
        millis.addAndGet(d.toMillis());
    }
}
