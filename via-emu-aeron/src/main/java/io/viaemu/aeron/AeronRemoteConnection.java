package io.viaemu.aeron;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

import io.aeron.Image;
import io.aeron.Subscription;
import io.aeron.logbuffer.ControlledFragmentHandler;
import io.aeron.logbuffer.Header;
import io.viaemu.ConnectionStreams;
import io.viaemu.ViaConnection;
import io.viaemu.ViaProtocolException;
import io.viaemu.ViaTimeoutException;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.IdleStrategy;

/**
 * The remote client's end of a via-emu connection through the gateway ({@link AeronViaClient#connect}): the same
 * byte-stream contract as a local {@link ViaConnection}, carried as DATA frames over an Aeron UDP publication to the
 * gateway and a subscription from it. The server side (parent, child, the handover) is local to the gateway's host;
 * a handover there is invisible here except as a pause.
 *
 * <p>Received DATA is taken off the Aeron image into a buffer of at most {@value #RECEIVE_BUFFER_LIMIT} bytes by
 * whichever thread gets there first: the application's {@code receive} or this connection's keeper thread, which
 * also sends heartbeats and declares the gateway gone after the peer timeout. When the buffer is full the image is
 * left unread, so Aeron's flow control pushes back on the gateway, which stops reading the local connection: the
 * server's sends block on via-emu's window. Nothing is dropped anywhere on the way.
 */
public final class AeronRemoteConnection implements ViaConnection {
    static final int RECEIVE_BUFFER_LIMIT = 4 << 20;
    private static final int UNFRAGMENTED = 0xC0;

    private final String id;
    private final String gateway;
    private final Subscription subscription;
    private final Image image;
    private final AeronLink link;
    private final AeronOptions options;
    /** One receive at a time (receives are thread-safe with each other). */
    private final ReentrantLock receiveCall = new ReentrantLock();
    /** One send at a time, so that a send's frames are contiguous in the stream. */
    private final ReentrantLock sendCall = new ReentrantLock();
    /** Taking frames off the image and the buffer: the receiver and the keeper. */
    private final ReentrantLock pumpLock = new ReentrantLock();
    private final IdleStrategy receiveIdle;
    private final ArrayDeque<byte[]> received = new ArrayDeque<>();
    private int headOffset;
    private long receivedBytes;
    private final ControlledFragmentHandler handler = this::onFragment;
    private final Thread keeper;
    private volatile boolean endOfStream;
    private volatile boolean outputShut;
    private volatile boolean closed;
    private volatile long readTimeout;
    private final InputStream in = ConnectionStreams.input(this);
    private final OutputStream out = ConnectionStreams.output(this);

    AeronRemoteConnection(String id, String gateway, Subscription subscription, Image image, AeronLink link,
            AeronOptions options) {
        this.id = id;
        this.gateway = gateway;
        this.subscription = subscription;
        this.image = image;
        this.link = link;
        this.options = options;
        this.receiveIdle = options.newIdleStrategy();
        this.keeper = new Thread(this::keep, "via-aeron-keeper-" + id);
        keeper.setDaemon(true);
        keeper.start();
    }

    /** The gateway said the Aeron stream from it ended without a CLOSE/SHUTDOWN first (from the image handler). */
    void streamEnded() {
        if (!closed && !endOfStream) {
            link.fail(new IOException("via-emu connection " + id + " to " + gateway
                    + " failed: the gateway's Aeron stream ended (the gateway stopped or dropped the connection)"));
        }
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public Role role() {
        return Role.CLIENT;
    }

    /** The gateway this connection goes through, as given to {@link AeronViaClient#connect}. */
    public String gateway() {
        return gateway;
    }

    @Override
    public void send(byte[] bytes, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, bytes.length);
        sendCall.lock();
        try {
            checkSendable();
            long timeout = options.sendTimeout().toNanos();
            long deadline = timeout > 0 ? System.nanoTime() + timeout : 0;
            int max = link.maxDataLength();
            long sent = 0;
            while (len > 0) {
                int n = Math.min(len, max);
                try {
                    link.send(Frames.DATA, bytes, off, n, deadline);
                } catch (RemoteBackPressureException e) {
                    throw new RemoteBackPressureException("via-emu connection " + id + ": " + e.getMessage()
                            + "; " + sent + " bytes of this send went out", sent);
                }
                off += n;
                len -= n;
                sent += n;
            }
            link.pump().invoke(); // INVOKER mode: this thread puts the frames on the wire now
        } catch (ViaTimeoutException e) {
            throw e;
        } catch (IOException e) {
            throw failure("send", e);
        } finally {
            sendCall.unlock();
        }
    }

    @Override
    public void send(ByteBuffer buffer) throws IOException {
        byte[] chunk = new byte[Math.min(buffer.remaining(), 64 * 1024)];
        while (buffer.hasRemaining()) {
            int n = Math.min(chunk.length, buffer.remaining());
            buffer.get(chunk, 0, n);
            send(chunk, 0, n);
        }
    }

    @Override
    public int receive(byte[] bytes, int off, int len, long timeoutMillis) throws IOException {
        Objects.checkFromIndexSize(off, len, bytes.length);
        if (len == 0) {
            return 0;
        }
        receiveCall.lock();
        try {
            long deadline = timeoutMillis > 0 ? System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis) : 0;
            receiveIdle.reset();
            DriverPump driver = link.pump();
            while (true) {
                int driverWork = driver.invoke(); // INVOKER mode: this thread takes the gateway's packets in
                pumpLock.lock();
                try {
                    int n = take(bytes, off, len);
                    if (n > 0) {
                        return n;
                    }
                    if (closed) {
                        throw new IOException("via-emu connection " + id + " is closed");
                    }
                    if (endOfStream) {
                        return -1;
                    }
                    link.checkFailed();
                    if (pump() > 0) {
                        n = take(bytes, off, len);
                        if (n > 0) {
                            return n;
                        }
                        continue;
                    }
                } finally {
                    pumpLock.unlock();
                }
                if (deadline != 0 && System.nanoTime() - deadline > 0) {
                    throw new ViaTimeoutException("receive on via-emu connection " + id + " timed out after "
                            + timeoutMillis + " ms");
                }
                receiveIdle.idle(driverWork);
            }
        } catch (ViaTimeoutException e) {
            throw e;
        } catch (IOException e) {
            throw failure("receive", e);
        } finally {
            receiveCall.unlock();
        }
    }

    @Override
    public int receive(ByteBuffer buffer, long timeoutMillis) throws IOException {
        byte[] b = new byte[Math.min(buffer.remaining(), 64 * 1024)];
        int n = receive(b, 0, b.length, timeoutMillis);
        if (n > 0) {
            buffer.put(b, 0, n);
        }
        return n;
    }

    @Override
    public int available() throws IOException {
        link.pump().invoke();
        pumpLock.lock();
        try {
            if (!closed) {
                pump();
            }
            return (int) Math.min(Integer.MAX_VALUE, receivedBytes);
        } finally {
            pumpLock.unlock();
        }
    }

    @Override
    public void shutdownOutput() throws IOException {
        sendCall.lock();
        try {
            if (!outputShut) {
                checkSendable();
                link.send(Frames.SHUTDOWN, new byte[0], 0, 0, 0);
                outputShut = true;
            }
        } finally {
            sendCall.unlock();
        }
    }

    @Override
    public boolean isOpen() {
        return !closed && link.failure() == null;
    }

    @Override
    public InputStream inputStream() {
        return in;
    }

    @Override
    public OutputStream outputStream() {
        return out;
    }

    @Override
    public void setReadTimeout(long timeoutMillis) {
        this.readTimeout = timeoutMillis;
    }

    @Override
    public long readTimeout() {
        return readTimeout;
    }

    /** Closes this end: the gateway closes the local via-emu connection (a T1 parent close there hands it over). */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (link.failure() == null) {
            try {
                link.send(Frames.CLOSE, new byte[0], 0, 0, System.nanoTime() + TimeUnit.SECONDS.toNanos(1));
            } catch (IOException e) {
                // the gateway is gone or not reading: it drops the connection at its own peer timeout
            }
        }
        keeper.interrupt();
        pumpLock.lock();
        try {
            // closing the publication lingers it in the driver, so the CLOSE still gets retransmitted if lost
            link.publication().close();
            subscription.close();
        } finally {
            pumpLock.unlock();
        }
    }

    private void checkSendable() throws IOException {
        if (closed) {
            throw new IOException("via-emu connection " + id + " is closed");
        }
        if (outputShut) {
            throw new IOException("via-emu connection " + id + ": output is shut down");
        }
        link.checkFailed();
    }

    private IOException failure(String what, IOException e) {
        if (closed) {
            return new IOException("via-emu connection " + id + " is closed", e);
        }
        return e;
    }

    /** Moves buffered bytes to the caller; under pumpLock. */
    private int take(byte[] bytes, int off, int len) {
        int n = 0;
        while (n < len && !received.isEmpty()) {
            byte[] head = received.peekFirst();
            int k = Math.min(len - n, head.length - headOffset);
            System.arraycopy(head, headOffset, bytes, off + n, k);
            n += k;
            headOffset += k;
            if (headOffset == head.length) {
                received.pollFirst();
                headOffset = 0;
            }
        }
        receivedBytes -= n;
        return n;
    }

    /** Takes what the image holds (up to the buffer limit); under pumpLock. */
    private int pump() {
        if (subscription.isClosed()) {
            return 0;
        }
        return image.controlledPoll(handler, 64);
    }

    private ControlledFragmentHandler.Action onFragment(DirectBuffer buffer, int offset, int length, Header header) {
        link.heard();
        if ((header.flags() & UNFRAGMENTED) != UNFRAGMENTED || length < 1) {
            link.fail(new ViaProtocolException("via-emu connection " + id + ": a fragmented or empty frame from "
                    + gateway + " (not the via-emu gateway protocol)"));
            return ControlledFragmentHandler.Action.BREAK;
        }
        byte type = buffer.getByte(offset);
        switch (type) {
            case Frames.DATA:
                if (receivedBytes >= RECEIVE_BUFFER_LIMIT) {
                    return ControlledFragmentHandler.Action.ABORT; // left in the image: Aeron pushes back
                }
                byte[] chunk = Frames.body(buffer, offset, length);
                received.addLast(chunk);
                receivedBytes += chunk.length;
                return ControlledFragmentHandler.Action.CONTINUE;
            case Frames.HEARTBEAT:
                return ControlledFragmentHandler.Action.CONTINUE;
            case Frames.SHUTDOWN:
                endOfStream = true;
                return ControlledFragmentHandler.Action.BREAK;
            case Frames.ERROR:
                link.fail(new IOException("via-emu connection " + id + " failed at the gateway " + gateway + ": "
                        + Frames.text(buffer, offset, length)));
                return ControlledFragmentHandler.Action.BREAK;
            default:
                link.fail(new ViaProtocolException("via-emu connection " + id + ": unexpected "
                        + Frames.typeName(type) + " frame from " + gateway));
                return ControlledFragmentHandler.Action.BREAK;
        }
    }

    /** Heartbeats, taking frames off the image while the application is not receiving, and the peer timeout. */
    private void keep() {
        long interval = link.heartbeatIntervalNanos();
        while (!closed) {
            LockSupport.parkNanos(interval / 2);
            if (closed) {
                return;
            }
            link.heartbeatIfDue();
            if (pumpLock.tryLock()) {
                try {
                    if (!closed) {
                        while (receivedBytes < RECEIVE_BUFFER_LIMIT && pump() > 0) {
                            // drain what is there; heartbeats behind data are seen too
                        }
                    }
                } finally {
                    pumpLock.unlock();
                }
            }
            long silence = link.silenceNanos();
            if (silence > link.peerTimeoutNanos() && link.failure() == null) {
                link.fail(new IOException("via-emu connection " + id + " failed: the gateway " + gateway
                        + " stopped answering (nothing heard for " + TimeUnit.NANOSECONDS.toMillis(silence)
                        + " ms, peer timeout " + options.peerTimeout().toMillis() + " ms)"));
            }
        }
    }
}
