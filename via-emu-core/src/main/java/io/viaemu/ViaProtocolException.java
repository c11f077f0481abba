package io.viaemu;

/** The peer broke the protocol (unknown message type, wrong version, truncated or oversized document, bad token). */
public class ViaProtocolException extends ViaException {
    private static final long serialVersionUID = 1L;

    public ViaProtocolException(String message) {
        super(message);
    }
}
