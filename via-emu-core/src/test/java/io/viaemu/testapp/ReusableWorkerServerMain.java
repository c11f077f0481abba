package io.viaemu.testapp;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Collectors;

import io.viaemu.ParentConnection;
import io.viaemu.Trigger;
import io.viaemu.ViaConfig;
import io.viaemu.ViaServer;
import io.viaemu.worker.WorkerSnapshot;

/**
 * The parent of the reusable-worker tests. Every connection starts with 7 bytes the parent consumes; the first of
 * them says what to do: 'E' fork to {@link EchoHandler} and close (T1), 'A' fork to it and abort (T2), 'S' fork to
 * {@link StallingHandler} and close (T1), 'R' fork to {@link EchoHandler} and wait until the child took the
 * connection (T3, its first receive), 'G' fork to {@link GreetingEchoHandler} and wait likewise (T4, its first
 * send). Whatever the client sent after the 7 bytes reaches the child. Prints {@code FORKED id} per connection and a
 * {@code WORKERS pid:state:served:current ...} line whenever the pool's list of workers changes.
 * Args: base endpoint poolSize maxConnections concurrency handlerTimeoutMillis [t3t4]; with t3t4 it also serves
 * endpoints ENDPOINT-t3 (only T3 active) and ENDPOINT-t4 (only T4), each with its own workers.
 */
public final class ReusableWorkerServerMain {
    public static final int HEADER = 7;

    public static void main(String[] args) throws Exception {
        ViaConfig config = TestConfigs.config(Path.of(args[0]), "T1,T2", Integer.parseInt(args[2])).toBuilder()
                .workerMaxConnections(Integer.parseInt(args[3]))
                .workerConcurrency(Integer.parseInt(args[4]))
                .workerHandlerTimeout(Duration.ofMillis(Long.parseLong(args[5])))
                .build();
        ViaServer server = ViaServer.listen(config, args[1]);
        Thread reporter = new Thread(() -> report(server), "workers-reporter");
        reporter.setDaemon(true);
        reporter.start();
        if (args.length > 6 && args[6].equals("t3t4")) {
            acceptInBackground(ViaServer.listen(config.toBuilder().triggers(Trigger.T3_CHILD_RECEIVE).build(),
                    args[1] + "-t3"));
            acceptInBackground(ViaServer.listen(config.toBuilder().triggers(Trigger.T4_CHILD_SEND).build(),
                    args[1] + "-t4"));
        }
        System.out.println("LISTENING");
        acceptLoop(server);
    }

    private static void acceptInBackground(ViaServer server) {
        Thread t = new Thread(() -> {
            try {
                acceptLoop(server);
            } catch (Exception e) {
                System.out.println("ACCEPT-FAILED " + server.endpoint() + " " + e);
            }
        }, "acceptor-" + server.endpoint());
        t.setDaemon(true);
        t.start();
    }

    private static void acceptLoop(ViaServer server) throws Exception {
        while (true) {
            ParentConnection c = server.accept(0);
            Thread t = new Thread(() -> serve(c), "parent-" + c.id());
            t.setDaemon(true);
            t.start();
        }
    }

    /** Forks, then waits (bounded) until the child took the connection by its own trigger (T3/T4). */
    private static void forkAndAwaitTheChild(ParentConnection c, String handler) throws Exception {
        c.fork(handler);
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!c.isHandedOver()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the child did not take connection " + c.id() + " in 30 s");
            }
            Thread.sleep(1);
        }
        c.close(); // handed over already: does nothing more
    }

    private static void serve(ParentConnection c) {
        try {
            byte[] header = new byte[HEADER];
            int got = 0;
            while (got < HEADER) {
                int n = c.receive(header, got, HEADER - got, 30_000);
                if (n < 0) {
                    throw new IllegalStateException("client closed before the header");
                }
                got += n;
            }
            switch (header[0]) {
                case 'E':
                    c.fork(EchoHandler.class.getName());
                    c.close();
                    break;
                case 'A':
                    c.fork(EchoHandler.class.getName());
                    c.abort();
                    break;
                case 'S':
                    c.fork(StallingHandler.class.getName());
                    c.close();
                    break;
                case 'R':
                    forkAndAwaitTheChild(c, EchoHandler.class.getName());
                    break;
                case 'G':
                    forkAndAwaitTheChild(c, GreetingEchoHandler.class.getName());
                    break;
                default:
                    throw new IllegalArgumentException("unknown command " + (char) header[0]);
            }
            System.out.println("FORKED " + c.id() + " handedOver=" + c.isHandedOver());
        } catch (Exception e) {
            System.out.println("FORK-FAILED " + c.id() + " " + e);
            try {
                c.close();
            } catch (Exception ignored) {
                // already failed
            }
        }
    }

    private static void report(ViaServer server) {
        String last = "";
        while (true) {
            String now = server.workerSnapshots().stream()
                    .sorted(Comparator.comparingLong(WorkerSnapshot::startedAtMillis))
                    .map(w -> w.pid() + ":" + w.state() + ":" + w.connectionsServed() + ":" + w.currentConnections()
                            + ":" + w.recycleReason())
                    .collect(Collectors.joining(" "));
            if (!now.equals(last)) {
                System.out.println("WORKERS " + now);
                last = now;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                return;
            }
        }
    }
}
