package io.viaemu.testapp;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletionException;

import io.viaemu.ParentConnection;
import io.viaemu.ViaConnection;
import io.viaemu.ViaServer;

/**
 * The server of the fault tests; configuration from {@code via.test.*} properties ({@link FaultConfigs}).
 * Args: base endpoint mode. Modes:
 * <ul>
 * <li>ECHO: echoes every connection until end of stream (a thread each); prints ECHO-ERROR for failed ones;</li>
 * <li>RECEIVE: accepts one connection, receives until end of stream or an error (RECEIVE-ENDED), closes it;</li>
 * <li>CLOSE-FIRST: accepts one connection and closes it at once;</li>
 * <li>FORK-CLOSE: accepts one, forks it to {@link RecordingHandler} and closes it (T1, if active);</li>
 * <li>FORK-WAIT-CLOSE: the same, but closes only once the file {@code close} exists in {@code via.test.out};</li>
 * <li>FORK-ECHO: accepts one, tries to fork it (FORKED or FORK-FAILED), then echoes it until end of stream.</li>
 * </ul>
 * Every line the tests wait for carries a wall-clock time (at=epoch millis) where timing matters. All modes but
 * ECHO stay up (bounded) after their work so the test decides when the server goes.
 */
public final class FaultServerMain {
    public static void main(String[] args) throws Exception {
        Path base = Path.of(args[0]);
        String endpoint = args[1];
        String mode = args[2];
        ViaServer server = ViaServer.listen(FaultConfigs.fromSystemProperties(base), endpoint);
        System.out.println("LISTENING pid=" + ProcessHandle.current().pid());
        if (mode.equals("ECHO")) {
            while (true) {
                ParentConnection c = server.accept(0);
                Thread t = new Thread(() -> echo(c, false), "echo-" + c.id());
                t.setDaemon(true);
                t.start();
            }
        }
        ParentConnection c = server.accept(60_000);
        System.out.println("ACCEPTED " + c.id());
        switch (mode) {
            case "RECEIVE": {
                byte[] buf = new byte[8192];
                long total = 0;
                String result;
                try {
                    int n;
                    while ((n = c.receive(buf, 0, buf.length, 0)) >= 0) {
                        total += n;
                    }
                    result = "eof";
                } catch (Exception e) {
                    result = e.getClass().getSimpleName() + ": " + e.getMessage();
                }
                System.out.println("RECEIVE-ENDED at=" + System.currentTimeMillis() + " bytes=" + total + " result="
                        + result);
                c.close();
                System.out.println("RELEASED");
                break;
            }
            case "CLOSE-FIRST":
                c.close();
                System.out.println("CLOSED");
                break;
            case "FORK-CLOSE":
                c.fork(RecordingHandler.class.getName());
                reportHandoverStage(c);
                System.out.println("FORKED child=" + childPid(server, c));
                try {
                    c.close();
                    System.out.println("CLOSED handedOver=" + c.isHandedOver());
                } catch (Exception e) {
                    System.out.println("CLOSE-FAILED at=" + System.currentTimeMillis() + " "
                            + e.getClass().getSimpleName() + ": " + e.getMessage());
                }
                break;
            case "FORK-WAIT-CLOSE": {
                c.fork(RecordingHandler.class.getName());
                System.out.println("FORKED child=" + childPid(server, c));
                Path closeFile = Path.of(System.getProperty("via.test.out")).resolve("close");
                long deadline = System.nanoTime() + 60_000_000_000L;
                while (!Files.exists(closeFile) && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                c.close();
                System.out.println("CLOSED handedOver=" + c.isHandedOver());
                break;
            }
            case "FORK-ECHO":
                try {
                    c.fork(RecordingHandler.class.getName());
                    reportHandoverStage(c);
                    System.out.println("FORKED child=" + childPid(server, c));
                } catch (Exception e) {
                    System.out.println("FORK-FAILED " + e.getClass().getSimpleName() + ": " + e.getMessage());
                }
                echo(c, true);
                System.out.println("CLOSED handedOver=" + c.isHandedOver());
                break;
            default:
                throw new IllegalArgumentException(mode);
        }
        System.out.println("SERVER-DONE");
        Thread.sleep(120_000);
        server.close();
    }

    static void echo(ViaConnection c, boolean verbose) {
        byte[] buf = new byte[64 * 1024];
        String result = "eof";
        try (c) {
            int n;
            while ((n = c.receive(buf, 0, buf.length, 0)) >= 0) {
                c.send(buf, 0, n);
            }
        } catch (Exception e) {
            result = e.getClass().getSimpleName() + ": " + e.getMessage();
            System.out.println("ECHO-ERROR " + c.id() + " " + result);
        }
        if (verbose) {
            System.out.println("ECHO-ENDED " + result);
        }
    }

    /** Prints the outcome of the connection's handover stage when it completes, on the thread that completes it. */
    static void reportHandoverStage(ParentConnection c) {
        c.handoverCompletion().whenComplete((trigger, failure) -> {
            // a dependent stage gets the failure wrapped in a CompletionException, as every CompletableFuture does
            Throwable why = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause()
                    : failure;
            System.out.println("HANDOVER-STAGE " + (why == null ? "completed " + trigger : "failed " + why.getMessage())
                    + " on " + Thread.currentThread().getName());
        });
    }

    static long childPid(ViaServer server, ParentConnection c) {
        return server.snapshot(c.id()).map(s -> s.childPid()).orElse(-1L);
    }
}
