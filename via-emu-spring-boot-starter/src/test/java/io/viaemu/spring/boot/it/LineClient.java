package io.viaemu.spring.boot.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import io.viaemu.ViaClient;
import io.viaemu.ViaConfig;
import io.viaemu.ViaConnection;
import io.viaemu.spring.boot.ConnectionLines;

/** A via-emu client in the test JVM that talks in lines; every read is bounded. */
final class LineClient implements AutoCloseable {
    /** A fork may start a worker JVM (a whole Spring Boot application) on a busy 2-core machine. */
    static final long READ_TIMEOUT_MILLIS = 90_000;

    final ViaConnection connection;

    private LineClient(ViaConnection connection) {
        this.connection = connection;
    }

    static LineClient connect(ViaConfig config, String endpoint) throws IOException {
        return new LineClient(ViaClient.connect(config, endpoint));
    }

    String id() {
        return connection.id();
    }

    void send(String text) throws IOException {
        connection.send(text.getBytes(StandardCharsets.UTF_8));
    }

    void sendLine(String line) throws IOException {
        send(line + "\n");
    }

    /** The next line, or null at end of stream. */
    String line() throws IOException {
        return ConnectionLines.readLine(connection, 64 * 1024, READ_TIMEOUT_MILLIS);
    }

    /** The pid in a "[pid] text" reply. */
    static long pidOf(String reply) {
        return Long.parseLong(reply.substring(1, reply.indexOf(']')));
    }

    @Override
    public void close() throws IOException {
        connection.close();
    }
}
