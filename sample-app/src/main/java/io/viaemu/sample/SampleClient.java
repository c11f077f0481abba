package io.viaemu.sample;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.viaemu.ViaClient;
import io.viaemu.ViaConfig;
import io.viaemu.ViaConnection;
import io.viaemu.spring.boot.autoconfigure.ViaProperties;
import org.springframework.boot.Banner;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * {@code client [chat|text] [--via.property=value ...]}: connects to an endpoint of the sample server, sends each
 * line of standard input, prints every reply on standard output, and at the end of input waits for the server to
 * finish (at most {@value #DRAIN_SECONDS} s) and exits. Status messages go to standard error.
 *
 * <p>The configuration comes from the same {@code application.yml} (and command line) as the server's, bound by
 * Spring Boot without auto-configuration: the client must agree with the server on base directory and roll cycle,
 * and must not start a server of its own.
 */
public final class SampleClient {
    static final int DRAIN_SECONDS = 30;

    private SampleClient() {
    }

    /** Binds {@link ViaProperties} only: no auto-configuration, so no server, no web, no worker pool. */
    @EnableConfigurationProperties(ViaProperties.class)
    static class ClientConfiguration {
    }

    public static int run(String[] args) throws Exception {
        String endpoint = "chat";
        List<String> springArgs = new ArrayList<>();
        for (String a : args) {
            if (a.startsWith("--")) {
                springArgs.add(a);
            } else {
                endpoint = a;
            }
        }
        ViaConfig config;
        try (ConfigurableApplicationContext ctx = new SpringApplicationBuilder(ClientConfiguration.class)
                .web(WebApplicationType.NONE).bannerMode(Banner.Mode.OFF).logStartupInfo(false)
                // standard output carries the replies only
                .properties("logging.threshold.console=off")
                .run(springArgs.toArray(String[]::new))) {
            config = ctx.getBean(ViaProperties.class).toConfigBuilder().build();
        }
        return talk(config, endpoint);
    }

    private static int talk(ViaConfig config, String endpoint) throws Exception {
        PrintStream err = System.err;
        try (ViaConnection c = ViaClient.connect(config, endpoint)) {
            err.println("connected to endpoint '" + endpoint + "' under " + config.baseDir() + " as connection "
                    + c.id());
            AtomicLong replyLines = new AtomicLong();
            Thread replies = new Thread(() -> printReplies(c, replyLines), "replies");
            replies.start();
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            long sentLines = 0;
            for (String line; (line = in.readLine()) != null; ) {
                c.send((line + "\n").getBytes(StandardCharsets.UTF_8));
                sentLines++;
            }
            // Both sample endpoints answer every line with one line. Half-closing only after the answers came
            // keeps the end of input from racing the handover: the core (for now) drops a half-close that reaches
            // the parent before the handover's cut, and the worker would then wait for input forever.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(DRAIN_SECONDS);
            while (replies.isAlive() && replyLines.get() < sentLines && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            if (replies.isAlive()) {
                c.shutdownOutput(); // the server's handler reads end of stream, finishes and closes
            }
            replies.join(TimeUnit.SECONDS.toMillis(DRAIN_SECONDS));
            if (replies.isAlive()) {
                err.println("the server did not close the connection within " + DRAIN_SECONDS + " s");
                return 1;
            }
            return 0;
        } catch (IOException e) {
            err.println("via-emu client: " + e.getMessage());
            return 1;
        }
    }

    private static void printReplies(ViaConnection c, AtomicLong lines) {
        byte[] buf = new byte[8192];
        try {
            int n;
            while ((n = c.receive(buf, 0, buf.length, 0)) >= 0) {
                for (int i = 0; i < n; i++) {
                    if (buf[i] == '\n') {
                        lines.incrementAndGet();
                    }
                }
                System.out.write(buf, 0, n);
                System.out.flush();
            }
        } catch (IOException e) {
            System.err.println("via-emu client: " + e.getMessage());
        }
    }
}
