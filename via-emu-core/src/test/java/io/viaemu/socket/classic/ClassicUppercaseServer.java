package io.viaemu.socket.classic;

import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

import javax.net.ServerSocketFactory;

/**
 * A line server: each line a client sends comes back upper-cased and signed with the serving process's pid
 * ({@code "UPPER <LINE> pid=<pid>"}); {@code BYE} is answered {@code BYE} and ends the connection. Binds the
 * loopback address. One thread per client.
 */
public final class ClassicUppercaseServer implements Closeable {

    private final ServerSocket serverSocket;

    public ClassicUppercaseServer(ServerSocketFactory factory, int port) throws IOException {
        serverSocket = factory.createServerSocket(port, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::acceptLoop, "classic-acceptor");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public int port() {
        return serverSocket.getLocalPort();
    }

    private void acceptLoop() {
        while (true) {
            Socket client;
            try {
                client = serverSocket.accept();
            } catch (SocketException closed) {
                return;
            } catch (IOException e) {
                e.printStackTrace();
                return;
            }
            System.out.println("ACCEPTED remote port " + client.getPort());
            Thread t = new Thread(() -> {
                try {
                    serve(client);
                } catch (IOException e) {
                    System.out.println("CLIENT FAILED " + e);
                }
            }, "classic-client-" + client.getPort());
            t.setDaemon(true);
            t.start();
        }
    }

    /** Serves one client until BYE or end of stream, then closes its socket. The per-client code. */
    public static void serve(Socket client) throws IOException {
        try (client) {
            client.setTcpNoDelay(true);
            client.setSoTimeout(30_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(client.getInputStream(),
                    StandardCharsets.UTF_8));
            Writer out = new OutputStreamWriter(client.getOutputStream(), StandardCharsets.UTF_8);
            long pid = ProcessHandle.current().pid();
            for (String line; (line = in.readLine()) != null; ) {
                if (line.equals("BYE")) {
                    out.write("BYE\n");
                    out.flush();
                    return;
                }
                out.write("UPPER " + line.toUpperCase(Locale.ROOT) + " pid=" + pid + "\n");
                out.flush();
            }
        }
    }

    @Override
    public void close() throws IOException {
        serverSocket.close();
    }
}
