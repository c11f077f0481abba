package io.viaemu.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;

import io.viaemu.nio.ViaRules;
import io.viaemu.nio.ViaSelectorProvider;

/**
 * via-emu through NIO: non-blocking SocketChannels of the via-emu SelectorProvider (port 7000 mapped to the bench
 * endpoint by a rules file), each waiting in its own Selector, which parks on the connection's doorbell (pauser
 * BACKOFF: compare with {@code via-backoff}). {@code via-nio-mixed}: the selector also holds a platform channel (a
 * pipe nobody writes), so it waits in the platform selector and its doorbell-watching thread wakes it.
 */
public final class ViaNioContender implements Contender {
    private static final int PORT = 7000;
    private final boolean mixed;

    public ViaNioContender(boolean mixed) {
        this.mixed = mixed;
    }

    @Override
    public String name() {
        return mixed ? "via-nio-mixed" : "via-nio";
    }

    @Override
    public String description() {
        return "NIO SocketChannel + Selector from the via-emu SelectorProvider, non-blocking, pauser BACKOFF"
                + (mixed ? "; the selector also holds a platform pipe (waits in the platform selector, woken by its "
                        + "doorbell-watching thread)" : "; the selector waits in futex_waitv on the doorbell");
    }

    private static ViaSelectorProvider provider(Path rules) throws IOException {
        return new ViaSelectorProvider(ViaRules.load(rules));
    }

    @Override
    public Listener listen(Path dir) throws IOException {
        Path base = ViaContender.privateBase(dir);
        Path rules = Files.writeString(dir.resolve("via.conf"), "base-dir " + base + "\npauser backoff\n"
                + "set via.triggers.t1-parent-close=false\nset via.triggers.t2-parent-abort=false\n"
                + "set via.timeouts.connect=30s\n"
                // the window and largest message of the native contenders (ViaContender.config): the library's
                // defaults unless the run sets them, so that the ratio against them compares the same rings
                + sizeRule("via.send-window", System.getProperty("via.bench.send-window"))
                + sizeRule("via.max-message-size", System.getProperty("via.bench.max-message-size"))
                + sizeRule("via.ring-capacity", System.getProperty("via.bench.ring-capacity"))
                + "bind *:" + PORT + " " + ViaContender.ENDPOINT + "\nconnect *:" + PORT
                + " " + ViaContender.ENDPOINT + "\n");
        ViaSelectorProvider provider = provider(rules);
        ServerSocketChannel server = provider.openServerSocketChannel();
        server.bind(new InetSocketAddress("127.0.0.1", PORT));
        return new Listener() {
            @Override
            public String address() {
                return rules.toString();
            }

            @Override
            public Connection accept() throws IOException {
                return new NioConnection(provider, server.accept(), mixed);
            }

            @Override
            public void close() throws IOException {
                server.close();
            }
        };
    }

    @Override
    public Connection connect(String address) throws IOException {
        ViaSelectorProvider provider = provider(Path.of(address));
        SocketChannel ch = provider.openSocketChannel();
        ch.connect(new InetSocketAddress("127.0.0.1", PORT));
        return new NioConnection(provider, ch, mixed);
    }

    /** A non-blocking channel that waits in its selector whenever a read finds nothing or a write is partial. */
    private static final class NioConnection implements Connection {
        private final SocketChannel ch;
        private final Selector selector;
        private final SelectionKey key;
        private final Pipe pipe;
        /** The buffers over the harness's arrays, kept while it passes the same array (as NIO code keeps its own). */
        private ByteBuffer readBuf;
        private ByteBuffer writeBuf;

        NioConnection(ViaSelectorProvider provider, SocketChannel ch, boolean mixed) throws IOException {
            this.ch = ch;
            ch.configureBlocking(false);
            this.selector = provider.openSelector();
            this.key = ch.register(selector, 0);
            if (mixed) {
                pipe = provider.openPipe();
                pipe.source().configureBlocking(false);
                pipe.source().register(selector, SelectionKey.OP_READ);
            } else {
                pipe = null;
            }
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            ByteBuffer buf = writeBuf = over(writeBuf, b, off, len);
            ch.write(buf);
            while (buf.hasRemaining()) {
                key.interestOps(SelectionKey.OP_WRITE);
                selector.select();
                selector.selectedKeys().clear();
                ch.write(buf);
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            ByteBuffer buf = readBuf = over(readBuf, b, off, len);
            int n = ch.read(buf);
            while (n == 0) {
                key.interestOps(SelectionKey.OP_READ);
                selector.select();
                selector.selectedKeys().clear();
                n = ch.read(buf);
            }
            return n;
        }

        /** {@code b[off..off+len)} as a buffer: {@code buf} again if it wraps {@code b}, else a new one. */
        private static ByteBuffer over(ByteBuffer buf, byte[] b, int off, int len) {
            if (buf == null || buf.array() != b) {
                return ByteBuffer.wrap(b, off, len);
            }
            buf.limit(off + len).position(off);
            return buf;
        }

        @Override
        public void close() throws IOException {
            selector.close();
            ch.close();
            if (pipe != null) {
                pipe.source().close();
                pipe.sink().close();
            }
        }
    }

    /** A rules-file line setting {@code property}, or nothing where the run leaves it to the library's default. */
    private static String sizeRule(String property, String value) {
        return value == null ? "" : "set " + property + "=" + value + "\n";
    }
}
