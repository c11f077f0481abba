package io.viaemu.protocol;

import java.nio.file.Path;

import io.viaemu.idle.Doorbell;

/** A flag block's words passed through to {@code words}; a test overrides what it holds back or watches. */
abstract class ForwardingCoordination implements Coordination {
    protected final Coordination words;

    ForwardingCoordination(Coordination words) {
        this.words = words;
    }

    @Override
    public long getVolatile(int offset) {
        return words.getVolatile(offset);
    }

    @Override
    public void setVolatile(int offset, long value) {
        words.setVolatile(offset, value);
    }

    @Override
    public void setRelease(int offset, long value) {
        words.setRelease(offset, value);
    }

    @Override
    public boolean compareAndSet(int offset, long expected, long value) {
        return words.compareAndSet(offset, expected, value);
    }

    @Override
    public long getAndAdd(int offset, long delta) {
        return words.getAndAdd(offset, delta);
    }

    @Override
    public long getAndBitwiseOr(int offset, long bits) {
        return words.getAndBitwiseOr(offset, bits);
    }

    @Override
    public Doorbell clientBell() {
        return words.clientBell();
    }

    @Override
    public Doorbell serverBell() {
        return words.serverBell();
    }

    @Override
    public Doorbell childBell() {
        return words.childBell();
    }

    @Override
    public Doorbell parentBell() {
        return words.parentBell();
    }

    @Override
    public void wakeProcess(long pid, long startMillis) {
        words.wakeProcess(pid, startMillis);
    }

    @Override
    public Path location() {
        return words.location();
    }
}
