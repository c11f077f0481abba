package io.viaemu.spring.boot;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

import io.viaemu.ViaConnection;
import io.viaemu.ViaException;

/**
 * Reads a request line without reading past it. A parent-side handler that forks after reading a request must not
 * read ahead (as {@code BufferedReader} does): the core hands the child exactly the bytes the parent has not
 * consumed, and read-ahead bytes count as consumed.
 */
public final class ConnectionLines {
    private ConnectionLines() {
    }

    /**
     * Reads up to and including the next {@code '\n'}, one byte per receive, and returns the line without its
     * terminator ({@code "\r\n"} is accepted too), decoded as UTF-8.
     *
     * @param maxBytes      longest accepted line, terminator excluded
     * @param timeoutMillis for the whole line; 0 waits forever
     * @return the line, or null at end of stream before any byte
     * @throws ViaException if the line is longer than {@code maxBytes} or the stream ends inside it
     */
    public static String readLine(ViaConnection connection, int maxBytes, long timeoutMillis) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        byte[] one = new byte[1];
        long deadline = timeoutMillis <= 0 ? 0 : System.nanoTime() + timeoutMillis * 1_000_000L;
        while (true) {
            long wait = 0;
            if (deadline != 0) {
                // at least 1 ms: 0 would mean "forever" to receive
                wait = Math.max(1, (deadline - System.nanoTime()) / 1_000_000L);
            }
            int n = connection.receive(one, 0, 1, wait);
            if (n < 0) {
                if (line.size() == 0) {
                    return null;
                }
                throw new ViaException("connection " + connection.id() + " ended inside a line");
            }
            if (one[0] == '\n') {
                byte[] b = line.toByteArray();
                int len = b.length > 0 && b[b.length - 1] == '\r' ? b.length - 1 : b.length;
                if (len > maxBytes) {
                    throw new ViaException("connection " + connection.id() + ": line longer than " + maxBytes
                            + " bytes");
                }
                return new String(b, 0, len, StandardCharsets.UTF_8);
            }
            if (line.size() >= maxBytes + 1) { // + 1: room for a '\r' before the '\n'
                throw new ViaException("connection " + connection.id() + ": line longer than " + maxBytes + " bytes");
            }
            line.write(one[0]);
        }
    }
}
