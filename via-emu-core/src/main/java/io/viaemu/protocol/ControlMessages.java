package io.viaemu.protocol;

import io.viaemu.ViaProtocolException;

/**
 * The codecs of the protocol's control documents, one per {@link MessageType} (DATA and COPY are stream framing,
 * not control): each record holds the document's fields, writes them ({@link ControlMessage#writeTo}) and reads
 * them back ({@code read}) in one place, so that writer and reader cannot disagree on a field. {@code read} expects
 * a {@link Messages.Reader} {@link Messages.Reader#reset reset} on a document of its type and throws
 * {@link ViaProtocolException} for a truncated or garbled one.
 */
public final class ControlMessages {

    private ControlMessages() {
    }

    /** A control document's fields; writes them after the header of its type. */
    public interface ControlMessage {
        MessageType type();

        /** Starts {@code w} with this document's header, appends its fields, and returns {@code w}. */
        Messages.Writer writeTo(Messages.Writer w);
    }

    private static void expect(Messages.Reader r, MessageType type) {
        if (r.type() != type) {
            throw new IllegalArgumentException("a " + r.type() + " document read as " + type);
        }
    }

    /**
     * Listen queue, S42: a client asks for a connection whose directory (queues, flag block) it created. On a
     * connection slot's use {@code slotUse} ({@code > 0}) the connection's documents come after {@code upStart} and
     * {@code downStart} in its queues (the previous use's last documents); 0, 0, 0 for a one-connection directory.
     */
    public record Connect(long connectionId, long clientPid, long clientStart, long slotUse, long upStart,
            long downStart) implements ControlMessage {
        /** A CONNECT for a directory made for this one connection. */
        public Connect(long connectionId, long clientPid, long clientStart) {
            this(connectionId, clientPid, clientStart, 0, 0, 0);
        }

        @Override
        public MessageType type() {
            return MessageType.CONNECT;
        }

        @Override
        public Messages.Writer writeTo(Messages.Writer w) {
            return w.start(MessageType.CONNECT).putLong(connectionId).putLong(clientPid).putLong(clientStart)
                    .putLong(slotUse).putLong(upStart).putLong(downStart);
        }

        /** The slot's fields are optional on the wire: a CONNECT of three longs is a one-connection directory's. */
        public static Connect read(Messages.Reader r) throws ViaProtocolException {
            expect(r, MessageType.CONNECT);
            long id = r.getLong();
            long pid = r.getLong();
            long start = r.getLong();
            if (r.payloadLength() < 6 * 8) {
                return new Connect(id, pid, start);
            }
            return new Connect(id, pid, start, r.getLong(), r.getLong(), r.getLong());
        }
    }

    /**
     * Down queue: the parent accepts the client (S3, the connection's first document) or the child accepts the
     * client's reconnection (S28, the child's first document); the token is the connection's secret. The parent's
     * grant confirms where the connection's documents start in its queues (see {@link Connect}); the child's has 0.
     */
    public record Grant(long token, long granterPid, long upStart, long downStart) implements ControlMessage {
        /** A grant without start indices (the child's, or a one-connection directory's). */
        public Grant(long token, long granterPid) {
            this(token, granterPid, 0, 0);
        }

        @Override
        public MessageType type() {
            return MessageType.GRANT;
        }

        @Override
        public Messages.Writer writeTo(Messages.Writer w) {
            return w.start(MessageType.GRANT).putLong(token).putLong(granterPid).putLong(upStart).putLong(downStart);
        }

        /** The start indices are optional on the wire: a GRANT of two longs has none (0, 0). */
        public static Grant read(Messages.Reader r) throws ViaProtocolException {
            expect(r, MessageType.GRANT);
            long token = r.getLong();
            long granter = r.getLong();
            if (r.payloadLength() < 4 * 8) {
                return new Grant(token, granter);
            }
            return new Grant(token, granter, r.getLong(), r.getLong());
        }
    }

    /** Worker inbox, EMU_FORK (S4): the parent gives a connection to a worker, to be served by a named handler. */
    public record Assign(long connectionId, String handlerName) implements ControlMessage {
        @Override
        public MessageType type() {
            return MessageType.ASSIGN;
        }

        @Override
        public Messages.Writer writeTo(Messages.Writer w) {
            return w.start(MessageType.ASSIGN).putLong(connectionId).putString(handlerName);
        }

        public static Assign read(Messages.Reader r) throws ViaProtocolException {
            expect(r, MessageType.ASSIGN);
            return new Assign(r.getLong(), r.getString());
        }
    }

    /** Worker inbox, S49: the client connects to the child, with the connection's token and the request's nonce. */
    public record Reconnect(long connectionId, String endpoint, long token, long nonce) implements ControlMessage {
        @Override
        public MessageType type() {
            return MessageType.RECONNECT;
        }

        @Override
        public Messages.Writer writeTo(Messages.Writer w) {
            return w.start(MessageType.RECONNECT).putLong(connectionId).putString(endpoint).putLong(token)
                    .putLong(nonce);
        }

        public static Reconnect read(Messages.Reader r) throws ViaProtocolException {
            expect(r, MessageType.RECONNECT);
            return new Reconnect(r.getLong(), r.getString(), r.getLong(), r.getLong());
        }
    }

    /** Down queue, S7: the parent asks the client to intermit sending (the flag carries it; this marks the stream). */
    public record IntermissionRequest() implements ControlMessage {
        public static final IntermissionRequest INSTANCE = new IntermissionRequest();

        @Override
        public MessageType type() {
            return MessageType.INTERMISSION_REQUEST;
        }

        @Override
        public Messages.Writer writeTo(Messages.Writer w) {
            return w.start(MessageType.INTERMISSION_REQUEST);
        }
    }

    /** Up queue, S47: the client's last document to the parent, the cut between the parent's and the child's input. */
    public record IntermissionDone() implements ControlMessage {
        public static final IntermissionDone INSTANCE = new IntermissionDone();

        @Override
        public MessageType type() {
            return MessageType.INTERMISSION_DONE;
        }

        @Override
        public Messages.Writer writeTo(Messages.Writer w) {
            return w.start(MessageType.INTERMISSION_DONE);
        }
    }

    /** Down queue, S11: the parent's last document; the client must reconnect to the child it names. */
    public record ReconnectRequest(long childPid, long workerId) implements ControlMessage {
        @Override
        public MessageType type() {
            return MessageType.RECONNECT_REQUEST;
        }

        @Override
        public Messages.Writer writeTo(Messages.Writer w) {
            return w.start(MessageType.RECONNECT_REQUEST).putLong(childPid).putLong(workerId);
        }

        public static ReconnectRequest read(Messages.Reader r) throws ViaProtocolException {
            expect(r, MessageType.RECONNECT_REQUEST);
            return new ReconnectRequest(r.getLong(), r.getLong());
        }
    }

    /** Up queue, S51: the client reconnected to the child; everything after it is new input for the child. */
    public record ReconnectionDone() implements ControlMessage {
        public static final ReconnectionDone INSTANCE = new ReconnectionDone();

        @Override
        public MessageType type() {
            return MessageType.RECONNECTION_DONE;
        }

        @Override
        public Messages.Writer writeTo(Messages.Writer w) {
            return w.start(MessageType.RECONNECTION_DONE);
        }
    }

    /**
     * Up or down queue: end of stream (code 0, no reason), a failed connection (its {@link ErrorCode} and a reason),
     * or, as a connection's first down-queue document, a refusal ({@link ErrorCode#REFUSED}).
     */
    public record Close(long code, String reason) implements ControlMessage {
        /** The orderly end of one direction of the stream. */
        public static final Close END_OF_STREAM = new Close(0, "");

        public Close {
            reason = reason == null ? "" : reason;
        }

        /** The connection failed with {@code error}; {@code detail} may be null. */
        public static Close failure(ErrorCode error, String detail) {
            return new Close(error.code(), detail);
        }

        /** The server refuses the connection, for {@code reason}. */
        public static Close refused(String reason) {
            return new Close(ErrorCode.REFUSED.code(), reason);
        }

        public boolean isEndOfStream() {
            return code == 0;
        }

        public ErrorCode error() {
            return ErrorCode.of(code);
        }

        @Override
        public MessageType type() {
            return MessageType.CLOSE;
        }

        @Override
        public Messages.Writer writeTo(Messages.Writer w) {
            return w.start(MessageType.CLOSE).putLong(code).putString(reason);
        }

        public static Close read(Messages.Reader r) throws ViaProtocolException {
            expect(r, MessageType.CLOSE);
            return new Close(r.getLong(), r.getString());
        }
    }
}
