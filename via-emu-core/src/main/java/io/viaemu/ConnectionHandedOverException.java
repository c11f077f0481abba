package io.viaemu;

/** The parent's end of a connection can no longer be used: the connection now belongs to the child. */
public class ConnectionHandedOverException extends ViaException {
    private static final long serialVersionUID = 1L;

    public ConnectionHandedOverException(String message) {
        super(message);
    }
}
