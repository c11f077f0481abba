package io.viaemu.nio;

import java.io.IOException;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.nio.channels.NetworkChannel;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Socket options of a channel that has no TCP socket underneath (yet, or at all): accepted if the platform's
 * channel of the same kind supports them, type-checked, recorded and answered back, and handed to the platform
 * channel if the channel turns out to be TCP. Over via-emu they change nothing (no Nagle, no kernel buffers), except
 * that they read back as set.
 */
final class ChannelOptions {
    private final Set<SocketOption<?>> supported;
    private final Map<SocketOption<?>, Object> values = new ConcurrentHashMap<>();
    private final int bufferSize;

    ChannelOptions(Set<SocketOption<?>> supported, long window) {
        this.supported = supported;
        this.bufferSize = window <= 0 || window > Integer.MAX_VALUE ? 4 << 20 : (int) window;
    }

    Set<SocketOption<?>> supported() {
        return supported;
    }

    <T> void set(SocketOption<T> name, T value) {
        Objects.requireNonNull(name, "name");
        if (!supported.contains(name)) {
            throw new UnsupportedOperationException("'" + name + "' not supported");
        }
        if (value == null && name != StandardSocketOptions.SO_LINGER) {
            throw new IllegalArgumentException("Invalid value 'null'");
        }
        if (value != null && !name.type().isInstance(value)) {
            throw new IllegalArgumentException("Invalid value '" + value + "' for " + name);
        }
        if ((name == StandardSocketOptions.SO_RCVBUF || name == StandardSocketOptions.SO_SNDBUF)
                && (Integer) value < 0) {
            throw new IllegalArgumentException("Invalid send/receive buffer size");
        }
        if (value == null) {
            values.remove(name);
        } else {
            values.put(name, value);
        }
    }

    @SuppressWarnings("unchecked")
    <T> T get(SocketOption<T> name) {
        Objects.requireNonNull(name, "name");
        if (!supported.contains(name)) {
            throw new UnsupportedOperationException("'" + name + "' not supported");
        }
        Object v = values.get(name);
        if (v != null) {
            return (T) v;
        }
        if (name == StandardSocketOptions.SO_SNDBUF || name == StandardSocketOptions.SO_RCVBUF) {
            return (T) Integer.valueOf(bufferSize);
        }
        if (name == StandardSocketOptions.SO_LINGER) {
            return (T) Integer.valueOf(-1);
        }
        if (name.type() == Boolean.class) {
            return (T) Boolean.FALSE;
        }
        if (name.type() == Integer.class) {
            return (T) Integer.valueOf(0);
        }
        return null;
    }

    /** Hands every recorded option to a platform channel this one now runs on. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    void applyTo(NetworkChannel ch) throws IOException {
        for (Map.Entry<SocketOption<?>, Object> e : values.entrySet()) {
            if (ch.supportedOptions().contains(e.getKey())) {
                ch.setOption((SocketOption) e.getKey(), e.getValue());
            }
        }
    }
}
