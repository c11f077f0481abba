package io.viaemu.faults;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

import io.viaemu.ViaConfig;
import io.viaemu.internal.FilePermissions;
import io.viaemu.internal.Layout;
import io.viaemu.internal.Processes;
import io.viaemu.protocol.ConnectionQueues;
import io.viaemu.protocol.ConnectionState;
import io.viaemu.protocol.MessageType;
import io.viaemu.protocol.Messages;
import io.viaemu.protocol.FlagBlock;
import io.viaemu.protocol.FlagBlock.Word;
import io.viaemu.transport.Channel;
import io.viaemu.transport.ChannelReader;
import io.viaemu.transport.Document;
import io.viaemu.transport.Transport;
import io.viaemu.transport.TransportFactory;

/**
 * A client built from the transport, the codec and the flag block, like {@code ClientRole.connect}, that streams
 * DATA but never looks at the flag block: it never confirms a transmission intermission (and has no housekeeper).
 */
final class DeafClient implements AutoCloseable {
    final long id;
    final Path dir;
    final FlagBlock flags;
    private final Channel up;
    private final Channel down;
    private final ChannelReader downReader;
    private final AtomicLong sent = new AtomicLong();
    private volatile boolean streaming;
    private Thread streamer;

    DeafClient(ViaConfig config, String endpoint) throws IOException {
        id = Layout.randomId();
        dir = Layout.connectionDir(config.baseDir(), endpoint, id);
        FilePermissions.createPrivateDirectories(dir);
        flags = FlagBlock.create(dir);
        flags.set(Word.CLIENT_START, Processes.currentStart());
        flags.set(Word.CLIENT_PID, Processes.currentPid());
        flags.set(Word.STATE, ConnectionState.CONNECTING.code());
        Transport transport = TransportFactory.create(config); // the configuration's, as the peers use
        up = ConnectionQueues.up(transport, dir, flags, config);
        down = ConnectionQueues.down(transport, dir, flags, config);
        downReader = down.reader();
        Channel listen = transport.open(Layout.listenDir(config.baseDir(), endpoint));
        try {
            Faults.append(listen, Faults.doc(MessageType.CONNECT).putLong(id).putLong(Processes.currentPid())
                    .putLong(Processes.currentStart()));
        } finally {
            listen.close();
        }
        Document d = next(10_000);
        if (d == null || new Messages.Reader().reset(d).type() != MessageType.GRANT) {
            throw new AssertionError("the deaf client was not granted");
        }
    }

    String idString() {
        return Layout.idString(id);
    }

    /** Streams DATA documents of 16 numbered longs in a thread until {@link #close}. */
    void startStreaming() {
        streaming = true;
        streamer = new Thread(() -> {
            Messages.Writer h = new Messages.Writer().start(MessageType.DATA);
            ByteBuffer b = ByteBuffer.allocate(128);
            long seq = 0;
            while (streaming) {
                b.clear();
                for (int i = 0; i < 16; i++) {
                    b.putLong(seq++);
                }
                up.append(h.bytes(), h.length(), b.array(), 0, 128);
                sent.addAndGet(128);
                Faults.sleep(1);
            }
        }, "deaf-client-streamer");
        streamer.setDaemon(true);
        streamer.start();
    }

    long bytesSent() {
        return sent.get();
    }

    /** The next document of the down queue, waiting at most {@code timeoutMillis}; null if none came. */
    Document next(long timeoutMillis) {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        Document d = new Document(256);
        while (!downReader.next(d)) {
            if (System.nanoTime() - deadline > 0) {
                return null;
            }
            Faults.sleep(1);
        }
        return d;
    }

    @Override
    public void close() throws InterruptedException {
        streaming = false;
        if (streamer != null) {
            streamer.join(5_000);
        }
        downReader.close();
        up.close();
        down.close();
    }
}
