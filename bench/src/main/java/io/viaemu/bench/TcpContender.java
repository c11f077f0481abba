package io.viaemu.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;

/** {@code java.net.Socket} over TCP loopback with TCP_NODELAY, blocking streams. The baseline of every ratio. */
public final class TcpContender implements Contender {

    private static final int CONNECT_TIMEOUT_MS = 10_000;

    @Override
    public String name() {
        return "tcp";
    }

    @Override
    public String description() {
        return "java.net.Socket over TCP loopback (127.0.0.1), TCP_NODELAY on both ends, blocking streams";
    }

    @Override
    public Listener listen(Path dir) throws IOException {
        ServerSocket serverSocket = new ServerSocket();
        serverSocket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128);
        return new Listener() {
            @Override
            public String address() {
                return serverSocket.getInetAddress().getHostAddress() + ":" + serverSocket.getLocalPort();
            }

            @Override
            public Connection accept() throws IOException {
                return new SocketConnection(serverSocket.accept());
            }

            @Override
            public void close() throws IOException {
                serverSocket.close();
            }
        };
    }

    @Override
    public Connection connect(String address) throws IOException {
        int colon = address.lastIndexOf(':');
        InetSocketAddress target = new InetSocketAddress(
                InetAddress.getByName(address.substring(0, colon)), Integer.parseInt(address.substring(colon + 1)));
        Socket socket = new Socket();
        try {
            socket.setTcpNoDelay(true);
            socket.connect(target, CONNECT_TIMEOUT_MS);
            return new SocketConnection(socket);
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /** A {@link Connection} over any {@link Socket} (also via-emu's emulated ones, where TCP_NODELAY is a no-op). */
    static final class SocketConnection implements Connection {
        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;

        SocketConnection(Socket socket) throws IOException {
            this.socket = socket;
            socket.setTcpNoDelay(true);
            this.in = socket.getInputStream();
            this.out = socket.getOutputStream();
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            return in.read(b, off, len);
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
