package io.viaemu.spring.boot.autoconfigure;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import io.viaemu.ParentConnection;
import io.viaemu.ViaConnection;
import io.viaemu.spring.boot.ConnectionHandler;
import io.viaemu.spring.boot.ConnectionLines;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Handler beans for the context-runner tests; none forks, so no worker JVM is started. */
final class TestHandlers {
    private TestHandlers() {
    }

    /** Answers each line with "name:line" until the client closes. */
    static void answerLines(String name, ViaConnection c) throws IOException {
        for (String line; (line = ConnectionLines.readLine(c, 1024, 10_000)) != null; ) {
            c.send((name + ":" + line + "\n").getBytes(StandardCharsets.UTF_8));
        }
    }

    /** The application class: @SpringBootConfiguration with a main method, as the worker command needs. */
    @SpringBootConfiguration(proxyBeanMethods = false)
    public static class AppWithMain {
        public static void main(String[] args) {
        }
    }

    public static class Alpha {
        @ConnectionHandler("alpha")
        public void serve(ViaConnection c) throws IOException {
            answerLines("alpha", c);
        }
    }

    public static class Beta {
        @ConnectionHandler(name = "beta", endpoint = "beta")
        public void serve(ParentConnection c) throws IOException {
            answerLines("beta", c);
        }
    }

    /** Only a fork target: a worker would run it. */
    public static class Target {
        @ConnectionHandler(name = "target", accept = false)
        public void serve(ViaConnection c) throws IOException {
            c.send("target ran\n".getBytes(StandardCharsets.UTF_8));
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class AlphaBetaTarget {
        @Bean
        Alpha alpha() {
            return new Alpha();
        }

        @Bean
        Beta beta() {
            return new Beta();
        }

        @Bean
        Target target() {
            return new Target();
        }
    }

    public static class ForkingParentSide {
        @ConnectionHandler(fork = true)
        public void serve(ParentConnection c) {
        }
    }

    public static class WrongParameter {
        @ConnectionHandler
        public void serve(String notAConnection) {
        }
    }

    public static class SecondDefaultEndpoint {
        @ConnectionHandler("second")
        public void serve(ViaConnection c) {
        }
    }

    public static class SameNameAsAlpha {
        @ConnectionHandler(name = "alpha", accept = false)
        public void serve(ViaConnection c) {
        }
    }
}
