package io.viaemu.protocol;

import java.nio.file.Path;

import io.viaemu.ViaConfig;
import io.viaemu.internal.Layout;
import io.viaemu.protocol.FlagBlock.Word;
import io.viaemu.transport.Channel;
import io.viaemu.transport.Transport;

/**
 * Opens a connection's two queues the way every process of the connection must: rolled by size, each on its own
 * segment word of the flag block, so that files whose documents are consumed can be released while the connection
 * lives and its disk follows its window, not the bytes it carried.
 */
public final class ConnectionQueues {
    private ConnectionQueues() {
    }

    /** The up queue (client to server) of the connection in {@code connDir}. */
    public static Channel up(Transport transport, Path connDir, FlagBlock flags, ViaConfig config) {
        return transport.open(Layout.upDir(connDir), flags.counter(Word.UP_SEGMENT), config.rollBytes());
    }

    /** The down queue (server to client) of the connection in {@code connDir}. */
    public static Channel down(Transport transport, Path connDir, FlagBlock flags, ViaConfig config) {
        return transport.open(Layout.downDir(connDir), flags.counter(Word.DOWN_SEGMENT), config.rollBytes());
    }
}
