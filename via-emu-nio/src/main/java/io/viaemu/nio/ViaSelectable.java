package io.viaemu.nio;

import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectableChannel;

import io.viaemu.idle.Doorbell;

/**
 * What a {@link ViaSelector} asks of the channels of this package: over via-emu, readiness and the doorbell that
 * rings when it may change; over TCP (an address no rule maps), the platform channel to register with the
 * selector's platform selector instead.
 */
interface ViaSelectable {

    /** The platform channel this one runs on (an unmapped address), or null while it is not (yet) TCP. */
    SelectableChannel platformChannel();

    /** The doorbell rung when this channel's via-emu readiness may have changed; null if it has none (yet). */
    Doorbell doorbell();

    /**
     * Of the operations in {@code interestOps}, those that would not block now (via-emu channels only).
     *
     * @param full false for a selector's spin polls: a channel may answer from lock-free hints alone (data waiting,
     *        room in the window) and leave what only a full check sees (a control document such as the peer's close)
     *        to the next full poll; true: every readiness is checked
     */
    int viaReadyOps(int interestOps, boolean full);

    /** A key of this channel was created; the channel calls {@link ViaSelectionKey#attachPlatform} when it turns TCP. */
    void keyAdded(ViaSelectionKey key) throws ClosedChannelException;

    void keyRemoved(ViaSelectionKey key);
}
