package io.viaemu.nio;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.AlreadyBoundException;
import java.nio.channels.AlreadyConnectedException;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ConnectionPendingException;
import java.nio.channels.NoConnectionPendingException;
import java.nio.channels.NotYetConnectedException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.channels.UnresolvedAddressException;
import java.nio.channels.UnsupportedAddressTypeException;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;

import io.viaemu.ConnectionHandedOverException;
import io.viaemu.ViaClient;
import io.viaemu.ViaConnection;
import io.viaemu.ViaException;
import io.viaemu.ViaRefusedException;
import io.viaemu.ViaTimeoutException;
import io.viaemu.idle.Doorbell;
import io.viaemu.protocol.ConnectionEnd;

/**
 * A {@link SocketChannel} from the via-emu {@link ViaSelectorProvider}: over a via-emu connection when the address
 * it connects to is mapped by a {@code connect} rule (or when it was accepted from a via-emu server channel), else
 * over a platform TCP channel it creates at connect and delegates every call to. Which of the two is decided at
 * {@link #connect}: until then options and the bind address are only recorded.
 *
 * <p>Over via-emu: a connect completes before it returns (also in non-blocking mode, where it returns true, as the
 * spec allows for a local connection); a non-blocking read returns what has arrived (0 if nothing, -1 at end of
 * stream) and a non-blocking write takes what fits in the send window (0 while it is full); readiness for a
 * selector comes from the connection's doorbell. A read or write blocked in one thread ends with
 * {@link AsynchronousCloseException} when another thread closes the channel, and with
 * {@link java.nio.channels.ClosedByInterruptException} (the channel closed) when the thread is interrupted: the
 * behaviour {@link java.nio.channels.spi.AbstractInterruptibleChannel} defines.
 */
final class ViaSocketChannel extends SocketChannel implements ViaSelectable {
    /** The largest document a gathering write makes, and what a non-blocking write sends at most per call. */
    private static final int GATHER_MAX = 256 * 1024;
    /**
     * What one document takes beyond its payload, at most: the ring's record header (16 bytes), the document's
     * header (2) and the record's alignment (up to 15).
     */
    private static final int DOCUMENT_OVERHEAD = 64;
    /** The most {@link #roomEstimate} starts from. */
    private static final long ROOM_ESTIMATE_MAX = 256 * 1024;
    /** Reads larger than this make the selector poll by the lock-free hint (see {@link #largeReads}). */
    private static final int LARGE_READ = 2048;

    private final ViaSelectorProvider via;
    private final ChannelOptions options;
    private final ReentrantLock readLock = new ReentrantLock();
    private final ReentrantLock writeLock = new ReentrantLock();
    private final Object stateLock = new Object();
    private final List<ViaSelectionKey> keys = new CopyOnWriteArrayList<>();
    /** Runs when an accepted channel closes: its server channel counts open ones. */
    private final Runnable onClose;

    private volatile ConnectionEnd connection;
    private volatile SocketChannel tcp;
    private volatile String endpoint;
    private volatile InetSocketAddress remote;
    private volatile InetSocketAddress local;
    private volatile boolean inputShut;
    private volatile boolean outputShut;
    private ChannelSocket socket;
    private byte[] readScratch;
    private byte[] writeScratch;
    /**
     * Set once a non-blocking read found nothing while {@link ConnectionEnd#inputHintNow} said data waits and a full
     * check agreed there was none (bytes this end's role may not read yet, e.g. a worker before it owns the
     * connection): readiness then comes from full checks only, so a selector does not report OP_READ forever.
     */
    private volatile boolean readHintDistrusted;
    /**
     * The last non-blocking read returned more than {@link #LARGE_READ} bytes: the selector's spin polls by the
     * hint ({@link ConnectionEnd#inputHintNow}), which leaves the document in the queue, instead of by
     * {@link ConnectionEnd#readableNow}, which copies it into the pending buffer (a plain field: a stale value only
     * picks the other, slower, way for a poll).
     */
    private boolean largeReads;
    /**
     * A lower bound of what one document may take now without waiting (under the write lock): the last
     * {@link ConnectionEnd#sendRoomNow} (at most {@link #ROOM_ESTIMATE_MAX}) less what non-blocking writes sent since,
     * each counted with {@link #DOCUMENT_OVERHEAD}. The room only grows between writes (the peer consumes), so a small
     * write that fits goes out without reading the room again: that read is the peer's consumed count and the ring's
     * reclaimed position, two cache lines the peer's reader has just written, on every write of a round trip. (A
     * peer shrinking its receive window meanwhile is seen only once this bound is used up.)
     */
    private long roomEstimate;
    /** The buffer of a single-buffer write (under the write lock). */
    private final ByteBuffer[] oneBuffer = new ByteBuffer[1];

    /** An unconnected channel. */
    ViaSocketChannel(ViaSelectorProvider provider) {
        super(provider);
        this.via = provider;
        this.options = new ChannelOptions(provider.socketOptions(), provider.rules().config().sendWindow());
        this.onClose = null;
    }

    /** The server side of an accepted via-emu connection. */
    ViaSocketChannel(ViaSelectorProvider provider, ConnectionEnd accepted, String endpoint, InetSocketAddress local,
            Runnable onClose) {
        super(provider);
        this.via = provider;
        this.options = new ChannelOptions(provider.socketOptions(), provider.rules().config().sendWindow());
        this.connection = accepted;
        this.endpoint = endpoint;
        this.local = local;
        this.remote = new InetSocketAddress(InetAddress.getLoopbackAddress(), syntheticPort(accepted.id()));
        this.onClose = onClose;
    }

    // ------------------------------------------------------------------------------------------------ access

    /** The via-emu connection, or null (unconnected, or TCP). */
    ViaConnection connection() {
        return connection;
    }

    /** The endpoint this channel is connected to or was accepted on; null for TCP or unconnected. */
    String endpoint() {
        return endpoint;
    }

    boolean isVia() {
        return connection != null;
    }

    // ------------------------------------------------------------------------------------------------ connect

    @Override
    public SocketChannel bind(SocketAddress address) throws IOException {
        synchronized (stateLock) {
            ensureOpen();
            if (isConnected() || isConnectionPending()) {
                throw new AlreadyConnectedException();
            }
            if (local != null) {
                throw new AlreadyBoundException();
            }
            InetSocketAddress isa = address == null ? new InetSocketAddress(0) : checkAddress(address);
            // recorded: a via-emu client has no local port; a TCP one binds it at connect
            local = isa;
        }
        return this;
    }

    @Override
    public boolean connect(SocketAddress address) throws IOException {
        InetSocketAddress isa = checkAddress(address);
        String ep;
        synchronized (stateLock) {
            ensureOpen();
            if (isConnected()) {
                throw new AlreadyConnectedException();
            }
            if (isConnectionPending()) {
                throw new ConnectionPendingException();
            }
            ep = via.rules().connectEndpoint(isa);
            if (ep == null) {
                if (isa.isUnresolved()) {
                    throw new UnresolvedAddressException();
                }
                return connectTcp(isa);
            }
        }
        return connectVia(isa, ep);
    }

    private boolean connectTcp(InetSocketAddress isa) throws IOException {
        SocketChannel t = via.platform().openSocketChannel();
        try {
            options.applyTo(t);
            InetSocketAddress bindTo = local;
            if (bindTo != null) {
                t.bind(bindTo);
            }
            t.configureBlocking(isBlocking());
            tcp = t;
            for (ViaSelectionKey k : keys) {
                k.attachPlatform(t); // before the connect: a non-blocking one is finished through OP_CONNECT
            }
            return t.connect(isa);
        } catch (IOException | RuntimeException e) {
            tcp = null;
            t.close();
            throw e;
        }
    }

    private boolean connectVia(InetSocketAddress isa, String ep) throws IOException {
        ViaConnection c;
        boolean completed = false;
        begin();
        try {
            c = ViaClient.connect(via.rules().config(), ep);
            completed = true;
        } catch (ViaRefusedException e) {
            throw init(new ConnectException("Connection refused: " + isa + " (via-emu endpoint '" + ep + "' under "
                    + via.rules().config().baseDir() + "): " + e.getMessage()), e);
        } catch (ViaTimeoutException e) {
            throw init(new SocketTimeoutException("Connect timed out: the via-emu server of " + isa + " (endpoint '"
                    + ep + "') did not accept within " + via.rules().config().connectTimeout().toMillis() + " ms"), e);
        } catch (ViaException e) {
            throw init(new ConnectException("Connection to " + isa + " (via-emu endpoint '" + ep + "') failed: "
                    + e.getMessage()), e);
        } finally {
            end(completed);
        }
        if (!(c instanceof ConnectionEnd)) {
            c.close();
            throw new IOException("via-emu NIO needs the core's connections (ConnectionEnd), not " + c.getClass());
        }
        synchronized (stateLock) {
            if (!isOpen()) {
                c.close(); // closed by another thread while connecting
                throw new AsynchronousCloseException();
            }
            connection = (ConnectionEnd) c;
            endpoint = ep;
            remote = isa;
            local = new InetSocketAddress(InetAddress.getLoopbackAddress(), syntheticPort(c.id()));
        }
        return true;
    }

    @Override
    public boolean finishConnect() throws IOException {
        SocketChannel t = tcp;
        if (t != null) {
            return t.finishConnect();
        }
        ensureOpen();
        if (connection == null) {
            throw new NoConnectionPendingException();
        }
        return true;
    }

    @Override
    public boolean isConnected() {
        SocketChannel t = tcp;
        return t != null ? t.isConnected() : connection != null;
    }

    @Override
    public boolean isConnectionPending() {
        SocketChannel t = tcp;
        return t != null && t.isConnectionPending();
    }

    // ------------------------------------------------------------------------------------------------ reading

    @Override
    public int read(ByteBuffer dst) throws IOException {
        Objects.requireNonNull(dst);
        SocketChannel t = tcp;
        if (t != null) {
            return t.read(dst);
        }
        ensureOpen();
        ConnectionEnd c = connectedVia();
        if (dst.isReadOnly()) {
            throw new IllegalArgumentException("Read-only buffer");
        }
        if (dst.hasArray() && !isBlocking()) {
            // non-blocking into an array (the selector's round trip): one pass of the connection's receiveNow, under
            // the input stream's own lock, which already makes each read whole against another reader; the
            // channel's read lock too was two more atomic operations per read, two reads per message
            if (inputShut) {
                return -1;
            }
            return dst.hasRemaining() ? readNow(c, dst) : 0;
        }
        readLock.lock();
        try {
            ensureOpen();
            if (inputShut) {
                return -1;
            }
            if (!dst.hasRemaining()) {
                return 0;
            }
            return isBlocking() ? readBlocking(c, dst, 0) : readNow(c, dst);
        } finally {
            readLock.unlock();
        }
    }

    /** A read that waits at most {@code timeoutMillis} (0: forever), for the socket adaptor's streams. */
    int readBlocking(ByteBuffer dst, long timeoutMillis) throws IOException {
        SocketChannel t = tcp;
        if (t != null) {
            return t.read(dst);
        }
        ensureOpen();
        ConnectionEnd c = connectedVia();
        readLock.lock();
        try {
            ensureOpen();
            if (inputShut) {
                return -1;
            }
            return readBlocking(c, dst, timeoutMillis);
        } finally {
            readLock.unlock();
        }
    }

    private int readBlocking(ConnectionEnd c, ByteBuffer dst, long timeoutMillis) throws IOException {
        int n = 0;
        begin();
        try {
            n = receive(c, dst, Math.min(dst.remaining(), 1 << 20), timeoutMillis);
            return n;
        } catch (ViaTimeoutException e) {
            throw init(new SocketTimeoutException("Read timed out"), e);
        } catch (ViaException e) {
            if (!isOpen()) {
                throw new AsynchronousCloseException();
            }
            throw reset(e);
        } finally {
            end(n > 0 || (n < 0 && isOpen()));
        }
    }

    private int readNow(ConnectionEnd c, ByteBuffer dst) throws IOException {
        try {
            int n = readNowOnce(c, dst);
            if (n != 0) {
                largeReads = n > LARGE_READ;
            } else if (largeReads && !readHintDistrusted && c.inputHintNow()) {
                // the selector reported OP_READ from the hint; a full check tells a document that came just now from
                // bytes this end cannot read (then the hint is not used for this channel again)
                if (c.readableNow() == 0) {
                    if (c.inputHintNow()) {
                        readHintDistrusted = true;
                    }
                    return 0;
                }
                n = readNowOnce(c, dst);
            }
            return n;
        } catch (ViaException e) {
            throw reset(e);
        }
    }

    private int readNowOnce(ConnectionEnd c, ByteBuffer dst) throws IOException {
        if (dst.hasArray()) { // one pass, straight into the array (the selector's round trip goes this way)
            int n = c.receiveNow(dst.array(), dst.arrayOffset() + dst.position(), dst.remaining());
            if (n > 0) {
                dst.position(dst.position() + n);
            }
            return n;
        }
        int r = c.readableNow();
        if (r == 0) {
            return 0;
        }
        // r > 0: that many wait; r < 0: the input ended and receive answers at once (-1, or the failure)
        return receive(c, dst, r > 0 ? Math.min(r, dst.remaining()) : dst.remaining(), 0);
    }

    private int receive(ConnectionEnd c, ByteBuffer dst, int max, long timeoutMillis) throws IOException {
        if (dst.hasArray()) {
            int n = c.receive(dst.array(), dst.arrayOffset() + dst.position(), Math.min(max, dst.remaining()),
                    timeoutMillis);
            if (n > 0) {
                dst.position(dst.position() + n);
            }
            return n;
        }
        int len = Math.min(max, 256 * 1024);
        if (readScratch == null || readScratch.length < len) {
            readScratch = new byte[Math.max(len, 16 * 1024)];
        }
        int n = c.receive(readScratch, 0, len, timeoutMillis);
        if (n > 0) {
            dst.put(readScratch, 0, n);
        }
        return n;
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, dsts.length);
        SocketChannel t = tcp;
        if (t != null) {
            return t.read(dsts, offset, length);
        }
        long total = 0;
        for (int i = offset; i < offset + length; i++) {
            ByteBuffer b = dsts[i];
            if (!b.hasRemaining()) {
                continue;
            }
            int n;
            if (total == 0) {
                n = read(b); // the first read may wait (blocking mode)
            } else {
                n = readAvailable(b); // the others take only what has arrived
            }
            if (n < 0) {
                return total == 0 ? -1 : total;
            }
            total += n;
            if (b.hasRemaining()) {
                break;
            }
        }
        return total;
    }

    private int readAvailable(ByteBuffer dst) throws IOException {
        ConnectionEnd c = connectedVia();
        readLock.lock();
        try {
            if (inputShut || !isOpen()) {
                return 0;
            }
            int r = c.readableNow();
            return r > 0 ? receive(c, dst, Math.min(r, dst.remaining()), 0) : 0;
        } catch (ViaException e) {
            throw reset(e);
        } finally {
            readLock.unlock();
        }
    }

    // ------------------------------------------------------------------------------------------------ writing

    @Override
    public int write(ByteBuffer src) throws IOException {
        Objects.requireNonNull(src);
        SocketChannel t = tcp;
        if (t != null) {
            return t.write(src);
        }
        return (int) writeVia(null, src, 0, 1);
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, srcs.length);
        SocketChannel t = tcp;
        if (t != null) {
            return t.write(srcs, offset, length);
        }
        return writeVia(srcs, null, offset, length);
    }

    /** A write over via-emu of {@code srcs[offset..offset+length)}, or of {@code single} if {@code srcs} is null. */
    private long writeVia(ByteBuffer[] buffers, ByteBuffer single, int offset, int length) throws IOException {
        ensureOpen();
        ConnectionEnd c = connectedVia();
        writeLock.lock();
        ByteBuffer[] srcs = buffers;
        if (srcs == null) {
            srcs = oneBuffer; // under the write lock: no array made per write
            srcs[0] = single;
        }
        try {
            ensureOpen();
            if (outputShut) {
                throw new ClosedChannelException(); // as the platform's: writing after shutdownOutput
            }
            long total = 0;
            for (int i = offset; i < offset + length; i++) {
                total += srcs[i].remaining();
            }
            if (total == 0) {
                return 0;
            }
            boolean blocking = isBlocking();
            long budget;
            if (blocking) {
                budget = total;
                roomEstimate = 0;
            } else if (total <= GATHER_MAX && total + DOCUMENT_OVERHEAD <= roomEstimate) {
                budget = total; // fits in what is known to be free: the peer's words stay unread (see roomEstimate)
            } else {
                // non-blocking: at most what one document takes now, so the append never waits for the reader; and
                // not a fragment of a larger write while less than the low-water mark is free (the selector reports
                // OP_WRITE at that mark): a stream goes on in whole writes, not in the slivers a reader's reads free
                long room = c.sendRoomNow();
                roomEstimate = Math.min(room, ROOM_ESTIMATE_MAX);
                budget = Math.min(total, Math.min(room, GATHER_MAX));
                if (budget <= 0 || (budget < total && room < c.sendLowWater())) {
                    return 0;
                }
            }
            long written = 0;
            boolean completed = false;
            if (blocking) {
                begin();
            }
            try {
                written = send(c, srcs, offset, length, budget);
                if (!blocking) {
                    roomEstimate -= written + DOCUMENT_OVERHEAD; // one document: a non-blocking write is one
                }
                completed = true;
                return written;
            } catch (ViaException e) {
                roomEstimate = 0;
                if (!isOpen()) {
                    throw new AsynchronousCloseException();
                }
                throw reset(e);
            } finally {
                if (blocking) {
                    end(completed);
                }
            }
        } finally {
            oneBuffer[0] = null;
            writeLock.unlock();
        }
    }

    /**
     * Sends {@code budget} bytes of the buffers, gathered into documents of up to {@link #GATHER_MAX} (one document
     * per small buffer would cost the reader a queue read each).
     */
    private long send(ConnectionEnd c, ByteBuffer[] srcs, int offset, int length, long budget) throws IOException {
        if (length == 1 && srcs[offset].hasArray()) { // one heap buffer: sent from its array, no gathering copy
            ByteBuffer b = srcs[offset];
            int n = (int) Math.min(budget, b.remaining());
            c.send(b.array(), b.arrayOffset() + b.position(), n);
            b.position(b.position() + n);
            return n;
        }
        int i = offset;
        long left = budget;
        int chunkMax = (int) Math.min(GATHER_MAX, budget);
        if (writeScratch == null || writeScratch.length < chunkMax) {
            writeScratch = new byte[Math.max(chunkMax, 16 * 1024)];
        }
        while (left > 0) {
            int fill = 0;
            int want = (int) Math.min(left, writeScratch.length);
            while (fill < want && i < offset + length) {
                ByteBuffer b = srcs[i];
                int n = Math.min(b.remaining(), want - fill);
                b.get(writeScratch, fill, n);
                fill += n;
                if (!b.hasRemaining()) {
                    i++;
                }
            }
            if (fill == 0) {
                break;
            }
            c.send(writeScratch, 0, fill);
            left -= fill;
        }
        return budget - left;
    }

    // ------------------------------------------------------------------------------------------------ shutdown, close

    @Override
    public SocketChannel shutdownInput() throws IOException {
        ensureOpen();
        SocketChannel t = tcp;
        if (t != null) {
            t.shutdownInput();
            return this;
        }
        connectedVia();
        inputShut = true; // reads return -1 from now on; the peer is not told, as with TCP
        connection.ownDoorbell().ringAlways(); // a selector waiting for OP_READ re-checks: now ready (end of stream)
        return this;
    }

    @Override
    public SocketChannel shutdownOutput() throws IOException {
        ensureOpen();
        SocketChannel t = tcp;
        if (t != null) {
            t.shutdownOutput();
            return this;
        }
        ConnectionEnd c = connectedVia();
        writeLock.lock();
        try {
            if (!outputShut) {
                c.shutdownOutput();
                outputShut = true;
            }
        } catch (ViaException e) {
            throw reset(e);
        } finally {
            writeLock.unlock();
        }
        return this;
    }

    boolean isInputShutdown() {
        SocketChannel t = tcp;
        return t != null ? t.socket().isInputShutdown() : inputShut;
    }

    boolean isOutputShutdown() {
        SocketChannel t = tcp;
        return t != null ? t.socket().isOutputShutdown() : outputShut;
    }

    @Override
    protected void implCloseSelectableChannel() throws IOException {
        SocketChannel t;
        ConnectionEnd c;
        synchronized (stateLock) {
            t = tcp;
            c = connection;
        }
        try {
            if (t != null) {
                t.close();
            } else if (c != null) {
                c.close(); // wakes a reader or writer blocked in another thread (it parks on the doorbell)
            }
        } catch (ViaException e) {
            throw init(new IOException("closing via-emu connection failed: " + e.getMessage()), e);
        } finally {
            if (onClose != null) {
                onClose.run();
            }
        }
    }

    @Override
    protected void implConfigureBlocking(boolean block) throws IOException {
        SocketChannel t = tcp;
        if (t != null) {
            t.configureBlocking(block);
        }
    }

    // ------------------------------------------------------------------------------------------------ addresses, options

    @Override
    public SocketAddress getLocalAddress() throws IOException {
        ensureOpen();
        SocketChannel t = tcp;
        return t != null ? t.getLocalAddress() : local;
    }

    @Override
    public SocketAddress getRemoteAddress() throws IOException {
        ensureOpen();
        SocketChannel t = tcp;
        return t != null ? t.getRemoteAddress() : remote;
    }

    InetSocketAddress remoteAddressOrNull() {
        SocketChannel t = tcp;
        if (t != null) {
            try {
                return (InetSocketAddress) t.getRemoteAddress();
            } catch (IOException e) {
                return null;
            }
        }
        return connection != null ? remote : null;
    }

    InetSocketAddress localAddressOrNull() {
        SocketChannel t = tcp;
        if (t != null) {
            try {
                return (InetSocketAddress) t.getLocalAddress();
            } catch (IOException e) {
                return null;
            }
        }
        return local;
    }

    @Override
    public <T> SocketChannel setOption(SocketOption<T> name, T value) throws IOException {
        ensureOpen();
        SocketChannel t = tcp;
        if (t != null) {
            t.setOption(name, value);
            return this;
        }
        options.set(name, value);
        return this;
    }

    @Override
    public <T> T getOption(SocketOption<T> name) throws IOException {
        ensureOpen();
        SocketChannel t = tcp;
        return t != null ? t.getOption(name) : options.get(name);
    }

    @Override
    public Set<SocketOption<?>> supportedOptions() {
        return options.supported();
    }

    @Override
    public synchronized Socket socket() {
        if (socket == null) {
            socket = ChannelSocket.create(this);
        }
        return socket;
    }

    // ------------------------------------------------------------------------------------------------ selection

    @Override
    public SelectableChannel platformChannel() {
        return tcp;
    }

    @Override
    public Doorbell doorbell() {
        ConnectionEnd c = connection;
        return c == null ? null : c.ownDoorbell();
    }

    @Override
    public int viaReadyOps(int interest, boolean full) {
        ConnectionEnd c = connection;
        if (c == null || tcp != null) {
            return 0;
        }
        int ready = 0;
        if ((interest & SelectionKey.OP_READ) != 0) {
            if (inputShut || !isOpen()) {
                ready |= SelectionKey.OP_READ;
            } else if (largeReads && !readHintDistrusted && c.inputHintNow()) {
                // data waits (the flag block's counts, no lock, the queue untouched): the read that follows takes the
                // document straight into its buffer, where readableNow would first copy it into the pending buffer
                // (for a 64 KiB stream that was a second copy of every document the selector's spin caught)
                ready |= SelectionKey.OP_READ;
            } else if (full || !largeReads) {
                // small documents: found sooner by a poll of the queue itself (the peer's record, one cache line from
                // the other core) than through the count the peer's writer updates after it, and copied twice cheaply
                try {
                    if (c.readableNow() != 0) {
                        ready |= SelectionKey.OP_READ;
                    }
                } catch (IOException e) {
                    ready |= SelectionKey.OP_READ; // the read reports it
                }
            }
        }
        if ((interest & SelectionKey.OP_WRITE) != 0) {
            if (outputShut || !c.isOpen() || c.sendReadyNow()) {
                ready |= SelectionKey.OP_WRITE;
            }
        }
        return ready;
    }

    @Override
    public void keyAdded(ViaSelectionKey key) throws ClosedChannelException {
        keys.add(key);
        SocketChannel t = tcp;
        if (t != null) {
            key.attachPlatform(t);
        }
    }

    @Override
    public void keyRemoved(ViaSelectionKey key) {
        keys.remove(key);
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private ConnectionEnd connectedVia() {
        ConnectionEnd c = connection;
        if (c == null) {
            throw new NotYetConnectedException();
        }
        return c;
    }

    private void ensureOpen() throws ClosedChannelException {
        if (!isOpen()) {
            throw new ClosedChannelException();
        }
    }

    static InetSocketAddress checkAddress(SocketAddress address) {
        Objects.requireNonNull(address, "address");
        if (!(address instanceof InetSocketAddress)) {
            throw new UnsupportedAddressTypeException();
        }
        return (InetSocketAddress) address;
    }

    /** A via-emu failure as TCP code expects it: "Connection reset", via-emu's reason kept. */
    static IOException reset(ViaException e) {
        if (e instanceof ConnectionHandedOverException) {
            return init(new IOException("Connection handed over to a via-emu worker: " + e.getMessage()), e);
        }
        return init(new IOException("Connection reset (via-emu: " + e.getMessage() + ")"), e);
    }

    static <E extends IOException> E init(E e, Throwable cause) {
        e.initCause(cause);
        return e;
    }

    /**
     * The port shown for the client's end of a connection: derived from the connection id, which both ends share,
     * so a client's local port is the server side's remote port (the rule of {@code io.viaemu.socket} too).
     */
    static int syntheticPort(String connectionId) {
        long id;
        try {
            id = Long.parseUnsignedLong(connectionId, 16);
        } catch (NumberFormatException e) {
            id = connectionId.hashCode();
        }
        return 49152 + (int) Long.remainderUnsigned(id, 16384);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("ViaSocketChannel[");
        if (!isOpen()) {
            sb.append("closed");
        } else if (tcp != null) {
            sb.append("tcp ").append(tcp);
        } else if (connection != null) {
            sb.append("via-emu endpoint=").append(endpoint).append(" connection=").append(connection.id())
                    .append(" local=").append(local).append(" remote=").append(remote);
        } else {
            sb.append("unconnected");
        }
        return sb.append(']').toString();
    }
}
