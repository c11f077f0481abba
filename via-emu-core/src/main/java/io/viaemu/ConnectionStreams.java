package io.viaemu;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * {@code java.io} streams over a {@link ViaConnection}, as a socket's are: a read waits up to the connection's
 * {@link ViaConnection#readTimeout() read timeout}, and closing either stream closes the connection. Every
 * implementation of {@link ViaConnection#inputStream()} and {@link ViaConnection#outputStream()} uses these.
 */
public final class ConnectionStreams {
    private ConnectionStreams() {
    }

    /** Reads from {@code connection}: end of stream is -1, a read that waited past the read timeout throws. */
    public static InputStream input(ViaConnection connection) {
        return new InputStream() {
            private final byte[] one = new byte[1];

            @Override
            public int read() throws IOException {
                int n = connection.receive(one, 0, 1, connection.readTimeout());
                return n < 0 ? -1 : one[0] & 0xFF;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return len == 0 ? 0 : connection.receive(b, off, len, connection.readTimeout());
            }

            @Override
            public int available() throws IOException {
                return connection.available();
            }

            @Override
            public void close() throws IOException {
                connection.close();
            }
        };
    }

    /** Writes to {@code connection}. */
    public static OutputStream output(ViaConnection connection) {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                connection.send(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                connection.send(b, off, len);
            }

            @Override
            public void close() throws IOException {
                connection.close();
            }
        };
    }
}
