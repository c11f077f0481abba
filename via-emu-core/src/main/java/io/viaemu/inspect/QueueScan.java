package io.viaemu.inspect;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Supplier;

import io.viaemu.protocol.MessageType;
import io.viaemu.protocol.Messages;
import io.viaemu.transport.Channel;
import io.viaemu.transport.ChannelReader;
import io.viaemu.transport.Document;
import io.viaemu.transport.ring.RingTransport;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.wire.DocumentContext;

/**
 * Counts the stream bytes of a connection queue from a position on, through a read-only Chronicle queue, or for a
 * ring channel through the transport SPI on a read-only mapping: the files are mapped read-only and nothing is
 * created or written, so the processes that own the queue are undisturbed.
 */
final class QueueScan {

    /** Bytes counted and whether the scan reached the end of the queue. */
    record Count(long bytes, boolean complete) {
    }

    /** How often a ring scan reads a moving consumer's position again before it gives up. */
    private static final int POSITION_ATTEMPTS = 20;

    private QueueScan() {
    }

    /**
     * Payload bytes of the DATA documents from the consumer's position on: {@code position} gives {index, offset}
     * (index -1: from the start; {@code offset} bytes of that document's payload already consumed), read afresh right
     * before the queue is positioned. On a ring the consumer frees every document before the one it is in, so a
     * position read earlier may be gone by the time the ring is open: the position is read again while it keeps
     * moving. Reads at most {@code maxDocuments}; null if the queue cannot be read.
     */
    static Count dataBytesFrom(Path queueDir, Supplier<long[]> position, int maxDocuments) {
        if (!Files.isDirectory(queueDir)) {
            return null;
        }
        if (RingTransport.isRing(queueDir)) {
            return ringDataBytesFrom(queueDir, position, maxDocuments);
        }
        long[] at = position.get();
        long index = at[0];
        long offset = at[1];
        try (SingleChronicleQueue queue = SingleChronicleQueueBuilder.binary(queueDir).readOnly(true).build();
                ExcerptTailer tailer = queue.createTailer()) {
            if (index >= 0 && !tailer.moveToIndex(index)) {
                return null; // the document is gone (its cycle file was reclaimed): nothing honest to count
            }
            long bytes = 0;
            boolean first = index >= 0;
            for (int n = 0; n < maxDocuments; n++) {
                try (DocumentContext dc = tailer.readingDocument()) {
                    if (!dc.isPresent()) {
                        return new Count(bytes, true);
                    }
                    Bytes<?> b = dc.wire().bytes();
                    long len = b.readRemaining();
                    if (len >= Messages.HEADER && b.readByte(b.readPosition() + 1) == MessageType.DATA.code()) {
                        bytes += len - Messages.HEADER - (first ? Math.min(offset, len - Messages.HEADER) : 0);
                    }
                    first = false;
                }
            }
            return new Count(bytes, false);
        } catch (RuntimeException e) {
            return null; // deleted or rolled while we read: the next look will do
        }
    }

    /** The same count over a ring channel, through the transport SPI on a read-only mapping. */
    private static Count ringDataBytesFrom(Path queueDir, Supplier<long[]> position, int maxDocuments) {
        try (Channel channel = RingTransport.openReadOnly(queueDir); ChannelReader reader = channel.reader()) {
            long[] at = position.get();
            for (int attempt = 1; at[0] >= 0 && !reader.moveToIndex(at[0]); attempt++) {
                long[] again = position.get();
                if (again[0] == at[0] || attempt == POSITION_ATTEMPTS) {
                    return null; // the consumer is not moving and its document is gone: nothing honest to count
                }
                at = again;
            }
            Document doc = new Document(4096);
            long bytes = 0;
            boolean first = at[0] >= 0;
            long offset = at[1];
            for (int n = 0; n < maxDocuments; n++) {
                if (!reader.next(doc)) {
                    return new Count(bytes, true);
                }
                long len = doc.length();
                if (len >= Messages.HEADER && doc.bytes()[1] == MessageType.DATA.code()) {
                    bytes += len - Messages.HEADER - (first ? Math.min(offset, len - Messages.HEADER) : 0);
                }
                first = false;
            }
            return new Count(bytes, false);
        } catch (IOException | RuntimeException e) {
            return null; // deleted while we read: the next look will do
        }
    }
}
