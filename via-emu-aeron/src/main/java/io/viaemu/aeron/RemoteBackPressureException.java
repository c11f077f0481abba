package io.viaemu.aeron;

import io.viaemu.ViaTimeoutException;

/**
 * A send to the other host waited the whole send timeout ({@code via.aeron.send-timeout}) while Aeron said
 * BACK_PRESSURED (or ADMIN_ACTION): the receiver there is alive but does not read, so its window is full. Nothing
 * was dropped: {@link #bytesSent()} bytes of the call went out (whole frames, in order); the rest did not, and the
 * connection stays usable, so the caller may send the rest again later.
 */
public class RemoteBackPressureException extends ViaTimeoutException {
    private static final long serialVersionUID = 1L;
    private final long bytesSent;

    public RemoteBackPressureException(String message, long bytesSent) {
        super(message);
        this.bytesSent = bytesSent;
    }

    /** Bytes of the failed call that were sent before the timeout. */
    public long bytesSent() {
        return bytesSent;
    }
}
