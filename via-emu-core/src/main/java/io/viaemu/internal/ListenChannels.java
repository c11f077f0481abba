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
        while (true) {
            Channel channel = open(transport, dir);
            synchronized (channel) {
                // Another user may have forgotten (closed) it since we looked it up: a reusable worker's inbox is
                // shared by every connection of this process it serves. Then open it again.
                if (OPEN.get(dir) == channel) {
                    return channel.append(w.bytes(), w.length(), w.bytes(), 0, 0);
                }
            }
        }
    }

    /** The open channel of {@code dir}, opened if none (no method reference: no bootstrap on a first connect). */
    private static Channel open(Transport transport, Path dir) {
        Channel channel = OPEN.get(dir);
        if (channel != null) {
            return channel;
        }
        synchronized (OPEN) {
            channel = OPEN.get(dir);
            if (channel == null) {
                channel = transport.open(dir);
                OPEN.put(dir, channel);
            }
            return channel;
        }
    }

    /** Opens the channel ahead of its first append (opening a queue costs milliseconds). */
    public static void prepare(Transport transport, Path dir) {
        while (true) {
            Channel channel = open(transport, dir);
            synchronized (channel) {
                if (OPEN.get(dir) == channel) {
                    channel.prepareToAppend();
                    return;
                }
            }
        }
    }

    /**
     * Forgets (and closes) a channel whose directory is going away, or that this user does not need any more; a
     * later append opens it again.
     */
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
