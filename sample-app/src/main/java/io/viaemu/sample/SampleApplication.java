package io.viaemu.sample;

import java.util.Arrays;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * The via-emu sample. Two endpoints, dispatched by endpoint name (each has its own handler):
 * <ul>
 * <li>{@code chat} ({@link ChatHandler}): forked to a worker JVM as soon as it is accepted; the worker echoes each
 * line as {@code [worker PID] line};</li>
 * <li>{@code text} ({@link TextHandlers}): the parent reads the first line, a command ({@code UPPER} or
 * {@code REVERSE}), answers it, and forks to the worker handler of that command, which transforms every further
 * line. Lines sent together with the command reach the worker although the parent received them first.</li>
 * </ul>
 * {@code java -jar app.jar client [chat|text]} is the client command ({@link SampleClient}) instead of the server.
 * Worker JVMs run this same main, in worker mode (the starter adds {@code --via.worker.id}).
 */
@SpringBootApplication
public class SampleApplication {

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("client")) {
            System.exit(SampleClient.run(Arrays.copyOfRange(args, 1, args.length)));
        }
        SpringApplication.run(SampleApplication.class, args);
    }
}
