package io.viaemu.spring.boot;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import io.viaemu.ViaConnection;

/** A connection whose input is a fixed byte array and whose output is collected: no queues, no other process. */
public final class ByteArrayConnection implements ViaConnection {
    private final byte[] input;
    private int pos;
    final ByteArrayOutputStream sent = new ByteArrayOutputStream();
    int receiveCalls;
    boolean closed;

    public ByteArrayConnection(byte[] input) {
        this.input = input;
    }

    public ByteArrayConnection(String input) {
        this(input.getBytes(StandardCharsets.UTF_8));
    }

    /** Everything sent so far, as UTF-8. */
    public String sent() {
        return sent.toString(StandardCharsets.UTF_8);
    }

    /** Bytes not received yet: what a child would get after a fork. */
    String remaining() {
        return new String(input, pos, input.length - pos);
    }

    @Override
    public String id() {
        return "00000000000000aa";
    }

    @Override
    public Role role() {
        return Role.PARENT;
    }

    @Override
    public void send(byte[] bytes, int off, int len) {
        sent.write(bytes, off, len);
    }

    @Override
    public void send(ByteBuffer buffer) {
        while (buffer.hasRemaining()) {
            sent.write(buffer.get());
        }
    }

    @Override
    public int receive(byte[] bytes, int off, int len, long timeoutMillis) {
        receiveCalls++;
        if (pos == input.length) {
            return -1;
        }
        int n = Math.min(len, input.length - pos);
        System.arraycopy(input, pos, bytes, off, n);
        pos += n;
        return n;
    }

    @Override
    public int receive(ByteBuffer buffer, long timeoutMillis) {
        throw new UnsupportedOperationException();
    }

    @Override
    public int available() {
        return input.length - pos;
    }

    @Override
    public void shutdownOutput() {
    }

    @Override
    public boolean isOpen() {
        return !closed;
    }

    @Override
    public InputStream inputStream() {
        throw new UnsupportedOperationException();
    }

    @Override
    public OutputStream outputStream() {
        throw new UnsupportedOperationException();
    }

    @Override
    public void setReadTimeout(long timeoutMillis) {
    }

    @Override
    public long readTimeout() {
        return 0;
    }

    @Override
    public void close() {
        closed = true;
    }
}
