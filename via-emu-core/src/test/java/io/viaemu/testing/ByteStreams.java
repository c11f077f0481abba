package io.viaemu.testing;

import java.nio.ByteBuffer;

/** The byte streams the handover tests send and compare: runs of numbered longs, and streams put end to end. */
public final class ByteStreams {
    private ByteStreams() {
    }

    /** {@code count} big-endian longs {@code first, first + 1, ...}. */
    public static byte[] longs(long first, int count) {
        ByteBuffer b = ByteBuffer.allocate(count * 8);
        for (int i = 0; i < count; i++) {
            b.putLong(first + i);
        }
        return b.array();
    }

    /** {@code a} followed by {@code b}. */
    public static byte[] concat(byte[] a, byte[] b) {
        byte[] c = new byte[a.length + b.length];
        System.arraycopy(a, 0, c, 0, a.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
