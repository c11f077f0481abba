package io.viaemu;

/** A wait on the peer ran out of time (a receive timeout, or a protocol step whose peer never answered). */
public class ViaTimeoutException extends ViaException {
    private static final long serialVersionUID = 1L;

    public ViaTimeoutException(String message) {
        super(message);
    }
}
