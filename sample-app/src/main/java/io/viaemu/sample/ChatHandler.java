package io.viaemu.sample;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;

import io.viaemu.ViaConnection;
import io.viaemu.spring.boot.ConnectionHandler;
import org.springframework.stereotype.Component;

/** Endpoint {@code chat}: every connection is forked to a worker JVM at once, which echoes lines with its pid. */
@Component
public class ChatHandler {

    @ConnectionHandler(name = "chat", endpoint = "chat", fork = true)
    public void chat(ViaConnection connection) throws IOException {
        long pid = ProcessHandle.current().pid();
        // In the worker nothing is handed on after us, so reading ahead (BufferedReader) is fine here.
        BufferedReader in = new BufferedReader(new InputStreamReader(connection.inputStream(),
                StandardCharsets.UTF_8));
        PrintWriter out = new PrintWriter(new OutputStreamWriter(connection.outputStream(), StandardCharsets.UTF_8),
                true);
        for (String line; (line = in.readLine()) != null; ) {
            out.println("[worker " + pid + "] " + line);
        }
    }
}
