package io.viaemu.socket;

import static io.viaemu.socket.SocketTestSupport.config;
import static io.viaemu.socket.SocketTestSupport.readLine;
import static io.viaemu.socket.SocketTestSupport.workerLogs;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;

import io.viaemu.ConnectionSnapshot;
import io.viaemu.Trigger;
import io.viaemu.ViaConfig;
import io.viaemu.testing.JvmProcess;
import io.viaemu.testing.SeparateProcessTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A server written on {@code ServerSocket} serves the first lines of each connection itself, then hands the
 * connection to a worker JVM ({@link ViaSocket#handOver}: fork, then close, which is trigger T1), where the classic
 * server's own per-client code goes on ({@link ClassicUppercaseWorkerHandler}). The client is classic socket code on
 * a plain {@code java.net.Socket} and knows nothing of it: its socket keeps working, and every reply comes in order,
 * the first ones signed by this JVM's pid and the rest by the worker's.
 */
@Timeout(value = 90, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ClassicClientAcrossHandoverTest extends SeparateProcessTest {

    private static final int PORT = 7401;
    private static final long MY_PID = ProcessHandle.current().pid();


    private Path baseDir;
    private ViaServerSocketFactory servers;
    private ForkingLineServer forkingServer;

    @BeforeEach
    void setUp() throws IOException {
        baseDir = base;
        ViaConfig config = config(baseDir); // all triggers on: closing a forked connection hands it over (T1)
        servers = new ViaServerSocketFactory(config, new ViaAddressMap().map(PORT, "handover-lines"));
    }

    @AfterEach
    void tearDown() throws IOException {
        if (forkingServer != null) {
            forkingServer.close();
        }
    }

    @Test
    void pipelinedClientKeepsItsSocketThroughTheHandoverWithoutLosingOrReorderingBytes() throws Exception {
        forkingServer = new ForkingLineServer(servers, PORT, 5);
        try (Socket client = servers.socketFactory().createSocket("localhost", PORT)) {
            client.setSoTimeout(30_000); // covers a worker JVM's cold start
            OutputStream out = client.getOutputStream();
            BufferedReader in = new BufferedReader(new InputStreamReader(client.getInputStream(),
                    StandardCharsets.UTF_8));

            // 20 lines in one write: when the parent hands over after 5, the other 15 are in flight, read by the
            // connection but not by the parent's application; the core must pass them to the worker, in order
            StringBuilder burst = new StringBuilder();
            for (int i = 1; i <= 20; i++) {
                burst.append("line-").append(i).append('\n');
            }
            out.write(burst.toString().getBytes(StandardCharsets.UTF_8));

            List<String> replies = new ArrayList<>();
            for (int i = 1; i <= 20; i++) {
                replies.add(in.readLine());
            }
            // and the conversation goes on with the worker, on the same socket
            for (int i = 21; i <= 23; i++) {
                out.write(("line-" + i + "\n").getBytes(StandardCharsets.UTF_8));
                replies.add(in.readLine());
            }
            out.write("BYE\n".getBytes(StandardCharsets.UTF_8));
            String bye = in.readLine();
            String afterBye = in.readLine();

            String diagnostics = "server errors: " + forkingServer.errors + "\nworker logs:\n" + workerLogs(baseDir);
            assertThat(replies).as(diagnostics).hasSize(23).doesNotContainNull();
            long workerPid = pidOf(replies.get(5));
            assertThat(workerPid).as(diagnostics).isNotEqualTo(MY_PID);
            for (int i = 1; i <= 23; i++) {
                long expectedPid = i <= 5 ? MY_PID : workerPid;
                assertThat(replies.get(i - 1)).as(diagnostics)
                        .isEqualTo("UPPER LINE-" + i + " pid=" + expectedPid);
            }
            assertThat(bye).isEqualTo("BYE");
            assertThat(afterBye).as("the worker's handler closed the socket when done").isNull();
            assertThat(client.isClosed()).isFalse(); // the client's own socket was never in trouble

            assertThat(forkingServer.errors).isEmpty();
            ViaServerSocket listener = (ViaServerSocket) forkingServer.listener;
            await().atMost(Duration.ofSeconds(10)).until(() -> listener.server().handoversCompleted() == 1);
            assertThat(listener.server().handoversFailed()).isZero();
            List<ConnectionSnapshot> snapshots = listener.server().snapshots();
            if (!snapshots.isEmpty()) { // with retention 0 the flag block may already be gone
                assertThat(snapshots.get(0).childPid()).isEqualTo(workerPid);
            }
        }
    }

    @Test
    void classicClientInItsOwnJvmKeepsWorkingThroughTheHandover() {
        classicClientKeepsWorkingThroughTheHandover();
    }

    /**
     * With only the child's triggers (T3, T4) active, {@link ViaSocket#handOver} cannot close to hand over: it waits
     * (on the handover's completion stage) until the worker's first receive took the connection, then closes.
     */
    @Test
    void withOnlyTheChildsTriggersHandOverReturnsOnceTheWorkerTookTheConnection() {
        ViaConfig t3t4 = config(baseDir).toBuilder().triggers(Trigger.T3_CHILD_RECEIVE, Trigger.T4_CHILD_SEND).build();
        servers = new ViaServerSocketFactory(t3t4, new ViaAddressMap().map(PORT, "handover-lines"));
        classicClientKeepsWorkingThroughTheHandover();
        assertThat(forkingServer.errors).isEmpty();
        ViaServerSocket listener = (ViaServerSocket) forkingServer.listener;
        await().atMost(Duration.ofSeconds(10)).until(() -> listener.server().handoversCompleted() == 1);
        assertThat(listener.server().handoversFailed()).isZero();
    }

    private void classicClientKeepsWorkingThroughTheHandover() {
        forkingServer = new ForkingLineServer(servers, PORT, 3);
        List<String> options = List.of("-Dvia.socket.base-dir=" + baseDir, "-Dvia.socket.map." + PORT
                + "=handover-lines");
        try (JvmProcess client = JvmProcess.start(tmp.resolve("logs"), "classic-client", options,
                ClassicClientMain.class, "via", "localhost", Integer.toString(PORT), "one", "two", "three", "four",
                "five", "six", "seven")) {
            int exit = client.awaitExit(Duration.ofSeconds(60));
            String diagnostics = "client output:\n" + client.output() + "\nserver errors: " + forkingServer.errors
                    + "\nworker logs:\n" + workerLogs(baseDir);
            assertThat(exit).as(diagnostics).isZero();
            List<String> replies = new ArrayList<>();
            for (String line : client.output().split("\n")) {
                if (line.startsWith("REPLY ")) {
                    replies.add(line.substring(6));
                }
            }
            assertThat(replies).as(diagnostics).hasSize(8);
            long workerPid = pidOf(replies.get(3));
            assertThat(workerPid).isNotIn(MY_PID, client.pid());
            assertThat(replies).containsExactly("UPPER ONE pid=" + MY_PID, "UPPER TWO pid=" + MY_PID,
                    "UPPER THREE pid=" + MY_PID, "UPPER FOUR pid=" + workerPid, "UPPER FIVE pid=" + workerPid,
                    "UPPER SIX pid=" + workerPid, "UPPER SEVEN pid=" + workerPid, "BYE");
        }
    }

    private static long pidOf(String reply) {
        return reply == null || !reply.contains(" pid=") ? -1
                : Long.parseLong(reply.substring(reply.lastIndexOf(" pid=") + 5));
    }

    /**
     * A ServerSocket-based line server that serves the first {@code ownLines} lines of a connection itself and then
     * hands the connection over to a worker running the classic per-client code. It reads those lines a byte at a
     * time: bytes an application reads ahead into its own buffer are its own and would not reach the worker.
     */
    static final class ForkingLineServer implements Closeable {
        final List<Throwable> errors = new CopyOnWriteArrayList<>();
        final ServerSocket listener;

        ForkingLineServer(ViaServerSocketFactory factory, int port, int ownLines) {
            try {
                listener = factory.createServerSocket(port);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Thread acceptor = new Thread(() -> {
                while (!listener.isClosed()) {
                    try {
                        Socket s = listener.accept();
                        Thread t = new Thread(() -> serveThenHandOver((ViaSocket) s, ownLines), "forking-server");
                        t.setDaemon(true);
                        t.start();
                    } catch (SocketException closed) {
                        return;
                    } catch (IOException e) {
                        errors.add(e);
                        return;
                    }
                }
            }, "forking-acceptor");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        private void serveThenHandOver(ViaSocket socket, int ownLines) {
            try {
                socket.setSoTimeout(30_000);
                InputStream in = socket.getInputStream();
                OutputStream out = socket.getOutputStream();
                for (int i = 0; i < ownLines; i++) {
                    String line = readLine(in);
                    out.write(("UPPER " + line.toUpperCase(Locale.ROOT) + " pid=" + MY_PID + "\n")
                            .getBytes(StandardCharsets.UTF_8));
                }
                socket.handOver(ClassicUppercaseWorkerHandler.class.getName());
            } catch (Throwable e) {
                errors.add(e);
            }
        }

        @Override
        public void close() throws IOException {
            listener.close();
        }
    }
}
