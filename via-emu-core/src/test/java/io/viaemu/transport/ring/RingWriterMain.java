package io.viaemu.transport.ring;

import java.nio.file.Path;
import java.util.Random;

import io.viaemu.transport.Channel;

/**
 * A writer JVM of {@link RingAcrossProcessesTest}: appends {@code count} records (-1: until killed) to the ring in
 * {@code dir}, each {@link #record} of its writer id and sequence number, of pseudo-random size.
 */
public final class RingWriterMain {
    private RingWriterMain() {
    }

    /** A record's bytes: writer id, sequence, then a filler every byte of which follows from the two. */
    static byte[] record(int writer, long seq, int length) {
        byte[] b = new byte[length];
        b[0] = (byte) writer;
        for (int i = 0; i < 8; i++) {
            b[1 + i] = (byte) (seq >>> (8 * i));
        }
        for (int i = 9; i < length; i++) {
            b[i] = filler(writer, i);
        }
        return b;
    }

    /**
     * The filler of a record's byte {@code i}: fixed per writer, so a writer only changes its 9 header bytes between
     * appends and spends most of its time inside them (where a kill -9 is meant to land); a byte that is not a
     * committed record's (zeros, another record's, an earlier lap's) does not match it at its offset.
     */
    static byte filler(int writer, int i) {
        return (byte) (writer * 31 + i * 7 + (i >>> 8));
    }

    static int length(int writer, long seq, int maxLength) {
        return 9 + new Random(writer * 1_000_003L + seq).nextInt(maxLength - 9);
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int writer = Integer.parseInt(args[1]);
        long count = Long.parseLong(args[2]);
        int maxLength = Integer.parseInt(args[3]);
        long capacity = Long.parseLong(args[4]);
        int maxRecord = Integer.parseInt(args[5]);
        try (Channel ch = new RingTransport(capacity, true, maxRecord).open(dir)) {
            System.out.println("ready " + ProcessHandle.current().pid());
            System.out.flush();
            byte[] none = new byte[0];
            byte[] r = record(writer, 0, maxLength);
            for (long seq = 0; count < 0 || seq < count; seq++) {
                for (int i = 0; i < 8; i++) {
                    r[1 + i] = (byte) (seq >>> (8 * i));
                }
                ch.append(none, 0, r, 0, length(writer, seq, maxLength), () -> { });
            }
            System.out.println("done " + count);
        }
    }
}
