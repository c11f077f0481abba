package io.viaemu.protocol;

/** Why a connection failed, as recorded in the flag block and carried by CLOSE documents. */
public enum ErrorCode {
    NONE(0, "no error"),
    PROTOCOL(1, "protocol violation"),
    INTERMISSION_TIMEOUT(2, "the client did not confirm the transmission intermission in time"),
    CHILD_START_TIMEOUT(3, "the child process did not start in time"),
    GRANT_TIMEOUT(4, "the child did not grant the reconnection in time"),
    COMPLETION_TIMEOUT(5, "the client did not report the reconnection done in time"),
    PARENT_DIED(6, "the parent process died and no handover was possible"),
    CHILD_DIED(7, "the child process died"),
    CLIENT_DIED(8, "the client process died"),
    REFUSED(9, "the connection was refused"),
    PEER_HUNG(10, "the peer stopped answering (heartbeat timeout)"),
    QUOTA(11, "the connection exceeded its disk quota"),
    SERVER_CLOSED(12, "the server shut down"),
    HANDLER_TIMEOUT(13, "the worker's handler exceeded its time limit"),
    HANDLER_UNAVAILABLE(14, "the worker could not start the named handler");

    private final int code;
    private final String description;

    ErrorCode(int code, String description) {
        this.code = code;
        this.description = description;
    }

    public long code() {
        return code;
    }

    public String description() {
        return description;
    }

    public static ErrorCode of(long code) {
        for (ErrorCode e : values()) {
            if (e.code == code) {
                return e;
            }
        }
        return PROTOCOL;
    }
}
