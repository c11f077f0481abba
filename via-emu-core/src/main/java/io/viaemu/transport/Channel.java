package io.viaemu.transport;

import java.io.Closeable;
import java.nio.file.Path;

/**
 * One direction of traffic: an append-only sequence of documents, each addressed by a long index, readable by
 * any number of readers in any process. Appends from several processes are serialised by the implementation;
 * appends from several threads of one process must be serialised by the caller.
 */
public interface Channel extends Closeable {

    Path directory();

    /**
     * Appends one document made of {@code header[0..headerLength)} followed by {@code payload[off..off+len)}.
     *
     * @return the new document's index
     */
    long append(byte[] header, int headerLength, byte[] payload, int off, int len);

    /** Gets ready to append (creates the appender, maps the current file) so the first append is fast. */
    void prepareToAppend();

    /** A new reader positioned before the first document. Readers are not thread-safe. */
    ChannelReader reader();

    /**
     * Deletes the channel's files that hold only documents before {@code index}, which every reader is done with.
     * This is how rolled files of long-lived connections are released.
     */
    void reclaimBefore(long index);

    @Override
    void close();
}
