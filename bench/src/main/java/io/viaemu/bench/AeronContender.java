package io.viaemu.bench;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.aeron.logbuffer.ControlledFragmentHandler;
import io.aeron.logbuffer.Header;
import org.agrona.DirectBuffer;
import org.agrona.IoUtil;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Aeron IPC ({@code aeron:ipc}): a publication and a subscription per direction on shared-memory log buffers of
 * one media driver, the best user-space IPC of the JVM world and the peer to beat. The server JVM runs the driver
 * embedded (one shared agent thread backing off to a park when idle: on IPC it only hands out log buffers and
 * moves the publishers' limits), its directory under {@code /dev/shm} (Aeron's convention), deleted at close; both
 * JVMs are Aeron clients of it. Connection {@code i} is stream {@code 2i+10} up and {@code 2i+11} down; the server
 * prepares the next connection's subscription ahead (a backlog of one), like the raw Chronicle contender. Writes
 * are {@code offer}s of the caller's bytes (fragmented at the default MTU, 1408 bytes); reads busy-spin on
 * {@code controlledPoll}, deliver fragments as a byte stream (no reassembly needed), and keep what does not fit.
 * Term buffers of 16 MiB (sparse files), so that the connect figure's hundreds of short connections fit in
 * /dev/shm; that still allows an 8 MiB window and 2 MiB messages.
 */
public final class AeronContender implements Contender {
    private static final String CHANNEL = "aeron:ipc?term-length=16m|sparse=true";
    private static final long CONNECT_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(30);

    private Aeron clientAeron;
    private int nextClientConnection;

    @Override
    public String name() {
        return "aeron";
    }

    @Override
    public String description() {
        return "Aeron 1.51.0 IPC (aeron:ipc, embedded media driver in /dev/shm, one ExclusivePublication and one "
                + "Subscription per direction, busy-spinning offer and controlledPoll)";
    }

    static int upStream(int connection) {
        return 2 * connection + 10;
    }

    static int downStream(int connection) {
        return 2 * connection + 11;
    }

    @Override
    public Listener listen(Path dir) throws IOException {
        File aeronDir = new File("/dev/shm/via-bench-aeron-" + ProcessHandle.current().pid());
        MediaDriver.Context ctx = new MediaDriver.Context()
                .aeronDirectoryName(aeronDir.getAbsolutePath())
                .threadingMode(ThreadingMode.SHARED)
                .sharedIdleStrategy(new BackoffIdleStrategy(100, 10, TimeUnit.MICROSECONDS.toNanos(1),
                        TimeUnit.MICROSECONDS.toNanos(100)))
                .dirDeleteOnStart(true)
                .dirDeleteOnShutdown(true)
                .publicationLingerTimeoutNs(TimeUnit.MILLISECONDS.toNanos(100))
                .spiesSimulateConnection(false);
        MediaDriver driver = MediaDriver.launchEmbedded(ctx);
        Aeron aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(driver.aeronDirectoryName()));
        return new Listener() {
            private int nextAccept;
            private Subscription prepared = aeron.addSubscription(CHANNEL, upStream(0));

            @Override
            public String address() {
                return driver.aeronDirectoryName();
            }

            @Override
            public Connection accept() throws IOException {
                int index = nextAccept++;
                Subscription in = prepared;
                long deadline = System.nanoTime() + CONNECT_TIMEOUT_NANOS * 100; // the client may come late
                while (in.imageCount() == 0) {
                    if (System.nanoTime() - deadline > 0) {
                        throw new IOException("no Aeron client published on stream " + upStream(index));
                    }
                    Thread.onSpinWait();
                }
                ExclusivePublication out = aeron.addExclusivePublication(CHANNEL, downStream(index));
                prepared = aeron.addSubscription(CHANNEL, upStream(index + 1));
                return new AeronConnection(in, out);
            }

            @Override
            public void close() {
                prepared.close();
                aeron.close();
                driver.close(); // deletes the driver directory
                IoUtil.delete(aeronDir, true);
            }
        };
    }

    @Override
    public Connection connect(String address) throws IOException {
        if (clientAeron == null) {
            clientAeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(address));
        }
        int index = nextClientConnection++;
        ExclusivePublication out = clientAeron.addExclusivePublication(CHANNEL, upStream(index));
        Subscription in = clientAeron.addSubscription(CHANNEL, downStream(index));
        long deadline = System.nanoTime() + CONNECT_TIMEOUT_NANOS;
        while (!out.isConnected()) { // the server's subscription sees us: the first byte can go
            if (System.nanoTime() - deadline > 0) {
                throw new IOException("the Aeron server did not subscribe to stream " + upStream(index));
            }
            Thread.onSpinWait();
        }
        return new AeronConnection(in, out);
    }

    private static final class AeronConnection implements Connection, ControlledFragmentHandler {
        private final Subscription in;
        private final ExclusivePublication out;
        private final UnsafeBuffer writeBuffer = new UnsafeBuffer(new byte[0]);
        /** Rest of a fragment larger than the caller's buffer. */
        private byte[] pending = new byte[0];
        private int pendingOff;
        private int pendingLen;
        /** The read in progress: its target and how much is filled. */
        private byte[] target;
        private int targetOff;
        private int targetLen;
        private int filled;

        AeronConnection(Subscription in, ExclusivePublication out) {
            this.in = in;
            this.out = out;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            writeBuffer.wrap(b);
            int max = out.maxPayloadLength() * 32; // a bounded offer; the reader sees fragments anyway
            while (len > 0) {
                int n = Math.min(len, max);
                long r;
                while ((r = out.offer(writeBuffer, off, n)) < 0) {
                    if (r == Publication.CLOSED || r == Publication.MAX_POSITION_EXCEEDED) {
                        throw new IOException("Aeron publication " + out.streamId() + " failed: " + r);
                    }
                    Thread.onSpinWait(); // back pressure, admin action or the reader gone for a moment
                }
                off += n;
                len -= n;
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (pendingLen > 0) {
                int n = Math.min(len, pendingLen);
                System.arraycopy(pending, pendingOff, b, off, n);
                pendingOff += n;
                pendingLen -= n;
                return n;
            }
            target = b;
            targetOff = off;
            targetLen = len;
            filled = 0;
            while (filled == 0) { // busy-spin, like the raw Chronicle contender; the harness kills a hung peer
                if (in.controlledPoll(this, 256) == 0 && in.isClosed()) {
                    throw new IOException("Aeron subscription " + in.streamId() + " closed");
                }
            }
            target = null;
            return filled;
        }

        @Override
        public Action onFragment(DirectBuffer buffer, int offset, int length, Header header) {
            int room = targetLen - filled;
            if (length <= room) {
                buffer.getBytes(offset, target, targetOff + filled, length);
                filled += length;
                return filled == targetLen ? Action.BREAK : Action.CONTINUE;
            }
            if (filled > 0) {
                return Action.ABORT; // next read gets it whole
            }
            buffer.getBytes(offset, target, targetOff, room);
            filled = room;
            int rest = length - room;
            if (pending.length < rest) {
                pending = new byte[Math.max(rest, 2 * pending.length)];
            }
            buffer.getBytes(offset + room, pending, 0, rest);
            pendingOff = 0;
            pendingLen = rest;
            return Action.BREAK;
        }

        @Override
        public void close() {
            out.close();
            in.close();
        }
    }
}
