package io.viaemu.bench;

import java.io.EOFException;
import java.io.IOException;

/**
 * One established, bidirectional byte connection of a {@link Contender}, used by exactly one thread.
 *
 * <p>The workloads ({@link Figure}) treat it as a byte stream: {@link #read} may return fewer bytes than one
 * {@link #write} wrote (stream sockets) or exactly one message per call (message transports such as a queue);
 * both are fine because every workload knows how many bytes to expect. Raw queues have no end-of-stream, so no
 * workload relies on {@code -1}: it only turns a socket peer's early close into an {@link EOFException}.
 */
public interface Connection extends AutoCloseable {

    /** Sends all {@code len} bytes; blocks (or spins) until the transport has accepted them. */
    void write(byte[] b, int off, int len) throws IOException;

    /**
     * Receives at least one and at most {@code len} bytes into {@code b}, waiting (blocking or busy-spinning,
     * as the contender does) until some arrive.
     *
     * @return the number of bytes read, or -1 at end of stream (sockets only)
     */
    int read(byte[] b, int off, int len) throws IOException;

    /** Reads exactly {@code len} bytes. */
    default void readFully(byte[] b, int off, int len) throws IOException {
        while (len > 0) {
            int n = read(b, off, len);
            if (n < 0) {
                throw new EOFException("peer closed the connection with " + len + " bytes still expected");
            }
            off += n;
            len -= n;
        }
    }

    @Override
    void close() throws IOException;
}
