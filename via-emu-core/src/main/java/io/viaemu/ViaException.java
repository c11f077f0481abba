package io.viaemu;

import java.io.IOException;

/** A via-emu connection failed: the message says why, in terms of the protocol step that failed. */
public class ViaException extends IOException {
    private static final long serialVersionUID = 1L;

    public ViaException(String message) {
        super(message);
    }

    public ViaException(String message, Throwable cause) {
        super(message, cause);
    }
}
