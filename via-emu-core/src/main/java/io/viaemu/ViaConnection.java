package io.viaemu;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;

/**
 * One end of a via-emu connection: a reliable, ordered byte stream (like TCP) over two memory-mapped queues, one
 * per direction. Message boundaries of {@code send} are not preserved for the reader, exactly as with a socket.
 *
 * <p>Sends are thread-safe with each other, and so are receives; one sender and one receiver thread may work at
 * the same time.
 */
public interface ViaConnection extends Closeable {

    /** Which process this end lives in. */
    enum Role { CLIENT, PARENT, CHILD }

    /** The connection's id, the same at the client, the parent and the child. */
    String id();

    Role role();

    /** Sends all {@code len} bytes. Blocks only while a handover holds the stream (intermission). */
    void send(byte[] bytes, int off, int len) throws IOException;

    default void send(byte[] bytes) throws IOException {
        send(bytes, 0, bytes.length);
    }

    /** Sends the buffer's remaining bytes. */
    void send(ByteBuffer buffer) throws IOException;

    /**
     * Receives at least one and at most {@code len} bytes, waiting at most {@code timeoutMillis} (0 = forever).
     *
     * @return the number of bytes read, or -1 at end of stream (the peer closed or shut down its output)
     * @throws ViaTimeoutException when nothing arrived in time; the connection stays usable
     */
    int receive(byte[] bytes, int off, int len, long timeoutMillis) throws IOException;

    /** {@link #receive(byte[], int, int, long)} into a buffer's remaining space. */
    int receive(ByteBuffer buffer, long timeoutMillis) throws IOException;

    /** Bytes that can be received now without waiting (at least those of the document being read). */
    int available() throws IOException;

    /** After this the peer reads end of stream; receiving still works. */
    void shutdownOutput() throws IOException;

    boolean isOpen();

    /** A blocking stream over {@link #receive}; its reads wait at most {@link #setReadTimeout read timeout}. */
    InputStream inputStream();

    /** A stream over {@link #send}. Unbuffered: each write is a document, so wrap it to batch small writes. */
    OutputStream outputStream();

    /** The timeout {@link #inputStream()} reads use, in milliseconds; 0 = forever. */
    void setReadTimeout(long timeoutMillis);

    long readTimeout();

    /**
     * Flow control of this end's sends (like SO_SNDBUF): a send blocks while {@code bytes} payload bytes it sent
     * are not yet consumed by the peer's application; 0 turns it off. Starts at {@link ViaConfig#sendWindow()}.
     */
    default void setSendWindow(long bytes) {
        throw new UnsupportedOperationException("flow control is not supported by " + getClass().getName());
    }

    /** The send window in bytes; 0 = no flow control. */
    default long sendWindow() {
        return 0;
    }

    /**
     * Advertises a receive window to the peer (like SO_RCVBUF): the peer's sends block while this many bytes it
     * sent are not yet consumed here, if that is smaller than its own send window. 0 withdraws it.
     */
    default void setReceiveWindow(long bytes) {
        throw new UnsupportedOperationException("flow control is not supported by " + getClass().getName());
    }

    /** The receive window advertised to the peer in bytes; 0 = none (the peer's send window alone applies). */
    default long receiveWindow() {
        return 0;
    }

    /**
     * Closes this end. On a forked parent connection with trigger T1 active this hands the connection over to
     * the child instead; the client then goes on with the child.
     */
    @Override
    void close() throws IOException;
}
