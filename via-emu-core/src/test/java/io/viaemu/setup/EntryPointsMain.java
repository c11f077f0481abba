package io.viaemu.setup;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.viaemu.ViaClient;
import io.viaemu.ViaConfig;
import io.viaemu.ViaServer;
import io.viaemu.socket.ViaAddressMap;
import io.viaemu.socket.ViaServerSocketFactory;
import io.viaemu.socket.ViaSocketFactory;
import io.viaemu.worker.WorkerMain;
import mockwebserver3.MockWebServer;

/**
 * Calls every via-emu entry point once and prints how each ended: {@code ENTRY name -> class: message}, or
 * {@code ENTRY name -> HUNG} when it did not return within 20 s, or {@code -> OK}. Then {@code DONE}. Argument: the
 * base directory. Run by {@link MissingJvmOptionsTest} in a JVM started without via-emu's JVM options.
 */
public final class EntryPointsMain {

    @FunctionalInterface
    interface Entry {
        void call() throws Exception;
    }

    private static final ExecutorService RUNNER = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "entry-point");
        t.setDaemon(true); // a hung entry point must not keep this JVM alive
        return t;
    });

    private EntryPointsMain() {
    }

    public static void main(String[] args) throws Exception {
        Path base = Path.of(args[0]);
        ViaConfig config = ViaConfig.builder(base).connectTimeout(Duration.ofSeconds(2)).build();
        ViaAddressMap map = new ViaAddressMap().map(7000, "seven");
        ViaServerSocketFactory servers = new ViaServerSocketFactory(config, map);
        ViaSocketFactory clients = servers.socketFactory();

        run("ViaServer.listen", () -> ViaServer.listen(config, "core").close());
        run("ViaClient.connect", () -> ViaClient.connect(config, "core").close());
        run("ServerSocket.bind", () -> {
            try (ServerSocket s = servers.createServerSocket()) {
                s.bind(new InetSocketAddress("localhost", 7000));
            }
        });
        run("ServerSocketFactory.createServerSocket", () -> servers.createServerSocket(7000).close());
        run("SocketFactory.createSocket", () -> clients.createSocket("localhost", 7000).close());
        run("Socket.connect", () -> {
            try (Socket s = clients.createSocket()) {
                s.connect(new InetSocketAddress("localhost", 7000), 2_000);
            }
        });
        // a third-party HTTP server: MockWebServer binds on its own thread and start() waits for that thread
        run("MockWebServer.start", () -> {
            MockWebServer web = new MockWebServer();
            web.setServerSocketFactory(servers);
            try {
                web.start();
            } finally {
                web.close();
            }
        });
        run("WorkerMain.main", () -> WorkerMain.main(new String[] {"--via.base-dir=" + base, "--via.endpoint=core",
                "--via.worker.id=1"}));
        System.out.println("DONE");
        System.out.flush();
        System.exit(0);
    }

    private static void run(String name, Entry entry) {
        Future<?> f = RUNNER.submit(() -> {
            entry.call();
            return null;
        });
        String outcome;
        try {
            f.get(20, TimeUnit.SECONDS);
            outcome = "OK";
        } catch (TimeoutException e) {
            f.cancel(true);
            outcome = "HUNG";
        } catch (ExecutionException e) {
            Throwable t = e.getCause();
            outcome = t.getClass().getName() + ": " + String.valueOf(t.getMessage()).replace('\n', ' ');
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            outcome = "INTERRUPTED";
        }
        System.out.println("ENTRY " + name + " -> " + outcome);
        System.out.flush();
    }
}
