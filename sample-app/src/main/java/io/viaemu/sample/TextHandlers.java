package io.viaemu.sample;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.function.UnaryOperator;

import io.viaemu.ParentConnection;
import io.viaemu.ViaConnection;
import io.viaemu.spring.boot.ConnectionHandler;
import io.viaemu.spring.boot.ConnectionLines;
import org.springframework.stereotype.Component;

/**
 * Endpoint {@code text}: the parent reads the request line and decides; a worker answers the rest.
 *
 * <pre>
 * client: UPPER            parent: OK UPPER: parent pid 100 hands this connection to a worker
 * client: hello            worker: [worker 200] HELLO
 * </pre>
 */
@Component
public class TextHandlers {
    private static final int MAX_LINE = 64 * 1024;

    /** Runs in the parent. */
    @ConnectionHandler(name = "text", endpoint = "text")
    public void request(ParentConnection connection) throws IOException {
        // ConnectionLines reads the command line and not one byte more: the rest is the worker's input.
        String command = ConnectionLines.readLine(connection, 256, 60_000);
        if (command == null) {
            return;
        }
        String handler = switch (command.trim().toUpperCase(Locale.ROOT)) {
            case "UPPER" -> "upper";
            case "REVERSE" -> "reverse";
            default -> null;
        };
        long pid = ProcessHandle.current().pid();
        if (handler == null) {
            send(connection, "ERR unknown command '" + command + "' (parent pid " + pid + "); use UPPER or REVERSE");
            return; // the starter closes the connection
        }
        send(connection, "OK " + command.trim().toUpperCase(Locale.ROOT) + ": parent pid " + pid
                + " hands this connection to a worker");
        connection.fork(handler);
        // Returning closes the parent's end: trigger T1 hands the connection to the worker.
    }

    /** Runs in a worker only (a fork target, no endpoint of its own). */
    @ConnectionHandler(name = "upper", accept = false)
    public void upper(ViaConnection connection) throws IOException {
        transformLines(connection, s -> s.toUpperCase(Locale.ROOT));
    }

    @ConnectionHandler(name = "reverse", accept = false)
    public void reverse(ViaConnection connection) throws IOException {
        transformLines(connection, s -> new StringBuilder(s).reverse().toString());
    }

    private static void transformLines(ViaConnection connection, UnaryOperator<String> f) throws IOException {
        long pid = ProcessHandle.current().pid();
        for (String line; (line = ConnectionLines.readLine(connection, MAX_LINE, 0)) != null; ) {
            send(connection, "[worker " + pid + "] " + f.apply(line));
        }
    }

    private static void send(ViaConnection connection, String line) throws IOException {
        connection.send((line + "\n").getBytes(StandardCharsets.UTF_8));
    }
}
