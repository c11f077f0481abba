package io.viaemu.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.Arrays;

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

    /**
     * Checks a hand-over after the parent was killed while it consumed: {@code expected} is the client's stream,
     * {@code parentIn} what the parent's application wrote to its file, {@code childIn} what the child received
     * and {@code consumedTotal} the connection's final consumed count (the child took over the parent's count at
     * the position the parent had consumed to, so the parent consumed {@code consumedTotal - childIn.length}).
     *
     * <p>The child must continue exactly where the parent's consumption ended: nothing lost, nothing twice. The
     * parent's file may lack its last piece, at most {@code maxPiece} bytes: a kill -9 between {@code receive}
     * returning and the application's write of those bytes loses them from the file, not from the connection (they
     * were consumed: the parent's application had them).
     */
    public static void assertChildContinuesWhereKilledParentStopped(byte[] expected, byte[] parentIn,
            byte[] childIn, long consumedTotal, int maxPiece) {
        long parentConsumed = consumedTotal - childIn.length;
        String books = "client sent " + expected.length + " B; parent consumed " + parentConsumed + " B, its file has "
                + parentIn.length + " B; child received " + childIn.length + " B";
        assertThat(parentConsumed).as("the parent's consumption and its file; " + books)
                .isBetween((long) parentIn.length, (long) parentIn.length + maxPiece);
        assertThat(parentConsumed + childIn.length).as("every byte sent was consumed once; " + books)
                .isEqualTo(expected.length);
        assertThat(parentIn).as("the parent's file is the stream's start; " + books)
                .isEqualTo(Arrays.copyOfRange(expected, 0, parentIn.length));
        assertThat(childIn).as("the child's input is the stream from the parent's consumed position on; " + books)
                .isEqualTo(Arrays.copyOfRange(expected, (int) parentConsumed, expected.length));
    }
}
