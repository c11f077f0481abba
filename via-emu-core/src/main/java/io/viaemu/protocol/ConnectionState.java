package io.viaemu.protocol;

/** The life of a connection as recorded in its flag block (word STATE), shared by all three processes. */
public enum ConnectionState {
    NONE(0),
    /** The client created the queues and asked to connect. */
    CONNECTING(1),
    /** The parent granted; parent and client talk. */
    ESTABLISHED(2),
    /** EMU_FORK done: a child is ready; nothing more until a trigger fires. */
    FORKED(3),
    /** A trigger fired: the client has been asked to intermit. */
    INTERMISSION(4),
    /** The client intermitted; the parent hands its unconsumed input to the child. */
    COPYING(5),
    /** P is set: the client is reconnecting to the child. */
    RECONNECTING(6),
    /** The child owns the connection. */
    HANDED_OVER(7),
    CLOSED(8),
    FAILED(9),
    /**
     * A connection slot between two uses: both ends of its last use closed cleanly and the client keeps the
     * directory, its queues open, for its next connect (see {@code ConnectionSlots}). Not a connection.
     */
    IDLE(10);

    private final int code;

    ConnectionState(int code) {
        this.code = code;
    }

    public long code() {
        return code;
    }

    public boolean isTerminal() {
        return this == CLOSED || this == FAILED;
    }

    /** A handover is under way (trigger fired, not yet completed). */
    public boolean isHandingOver() {
        return this == INTERMISSION || this == COPYING || this == RECONNECTING;
    }

    private static final ConnectionState[] BY_CODE = values(); // codes equal ordinals; values() copies each call

    /** Read on every send: no allocation, no loop. */
    public static ConnectionState of(long code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[(int) code] : NONE;
    }
}
