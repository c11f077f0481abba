package io.viaemu.transport.chronicle;

import java.util.Map;
import java.util.Objects;

import io.viaemu.internal.ConfigProperties;

/**
 * The Chronicle Queue transport's settings: the roll cycle of time-rolled channels (listen queues, worker inboxes)
 * and the mapping block size of every channel. All processes of one server must agree on both.
 */
public final class ChronicleOptions {
    /** Option (and property {@code via.roll-cycle}): a RollCycles or TestRollCycles constant, e.g. FAST_DAILY. */
    public static final String ROLL_CYCLE = "roll-cycle";
    /** Option (and property {@code via.block-size}): bytes, or a size such as {@code 16MB}. */
    public static final String BLOCK_SIZE = "block-size";

    private static final ChronicleOptions DEFAULTS = new ChronicleOptions("FAST_DAILY", 16L << 20);

    private final String rollCycle;
    private final long blockSize;

    private ChronicleOptions(String rollCycle, long blockSize) {
        this.rollCycle = Objects.requireNonNull(rollCycle, "rollCycle");
        this.blockSize = blockSize;
    }

    /** FAST_DAILY, 16 MiB. */
    public static ChronicleOptions defaults() {
        return DEFAULTS;
    }

    public static ChronicleOptions of(String rollCycle, long blockSize) {
        return new ChronicleOptions(rollCycle, blockSize);
    }

    /** From a configuration's transport options ({@link #ROLL_CYCLE}, {@link #BLOCK_SIZE}); missing ones default. */
    public static ChronicleOptions from(Map<String, String> options) {
        String cycle = options.get(ROLL_CYCLE);
        String block = options.get(BLOCK_SIZE);
        return new ChronicleOptions(cycle != null ? cycle : DEFAULTS.rollCycle,
                block != null ? ConfigProperties.size(block) : DEFAULTS.blockSize);
    }

    /** Chronicle roll cycle name (RollCycles or TestRollCycles constant), e.g. FAST_DAILY. */
    public String rollCycle() {
        return rollCycle;
    }

    /** Chronicle mapping block size of each queue (sparse; caps the largest document at a quarter of it). */
    public long blockSize() {
        return blockSize;
    }

    /**
     * Chronicle caps a document at a quarter of a block: a data document of {@code maxMessageSize} bytes (and its
     * header) must fit.
     */
    void checkMaxMessageSize(int maxMessageSize) {
        if (blockSize < (long) maxMessageSize * 4 + 4096) {
            throw new IllegalArgumentException("blockSize " + blockSize + " must be at least 4 x maxMessageSize ("
                    + maxMessageSize + ") + 4 KiB: Chronicle caps a document at a quarter of a block");
        }
    }

    @Override
    public String toString() {
        return "ChronicleOptions{rollCycle=" + rollCycle + ", blockSize=" + blockSize + '}';
    }
}
