package io.viaemu.nio;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;
import java.nio.channels.Channel;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;

import io.viaemu.ParentConnection;
import io.viaemu.Trigger;
import io.viaemu.ViaConfig;
import io.viaemu.ViaConnection;

/**
 * What NIO code that knows about via-emu can do with the channels of {@link ViaSelectorProvider}: tell them apart,
 * and hand an accepted connection to a worker process (the NIO form of {@code ViaSocket.handOver}).
 */
public final class ViaChannels {
    private ViaChannels() {
    }

    /** True for a channel of the via-emu provider that runs over via-emu (not TCP, not unconnected). */
    public static boolean isVia(Channel channel) {
        return channel instanceof ViaSocketChannel && ((ViaSocketChannel) channel).isVia();
    }

    /** The via-emu endpoint a channel is connected to or was accepted on; null for TCP or anything else. */
    public static String endpoint(Channel channel) {
        if (channel instanceof ViaSocketChannel) {
            return ((ViaSocketChannel) channel).endpoint();
        }
        if (channel instanceof ViaServerSocketChannel) {
            return ((ViaServerSocketChannel) channel).endpoint();
        }
        return null;
    }

    /**
     * The server's end of a connection accepted from a via-emu server channel, to {@link ParentConnection#fork fork}.
     *
     * @throws IllegalArgumentException if {@code accepted} is not such a channel
     */
    public static ParentConnection parentConnection(SocketChannel accepted) {
        ViaConnection c = accepted instanceof ViaSocketChannel ? ((ViaSocketChannel) accepted).connection() : null;
        if (!(c instanceof ParentConnection)) {
            throw new IllegalArgumentException("not a channel accepted from a via-emu server channel: " + accepted);
        }
        return (ParentConnection) c;
    }

    /**
     * Forks an accepted connection to a worker running {@code handlerClassName} (a {@link ViaChannelHandler}, or
     * any {@link io.viaemu.ViaConnectionHandler}, with a public no-argument constructor on the worker's class path)
     * and lets the worker take it over, then closes the channel here (its selection keys are cancelled). Returns
     * once the worker owns the connection. Uses T1 (close) if active, else T2 (abort); with neither it waits until
     * the worker's first receive or send (T3/T4). Bytes the application already read from the channel stay with it:
     * read no further than the message it serves itself.
     */
    public static void handOver(SocketChannel accepted, String handlerClassName) throws IOException {
        ParentConnection pc = parentConnection(accepted);
        if (!accepted.isOpen()) {
            throw new ClosedChannelException();
        }
        ViaConfig config = ((ViaSelectorProvider) accepted.provider()).rules().config();
        pc.fork(handlerClassName);
        if (config.isEnabled(Trigger.T1_PARENT_CLOSE)) {
            accepted.close();
            return;
        }
        if (config.isEnabled(Trigger.T2_PARENT_ABORT)) {
            pc.abort();
            accepted.close();
            return;
        }
        long limit = config.childStartTimeout().plus(config.handoverTimeout()).toMillis();
        long deadline = System.nanoTime() + limit * 1_000_000L;
        while (!pc.isHandedOver()) {
            if (System.nanoTime() - deadline > 0) {
                throw new SocketTimeoutException("the worker did not take connection " + pc.id() + " over within "
                        + limit + " ms (T1 and T2 are off; T3/T4 need the worker to receive or send)");
            }
            try {
                Thread.sleep(5); // T3/T4 only: the worker's first I/O, which nothing here is told of
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while waiting for the handover");
            }
        }
        accepted.close();
    }
}
