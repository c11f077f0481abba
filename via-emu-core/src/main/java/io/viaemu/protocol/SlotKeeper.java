package io.viaemu.protocol;

import io.viaemu.transport.Channel;

/**
 * Takes a connection slot's queue handles when a use of the slot ends cleanly (see {@link ConnectionSlots}): the
 * client's slot pool, the server's cache of the slots it served, or a worker's cache of the slots its children
 * served, keyed by directory. The parent gives its handles to its keeper at the end of a completed handover (the
 * child releases that use). A use that failed, or on which a handover started and did not complete, never comes
 * here: its ends close the handles and its directory is deleted as ever.
 */
public interface SlotKeeper {
    /**
     * The end on the slot in {@code end.directory()} closed cleanly: true if the keeper keeps {@code inbound} and
     * {@code outbound} open for the slot's next use (it closes them when it lets the slot go); false if it has no room
     * and the end closes them.
     */
    boolean keep(ConnectionEnd end, Channel inbound, Channel outbound);
}
