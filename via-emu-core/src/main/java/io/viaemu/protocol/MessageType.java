package io.viaemu.protocol;

/**
 * The typed documents of the via-emu protocol. Every document starts with the protocol version byte and the type
 * byte; the fields after them are fixed per type (see {@link Messages}), and each control type's fields are written
 * and read by one codec in {@link ControlMessages} (DATA and COPY are the stream's framing).
 */
public enum MessageType {
    /** listen queue: a client asks for a connection whose queues it has created. */
    CONNECT(1),
    /** worker inbox: the parent gives a forked connection to a worker (EMU_FORK). */
    ASSIGN(2),
    /** worker inbox: the client connects to the child named in the reconnection request. */
    RECONNECT(3),
    /** down queue: the parent (at connect) or the child (at reconnection) accepts the client. */
    GRANT(4),
    /** up or down queue: stream bytes. */
    DATA(5),
    /** down queue: the parent asks the client to intermit sending. */
    INTERMISSION_REQUEST(6),
    /** down queue: the parent's last document; the client must reconnect to the child it names. */
    RECONNECT_REQUEST(7),
    /** up or down queue: end of stream (code 0) or the connection failed (code > 0, with a reason). */
    CLOSE(8),
    /** up queue: the client's last document to the parent; the cut between parent's and child's input. */
    INTERMISSION_DONE(9),
    /** up queue, after INTERMISSION_DONE: bytes the parent had received but not consumed, for the child. */
    COPY(10),
    /** up queue: the client has reconnected to the child; everything after is new input for the child. */
    RECONNECTION_DONE(11);

    private static final MessageType[] BY_CODE = new MessageType[16];

    static {
        for (MessageType t : values()) {
            BY_CODE[t.code] = t;
        }
    }

    private final byte code;

    MessageType(int code) {
        this.code = (byte) code;
    }

    public byte code() {
        return code;
    }

    /** The type for a code, or null if unknown. */
    public static MessageType of(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }
}
