package io.viaemu.nio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.nio.channels.ClosedSelectorException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.IllegalBlockingModeException;
import java.nio.channels.IllegalSelectorException;
import java.nio.channels.Pipe;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.viaemu.testing.TestDirs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SocketChannel / ServerSocketChannel / Selector contract of the via-emu provider, in one JVM over real queue
 * files: a server channel bound to a mapped port and a client connecting to it run over via-emu; the same calls on an
 * unmapped port run over the platform's TCP. Every wait is bounded (select timeouts, a preemptive per-test timeout).
 */
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ViaChannelsTest {
    private static final int PORT = 7301;

    @TempDir
    Path tmp;
    private ViaSelectorProvider provider;
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @BeforeEach
    void rules() throws IOException {
        provider = provider("base", PORT, "nio-echo", "set via.send-window=64KB");
    }

    /** A provider whose rules map {@code port} to {@code endpoint} under base directory {@code name}, with settings. */
    private ViaSelectorProvider provider(String name, int port, String endpoint, String... settings)
            throws IOException {
        List<String> lines = new ArrayList<>();
        lines.add("base-dir " + TestDirs.privateDir(tmp, name));
        lines.addAll(List.of(settings));
        lines.add("bind *:" + port + " " + endpoint);
        lines.add("connect *:" + port + " " + endpoint);
        Path conf = tmp.resolve(name + ".conf");
        Files.writeString(conf, String.join("\n", lines) + "\n");
        return new ViaSelectorProvider(ViaRules.load(conf));
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            try {
                toClose.get(i).close();
            } catch (Exception e) {
                // best effort
            }
        }
    }

    private <T extends AutoCloseable> T closing(T c) {
        toClose.add(c);
        return c;
    }

    private ServerSocketChannel listen(int port) throws IOException {
        ServerSocketChannel s = closing(provider.openServerSocketChannel());
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        return s;
    }

    private SocketChannel connect(int port) throws IOException {
        SocketChannel c = closing(provider.openSocketChannel());
        c.connect(new InetSocketAddress("localhost", port));
        return c;
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static byte[] readFully(SocketChannel ch, int n) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(n);
        while (buf.hasRemaining()) {
            if (ch.read(buf) < 0) {
                throw new IOException("end of stream after " + buf.position() + " of " + n);
            }
        }
        return buf.array();
    }

    @Test
    void blockingChannelsCarryBytesExactlyAndEndOfStream() throws Exception {
        ServerSocketChannel server = listen(PORT);
        assertThat(server.toString()).contains("via-emu endpoint=nio-echo");
        SocketChannel client = connect(PORT);
        assertThat(client.isConnected()).isTrue();
        SocketChannel accepted = closing(server.accept());
        assertThat(accepted.toString()).contains("via-emu");
        assertThat(((InetSocketAddress) accepted.getRemoteAddress()).getPort())
                .isEqualTo(((InetSocketAddress) client.getLocalAddress()).getPort());
        assertThat(((InetSocketAddress) client.getRemoteAddress()).getPort()).isEqualTo(PORT);

        byte[] data = random(300_000, 1); // more than the 64 KiB window: the blocking write waits for the reader
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            try {
                ByteBuffer b = ByteBuffer.wrap(data);
                while (b.hasRemaining()) {
                    client.write(b);
                }
                client.shutdownOutput();
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        assertThat(readFully(accepted, data.length)).isEqualTo(data);
        writer.get(10, TimeUnit.SECONDS);
        assertThat(accepted.read(ByteBuffer.allocate(10))).isEqualTo(-1);
        assertThatThrownBy(() -> client.write(ByteBuffer.wrap(new byte[1]))).isInstanceOf(ClosedChannelException.class);

        // the other direction still works after the client's shutdownOutput, into a direct buffer too
        accepted.write(ByteBuffer.wrap("pong".getBytes()));
        ByteBuffer direct = ByteBuffer.allocateDirect(4);
        while (direct.hasRemaining()) {
            client.read(direct);
        }
        direct.flip();
        byte[] pong = new byte[4];
        direct.get(pong);
        assertThat(new String(pong)).isEqualTo("pong");
        client.close();
        assertThat(client.isOpen()).isFalse();
        assertThatThrownBy(() -> client.read(ByteBuffer.allocate(1))).isInstanceOf(ClosedChannelException.class);
    }

    @Test
    void nonBlockingEchoThroughOneSelector() throws Exception {
        ServerSocketChannel server = listen(PORT);
        server.configureBlocking(false);
        Selector selector = closing(provider.openSelector());
        SelectionKey acceptKey = server.register(selector, SelectionKey.OP_ACCEPT);
        assertThat(server.accept()).isNull(); // nothing yet, non-blocking
        assertThat(selector.select(50)).isZero(); // a timed select with nothing ready times out

        SocketChannel client = connect(PORT);
        client.configureBlocking(false);
        assertThat(selector.select(5_000)).isEqualTo(1);
        assertThat(selector.selectedKeys()).containsExactly(acceptKey);
        assertThat(acceptKey.isAcceptable()).isTrue();
        selector.selectedKeys().clear();
        SocketChannel accepted = closing(server.accept());
        accepted.configureBlocking(false);
        SelectionKey readKey = accepted.register(selector, SelectionKey.OP_READ);
        assertThat(readKey.channel()).isSameAs(accepted);
        assertThat(accepted.read(ByteBuffer.allocate(10))).isZero(); // nothing has arrived: 0, not a wait

        byte[] data = random(200_000, 2);
        ByteBuffer out = ByteBuffer.wrap(data);
        ByteBuffer in = ByteBuffer.allocate(data.length);
        Selector clientSelector = closing(provider.openSelector());
        SelectionKey clientKey = client.register(clientSelector, SelectionKey.OP_WRITE);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (in.hasRemaining()) {
            assertThat(System.nanoTime()).isLessThan(deadline);
            if (out.hasRemaining() && clientSelector.select(10) > 0) {
                clientSelector.selectedKeys().clear();
                int n = client.write(out); // takes what fits in the 64 KiB window, never blocks
                assertThat(n).isLessThanOrEqualTo(64 * 1024);
                if (!out.hasRemaining()) {
                    clientKey.interestOps(0);
                }
            }
            if (selector.select(10) > 0) {
                assertThat(selector.selectedKeys()).contains(readKey);
                assertThat(readKey.isReadable()).isTrue();
                selector.selectedKeys().clear();
                assertThat(accepted.read(in)).isGreaterThan(0);
            }
        }
        assertThat(in.array()).isEqualTo(data);
        client.close();
        assertThat(selector.select(5_000)).isEqualTo(1); // the peer's close: readable, and the read says -1
        assertThat(accepted.read(ByteBuffer.allocate(1))).isEqualTo(-1);
    }

    /**
     * The selected-key set (an array with a mark in each key, no allocation per select): each ready key once, removal
     * through the iterator (which moves the last key into the removed one's place) visits every key exactly once,
     * {@code remove}, {@code contains} and {@code clear} as a set's, no addition.
     */
    @Test
    void theSelectedKeySetHoldsEachReadyKeyOnceAndItsIteratorRemovesAsItGoes() throws Exception {
        ServerSocketChannel server = listen(PORT);
        Selector selector = closing(provider.openSelector());
        List<SelectionKey> keys = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            SocketChannel client = connect(PORT);
            SocketChannel accepted = closing(server.accept());
            accepted.write(ByteBuffer.wrap(new byte[] {(byte) i}));
            client.configureBlocking(false);
            keys.add(client.register(selector, SelectionKey.OP_READ));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (selector.selectedKeys().size() < keys.size()) {
            assertThat(System.nanoTime()).isLessThan(deadline);
            selector.select(100);
        }
        assertThat(selector.select(100)).as("nothing new: every ready key is in the set already").isZero();
        assertThat(selector.selectedKeys()).containsExactlyInAnyOrderElementsOf(keys);
        List<SelectionKey> seen = new ArrayList<>();
        for (var it = selector.selectedKeys().iterator(); it.hasNext(); ) {
            SelectionKey k = it.next();
            seen.add(k);
            if (seen.size() % 2 == 1) {
                it.remove(); // every other one: the last key moves into its place and comes next
                assertThatThrownBy(it::remove).isInstanceOf(IllegalStateException.class);
            }
        }
        assertThat(seen).containsExactlyInAnyOrderElementsOf(keys);
        assertThat(selector.selectedKeys()).hasSize(2).doesNotContain(seen.get(0), seen.get(2), seen.get(4));
        assertThatThrownBy(() -> selector.selectedKeys().add(seen.get(0)))
                .isInstanceOf(UnsupportedOperationException.class);

        assertThat(selector.select(5_000)).as("the removed keys are still readable").isEqualTo(3);
        assertThat(selector.selectedKeys()).containsExactlyInAnyOrderElementsOf(keys);
        assertThat(selector.selectedKeys().remove(keys.get(1))).isTrue();
        assertThat(selector.selectedKeys().remove(keys.get(1))).isFalse();
        assertThat(selector.selectedKeys().contains(keys.get(1))).isFalse();
        assertThat(selector.selectedKeys()).hasSize(4);
        selector.selectedKeys().clear();
        assertThat(selector.selectedKeys()).isEmpty();
        assertThat(selector.select(5_000)).isEqualTo(5);
    }

    /**
     * Large documents switch a channel's readiness to the flag block's counts (the document stays in the queue for
     * the read): the bytes still arrive whole and in order, and the peer's close, which those counts do not show,
     * still makes the channel readable (end of stream) for a waiting select and for {@code selectNow}.
     */
    @Test
    void largeDocumentsThenThePeersCloseAreSeenByAWaitingSelect() throws Exception {
        ViaSelectorProvider big = provider("big-docs", PORT + 2, "big-docs", "set via.send-window=1MB");
        ServerSocketChannel server = closing(big.openServerSocketChannel());
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), PORT + 2));
        SocketChannel client = closing(big.openSocketChannel());
        client.connect(new InetSocketAddress("localhost", PORT + 2));
        SocketChannel accepted = closing(server.accept());
        accepted.configureBlocking(false);
        Selector selector = closing(big.openSelector());
        SelectionKey key = accepted.register(selector, SelectionKey.OP_READ);
        byte[] data = random(40 * 64 * 1024, 9);
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            try {
                for (int off = 0; off < data.length; off += 64 * 1024) {
                    client.write(ByteBuffer.wrap(data, off, 64 * 1024)); // blocking: whole 64 KiB documents
                }
                Thread.sleep(50); // the reader waits in its select (the spin, then parked) when the close comes
                client.close();
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        ByteBuffer in = ByteBuffer.allocate(data.length + 1); // room left: the last read can say -1
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        int n;
        while (true) {
            assertThat(System.nanoTime()).as("read %d of %d bytes", in.position(), data.length).isLessThan(deadline);
            n = accepted.read(in);
            if (n < 0) {
                break;
            }
            if (n == 0) {
                selector.select(1_000);
                selector.selectedKeys().clear();
            }
        }
        writer.get(5, TimeUnit.SECONDS);
        assertThat(in.position()).isEqualTo(data.length);
        assertThat(Arrays.copyOf(in.array(), data.length)).isEqualTo(data);
        assertThat(selector.selectNow()).as("the end of stream stays readable").isEqualTo(1);
        assertThat(key.isReadable()).isTrue();
    }

    @Test
    void twoThreadsReadingOneNonBlockingChannelGetEveryByteOnceInOrderPerRead() throws Exception {
        ServerSocketChannel server = listen(PORT);
        SocketChannel client = connect(PORT);
        SocketChannel accepted = closing(server.accept());
        accepted.configureBlocking(false);
        // 4-byte sequence numbers, written in pieces of odd sizes so that reads split documents
        int count = 200_000;
        ByteBuffer all = ByteBuffer.allocate(count * 4);
        for (int i = 0; i < count; i++) {
            all.putInt(i);
        }
        byte[] data = all.array();
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            try {
                for (int off = 0; off < data.length; ) {
                    int n = Math.min(data.length - off, 1 + (off % 997));
                    ByteBuffer b = ByteBuffer.wrap(data, off, n);
                    while (b.hasRemaining()) {
                        client.write(b);
                    }
                    off += n;
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        // each reader keeps what its reads returned: every read is one contiguous piece of the stream
        List<List<byte[]>> pieces = List.of(new ArrayList<>(), new ArrayList<>());
        long[] totals = new long[1];
        Object lock = new Object();
        List<CompletableFuture<Void>> readers = new ArrayList<>();
        for (int r = 0; r < 2; r++) {
            List<byte[]> mine = pieces.get(r);
            readers.add(CompletableFuture.runAsync(() -> {
                ByteBuffer b = ByteBuffer.allocate(333);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                try {
                    while (System.nanoTime() < deadline) {
                        synchronized (lock) {
                            if (totals[0] == data.length) {
                                return;
                            }
                        }
                        b.clear();
                        int n = accepted.read(b);
                        if (n > 0) {
                            byte[] piece = new byte[n];
                            System.arraycopy(b.array(), 0, piece, 0, n);
                            synchronized (lock) {
                                mine.add(piece);
                                totals[0] += n;
                            }
                        } else {
                            Thread.onSpinWait();
                        }
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }));
        }
        writer.get(30, TimeUnit.SECONDS);
        for (CompletableFuture<Void> f : readers) {
            f.get(30, TimeUnit.SECONDS);
        }
        assertThat(totals[0]).isEqualTo(data.length);
        // every byte once: each piece of 8 bytes or more is found at its place in the stream (its 4-byte sequence
        // numbers say where), no two overlap, and all pieces together are as long as the stream
        boolean[] covered = new boolean[data.length];
        int located = 0;
        for (List<byte[]> list : pieces) {
            for (byte[] piece : list) {
                if (piece.length < 8) {
                    continue;
                }
                int at = locate(data, piece);
                assertThat(at).as("a piece of %s bytes read from the stream", piece.length).isGreaterThanOrEqualTo(0);
                for (int i = 0; i < piece.length; i++) {
                    assertThat(covered[at + i]).as("byte %s read twice", at + i).isFalse();
                    covered[at + i] = true;
                }
                located++;
            }
        }
        assertThat(located).isPositive();
    }

    /** Where {@code piece} (8 bytes or more) lies in the stream of 4-byte sequence numbers {@code data}, or -1. */
    private static int locate(byte[] data, byte[] piece) {
        for (int shift = 0; shift < 4; shift++) {
            int value = ByteBuffer.wrap(piece, shift, 4).getInt();
            long at = 4L * value - shift;
            if (at < 0 || at + piece.length > data.length) {
                continue;
            }
            if (Arrays.equals(data, (int) at, (int) at + piece.length, piece, 0, piece.length)) {
                return (int) at;
            }
        }
        return -1;
    }

    @Test
    void aFullWindowIsNotWritableUntilThePeerReads() throws Exception {
        ServerSocketChannel server = listen(PORT);
        SocketChannel client = connect(PORT);
        SocketChannel accepted = closing(server.accept());
        client.configureBlocking(false);
        Selector selector = closing(provider.openSelector());
        SelectionKey key = client.register(selector, SelectionKey.OP_WRITE);
        ByteBuffer big = ByteBuffer.wrap(random(1 << 20, 3));
        long written = 0;
        for (int i = 0; i < 100 && big.hasRemaining(); i++) {
            int n = client.write(big);
            if (n == 0) {
                break;
            }
            written += n;
        }
        assertThat(written).isEqualTo(64 * 1024); // the window, then 0: a non-blocking write never blocks
        assertThat(client.write(big)).isZero();
        assertThat(selector.selectNow()).isZero(); // not writable while the window is full

        CompletableFuture<Integer> woken = CompletableFuture.supplyAsync(() -> {
            try {
                return selector.select(10_000);
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        Thread.sleep(100);
        assertThat(woken).isNotDone();
        // a little read is not room enough to wake the writer (it would go on in small documents): a quarter is
        assertThat(readFully(accepted, 1024)).hasSize(1024);
        Thread.sleep(100);
        assertThat(woken).as("writable after 1 KiB of a 64 KiB window was read").isNotDone();
        assertThat(readFully(accepted, 31 * 1024)).hasSize(31 * 1024); // the reader consumes: the doorbell rings
        assertThat(woken.get(5, TimeUnit.SECONDS)).isEqualTo(1);
        assertThat(key.isWritable()).isTrue();
    }

    /**
     * The window counts payload bytes, the ring whole records: one-byte writes fill a 512 KiB ring long before they
     * fill a 4 MiB window. A non-blocking write must then return 0 (and the channel not be writable), not wait for
     * the reader; once the reader reads, every byte arrives in order.
     */
    @Test
    void aRingFullOfSmallDocumentsIsNotWritableAndANonBlockingWriteDoesNotWait() throws Exception {
        ViaSelectorProvider small = provider("small-docs", PORT + 1, "small-docs", "set via.transport=ring",
                "set via.send-window=4MB", "set via.max-message-size=64KB", "set via.ring-capacity=512KB");
        ServerSocketChannel server = closing(small.openServerSocketChannel());
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), PORT + 1));
        SocketChannel client = closing(small.openSocketChannel());
        client.connect(new InetSocketAddress("localhost", PORT + 1));
        SocketChannel accepted = closing(server.accept());
        client.configureBlocking(false);
        Selector selector = closing(small.openSelector());
        client.register(selector, SelectionKey.OP_WRITE);

        CompletableFuture<Integer> filling = CompletableFuture.supplyAsync(() -> {
            ByteBuffer one = ByteBuffer.allocate(1);
            try {
                for (int i = 0; i < 1_000_000; i++) {
                    one.clear();
                    one.put(0, (byte) i);
                    if (client.write(one) == 0) {
                        return i;
                    }
                }
                return -1;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        int written = filling.get(20, TimeUnit.SECONDS); // before the fix the write waited for the reader here
        assertThat(written).as("one-byte writes that went in before the ring was full")
                .isBetween(1_000, 512 * 1024 / 32);
        assertThat(selector.selectNow()).as("not writable while the ring is full").isZero();

        byte[] got = readFully(accepted, written);
        for (int i = 0; i < written; i++) {
            assertThat(got[i]).as("byte %d", i).isEqualTo((byte) i);
        }
        assertThat(selector.select(5_000)).as("writable again once the reader read").isEqualTo(1);
    }

    @Test
    void oneSelectorServesViaAndTcpChannelsAtOnce() throws Exception {
        ServerSocketChannel viaServer = listen(PORT);
        ServerSocketChannel tcpServer = listen(0); // port 0: no rule, the platform's TCP
        assertThat(tcpServer.toString()).contains("tcp");
        int tcpPort = ((InetSocketAddress) tcpServer.getLocalAddress()).getPort();
        SocketChannel viaClient = connect(PORT);
        SocketChannel tcpClient = connect(tcpPort);
        assertThat(tcpClient.toString()).contains("tcp");
        SocketChannel viaAccepted = closing(viaServer.accept());
        SocketChannel tcpAccepted = closing(tcpServer.accept());
        for (SocketChannel c : List.of(viaAccepted, tcpAccepted)) {
            c.configureBlocking(false);
        }
        Selector selector = closing(provider.openSelector());
        SelectionKey viaKey = viaAccepted.register(selector, SelectionKey.OP_READ, "via");
        SelectionKey tcpKey = tcpAccepted.register(selector, SelectionKey.OP_READ, "tcp");

        for (int round = 0; round < 20; round++) {
            SocketChannel sender = round % 2 == 0 ? viaClient : tcpClient;
            SelectionKey expected = round % 2 == 0 ? viaKey : tcpKey;
            CompletableFuture<Integer> selected = CompletableFuture.supplyAsync(() -> {
                try {
                    return selector.select(10_000); // blocks: in the platform selector, the watcher on the doorbell
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            Thread.sleep(20);
            sender.write(ByteBuffer.wrap(new byte[] {(byte) round}));
            assertThat(selected.get(5, TimeUnit.SECONDS)).isEqualTo(1);
            assertThat(selector.selectedKeys()).containsExactly(expected);
            selector.selectedKeys().clear();
            ByteBuffer one = ByteBuffer.allocate(1);
            assertThat(((SocketChannel) expected.channel()).read(one)).isEqualTo(1);
            assertThat(one.get(0)).isEqualTo((byte) round);
        }
    }

    @Test
    void wakeupEndsABlockedSelectAndAPendingOneReturnsAtOnce() throws Exception {
        ServerSocketChannel server = listen(PORT);
        SocketChannel client = connect(PORT);
        SocketChannel accepted = closing(server.accept());
        accepted.configureBlocking(false);
        Selector selector = closing(provider.openSelector());
        accepted.register(selector, SelectionKey.OP_READ);
        CompletableFuture<Integer> blocked = CompletableFuture.supplyAsync(() -> {
            try {
                return selector.select();
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        Thread.sleep(100);
        assertThat(blocked).isNotDone();
        selector.wakeup();
        assertThat(blocked.get(5, TimeUnit.SECONDS)).isZero();
        selector.wakeup();
        long start = System.nanoTime();
        assertThat(selector.select(10_000)).isZero(); // the earlier wakeup: returns at once
        assertThat(System.nanoTime() - start).isLessThan(TimeUnit.SECONDS.toNanos(5));
        assertThat(selector.select(20)).isZero(); // and only once
        client.close();
    }

    @Test
    void cancelledKeysLeaveAtTheNextSelectAndTheChannelMayRegisterAgain() throws Exception {
        ServerSocketChannel server = listen(PORT);
        SocketChannel client = connect(PORT);
        SocketChannel accepted = closing(server.accept());
        accepted.configureBlocking(false);
        Selector selector = closing(provider.openSelector());
        SelectionKey key = accepted.register(selector, SelectionKey.OP_READ);
        assertThat(accepted.isRegistered()).isTrue();
        assertThatThrownBy(() -> accepted.configureBlocking(true)).isInstanceOf(IllegalBlockingModeException.class);
        key.cancel();
        assertThat(key.isValid()).isFalse();
        assertThatThrownBy(key::interestOps).isInstanceOf(CancelledKeyException.class);
        assertThat(accepted.isRegistered()).isTrue(); // until the selector's next select deregisters it
        selector.selectNow();
        assertThat(selector.keys()).doesNotContain(key);
        assertThat(accepted.isRegistered()).isFalse();
        accepted.configureBlocking(true); // deregistered: blocking mode is allowed again
        accepted.configureBlocking(false);
        SelectionKey again = accepted.register(selector, SelectionKey.OP_READ);
        assertThat(again).isNotSameAs(key);
        client.write(ByteBuffer.wrap(new byte[] {42}));
        assertThat(selector.select(5_000)).isEqualTo(1);
        assertThat(selector.selectedKeys()).containsExactly(again);

        // closing a registered channel cancels its key; the selector drops it at its next select
        accepted.close();
        assertThat(again.isValid()).isFalse();
        selector.selectNow();
        assertThat(selector.keys()).isEmpty();
        selector.close();
        assertThatThrownBy(selector::selectNow).isInstanceOf(ClosedSelectorException.class);
    }

    @Test
    void closeFromAnotherThreadEndsBlockedReadsAndAccepts() throws Exception {
        ServerSocketChannel server = listen(PORT);
        CompletableFuture<Object> accept = CompletableFuture.supplyAsync(() -> {
            try {
                return server.accept();
            } catch (IOException e) {
                return e;
            }
        });
        Thread.sleep(100);
        assertThat(accept).isNotDone();
        server.close();
        assertThat(accept.get(5, TimeUnit.SECONDS)).isInstanceOf(AsynchronousCloseException.class);

        ServerSocketChannel server2 = listen(PORT); // the endpoint is free again once the server channel closed
        SocketChannel client = connect(PORT);
        SocketChannel accepted = closing(server2.accept());
        CompletableFuture<Object> read = CompletableFuture.supplyAsync(() -> {
            try {
                return accepted.read(ByteBuffer.allocate(10));
            } catch (IOException e) {
                return e;
            }
        });
        Thread.sleep(100);
        assertThat(read).isNotDone();
        accepted.close();
        assertThat(read.get(5, TimeUnit.SECONDS)).isInstanceOf(AsynchronousCloseException.class);
        client.close();
    }

    @Test
    void optionsAreRecordedAndTheSocketViewAnswers() throws Exception {
        ServerSocketChannel server = listen(PORT);
        assertThat(server.socket().getLocalPort()).isEqualTo(PORT);
        assertThat(server.socket().getChannel()).isSameAs(server);
        SocketChannel client = closing(provider.openSocketChannel());
        client.setOption(StandardSocketOptions.TCP_NODELAY, true);
        client.setOption(StandardSocketOptions.SO_RCVBUF, 12345);
        assertThatThrownBy(() -> client.setOption(StandardSocketOptions.IP_MULTICAST_LOOP, true))
                .isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> client.setOption(StandardSocketOptions.SO_SNDBUF, -1))
                .isInstanceOf(IllegalArgumentException.class);
        client.connect(new InetSocketAddress("localhost", PORT));
        assertThat(client.getOption(StandardSocketOptions.TCP_NODELAY)).isTrue();
        assertThat(client.getOption(StandardSocketOptions.SO_RCVBUF)).isEqualTo(12345);
        assertThat(client.socket().getTcpNoDelay()).isTrue();
        client.socket().setKeepAlive(true);
        assertThat(client.getOption(StandardSocketOptions.SO_KEEPALIVE)).isTrue();
        assertThat(client.socket().getChannel()).isSameAs(client);
        assertThat(client.socket().isConnected()).isTrue();
        assertThat(client.socket().getPort()).isEqualTo(PORT);

        // the socket view's streams, with a read timeout
        SocketChannel accepted = closing(server.accept());
        client.socket().setSoTimeout(100);
        assertThatThrownBy(() -> client.socket().getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
        OutputStream out = accepted.socket().getOutputStream();
        out.write("hello".getBytes());
        InputStream in = client.socket().getInputStream();
        assertThat(new String(in.readNBytes(5))).isEqualTo("hello");
        client.socket().shutdownInput();
        assertThat(client.socket().isInputShutdown()).isTrue();
        assertThat(client.read(ByteBuffer.allocate(1))).isEqualTo(-1);
        client.close();
        assertThat(client.socket().isClosed()).isTrue();
        assertThatThrownBy(() -> client.socket().getTcpNoDelay()).isInstanceOf(SocketException.class);
    }

    @Test
    void foreignChannelsAndPlatformSelectors() throws Exception {
        Selector selector = closing(provider.openSelector());
        Pipe pipe = provider.openPipe(); // the platform's: registered with the selector's platform selector
        closing(pipe.source());
        closing(pipe.sink());
        pipe.source().configureBlocking(false);
        SelectionKey key = pipe.source().register(selector, SelectionKey.OP_READ);
        pipe.sink().write(ByteBuffer.wrap(new byte[] {1}));
        assertThat(selector.select(5_000)).isEqualTo(1);
        assertThat(selector.selectedKeys()).containsExactly(key);

        // our channels cannot be registered with the platform's selectors: the JDK's own rule for foreign channels
        ServerSocketChannel server = listen(PORT);
        server.configureBlocking(false);
        Selector platform = closing(Selector.open());
        if (!(platform instanceof ViaSelector)) {
            assertThatThrownBy(() -> server.register(platform, SelectionKey.OP_ACCEPT))
                    .isInstanceOf(IllegalSelectorException.class);
        }
    }

    @Test
    void withoutRulesTheProviderHandsOutThePlatformsObjects() throws Exception {
        ViaSelectorProvider passThrough = new ViaSelectorProvider();
        assertThat(passThrough.isActive()).isFalse();
        try (SocketChannel ch = passThrough.openSocketChannel(); Selector s = passThrough.openSelector()) {
            assertThat(ch).isNotInstanceOf(ViaSocketChannel.class);
            assertThat(ch.provider()).isSameAs(ViaSelectorProvider.platformProvider());
            assertThat(s).isNotInstanceOf(ViaSelector.class);
        }
    }

    @Test
    void badRulesFailNamingTheLine() throws IOException {
        Path conf = tmp.resolve("bad.conf");
        Files.writeString(conf, "base-dir /tmp\nconnect localhost:80x web\n");
        assertThatThrownBy(() -> ViaRules.load(conf)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bad.conf:2").hasMessageContaining("bad port '80x'");
        Files.writeString(conf, "listen *:80 web\n");
        assertThatThrownBy(() -> ViaRules.load(conf)).hasMessageContaining("unknown rule 'listen'");
        Files.writeString(conf, "bind *:8000-8010 web\n");
        assertThatThrownBy(() -> ViaRules.load(conf)).hasMessageContaining("{port}");
    }
}
