package io.viaemu.transport.ring;

/**
 * The layout of a ring channel: one file {@code DIR/ring}, a {@value #HEADER_SIZE}-byte header followed by
 * {@code capacity} data bytes (a power of two) used as a ring whose pages are reused lap after lap, as Aeron's term
 * buffers are. All numbers are in the platform's byte order (the file is shared between processes of one host only).
 *
 * <p>Header (every hot word on a {@value #LINE}-byte line of its own, so that writers, the reader and the reclaimer
 * do not share a cache line):
 * <table>
 * <caption>header offsets</caption>
 * <tr><th>offset</th><th>size</th><th>field</th></tr>
 * <tr><td>{@value #MAGIC_OFFSET}</td><td>4</td><td>magic {@code 0x5652494E} ("VRIN"); 0 while the file is being
 * made (it is made under a temporary name and linked into place complete)</td></tr>
 * <tr><td>{@value #VERSION_OFFSET}</td><td>4</td><td>layout version ({@value #VERSION})</td></tr>
 * <tr><td>{@value #CAPACITY_OFFSET}</td><td>8</td><td>capacity: data bytes, a power of two; the file is
 * {@code HEADER_SIZE + capacity} bytes long (sparse)</td></tr>
 * <tr><td>{@value #MAX_RECORD_OFFSET}</td><td>4</td><td>largest record in bytes (header included, aligned): how far a
 * writer that died in an append may have written past TAIL</td></tr>
 * <tr><td>{@value #RESERVE_OFFSET}</td><td>4</td><td>reserve: bytes only handover copies and control documents may
 * use</td></tr>
 * <tr><td>{@value #LOCK_OFFSET}</td><td>4</td><td>append lock: 0 free, else the pid of the holder</td></tr>
 * <tr><td>{@value #TAIL_OFFSET}</td><td>8</td><td>TAIL: the position after the last committed record</td></tr>
 * <tr><td>{@value #RECLAIMED_OFFSET}</td><td>8</td><td>RECLAIMED: every data byte before this position is free for
 * the writers of the next lap</td></tr>
 * <tr><td>{@value #RECLAIMING_OFFSET}</td><td>8</td><td>RECLAIMING: where the reclaim in progress frees to
 * (published before RECLAIMED; a second reader that copied a record below it re-reads)</td></tr>
 * <tr><td>{@value #SPACE_BELL_OFFSET}</td><td>64</td><td>the space doorbell ({@link io.viaemu.idle.Doorbell}):
 * writers waiting for space park on it, a reclaim rings it</td></tr>
 * </table>
 *
 * <p>Positions are monotonically growing longs (they never wrap); the record at position {@code p} is at data offset
 * {@code p & (capacity - 1)}. A document's index is its position + 1, so every index is positive (the protocol
 * treats 0 and negative indices as none).
 *
 * <p>Record ({@value #ALIGNMENT}-byte aligned):
 * <table>
 * <caption>record offsets</caption>
 * <tr><th>offset</th><th>size</th><th>field</th></tr>
 * <tr><td>{@value #LENGTH_FIELD}</td><td>4</td><td>length: {@value #RECORD_HEADER} + content bytes (DATA), or the
 * whole record (PADDING); 0 = not committed. Cleared first, written last with release ordering: that is the
 * commit</td></tr>
 * <tr><td>{@value #TYPE_FIELD}</td><td>4</td><td>{@value #TYPE_DATA} DATA (a document), {@value #TYPE_PADDING}
 * PADDING (to the end of the data area: a record never wraps)</td></tr>
 * <tr><td>{@value #POSITION_FIELD}</td><td>8</td><td>the record's own position, published (release) after the length
 * is cleared and before the content: a reader takes a record as present iff this is the position it expects (read
 * first, acquire) and then its length is positive (acquire), which rejects a record of an earlier lap</td></tr>
 * <tr><td>{@value #RECORD_HEADER}</td><td>n</td><td>content: the document's bytes</td></tr>
 * </table>
 *
 * <p>Nothing is zeroed when the reader frees space: what a reader finds in a header slot it expects a record in is
 * (a) zeros (a fresh sparse file, or a slot cleared by the writer of the record before it, which clears the next
 * record's header slot before its own commit when that slot is free space), (b) the header of an earlier lap's record
 * (a slot the ring was exactly full up to), whose position is a lap behind, or (c) the record's writer's stores, in
 * the order above. Never an earlier lap's content bytes, which could hold anything, the expected position
 * included. A writer that takes the lock from a dead holder clears the slot after the last committed record the same
 * way. Version 1 zeroed every byte it freed, and read the length before the position.
 */
public final class RingLayout {
    /** The one file of a ring channel, in the channel's directory. */
    public static final String FILE_NAME = "ring";
    public static final int MAGIC = 0x5652494E;
    public static final int VERSION = 2;
    public static final int HEADER_SIZE = 4096;
    public static final int LINE = 128;

    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 4;
    public static final int CAPACITY_OFFSET = 8;
    public static final int MAX_RECORD_OFFSET = 16;
    public static final int RESERVE_OFFSET = 20;
    public static final int LOCK_OFFSET = LINE;
    public static final int TAIL_OFFSET = 2 * LINE;
    public static final int RECLAIMED_OFFSET = 3 * LINE;
    public static final int RECLAIMING_OFFSET = 3 * LINE + 8;
    public static final int SPACE_BELL_OFFSET = 4 * LINE;

    public static final int RECORD_HEADER = 16;
    public static final int LENGTH_FIELD = 0;
    public static final int TYPE_FIELD = 4;
    public static final int POSITION_FIELD = 8;
    public static final int ALIGNMENT = 16;
    public static final int TYPE_DATA = 1;
    public static final int TYPE_PADDING = 2;

    /** The smallest capacity accepted: a few pages. */
    public static final long MIN_CAPACITY = 64 * 1024;
    /** The largest: the whole file must fit one mapping ({@code ByteBuffer} indices are ints). */
    public static final long MAX_CAPACITY = 1L << 30;

    private RingLayout() {
    }

    /** Bytes a record of {@code contentLength} content bytes takes in the ring. */
    public static int recordSize(int contentLength) {
        return align(RECORD_HEADER + contentLength);
    }

    public static int align(int n) {
        return (n + ALIGNMENT - 1) & -ALIGNMENT;
    }

    public static boolean isPowerOfTwo(long n) {
        return n > 0 && (n & (n - 1)) == 0;
    }

    /** The index of the document at {@code position}. */
    public static long index(long position) {
        return position + 1;
    }

    /** The position of the document with {@code index}. */
    public static long position(long index) {
        return index - 1;
    }

    /** The largest record a configuration needs: a DATA document of {@code maxMessageSize} and its header. */
    public static int maxRecord(int maxMessageSize) {
        return recordSize(Math.max(maxMessageSize + 256, 64 * 1024));
    }

    /**
     * The reserve only handover copies and control documents may use: one largest record, the padding that may
     * precede it, and room for the control documents of a handover and a close.
     */
    public static int reserve(int maxRecord) {
        return 2 * maxRecord + 64 * 1024;
    }

    /**
     * The capacity a configuration needs, a power of two: a whole window of data, the partly consumed record the
     * window does not count, the padding a record may leave at the end of a lap and the reserve; and the reserve
     * twice over. What is left of the rounding up is room for the headers of small documents (16 bytes each: a
     * window of 64-byte writes needs 1.25 windows). No larger: the ring is what a stream cycles through, and one
     * that fits a core's cache streams faster (a 16 MiB ring ran at half the rate of a 2 MiB one, see README).
     */
    public static long capacityFor(int maxMessageSize, long sendWindow) {
        int maxRecord = maxRecord(maxMessageSize);
        long needed = Math.max(Math.max(sendWindow, 0) + 2L * maxRecord + reserve(maxRecord), 2L * reserve(maxRecord));
        long c = Math.max(MIN_CAPACITY, Long.highestOneBit(needed));
        return c < needed ? c << 1 : c;
    }
}
