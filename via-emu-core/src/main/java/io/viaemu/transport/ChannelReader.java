package io.viaemu.transport;

import java.io.Closeable;

/** Reads a {@link Channel}'s documents in order. Not thread-safe. */
public interface ChannelReader extends Closeable {

    /** Copies the next document into {@code into} and moves past it; false when there is none yet. */
    boolean next(Document into);

    /** Positions the reader so that the next document read is the one at {@code index}. */
    boolean moveToIndex(long index);

    /** Positions the reader after the last document appended so far. */
    void toEnd();

    @Override
    void close();
}
