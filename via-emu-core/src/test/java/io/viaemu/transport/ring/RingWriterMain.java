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
            b[i] = (byte) (writer * 31 + seq * 17 + i);
        }
        return b;
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
            for (long seq = 0; count < 0 || seq < count; seq++) {
                byte[] r = record(writer, seq, length(writer, seq, maxLength));
                ch.append(none, 0, r, 0, r.length, () -> { });
            }
            System.out.println("done " + count);
        }
    }
}
