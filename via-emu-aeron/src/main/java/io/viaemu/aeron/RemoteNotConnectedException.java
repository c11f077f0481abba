package io.viaemu.aeron;

import io.viaemu.ViaException;

/**
 * Aeron said NOT_CONNECTED for longer than the peer timeout: no status message from the receiver on the other
 * host (its process or host gone, or the link down). The connection is failed; every later call says so.
 */
public class RemoteNotConnectedException extends ViaException {
    private static final long serialVersionUID = 1L;

    public RemoteNotConnectedException(String message) {
        super(message);
    }
}
