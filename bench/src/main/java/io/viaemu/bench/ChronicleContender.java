package io.viaemu.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.wire.DocumentContext;

/**
 * Raw Chronicle Queue ping-pong, no via-emu protocol: the limit of the transport. A connection is two queues,
 * {@code ping} (client to server) and {@code pong} (server to client), in {@code <dir>/conn-<i>}; every
 * {@link Connection#write} appends one document holding the raw bytes ({@code dc.wire().bytes()}), and readers
 * busy-spin on their tailer (each spinning peer takes a whole core).
 *
 * <p>Connection set-up: the server pre-creates the queue pair of the next connection (like a listen backlog of
 * one), so {@link #connect} times opening two existing queues and creating an appender and a tailer. Connections
 * are numbered in order on both sides; the client of a run connects one at a time, so the numbers match.
 */
public final class ChronicleContender implements Contender {

    private int nextClientConnection;

    @Override
    public String name() {
        return "chronicle";
    }

    @Override
    public String description() {
        return "raw Chronicle Queue ping-pong (two binary queues per connection, one document per write, "
                + "busy-spinning tailers, no via-emu protocol)";
    }

    @Override
    public Listener listen(Path dir) throws IOException {
        Files.createDirectories(dir);
        return new Listener() {
            private int nextAccept;
            private ChronicleQueue[] prepared = prepare(dir, 0);

            @Override
            public String address() {
                return dir.toString();
            }

            @Override
            public Connection accept() {
                ChronicleQueue[] queues = prepared;
                int index = nextAccept++;
                // Server side reads ping and writes pong; create the next pair before handing this one out.
                QueueConnection connection = new QueueConnection(queues[0], queues[1]);
                prepared = prepare(dir, index + 1);
                return connection;
            }

            @Override
            public void close() {
                for (ChronicleQueue queue : prepared) {
                    queue.close();
                }
            }
        };
    }

    /** Server side: builds {ping, pong} of connection {@code index}; returns them in (read, write) order. */
    private static ChronicleQueue[] prepare(Path dir, int index) {
        Path connection = dir.resolve("conn-" + index);
        ChronicleQueue ping = SingleChronicleQueueBuilder.binary(connection.resolve("ping")).build();
        ChronicleQueue pong = SingleChronicleQueueBuilder.binary(connection.resolve("pong")).build();
        return new ChronicleQueue[] {ping, pong};
    }

    @Override
    public Connection connect(String address) {
        Path connection = Path.of(address).resolve("conn-" + nextClientConnection++);
        ChronicleQueue ping = SingleChronicleQueueBuilder.binary(connection.resolve("ping")).build();
        ChronicleQueue pong = SingleChronicleQueueBuilder.binary(connection.resolve("pong")).build();
        // Client side reads pong and writes ping.
        return new QueueConnection(pong, ping);
    }

    private static final class QueueConnection implements Connection {
        private final ChronicleQueue inQueue;
        private final ChronicleQueue outQueue;
        private final ExcerptTailer tailer;
        private final ExcerptAppender appender;
        /** Rest of a document larger than the caller's buffer. */
        private byte[] pending = new byte[0];
        private int pendingOff;
        private int pendingLen;

        QueueConnection(ChronicleQueue inQueue, ChronicleQueue outQueue) {
            this.inQueue = inQueue;
            this.outQueue = outQueue;
            this.tailer = inQueue.createTailer();
            this.appender = outQueue.createAppender();
        }

        @Override
        public void write(byte[] b, int off, int len) {
            try (DocumentContext dc = appender.writingDocument()) {
                dc.wire().bytes().write(b, off, len);
            }
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (pendingLen > 0) {
                int n = Math.min(len, pendingLen);
                System.arraycopy(pending, pendingOff, b, off, n);
                pendingOff += n;
                pendingLen -= n;
                return n;
            }
            while (true) { // busy-spin: this is the transport's limit; the harness kills a peer that hangs
                try (DocumentContext dc = tailer.readingDocument()) {
                    if (dc.isPresent()) {
                        Bytes<?> bytes = dc.wire().bytes();
                        int available = (int) bytes.readRemaining();
                        int n = Math.min(available, len);
                        bytes.read(b, off, n);
                        int rest = available - n;
                        if (rest > 0) {
                            if (pending.length < rest) {
                                pending = new byte[rest];
                            }
                            bytes.read(pending, 0, rest);
                            pendingOff = 0;
                            pendingLen = rest;
                        }
                        if (n > 0 || len == 0) {
                            return n;
                        }
                        // an empty document carries nothing: keep waiting
                    }
                }
            }
        }

        @Override
        public void close() {
            appender.close();
            tailer.close();
            outQueue.close();
            inQueue.close();
        }
    }
}
