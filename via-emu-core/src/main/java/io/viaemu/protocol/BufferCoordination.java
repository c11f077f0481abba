package io.viaemu.protocol;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;

import io.viaemu.idle.Doorbell;
import io.viaemu.idle.QueueDoorbells;

/**
 * Coordination words in a direct buffer ({@code VarHandle} volatile and CAS access, little-endian), with the two
 * doorbells at {@link QueueDoorbells#CLIENT_OFFSET} and {@link QueueDoorbells#SERVER_OFFSET}, the child's at
 * {@link FlagBlock#CHILD_BELL_OFFSET} and the parent's at {@link FlagBlock#PARENT_BELL_OFFSET}. Whether other
 * processes see the words depends on the buffer: a shared file mapping, or memory of this JVM.
 */
abstract class BufferCoordination implements Coordination {

    private static final VarHandle LONGS = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private final ByteBuffer buffer;
    private final Path location;
    private final Doorbell clientBell;
    private final Doorbell serverBell;
    private final Doorbell childBell;
    private final Doorbell parentBell;

    /**
     * @param connectionDir the directory whose {@code up} and {@code down} queues ring these doorbells (registered
     *            with {@link QueueDoorbells}); ignored when read-only
     */
    BufferCoordination(ByteBuffer direct, Path location, Path connectionDir, boolean readOnly) {
        this.buffer = direct;
        this.location = location;
        this.clientBell = readOnly ? null : new Doorbell(direct, QueueDoorbells.CLIENT_OFFSET, location + "#client");
        this.serverBell = readOnly ? null : new Doorbell(direct, QueueDoorbells.SERVER_OFFSET, location + "#server");
        this.childBell = readOnly ? null : new Doorbell(direct, FlagBlock.CHILD_BELL_OFFSET, location + "#child");
        this.parentBell = readOnly ? null : new Doorbell(direct, FlagBlock.PARENT_BELL_OFFSET, location + "#parent");
        if (!readOnly) {
            QueueDoorbells.register(connectionDir, clientBell, serverBell); // the transport rings them on appends
        }
    }

    @Override
    public final long getVolatile(int offset) {
        return (long) LONGS.getVolatile(buffer, offset);
    }

    @Override
    public final void setVolatile(int offset, long value) {
        LONGS.setVolatile(buffer, offset, value);
    }

    @Override
    public final void setRelease(int offset, long value) {
        LONGS.setRelease(buffer, offset, value);
    }

    @Override
    public final boolean compareAndSet(int offset, long expected, long value) {
        return LONGS.compareAndSet(buffer, offset, expected, value);
    }

    @Override
    public final long getAndAdd(int offset, long delta) {
        return (long) LONGS.getAndAdd(buffer, offset, delta);
    }

    @Override
    public final long getAndBitwiseOr(int offset, long bits) {
        return (long) LONGS.getAndBitwiseOr(buffer, offset, bits);
    }

    @Override
    public final Doorbell clientBell() {
        return clientBell;
    }

    @Override
    public final Doorbell serverBell() {
        return serverBell;
    }

    @Override
    public final Doorbell childBell() {
        return childBell;
    }

    @Override
    public final Doorbell parentBell() {
        return parentBell;
    }

    @Override
    public final Path location() {
        return location;
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "{" + location + "}";
    }
}
