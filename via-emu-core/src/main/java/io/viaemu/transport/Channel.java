package io.viaemu.transport;

import java.io.Closeable;
import java.io.IOException;
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

    /**
     * Appends one data document as {@link #append(byte[], int, byte[], int, int)} does, on a channel of bounded room
     * (the ring transport) leaving free the reserve that control documents and handover copies (the plain
     * {@code append}) may still use, so a channel full of unconsumed data never blocks a handover. Without room it
     * waits as a socket's sender with a full buffer does: parked, in bounded parks, calling {@code wait} before each
     * (which throws what ends the wait: a closed or failed connection); a close of the channel ends it with an
     * exception. The default, for channels without a bound: the plain append.
     */
    default long append(byte[] header, int headerLength, byte[] payload, int off, int len, SpaceWait wait)
            throws IOException {
        return append(header, headerLength, payload, off, len);
    }

    /**
     * How many payload bytes one ordinary append (the {@link SpaceWait} one) with a header of {@code headerLength}
     * bytes could take now without waiting for room, as far as this process can tell (an append from elsewhere may
     * take room meanwhile). {@code Long.MAX_VALUE} for a channel without a bound (the default). A non-blocking
     * socket's write asks it, so that a reader that does not read never blocks it, however small its documents.
     */
    default long roomNow(int headerLength) {
        return Long.MAX_VALUE;
    }

    /** What an append waiting for room checks between its parks. */
    @FunctionalInterface
    interface SpaceWait {
        /** Throws to end the wait (the connection closed or failed); may itself wait (a client's intermission). */
        void check() throws IOException;
    }

    /** Gets ready to append (creates the appender, maps the current file) so the first append is fast. */
    void prepareToAppend();

    /** A new reader positioned before the first document. Readers are not thread-safe. */
    ChannelReader reader();

    /**
     * Deletes the channel's files that hold only documents before {@code index}, which every reader is done with.
     * This is how rolled files of long-lived connections are released.
     */
    void reclaimBefore(long index);

    /**
     * True if the document at {@code index} was freed by {@link #reclaimBefore} (every document before the first one
     * left was consumed). A transport that frees whole files, whose readers find such documents gone only with their
     * file, may say false (the default).
     */
    default boolean isReclaimed(long index) {
        return false;
    }

    @Override
    void close();
}
