package io.viaemu.spring.boot;

import io.viaemu.ConnectionSnapshot;
import io.viaemu.ViaServer;

/**
 * Told when a connection the starter dispatched has been handed over to its worker: beans of this type are
 * called with the connection's flag block as it was right after the handover completed. The metrics use it for
 * the handover duration.
 */
@FunctionalInterface
public interface ViaHandoverListener {
    void handedOver(ViaServer server, ConnectionSnapshot snapshot);
}
