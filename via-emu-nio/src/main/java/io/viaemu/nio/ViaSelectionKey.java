package io.viaemu.nio;

import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.spi.AbstractSelectionKey;

/**
 * A registration with a {@link ViaSelector}. For a channel over via-emu the selector computes readiness itself; for
 * a platform channel (a foreign one registered directly, or one of ours that turned TCP) the key holds the
 * registration of that platform channel with the selector's platform selector ({@link #platformKey}), whose
 * attachment is this key.
 */
final class ViaSelectionKey extends AbstractSelectionKey {
    private final SelectableChannel channel;
    private final ViaSelector selector;
    /** Set when the channel is one of ours. */
    final ViaSelectable via;
    private volatile int interestOps;
    private volatile int readyOps;
    private volatile SelectionKey platformKey;
    /** In its selector's selected-key set (the selector's and the set's user's thread: not thread-safe, as the set). */
    boolean inSelectedSet;

    ViaSelectionKey(SelectableChannel channel, ViaSelector selector, ViaSelectable via) {
        this.channel = channel;
        this.selector = selector;
        this.via = via;
    }

    @Override
    public SelectableChannel channel() {
        return channel;
    }

    @Override
    public Selector selector() {
        return selector;
    }

    @Override
    public int interestOps() {
        ensureValid();
        return interestOps;
    }

    @Override
    public SelectionKey interestOps(int ops) {
        ensureValid();
        if ((ops & ~channel.validOps()) != 0) {
            throw new IllegalArgumentException("invalid interest ops " + ops + " for " + channel);
        }
        if (interestOps == ops) {
            return this; // unchanged (a loop that sets its interest before each select): no lock, no store
        }
        synchronized (this) {
            interestOps = ops;
            SelectionKey pk = platformKey;
            if (pk != null && pk.isValid()) {
                pk.interestOps(ops);
            }
        }
        // As with the platform's selectors, a change made while a select blocks takes effect at the next select.
        return this;
    }

    @Override
    public int readyOps() {
        ensureValid();
        return readyOps;
    }

    int interestOpsUnchecked() {
        return interestOps;
    }

    int readyOpsUnchecked() {
        return readyOps;
    }

    void setReadyOps(int ops) {
        readyOps = ops;
    }

    SelectionKey platformKey() {
        return platformKey;
    }

    /** Registers the platform channel with the selector's platform selector (a foreign channel, or ours gone TCP). */
    synchronized void attachPlatform(SelectableChannel platformChannel) throws ClosedChannelException {
        if (platformKey != null || !isValid()) {
            return;
        }
        platformKey = selector.registerPlatform(platformChannel, interestOps, this);
    }

    /** Drops the platform registration (this key was cancelled or its selector closed). */
    void detachPlatform() {
        SelectionKey pk = platformKey;
        if (pk != null) {
            pk.cancel();
        }
    }

    private void ensureValid() {
        if (!isValid()) {
            throw new CancelledKeyException();
        }
    }

    @Override
    public String toString() {
        return "ViaSelectionKey{" + channel + ", interest " + interestOps + ", ready " + readyOps
                + (platformKey != null ? ", platform" : "") + (isValid() ? "" : ", cancelled") + "}";
    }
}
