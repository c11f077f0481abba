package io.viaemu.protocol;

import java.util.function.LongConsumer;
import java.util.HashMap;
import java.io.IOException;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

import io.viaemu.Trigger;
import io.viaemu.idle.Doorbell;
import io.viaemu.idle.QueueDoorbells;
import io.viaemu.internal.ProcessBells;
import io.viaemu.transport.Transport;

/**
 * The shared-memory flag block of one connection (the {@code flags} file in its directory), mapped by the client,
 * the parent and the child: a descriptor of its layout (after Aeron's {@code LogBufferDescriptor} and Agrona's
 * {@code RingBufferDescriptor}) and the protocol's operations on it. It carries the handover's signals (the flags of
 * the original design: P, C, copy-request, data-received, reconnection-completion and the client's
 * transmission-intermission), who the three processes are, the parent's consumed position in the
 * up queue (which the child needs to recover the parent's unconsumed input after the parent died), the step stamps
 * of the handover timeline and the flow-control counts. Every word is a 64-bit value read and written atomically
 * (volatile / CAS), so any process, the actuator included, can read it at any time. The memory is a
 * {@link Coordination}: the mapped file ({@link #create}, {@link #open}) or, for roles driven in one JVM,
 * {@link #inMemory}.
 *
 * <p>Layout (4096 bytes; one row is one 64-byte cache line; words written by different processes never share a
 * line, so a process's frequent writes do not bounce a line another process writes):
 * <pre>
 *  offset  writer          words (8 bytes each)
 *  ------  --------------  -----------------------------------------------------------------------------------
 *     0    any (CAS/once)  MAGIC STATE TRIGGER_FIRED RECONNECTION_COMPLETION ERROR_CODE CLOSED_MASK
 *                          TRIGGERS_ENABLED WORKER_ID
 *    64    client          CLIENT_PID CLIENT_START TRANSMISSION_INTERMISSION INTERMISSION_MARK CLIENT_REPORTED
 *   128    parent          PARENT_PID PARENT_START TOKEN NONCE P COPY_REQUEST DATA_RECEIVED
 *   192    parent          BYTES_COPIED COPY_INDEX READ_INDEX
 *   256    child           CHILD_PID CHILD_START C CHILD_GRANTED
 *   320    (free: three lines that held per-connection heartbeats; heartbeats are per process now, see
 *    ...    ProcessLiveness)
 *   512    client          stamps: AT_CONNECTED AT_INTERMITTED NANOS_CONNECT_SENT NANOS_CLIENT_GRANTED
 *                          NANOS_INTERMISSION_SEEN NANOS_INTERMITTED NANOS_RECONNECT_SEEN NANOS_RECONNECT_SENT
 *   576    client          stamps: NANOS_GRANT_SEEN NANOS_REPORTED
 *   640    parent          stamps: AT_FORKED AT_COPIED AT_RECONNECT_REQUESTED NANOS_PARENT_GRANTED NANOS_FORKED
 *                          NANOS_INTERMISSION_REQUESTED NANOS_COPY_STARTED NANOS_COPIED
 *   704    parent          stamps: NANOS_RECONNECT_REQUESTED
 *   768    child           stamps: AT_GRANTED NANOS_CHILD_ANNOUNCED NANOS_C_REQUESTED NANOS_RECONNECT_RECEIVED
 *                          NANOS_GRANTED
 *   832    any (once)      stamps: AT_TRIGGER NANOS_TRIGGER AT_COMPLETED NANOS_COMPLETED AT_CLOSED
 *   896    client          slot: SLOT_USE SLOT_KEPT UP_START DOWN_START UP_END        (once per use)
 *   960    parent          slot: DOWN_END SLOT_RELEASED                              (once per use)
 *  1024    server reader   UP_CONSUMED CONSUMED_COUNT_0 CONSUMED_COUNT_1 CONSUMED_SLOT CONSUMED_INDEX_0
 *                          CONSUMED_OFFSET_0 CONSUMED_INDEX_1 CONSUMED_OFFSET_1     (every receive)
 *  1088    client reader   DOWN_CONSUMED                                            (every receive)
 *  1152    client sender   UP_APPENDED                                              (every send)
 *  1216    server sender   DOWN_APPENDED                                            (every send)
 *  1280    any (rarely)    UP_RECEIVE_WINDOW DOWN_RECEIVE_WINDOW UP_SEGMENT DOWN_SEGMENT
 *  1344    any sender      BYTES_APPENDED                                   (every send, with a disk quota)
 *   ...    (free)
 *  3840    doorbell        the parent's handover waits: the child's pid (EMU_FORK), S47 (S8) and S51 (S12); rung on
 *                          CHILD_PID, TRANSMISSION_INTERMISSION = INTERMITTED, CLIENT_REPORTED, ERROR_CODE and a
 *                          STATE of FAILED or CLOSED only
 *  3904    doorbell        the child's wait for ownership and for S13 (rung on CHILD_GRANTED, ERROR_CODE and a
 *                          STATE of HANDED_OVER, CLOSED or FAILED only)
 *  3968    doorbell        the client's (its threads park here)
 *  4032    doorbell        the server side's (parent and child park here)
 * </pre>
 * "server" is the parent until the handover and the child after it, never both at once; "any" words are written
 * once or rarely, by CAS where several processes may race (a trigger fires at most once, the completion is set once,
 * the first error wins). The layout is checked when the class loads ({@link Word#owner()}, no overlaps, below the
 * doorbells); the magic word names its version.
 *
 * <p><b>Connection slots</b> (see {@link ConnectionSlots}): a connection directory may serve one connection after
 * another. Each use has a number ({@code SLOT_USE}, 0 for a directory made for one connection only) and starts
 * after the previous use's last documents ({@code UP_START}, {@code DOWN_START}: the indices of the previous use's
 * END_OF_STREAM documents, {@code UP_END} written by the client, {@code DOWN_END} by the parent, at their clean
 * close). The slot is free for the next use once the client closed and kept it ({@code SLOT_KEPT} = the use) and
 * the parent closed cleanly ({@code SLOT_RELEASED} = the use, the parent's last write of that use). Between uses
 * the state is {@link ConnectionState#IDLE}; the client claims the slot by CAS from IDLE to CONNECTING and then
 * resets every word of the previous use ({@link #resetForNextUse}), which it alone may do then: both ends of the
 * previous use are done with the block.
 *
 * <p>The doorbells (from {@link #DOORBELLS_OFFSET}) are not words but four {@link Doorbell}s: the client's (its
 * threads park on it for the down queue and the flags the client waits for), the server side's (parent and
 * child park on it for the up queue and theirs), the child's ({@link #CHILD_BELL_OFFSET}) and the parent's
 * ({@link #PARENT_BELL_OFFSET}). Appending to a queue rings its reader's doorbell (the transport does, see
 * {@link QueueDoorbells}); changing a {@link #SIGNALS signal word} rings the first two. The child's rings only on
 * what a child's wait for ownership or for S13 ends on ({@link #ringsChild}): a child parked on the server side's
 * doorbell was woken by every flag the parent and the client change during the handover (about seven wake-ups per
 * forked connection for one it needs). The parent's rings only on what ends the parent's handover waits
 * ({@link #ringsParent}): on the server side's doorbell the parent's thread waiting for S47 or S51 was woken by the
 * client's appends to the up queue, the child's reader and the child's grant too.
 *
 * <p>The protocol's decisions that must happen once across processes are methods here, each one CAS:
 * {@link #fireTrigger} (at most one trigger per connection), {@link #complete} (S13, never twice),
 * {@link #rollbackFork} (the parent keeps the connection) and {@link #fail} (the first error wins).
 */
public final class FlagBlock {

    /** Which process writes a word: the layout keeps words of different writers on different cache lines. */
    public enum Owner {
        /** Written once or rarely, by whichever process gets there first (CAS). */
        ANY,
        CLIENT,
        PARENT,
        CHILD,
        /** Whoever serves the stream: the parent until the handover, the child after; never both at once. */
        SERVER
    }

    /** The words of the block; each takes 8 bytes at {@link #offset()}. */
    public enum Word {
        MAGIC(0, Owner.ANY),
        /** {@link ConnectionState} code. */
        STATE(8, Owner.ANY),
        /** The {@link io.viaemu.Trigger#code()} that started the handover; 0 until one fires (CAS: at most one). */
        TRIGGER_FIRED(16, Owner.ANY),
        /** The handover completed (S13); set once, by CAS, never twice. */
        RECONNECTION_COMPLETION(24, Owner.ANY),
        /** {@link ErrorCode} of a failed connection. */
        ERROR_CODE(32, Owner.ANY),
        /** Bits: 1 client closed, 2 server side (parent or child) closed. */
        CLOSED_MASK(40, Owner.ANY),
        /** Bit mask of {@link io.viaemu.Trigger#bit()} active for this connection (written at EMU_FORK). */
        TRIGGERS_ENABLED(48, Owner.ANY),
        WORKER_ID(56, Owner.ANY),

        CLIENT_PID(64, Owner.CLIENT), CLIENT_START(72, Owner.CLIENT),
        /** Client side: {@link Intermission} code (REQUESTED is the parent's, S7; the client answers, S47). */
        TRANSMISSION_INTERMISSION(80, Owner.CLIENT),
        /** Index in the up queue of the client's INTERMISSION_DONE document: where the child's input starts. */
        INTERMISSION_MARK(88, Owner.CLIENT),
        /** The client reported the reconnection done (S51). */
        CLIENT_REPORTED(96, Owner.CLIENT),

        PARENT_PID(128, Owner.PARENT), PARENT_START(136, Owner.PARENT),
        /** Per-connection secret given to the client in the grant; required to reconnect. */
        TOKEN(144, Owner.PARENT),
        /** One-time value of this reconnection request; the client must present it to the child. */
        NONCE(152, Owner.PARENT),
        /** Reconnection request, parent to child (S11): the copy is done and the client is being sent to the child. */
        P(160, Owner.PARENT),
        /** The parent held unconsumed input and is handing it to the child (S10, COPY documents in the up queue). */
        COPY_REQUEST(168, Owner.PARENT),
        /** The parent holds received-but-unconsumed input (S16). */
        DATA_RECEIVED(176, Owner.PARENT),
        BYTES_COPIED(192, Owner.PARENT),
        /** Index of the first COPY document (the parent's read-but-unconsumed bytes) in the up queue. */
        COPY_INDEX(200, Owner.PARENT),
        /**
         * Index of the last up-queue document the parent read (0: none). The child reads the copies first, then
         * the documents after this one: what the parent never read stays in the queue instead of being copied.
         */
        READ_INDEX(208, Owner.PARENT),

        CHILD_PID(256, Owner.CHILD), CHILD_START(264, Owner.CHILD),
        /** Reconnection request, child to parent: the child's I/O (T3/T4) asks for the connection. */
        C(272, Owner.CHILD),
        /** The child accepted the client's reconnection (its pid). */
        CHILD_GRANTED(280, Owner.CHILD),

        /** Epoch millis of each step, for the actuator. */
        AT_CONNECTED(512, Owner.CLIENT), AT_INTERMITTED(520, Owner.CLIENT),
        /*
         * System.nanoTime() of every step, for the handover timeline (io.viaemu.inspect): Linux's monotonic clock is
         * shared by all processes of a host, so these give the handover's steps in microseconds across processes.
         * The client's CONNECT appended, the client has the grant; it saw the intermission request (S7) and
         * confirmed (S47); it saw the reconnection request (S11), sent RECONNECT (S49), saw the child's grant (S50)
         * and appended its report (S51).
         */
        NANOS_CONNECT_SENT(528, Owner.CLIENT), NANOS_CLIENT_GRANTED(536, Owner.CLIENT),
        NANOS_INTERMISSION_SEEN(544, Owner.CLIENT), NANOS_INTERMITTED(552, Owner.CLIENT),
        NANOS_RECONNECT_SEEN(560, Owner.CLIENT), NANOS_RECONNECT_SENT(568, Owner.CLIENT),
        NANOS_GRANT_SEEN(576, Owner.CLIENT), NANOS_REPORTED(584, Owner.CLIENT),

        AT_FORKED(640, Owner.PARENT), AT_COPIED(648, Owner.PARENT), AT_RECONNECT_REQUESTED(656, Owner.PARENT),
        /*
         * The parent's GRANT appended (S3), EMU_FORK's ASSIGN sent (S4), its intermission request (S7), it saw the
         * client's confirmation and started the copy (S10), the copy is done, its reconnection request (S11).
         */
        NANOS_PARENT_GRANTED(664, Owner.PARENT), NANOS_FORKED(672, Owner.PARENT),
        NANOS_INTERMISSION_REQUESTED(680, Owner.PARENT), NANOS_COPY_STARTED(688, Owner.PARENT),
        NANOS_COPIED(696, Owner.PARENT), NANOS_RECONNECT_REQUESTED(704, Owner.PARENT),

        AT_GRANTED(768, Owner.CHILD),
        /* The child announced (S21), asked for the connection (C, T3/T4), received RECONNECT and granted (S27, S28). */
        NANOS_CHILD_ANNOUNCED(776, Owner.CHILD), NANOS_C_REQUESTED(784, Owner.CHILD),
        NANOS_RECONNECT_RECEIVED(792, Owner.CHILD), NANOS_GRANTED(800, Owner.CHILD),

        /* Written by whoever fired the trigger, set the completion (S13), or ended the connection. */
        AT_TRIGGER(832, Owner.ANY), NANOS_TRIGGER(840, Owner.ANY), AT_COMPLETED(848, Owner.ANY),
        NANOS_COMPLETED(856, Owner.ANY), AT_CLOSED(864, Owner.ANY),

        /** The use of a connection slot this connection is (1, 2, ...); 0: a directory for one connection only. */
        SLOT_USE(896, Owner.CLIENT),
        /** Written by the client at its clean close: = SLOT_USE if it keeps the slot for another use, else 0. */
        SLOT_KEPT(904, Owner.CLIENT),
        /** This use's documents in the up / down queue come after these indices (0: from the queue's start). */
        UP_START(912, Owner.CLIENT), DOWN_START(920, Owner.CLIENT),
        /** Index of the client's END_OF_STREAM in the up queue, written at its clean close of a slot's use. */
        UP_END(928, Owner.CLIENT),
        /** Index of the parent's END_OF_STREAM in the down queue, written at its clean close of a slot's use. */
        DOWN_END(960, Owner.PARENT),
        /** = SLOT_USE once the parent closed that use cleanly: its last write of the use (the slot may be reused). */
        SLOT_RELEASED(968, Owner.PARENT),

        /*
         * Flow control and the parent's consumed position: each word below has one writer at a time; what a
         * receiver writes after every read and what a sender writes after every append are on different lines.
         */
        /** Up-queue payload bytes consumed by the server side's application (parent, then child); one writer. */
        UP_CONSUMED(1024, Owner.SERVER),
        /** The byte count of the parent's consumed-position slots 0 and 1 (recovery after its death). */
        CONSUMED_COUNT_0(1032, Owner.PARENT), CONSUMED_COUNT_1(1040, Owner.PARENT),
        /** Which of the two consumed-position slots is current (written last, so a kill leaves one whole). */
        CONSUMED_SLOT(1048, Owner.PARENT), CONSUMED_INDEX_0(1056, Owner.PARENT), CONSUMED_OFFSET_0(1064, Owner.PARENT),
        CONSUMED_INDEX_1(1072, Owner.PARENT), CONSUMED_OFFSET_1(1080, Owner.PARENT),
        /** Down-queue payload bytes consumed by the client's application; written by the client only. */
        DOWN_CONSUMED(1088, Owner.CLIENT),
        /** Up-queue payload bytes the client appended (COPY documents are not counted: their bytes already were). */
        UP_APPENDED(1152, Owner.CLIENT),
        /** Down-queue payload bytes appended by the server side (parent, then child: getAndAdd). */
        DOWN_APPENDED(1216, Owner.SERVER),
        /**
         * Receive windows the receivers advertise (SO_RCVBUF), 0: none; a sender uses the smaller of its own. Set
         * rarely, read on every send: on a line no hot word shares.
         */
        UP_RECEIVE_WINDOW(1280, Owner.ANY), DOWN_RECEIVE_WINDOW(1288, Owner.ANY),
        /**
         * The queues' logical roll cycles: a writer whose current file holds more than the roll threshold advances
         * the segment (CAS), and every appender and tailer of the queue, in any process, moves to the next file.
         */
        UP_SEGMENT(1296, Owner.ANY), DOWN_SEGMENT(1304, Owner.ANY),
        /** Total bytes appended to the connection's queues (both directions), for the disk quota (getAndAdd). */
        BYTES_APPENDED(1344, Owner.ANY);

        private final int offset;
        private final Owner owner;

        Word(int offset, Owner owner) {
            this.offset = offset;
            this.owner = owner;
        }

        /** The word's byte offset in the block. */
        public int offset() {
            return offset;
        }

        /** Which process writes it. */
        public Owner owner() {
            return owner;
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
    /** "VIAFLAG2" little-endian: version 2 of the layout (words grouped on cache lines by writer). */
    static final long MAGIC_VALUE = 0x3247414c46414956L;
    static final int SIZE = Coordination.SIZE;
    static final int CACHE_LINE = 64;
    /** Where the doorbells start: a fixed offset near the end, so that words appended to {@link Word} never reach it. */
    public static final int DOORBELLS_OFFSET = QueueDoorbells.CLIENT_OFFSET - 2 * Doorbell.SIZE;
    static final int DOORBELLS_SIZE = 4 * Doorbell.SIZE;
    /** The parent's doorbell for its handover waits: the first of the four. */
    public static final int PARENT_BELL_OFFSET = DOORBELLS_OFFSET;
    /** The child's doorbell: on the line below the client's. */
    public static final int CHILD_BELL_OFFSET = DOORBELLS_OFFSET + Doorbell.SIZE;

    /**
     * Words some waiting thread of another process waits on: every change of one rings both doorbells (a fence and
     * two reads when nobody is parked). The heartbeats, stamps and the consumed position are not among them.
     */
    static final Set<Word> SIGNALS = EnumSet.of(Word.STATE, Word.P, Word.C, Word.TRANSMISSION_INTERMISSION,
            Word.RECONNECTION_COMPLETION, Word.CHILD_PID, Word.CHILD_GRANTED, Word.CLIENT_REPORTED, Word.CLOSED_MASK,
            Word.ERROR_CODE, Word.TRIGGER_FIRED, Word.WORKER_ID);
    private static final boolean[] IS_SIGNAL = new boolean[Word.values().length];

    static {
        String problem = layoutProblem();
        if (problem != null) {
            throw new ExceptionInInitializerError("flag block layout: " + problem);
        }
        for (Word w : SIGNALS) {
            IS_SIGNAL[w.ordinal()] = true;
        }
    }

    /**
     * What is wrong with the layout, null if nothing: every word 8-aligned, below the doorbells, at its own offset,
     * and each cache line written by one kind of writer (a server-side line may hold the parent's words).
     */
    static String layoutProblem() {
        Map<Integer, Word> byOffset = new HashMap<>();
        Map<Integer, Owner> lineOwner = new HashMap<>();
        for (Word w : Word.values()) {
            if (w.offset % 8 != 0 || w.offset < 0 || w.offset + 8 > DOORBELLS_OFFSET) {
                return w + " at " + w.offset + " is not an aligned word below the doorbells";
            }
            Word other = byOffset.putIfAbsent(w.offset, w);
            if (other != null) {
                return w + " and " + other + " share offset " + w.offset;
            }
            int line = w.offset / CACHE_LINE;
            Owner o = lineOwner.putIfAbsent(line, w.owner);
            if (o != null && o != w.owner && !serverSide(o, w.owner)) {
                return w + " (" + w.owner + ") shares cache line " + line * CACHE_LINE + " with a " + o + " word";
            }
        }
        return null;
    }

    private static boolean serverSide(Owner a, Owner b) {
        return (a == Owner.SERVER && b == Owner.PARENT) || (a == Owner.PARENT && b == Owner.SERVER);
    }

    private final Coordination words;

    private FlagBlock(Coordination words) {
        this.words = words;
    }

    /** A flag block on {@code words} (the caller initialises it: {@link #create} writes the magic word). */
    public static FlagBlock on(Coordination words) {
        FlagBlock block = new FlagBlock(words);
        block.compareAndSet(Word.MAGIC, 0, MAGIC_VALUE);
        if (block.get(Word.MAGIC) != MAGIC_VALUE) {
            throw new IllegalArgumentException(words.location() + " has no via-emu flag block of this version");
        }
        return block;
    }

    /**
     * A flag block in this JVM's memory for a connection whose roles all run here (tests with the in-memory
     * transport); {@code processWaker} is told the pid of each process whose housekeeper a role wakes.
     */
    public static FlagBlock inMemory(Path connectionDir, LongConsumer processWaker) {
        return on(new MemoryCoordination(connectionDir, processWaker));
    }

    /** Creates (zeroed, 0600) or opens the flag block in {@code connectionDir}. */
    public static FlagBlock create(Path connectionDir) throws IOException {
        FlagBlock block = new FlagBlock(MappedCoordination.create(connectionDir.resolve(FILE_NAME)));
        block.compareAndSet(Word.MAGIC, 0, MAGIC_VALUE);
        return block;
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
        FlagBlock block = new FlagBlock(MappedCoordination.open(file, readOnly));
        if (block.get(Word.MAGIC) != MAGIC_VALUE) {
            throw new IOException("flag block " + file + " has no via-emu magic word");
        }
        return block;
    }

    public Path file() {
        return words.location();
    }

    // ------------------------------------------------------------------------------------------------ words

    public long get(Word w) {
        return words.getVolatile(w.offset);
    }

    public void set(Word w, long value) {
        words.setVolatile(w.offset, value);
        if (IS_SIGNAL[w.ordinal()]) {
            ringSignal(w, value);
        }
    }

    /** A signal word changed: the client's and the server side's doorbells, and the child's or parent's if it ends their waits. */
    private void ringSignal(Word w, long value) {
        ringClientAndServer();
        if (ringsChild(w, value)) {
            ringChild();
        }
        if (ringsParent(w, value)) {
            ringParent();
        }
    }

    /** A release store: cheaper than {@link #set}, for values only read later (the consumed position). */
    public void setRelease(Word w, long value) {
        words.setRelease(w.offset, value);
    }

    public boolean compareAndSet(Word w, long expected, long value) {
        boolean set = words.compareAndSet(w.offset, expected, value);
        if (set && IS_SIGNAL[w.ordinal()]) {
            ringSignal(w, value);
        }
        return set;
    }

    public long getAndAdd(Word w, long delta) {
        return words.getAndAdd(w.offset, delta);
    }

    public void orBits(Word w, long bits) {
        words.getAndBitwiseOr(w.offset, bits);
        if (IS_SIGNAL[w.ordinal()]) {
            ringClientAndServer(); // the closed mask: no wait of the parent's handover or of a child ends on it
        }
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

    /** Records when a step happened (first time only). */
    public void stamp(Word at) {
        compareAndSet(at, 0, System.currentTimeMillis());
    }

    // ------------------------------------------------------------------------------------------------ doorbells

    /** The doorbell the client's threads park on: rung after appends to the down queue and on signal changes. */
    public Doorbell clientBell() {
        return words.clientBell();
    }

    /** The doorbell parent and child park on: rung after appends to the up queue and on signal changes. */
    public Doorbell serverBell() {
        return words.serverBell();
    }

    /**
     * The doorbell a child's thread parks on while it waits to own the connection and, closing, for S13: rung only
     * when {@link #ringsChild} says so (and by the child's own inbox thread's grant, {@code CHILD_GRANTED}).
     */
    public Doorbell childBell() {
        return words.childBell();
    }

    /**
     * True if writing {@code value} to {@code w} may end a child's wait for ownership or for S13: its grant, an error,
     * or the state HANDED_OVER, CLOSED or FAILED. Not the handover's other steps (state, intermission, P, the trigger,
     * the client's report), which the child does not wait for.
     */
    static boolean ringsChild(Word w, long value) {
        if (w == Word.STATE) {
            return value == ConnectionState.HANDED_OVER.code() || value == ConnectionState.CLOSED.code()
                    || value == ConnectionState.FAILED.code();
        }
        return w == Word.CHILD_GRANTED || w == Word.ERROR_CODE;
    }

    /**
     * The doorbell the parent's thread parks on in its handover waits (EMU_FORK's wait for the child's pid, S8, S12):
     * rung only when {@link #ringsParent} says so, and by {@link #ringBoth}.
     */
    public Doorbell parentBell() {
        return words.parentBell();
    }

    /**
     * True if writing {@code value} to {@code w} may end one of the parent's handover waits: the child's pid, the
     * client's INTERMITTED (S47), its report (S51), an error, or the state FAILED or CLOSED. Not the up queue's
     * appends, the child's grant, P, the trigger or the other states, which the parent does not wait for.
     */
    static boolean ringsParent(Word w, long value) {
        if (w == Word.STATE) {
            return value == ConnectionState.FAILED.code() || value == ConnectionState.CLOSED.code();
        }
        if (w == Word.TRANSMISSION_INTERMISSION) {
            return value == Intermission.INTERMITTED;
        }
        return w == Word.CHILD_PID || w == Word.CLIENT_REPORTED || w == Word.ERROR_CODE;
    }

    /** Rings the parent's handover doorbell (a fence and a read when nobody is parked). */
    public void ringParent() {
        Doorbell parent = words.parentBell();
        if (parent != null) {
            parent.ring();
        }
    }

    /** Rings the child's doorbell (a fence and a read when nobody is parked). */
    public void ringChild() {
        Doorbell child = words.childBell();
        if (child != null) {
            child.ring();
        }
    }

    /**
     * Rings the client's and the server side's doorbells and the parent's: something every waiting side may care
     * about changed (a process's exit, a close, the parent's cut).
     */
    public void ringBoth() {
        ringClientAndServer();
        ringParent();
    }

    private void ringClientAndServer() {
        Doorbell client = words.clientBell();
        if (client != null) {
            client.ring();
            words.serverBell().ring();
        }
    }

    /**
     * Wakes the housekeeper of the process whose pid and start time are in {@code pid} and {@code start}: a
     * handover step it must act on even while none of its threads waits (see {@link ProcessBells}).
     */
    public void ringHousekeeper(Word pid, Word start) {
        words.wakeProcess(get(pid), get(start));
    }

    // ------------------------------------------------------------------------------------------------ named words

    public long clientPid() {
        return get(Word.CLIENT_PID);
    }

    public long clientStart() {
        return get(Word.CLIENT_START);
    }

    public long parentPid() {
        return get(Word.PARENT_PID);
    }

    public long parentStart() {
        return get(Word.PARENT_START);
    }

    public long childPid() {
        return get(Word.CHILD_PID);
    }

    public long childStart() {
        return get(Word.CHILD_START);
    }

    /** The client's transmission-intermission flag ({@link Intermission} code). */
    public long intermission() {
        return get(Word.TRANSMISSION_INTERMISSION);
    }

    /** P: the parent asked the child and the client to reconnect (S11). */
    public boolean reconnectionRequested() {
        return get(Word.P) != 0;
    }

    /** True once the child granted the client's reconnection. */
    public boolean childGranted() {
        return get(Word.CHILD_GRANTED) != 0;
    }

    /** True once the client reported the reconnection done (S51). */
    public boolean clientReported() {
        return get(Word.CLIENT_REPORTED) != 0;
    }

    /** True if this side ({@link #CLOSED_CLIENT} or {@link #CLOSED_SERVER}) closed its end. */
    public boolean closedBy(long side) {
        return (get(Word.CLOSED_MASK) & side) != 0;
    }

    // ------------------------------------------------------------------------------------------------ triggers

    /** True if {@code trigger} was made active for this connection at EMU_FORK. */
    public boolean triggerEnabled(Trigger trigger) {
        return (get(Word.TRIGGERS_ENABLED) & trigger.bit()) != 0;
    }

    /** The trigger that started the handover, null while none fired. */
    public Trigger firedTrigger() {
        return Trigger.ofCode((int) get(Word.TRIGGER_FIRED));
    }

    /**
     * Fires {@code trigger}: true for the one caller, in any process, whose trigger starts the handover (CAS: at
     * most one per connection); it is stamped. Does not check that the trigger is active.
     */
    public boolean fireTrigger(Trigger trigger) {
        if (!compareAndSet(Word.TRIGGER_FIRED, 0, trigger.code())) {
            return false;
        }
        stamp(Word.AT_TRIGGER);
        set(Word.NANOS_TRIGGER, System.nanoTime());
        return true;
    }

    /** True once the handover completed (S13). */
    public boolean isCompleted() {
        return get(Word.RECONNECTION_COMPLETION) != 0;
    }

    /**
     * S13: sets reconnection-completion: true for the one caller that set it (parent, or after the parent's death
     * the child or the client), which stamps it and moves the connection to HANDED_OVER; false if it was set
     * before (never twice).
     */
    public boolean complete() {
        if (!compareAndSet(Word.RECONNECTION_COMPLETION, 0, 1)) {
            return false;
        }
        set(Word.NANOS_COMPLETED, System.nanoTime());
        stamp(Word.AT_COMPLETED);
        advance(ConnectionState.HANDED_OVER);
        return true;
    }

    /**
     * Undoes EMU_FORK before any trigger (the child never started, or died first): the connection goes back from
     * FORKED to ESTABLISHED, by CAS, so that a FAILED or CLOSED another process set meanwhile stays.
     *
     * @param releaseWorker the worker never took the connection: its id is cleared too
     * @return true if the state went back to ESTABLISHED
     */
    public boolean rollbackFork(boolean releaseWorker) {
        if (releaseWorker) {
            set(Word.WORKER_ID, 0);
        }
        return compareAndSet(Word.STATE, ConnectionState.FORKED.code(), ConnectionState.ESTABLISHED.code());
    }

    // ------------------------------------------------------------------------------------------------ state

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

    // ------------------------------------------------------------------------------------------------ slots

    /**
     * True if this use of a slot may be followed by another: it ended without a failure, and either no handover
     * ever started on it (no worker assigned, no child, no trigger, no P) or the handover completed
     * ({@link #handedOver}): then the child, the connection's server side since S13, releases the use as the parent
     * would have. A slot that failed, or where a handover started and did not complete, is deleted as a
     * one-connection directory is.
     */
    public boolean reusable() {
        if (get(Word.ERROR_CODE) != 0 || state() == ConnectionState.FAILED) {
            return false;
        }
        return !handoverStarted() || handedOver();
    }

    /** A worker was assigned, a child announced itself, a trigger fired or P was set on this use. */
    public boolean handoverStarted() {
        return get(Word.WORKER_ID) != 0 || get(Word.CHILD_PID) != 0 || get(Word.TRIGGER_FIRED) != 0
                || get(Word.P) != 0;
    }

    /**
     * S13 is done: the completion is set and the state is HANDED_OVER, the last word {@link #complete} writes (it
     * advances the state after the CAS and the stamps), so that no write of the handover can land in the slot's next
     * use once both ends released this one.
     */
    public boolean handedOver() {
        return get(Word.RECONNECTION_COMPLETION) == 1 && state() == ConnectionState.HANDED_OVER;
    }

    /** True once both ends of the current use are done with the slot (the client kept it, the parent released it). */
    public boolean slotFree() {
        long use = get(Word.SLOT_USE);
        return get(Word.SLOT_KEPT) == use && get(Word.SLOT_RELEASED) == use && reusable();
    }

    /** The client's claim of an idle slot for its next use (CAS from IDLE to CONNECTING): true for the one claimer. */
    public boolean claimSlot() {
        return compareAndSet(Word.STATE, ConnectionState.IDLE.code(), ConnectionState.CONNECTING.code());
    }

    /**
     * After {@link #claimSlot}: clears every word of the previous use (the server's and child's pids, handover flags,
     * stamps, counts, windows, the parent's consumed position), keeps the client's identity and the queues' segment
     * words, numbers the new use and makes it start after the previous use's END_OF_STREAM documents. Only the claiming client calls it, while no other
     * process uses the block.
     *
     * @return the new use's number
     */
    public long resetForNextUse() {
        long use = get(Word.SLOT_USE) + 1;
        long upStart = get(Word.UP_END);
        long downStart = get(Word.DOWN_END);
        for (Word w : Word.values()) {
            if (!KEPT_ACROSS_USES.contains(w)) {
                words.setVolatile(w.offset, 0);
            }
        }
        words.setVolatile(Word.UP_START.offset, upStart);
        words.setVolatile(Word.DOWN_START.offset, downStart);
        words.setVolatile(Word.SLOT_USE.offset, use);
        return use;
    }

    /**
     * Words a slot keeps from one use to the next: its identity, its owner (the client process: a sweeper must never
     * see a slot without a client pid, it would take it for a directory being made), the claim, the queues' logical
     * clocks.
     */
    private static final Set<Word> KEPT_ACROSS_USES = EnumSet.of(Word.MAGIC, Word.STATE, Word.CLIENT_PID,
            Word.CLIENT_START, Word.UP_SEGMENT, Word.DOWN_SEGMENT, Word.SLOT_USE);

    // ------------------------------------------------------------------------------------------------ position

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

    @Override
    public String toString() {
        return "FlagBlock{" + words.location() + ", " + state() + "}";
    }
}
