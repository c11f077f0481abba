package io.viaemu.transport;

import java.io.Closeable;

/** Reads a {@link Channel}'s documents in order. Not thread-safe. */
public interface ChannelReader extends Closeable {

    /** Copies the next document into {@code into} and moves past it; false when there is none yet. */
    boolean next(Document into);

    /** No document was available ({@link #nextDirect}). */
    int NONE = -2;
    /** The document was copied into the holder ({@link #nextDirect}). */
    int HELD = -1;

    /**
     * Reads the next document, saving a copy when it is what the caller is waiting for: if it starts with
     * {@code prefix} and the rest fits in {@code dst[off..off+len)}, the rest goes straight there and its length is
     * returned (the holder gets only the index); otherwise the whole document goes to {@code into} ({@link #HELD}).
     */
    int nextDirect(Document into, byte[] prefix, byte[] dst, int off, int len);

    /** Positions the reader so that the next document read is the one at {@code index}. */
    boolean moveToIndex(long index);

    /** Positions the reader before the first document, as a new reader is. */
    void toStart();

    /** Positions the reader after the last document appended so far. */
    void toEnd();

    @Override
    void close();
}
