package io.viaemu.protocol;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

import io.viaemu.idle.Doorbell;
import io.viaemu.idle.QueueDoorbells;
import io.viaemu.internal.FilePermissions;
import io.viaemu.internal.ProcessBells;
import io.viaemu.transport.Transport;

/**
 * The shared-memory flag block of one connection (the {@code flags} file in its directory), mapped by the client,
 * the parent and the child. It carries the handover's signals (the flags of the original design: P, C,
 * copy-request, data-received, reconnection-completion and the client's transmission-intermission), who the three
 * processes are, their heartbeats, and the parent's consumed position in the up queue, which the child needs to
 * recover the parent's unconsumed input after the parent died. Every word is a 64-bit value read and written
 * atomically (volatile / CAS on the mapping), so any process, the actuator included, can read it at any time.
 *
 * <p>The last {@value #DOORBELLS_SIZE} bytes (from {@link #DOORBELLS_OFFSET}) are not words but two
 * {@link Doorbell}s, each on its own cache line: the client's (its threads park on it for the down queue and the
 * flags the client waits for) and the server side's (parent and child park on it for the up queue and theirs).
 * Appending to a queue rings its reader's doorbell (the transport does, see {@link QueueDoorbells}); changing a
 * {@link #SIGNALS signal word} rings both. Words must
 * stay below {@link #DOORBELLS_OFFSET} (room for {@value #DOORBELLS_OFFSET} / 8 words).
 *
 * <p>The mapping is released by the garbage collector (no explicit unmap): a late read from a thread that has not
 * noticed the connection closed can never touch unmapped memory.
 */
public final class FlagBlock {

    /** The words of the block, in order; each takes 8 bytes at {@code ordinal * 8}. */
    public enum Word {
        MAGIC,
        /** {@link ConnectionState} code. */
        STATE,
        /** Reconnection request, parent to child: the copy is done and the client is being sent to the child. */
        P,
        /** Reconnection request, child to parent: the child's I/O (T3/T4) asks for the connection. */
        C,
        /** The parent held unconsumed input and is handing it to the child (COPY documents in the up queue). */
        COPY_REQUEST,
        /** The parent holds received-but-unconsumed input. */
        DATA_RECEIVED,
        /** The handover completed; set once, by CAS, never twice. */
        RECONNECTION_COMPLETION,
        /** Client side: {@link Intermission} code. */
        TRANSMISSION_INTERMISSION,
        CLIENT_PID, CLIENT_START, PARENT_PID, PARENT_START, CHILD_PID, CHILD_START,
        CLIENT_HEARTBEAT, PARENT_HEARTBEAT, CHILD_HEARTBEAT,
        /** Bit mask of {@link io.viaemu.Trigger#bit()} active for this connection (written at EMU_FORK). */
        TRIGGERS_ENABLED,
        /** The {@link io.viaemu.Trigger#code()} that started the handover; 0 until one fires (CAS: at most one). */
        TRIGGER_FIRED,
        BYTES_COPIED,
        /** Index in the up queue of the client's INTERMISSION_DONE document: where the child's input starts. */
        INTERMISSION_MARK,
        /** Which of the two consumed-position slots below is current (written last, so a kill leaves one whole). */
        CONSUMED_SLOT, CONSUMED_INDEX_0, CONSUMED_OFFSET_0, CONSUMED_INDEX_1, CONSUMED_OFFSET_1,
        /** Per-connection secret given to the client in the grant; required to reconnect. */
        TOKEN,
        /** One-time value of this reconnection request; the client must present it to the child. */
        NONCE,
        WORKER_ID,
        /** The child accepted the client's reconnection (its pid). */
        CHILD_GRANTED,
        /** The client reported the reconnection done. */
        CLIENT_REPORTED,
        /** Bits: 1 client closed, 2 server side (parent or child) closed. */
        CLOSED_MASK,
        /** {@link ErrorCode} of a failed connection. */
        ERROR_CODE,
        /** Epoch millis of each step, for the actuator. */
        AT_CONNECTED, AT_FORKED, AT_TRIGGER, AT_INTERMITTED, AT_COPIED, AT_RECONNECT_REQUESTED, AT_GRANTED,
        AT_COMPLETED, AT_CLOSED,
        /** Total bytes appended to the connection's queues (both directions), for the disk quota. */
        BYTES_APPENDED,
        /**
         * System.nanoTime() of the trigger, the child's grant and the completion: Linux's monotonic clock is shared
         * by all processes of a host, so these give the handover's duration in microseconds across processes.
         */
        NANOS_TRIGGER, NANOS_GRANTED, NANOS_COMPLETED,
        /** Index of the first COPY document (the parent's read-but-unconsumed bytes) in the up queue. */
        COPY_INDEX,
        /**
         * Index of the last up-queue document the parent read (0: none). The child reads the copies first, then
         * the documents after this one: what the parent never read stays in the queue instead of being copied.
         */
        READ_INDEX,
        /** System.nanoTime() of the intermediate steps, for the handover's breakdown. */
        NANOS_INTERMITTED, NANOS_RECONNECT_REQUESTED, NANOS_RECONNECT_SENT,
        /**
         * System.nanoTime() of every other step, for the handover timeline (io.viaemu.inspect): the client's CONNECT
         * appended, the parent's GRANT appended, the client has the grant; EMU_FORK's ASSIGN sent, the child
         * announced; the child asked for the connection (C, T3/T4); the parent's intermission request (S7), the
         * client saw it; the parent saw the client's confirmation and started the copy (S10), the copy is done; the
         * client saw the reconnection request (S11); the child received the client's RECONNECT (S49), the client
         * saw the child's grant (S50); the client's report appended (S51).
         */
        NANOS_CONNECT_SENT, NANOS_PARENT_GRANTED, NANOS_CLIENT_GRANTED, NANOS_FORKED, NANOS_CHILD_ANNOUNCED,
        NANOS_C_REQUESTED, NANOS_INTERMISSION_REQUESTED, NANOS_INTERMISSION_SEEN, NANOS_COPY_STARTED, NANOS_COPIED,
        NANOS_RECONNECT_SEEN, NANOS_RECONNECT_RECEIVED, NANOS_GRANT_SEEN, NANOS_REPORTED,

        /*
         * Flow control. Each word below has one writer at a time and sits at a fixed offset, so that what a receiver
         * writes after every read and what a sender writes after every append are on different cache lines (the
         * words above are 8 bytes apart: a busy counter among them would bounce its line between the processes).
         */
        /** Up-queue payload bytes consumed by the server side's application (parent, then child); one writer. */
        UP_CONSUMED(1024),
        /** The byte count of the parent's consumed-position slots 0 and 1 (recovery after its death). */
        CONSUMED_COUNT_0(1032), CONSUMED_COUNT_1(1040),
        /** Down-queue payload bytes consumed by the client's application; written by the client only. */
        DOWN_CONSUMED(1088),
        /** Up-queue payload bytes the client appended (COPY documents are not counted: their bytes already were). */
        UP_APPENDED(1152),
        /** Down-queue payload bytes appended by the server side (parent, then child: getAndAdd). */
        DOWN_APPENDED(1216),
        /** Receive windows the receivers advertise (SO_RCVBUF), 0: none; a sender uses the smaller of its own. */
        UP_RECEIVE_WINDOW(1280), DOWN_RECEIVE_WINDOW(1288),
        /**
         * The queues' logical roll cycles: a writer whose current file holds more than the roll threshold advances
         * the segment (CAS), and every appender and tailer of the queue, in any process, moves to the next file.
         */
        UP_SEGMENT(1296), DOWN_SEGMENT(1304);

        /** Fixed byte offset of the flow-control words; -1: at {@code ordinal * 8}. */
        private final int fixedOffset;

        Word() {
            this(-1);
        }

        Word(int fixedOffset) {
            this.fixedOffset = fixedOffset;
        }

        public int offset() {
            return fixedOffset >= 0 ? fixedOffset : ordinal() * 8;
        }
    }

    /** Values of {@link Word#TRANSMISSION_INTERMISSION}. */
    public static final class Intermission {
        public static final long NONE = 0;
        /** The parent asked the client to stop sending. */
        public static final long REQUESTED = 1;
        /** The client stopped and confirmed (its INTERMISSION_DONE is in the up queue). */
        public static final long INTERMITTED = 2;
        /** The client is sending again, to the child. */
        public static final long RESUMED = 3;

        private Intermission() {
        }

        public static String name(long v) {
            return v == NONE ? "NONE" : v == REQUESTED ? "REQUESTED" : v == INTERMITTED ? "INTERMITTED"
                    : v == RESUMED ? "RESUMED" : "?" + v;
        }
    }

    public static final long CLOSED_CLIENT = 1;
    public static final long CLOSED_SERVER = 2;

    public static final String FILE_NAME = "flags";
    static final long MAGIC_VALUE = 0x3147414c46414956L; // "VIAFLAG1" little-endian
    static final int SIZE = 4096;
    /** Where the doorbells start: a fixed offset near the end, so that words appended to {@link Word} never reach it. */
    public static final int DOORBELLS_OFFSET = QueueDoorbells.CLIENT_OFFSET;
    static final int DOORBELLS_SIZE = 2 * Doorbell.SIZE;
    private static final int CLIENT_BELL = QueueDoorbells.CLIENT_OFFSET;
    private static final int SERVER_BELL = QueueDoorbells.SERVER_OFFSET;

    /**
     * Words some waiting thread of another process waits on: every change of one rings both doorbells (a fence and
     * two reads when nobody is parked). The heartbeats, stamps and the consumed position are not among them.
     */
    static final Set<Word> SIGNALS = EnumSet.of(Word.STATE, Word.P, Word.C, Word.TRANSMISSION_INTERMISSION,
            Word.RECONNECTION_COMPLETION, Word.CHILD_PID, Word.CHILD_GRANTED, Word.CLIENT_REPORTED, Word.CLOSED_MASK,
            Word.ERROR_CODE, Word.TRIGGER_FIRED, Word.WORKER_ID);
    private static final boolean[] IS_SIGNAL = new boolean[Word.values().length];

    static {
        int firstFixed = DOORBELLS_OFFSET;
        for (Word w : Word.values()) {
            if (w.fixedOffset >= 0) {
                firstFixed = Math.min(firstFixed, w.fixedOffset);
            }
        }
        for (Word w : Word.values()) {
            if (w.offset() + 8 > DOORBELLS_OFFSET || (w.fixedOffset < 0 && w.offset() + 8 > firstFixed)) {
                throw new ExceptionInInitializerError("flag block word " + w + " overlaps the fixed-offset words"
                        + " or the doorbells");
            }
        }
        for (Word w : SIGNALS) {
            IS_SIGNAL[w.ordinal()] = true;
        }
    }
    private static final VarHandle LONGS = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private final Path file;
    private final MappedByteBuffer buffer;
    /** Null in a read-only block. */
    private final Doorbell clientBell;
    private final Doorbell serverBell;

    private FlagBlock(Path file, MappedByteBuffer buffer, boolean readOnly) {
        this.file = file;
        this.buffer = buffer;
        this.clientBell = readOnly ? null : new Doorbell(buffer, CLIENT_BELL, file + "#client");
        this.serverBell = readOnly ? null : new Doorbell(buffer, SERVER_BELL, file + "#server");
        if (!readOnly) {
            QueueDoorbells.register(file.getParent(), clientBell, serverBell); // the transport rings them on appends
        }
    }

    /** Creates (zeroed, 0600) or opens the flag block in {@code connectionDir}. */
    public static FlagBlock create(Path connectionDir) throws IOException {
        Path file = connectionDir.resolve(FILE_NAME);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            FilePermissions.makePrivate(file);
            FlagBlock block = new FlagBlock(file, ch.map(FileChannel.MapMode.READ_WRITE, 0, SIZE), false);
            block.compareAndSet(Word.MAGIC, 0, MAGIC_VALUE);
            return block;
        }
    }

    /** Opens an existing flag block; the magic word must be there. */
    public static FlagBlock open(Path connectionDir) throws IOException {
        return open(connectionDir, false);
    }

    /** Opens an existing flag block read-only (the actuator, tools). */
    public static FlagBlock openReadOnly(Path connectionDir) throws IOException {
        return open(connectionDir, true);
    }

    private static FlagBlock open(Path connectionDir, boolean readOnly) throws IOException {
        Path file = connectionDir.resolve(FILE_NAME);
        if (!Files.exists(file)) {
            throw new NoSuchFileException(file.toString(), null, "no flag block");
        }
        if (Files.size(file) < SIZE) {
            throw new IOException("flag block " + file + " is truncated (" + Files.size(file) + " bytes)");
        }
        try (FileChannel ch = readOnly ? FileChannel.open(file, StandardOpenOption.READ)
                : FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            FlagBlock block = new FlagBlock(file,
                    ch.map(readOnly ? FileChannel.MapMode.READ_ONLY : FileChannel.MapMode.READ_WRITE, 0, SIZE),
                    readOnly);
            if (block.get(Word.MAGIC) != MAGIC_VALUE) {
                throw new IOException("flag block " + file + " has no via-emu magic word");
            }
            return block;
        }
    }

    public Path file() {
        return file;
    }

    public long get(Word w) {
        return (long) LONGS.getVolatile(buffer, w.offset());
    }

    public void set(Word w, long value) {
        LONGS.setVolatile(buffer, w.offset(), value);
        if (IS_SIGNAL[w.ordinal()]) {
            ringBoth();
        }
    }

    /** The doorbell the client's threads park on: rung after appends to the down queue and on signal changes. */
    public Doorbell clientBell() {
        return clientBell;
    }

    /** The doorbell parent and child park on: rung after appends to the up queue and on signal changes. */
    public Doorbell serverBell() {
        return serverBell;
    }

    /** Rings both doorbells: something every waiting side may care about changed. */
    public void ringBoth() {
        if (clientBell != null) {
            clientBell.ring();
            serverBell.ring();
        }
    }

    /**
     * Wakes the housekeeper of the process whose pid and start time are in {@code pid} and {@code start}: a
     * handover step it must act on even while none of its threads waits (see {@link ProcessBells}).
     */
    public void ringHousekeeper(Word pid, Word start) {
        // BASE/ENDPOINT/conn/ID/flags
        Path base = file.getParent().getParent().getParent().getParent();
        ProcessBells.ring(base, get(pid), get(start));
    }

    /** A release store: cheaper than {@link #set}, for values only read later (the consumed position). */
    public void setRelease(Word w, long value) {
        LONGS.setRelease(buffer, w.offset(), value);
    }

    public boolean compareAndSet(Word w, long expected, long value) {
        boolean set = LONGS.compareAndSet(buffer, w.offset(), expected, value);
        if (set && IS_SIGNAL[w.ordinal()]) {
            ringBoth();
        }
        return set;
    }

    public long getAndAdd(Word w, long delta) {
        return (long) LONGS.getAndAdd(buffer, w.offset(), delta);
    }

    /** One word as a counter the transport can share between processes (a size-rolled queue's segment). */
    public Transport.SegmentCounter counter(Word w) {
        return new Transport.SegmentCounter() {
            @Override
            public long get() {
                return FlagBlock.this.get(w);
            }

            @Override
            public boolean compareAndSet(long expected, long value) {
                return FlagBlock.this.compareAndSet(w, expected, value);
            }
        };
    }

    public void orBits(Word w, long bits) {
        LONGS.getAndBitwiseOr(buffer, w.offset(), bits);
        if (IS_SIGNAL[w.ordinal()]) {
            ringBoth();
        }
    }

    /** Records when a step happened (first time only). */
    public void stamp(Word at) {
        compareAndSet(at, 0, System.currentTimeMillis());
    }

    public ConnectionState state() {
        return ConnectionState.of(get(Word.STATE));
    }

    /** Moves to {@code next} unless the connection already ended (CLOSED or FAILED stay). */
    public boolean advance(ConnectionState next) {
        while (true) {
            long cur = get(Word.STATE);
            ConnectionState c = ConnectionState.of(cur);
            if (c.isTerminal() && next != ConnectionState.CLOSED) {
                return false;
            }
            if (c == ConnectionState.FAILED) {
                return false;
            }
            if (compareAndSet(Word.STATE, cur, next.code())) {
                return true;
            }
        }
    }

    /** Ends the connection with an error, once: the first error wins. */
    public boolean fail(ErrorCode code) {
        if (compareAndSet(Word.ERROR_CODE, 0, code.code())) {
            set(Word.STATE, ConnectionState.FAILED.code());
            stamp(Word.AT_CLOSED);
            return true;
        }
        return false;
    }

    public ErrorCode error() {
        return ErrorCode.of(get(Word.ERROR_CODE));
    }

    /**
     * Records the parent's consumed position: document {@code index}, {@code offset} bytes of it consumed, and
     * {@code consumedBytes} up-queue bytes consumed in all (the flow-control count that goes with that position).
     */
    public void recordConsumed(long index, long offset, long consumedBytes) {
        long slot = get(Word.CONSUMED_SLOT) ^ 1;
        if (slot == 0) {
            setRelease(Word.CONSUMED_INDEX_0, index);
            setRelease(Word.CONSUMED_OFFSET_0, offset);
            setRelease(Word.CONSUMED_COUNT_0, consumedBytes);
        } else {
            setRelease(Word.CONSUMED_INDEX_1, index);
            setRelease(Word.CONSUMED_OFFSET_1, offset);
            setRelease(Word.CONSUMED_COUNT_1, consumedBytes);
        }
        set(Word.CONSUMED_SLOT, slot);
    }

    /**
     * {index, offset, consumed bytes} of the parent's consumed position, index -1 if it never consumed anything;
     * the three come from the same slot.
     */
    public long[] consumed() {
        long slot = get(Word.CONSUMED_SLOT);
        long index = get(slot == 0 ? Word.CONSUMED_INDEX_0 : Word.CONSUMED_INDEX_1);
        long offset = get(slot == 0 ? Word.CONSUMED_OFFSET_0 : Word.CONSUMED_OFFSET_1);
        long count = get(slot == 0 ? Word.CONSUMED_COUNT_0 : Word.CONSUMED_COUNT_1);
        return new long[] {index == 0 ? -1 : index, offset, count};
    }

    /** Every word, for the actuator and logs. */
    public Map<Word, Long> snapshot() {
        Map<Word, Long> m = new EnumMap<>(Word.class);
        for (Word w : Word.values()) {
            m.put(w, get(w));
        }
        return m;
    }
}
