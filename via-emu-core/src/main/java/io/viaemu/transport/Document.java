package io.viaemu.transport;

import java.util.Arrays;

/** A reusable holder for one document read from a channel: its index and a copy of its bytes. */
public final class Document {
    private long index = -1;
    private byte[] bytes;
    private int length;

    public Document(int initialCapacity) {
        this.bytes = new byte[initialCapacity];
    }

    public long index() { return index; }

    public byte[] bytes() { return bytes; }

    public int length() { return length; }

    /** For transports: makes room for {@code length} bytes and records the document's index and length. */
    public byte[] prepare(long index, int length) {
        if (bytes.length < length) {
            bytes = Arrays.copyOf(bytes, Math.max(length, bytes.length * 2));
        }
        this.index = index;
        this.length = length;
        return bytes;
    }
}
