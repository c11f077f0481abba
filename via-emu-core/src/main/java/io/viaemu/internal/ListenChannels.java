package io.viaemu.internal;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.viaemu.idle.QueueDoorbells;
import io.viaemu.protocol.Messages;
import io.viaemu.transport.Channel;
import io.viaemu.transport.Transport;

/**
 * Channels this process only appends requests to (listen queues, worker inboxes), kept open: opening a queue costs
 * far more than a connect should. Appends are serialised per channel. Each append rings the queue's doorbell
 * (the transport does, see {@link io.viaemu.idle.QueueDoorbells}), on which the server's acceptor or the worker
 * parks.
 */
public final class ListenChannels {
    private static final Map<Path, Channel> OPEN = new ConcurrentHashMap<>();

    private ListenChannels() {
    }

    public static long append(Transport transport, Path dir, Messages.Writer w) {
        Channel channel = OPEN.computeIfAbsent(dir, transport::open);
        synchronized (channel) {
            return channel.append(w.bytes(), w.length(), w.bytes(), 0, 0);
        }
    }

    /** Opens the channel ahead of its first append (opening a queue costs milliseconds). */
    public static void prepare(Transport transport, Path dir) {
        Channel channel = OPEN.computeIfAbsent(dir, transport::open);
        synchronized (channel) {
            channel.prepareToAppend();
        }
    }

    /** Forgets (and closes) a channel whose directory is going away. */
    public static void forget(Path dir) {
        QueueDoorbells.forget(dir);
        Channel c = OPEN.remove(dir);
        if (c != null) {
            synchronized (c) {
                c.close();
            }
        }
    }
}
