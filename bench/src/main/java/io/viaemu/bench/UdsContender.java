package io.viaemu.bench;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/** Unix domain socket {@link SocketChannel} (JDK 16+), blocking mode, one direct buffer per direction. */
public final class UdsContender implements Contender {

    private static final int BUFFER_BYTES = 64 * 1024;

    @Override
    public String name() {
        return "uds";
    }

    @Override
    public String description() {
        return "Unix domain socket SocketChannel (UnixDomainSocketAddress), blocking, direct ByteBuffers";
    }

    @Override
    public Listener listen(Path dir) throws IOException {
        Path socketFile = dir.resolve("bench.sock");
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socketFile), 128);
        return new Listener() {
            @Override
            public String address() {
                return socketFile.toString();
            }

            @Override
            public Connection accept() throws IOException {
                return new ChannelConnection(server.accept());
            }

            @Override
            public void close() throws IOException {
                server.close();
                Files.deleteIfExists(socketFile);
            }
        };
    }

    @Override
    public Connection connect(String address) throws IOException {
        return new ChannelConnection(SocketChannel.open(UnixDomainSocketAddress.of(address)));
    }

    private static final class ChannelConnection implements Connection {
        private final SocketChannel channel;
        private final ByteBuffer out = ByteBuffer.allocateDirect(BUFFER_BYTES);
        private final ByteBuffer in = ByteBuffer.allocateDirect(BUFFER_BYTES);

        ChannelConnection(SocketChannel channel) throws IOException {
            this.channel = channel;
            channel.configureBlocking(true);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            while (len > 0) {
                int n = Math.min(len, out.capacity());
                out.clear();
                out.put(b, off, n).flip();
                while (out.hasRemaining()) {
                    channel.write(out);
                }
                off += n;
                len -= n;
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            in.clear().limit(Math.min(len, in.capacity()));
            int n = channel.read(in);
            if (n > 0) {
                in.flip();
                in.get(b, off, n);
            }
            return n;
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }
}
