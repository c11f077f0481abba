package io.viaemu.spring.boot.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import io.viaemu.ParentConnection;
import io.viaemu.ViaConnection;
import io.viaemu.spring.boot.ConnectionHandler;
import io.viaemu.spring.boot.ConnectionLines;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.stereotype.Component;

/**
 * The application of the integration tests. The test JVM runs it as the parent (with a web server for the actuator);
 * worker JVMs run this same main class in worker mode, so every handler below also exists there.
 */
@SpringBootApplication
public class ViaTestApplication {

    public static void main(String[] args) {
        SpringApplication.run(ViaTestApplication.class, args);
    }

    static final long PID = ProcessHandle.current().pid();

    static void sendLine(ViaConnection c, String line) throws IOException {
        c.send((line + "\n").getBytes(StandardCharsets.UTF_8));
    }

    @Component
    public static class Handlers {

        /** Forked at once; the worker receives first (T3 when T1 is off). Echoes "[pid] line". */
        @ConnectionHandler(name = "echo", endpoint = "echo", fork = true)
        public void echo(ViaConnection c) throws IOException {
            for (String line; (line = ConnectionLines.readLine(c, 4096, 60_000)) != null; ) {
                sendLine(c, "[" + PID + "] " + line);
            }
        }

        /** Forked at once; the worker sends first (T4 when T1 is off), then echoes. */
        @ConnectionHandler(name = "greeter", endpoint = "greeter", fork = true)
        public void greeter(ViaConnection c) throws IOException {
            sendLine(c, "hello from " + PID);
            echo(c);
        }

        /**
         * Runs in the parent: reads the request line, answers it, forks to the worker handler the request names,
         * and returns; the starter then closes the parent's end (T1) and the bytes after the request line go to the
         * worker unread.
         */
        @ConnectionHandler(name = "request", endpoint = "request")
        public void request(ParentConnection c) throws IOException {
            String request = ConnectionLines.readLine(c, 256, 30_000);
            if (!"SHOUT".equals(request)) {
                sendLine(c, "parent " + PID + " refuses " + request);
                return;
            }
            sendLine(c, "parent " + PID + " forks " + request);
            c.fork("shout");
        }

        /** Only a fork target. */
        @ConnectionHandler(name = "shout", accept = false)
        public void shout(ViaConnection c) throws IOException {
            for (String line; (line = ConnectionLines.readLine(c, 4096, 60_000)) != null; ) {
                sendLine(c, "[" + PID + "] " + line.toUpperCase());
            }
        }
    }
}
