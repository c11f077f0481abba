package io.viaemu.sample;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import io.viaemu.ViaConnection;
import io.viaemu.spring.boot.ConnectionLines;

/** Line I/O for the tests' own clients; every read bounded. */
final class SampleLines {
    /** Long enough for a cold worker JVM (this whole application) on a busy 2-core machine. */
    static final long TIMEOUT_MILLIS = 90_000;

    private SampleLines() {
    }

    static void send(ViaConnection c, String text) throws IOException {
        c.send(text.getBytes(StandardCharsets.UTF_8));
    }

    static String line(ViaConnection c) throws IOException {
        return ConnectionLines.readLine(c, 64 * 1024, TIMEOUT_MILLIS);
    }

    /** The pid in "[worker PID] text". */
    static long workerPid(String reply) {
        return Long.parseLong(reply.substring("[worker ".length(), reply.indexOf(']')));
    }
}
