package io.viaemu.inspect;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

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

    private QueueScan() {
    }

    /**
     * Payload bytes of the DATA documents from document {@code index} on ({@code offset} of its payload already
     * consumed; index -1: from the start), reading at most {@code maxDocuments}; null if the queue cannot be read.
     */
    static Count dataBytesFrom(Path queueDir, long index, long offset, int maxDocuments) {
        if (!Files.isDirectory(queueDir)) {
            return null;
        }
        if (RingTransport.isRing(queueDir)) {
            return ringDataBytesFrom(queueDir, index, offset, maxDocuments);
        }
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
    private static Count ringDataBytesFrom(Path queueDir, long index, long offset, int maxDocuments) {
        try (Channel channel = RingTransport.openReadOnly(queueDir); ChannelReader reader = channel.reader()) {
            if (index >= 0 && !reader.moveToIndex(index)) {
                return null; // the document was reclaimed: nothing honest to count
            }
            Document doc = new Document(4096);
            long bytes = 0;
            boolean first = index >= 0;
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
