package io.viaemu.transport.ring;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import io.viaemu.ViaConfig;
import io.viaemu.internal.ConfigProperties;
import io.viaemu.transport.Transport;
import io.viaemu.transport.TransportFactory;
import io.viaemu.transport.chronicle.ChronicleOptions;

/**
 * {@link TransportFactory} of the built-in ring transport, {@code via.transport=ring}: every channel one
 * memory-mapped file used as a ring ({@link RingLayout}). Option {@value #CAPACITY} ({@code via.ring-capacity}):
 * the data bytes of each channel, a power of two; by default derived from the configuration
 * ({@link RingLayout#capacityFor}: room for twice a send window and a largest document).
 */
public final class RingTransportFactory implements TransportFactory {
    public static final RingTransportFactory INSTANCE = new RingTransportFactory();

    /** Option (and property {@code via.ring-capacity}): bytes, or a size such as {@code 16MB}; a power of two. */
    public static final String CAPACITY = "ring-capacity";

    private static final Set<String> OPTIONS = Set.of(CAPACITY);
    /**
     * Chronicle's options, accepted and ignored (a ring neither rolls nor maps by blocks): a configuration that sets
     * them (the deprecated {@code rollCycle}/{@code blockSize} builder methods, {@code via.roll-cycle}) switches to
     * the ring by {@code via.transport} alone.
     */
    private static final Set<String> IGNORED = Set.of(ChronicleOptions.ROLL_CYCLE, ChronicleOptions.BLOCK_SIZE);
    /** What {@link #create(Map)} sizes for: the configuration's defaults (64 KiB messages, a 1 MiB window). */
    private static final int DEFAULT_MAX_MESSAGE_SIZE = ViaConfig.DEFAULT_MAX_MESSAGE_SIZE;
    private static final long DEFAULT_SEND_WINDOW = ViaConfig.DEFAULT_SEND_WINDOW;

    @Override
    public String name() {
        return RING;
    }

    @Override
    public Set<String> optionNames() {
        return OPTIONS;
    }

    @Override
    public String parseOption(String option, String value) {
        if (IGNORED.contains(option)) {
            return value.trim();
        }
        if (!CAPACITY.equals(option)) {
            throw new IllegalArgumentException("the ring transport has no option '" + option + "' (options: "
                    + new TreeSet<>(OPTIONS) + ")");
        }
        long capacity = ConfigProperties.size(value);
        if (!RingLayout.isPowerOfTwo(capacity) || capacity < RingLayout.MIN_CAPACITY
                || capacity > RingLayout.MAX_CAPACITY) {
            throw new IllegalArgumentException(CAPACITY + " must be a power of two between "
                    + RingLayout.MIN_CAPACITY + " and " + RingLayout.MAX_CAPACITY + " bytes, not " + capacity);
        }
        return Long.toString(capacity);
    }

    @Override
    public void check(Map<String, String> options, int maxMessageSize) {
        String c = options.get(CAPACITY);
        if (c == null) {
            return;
        }
        long capacity = Long.parseLong(c);
        long least = 2L * RingLayout.reserve(RingLayout.maxRecord(maxMessageSize));
        if (capacity < least) {
            throw new IllegalArgumentException(CAPACITY + " " + capacity + " must be at least " + least
                    + " bytes for maxMessageSize " + maxMessageSize
                    + ": twice the reserve (two largest documents and room for a handover's control documents)");
        }
    }

    @Override
    public Transport create(Map<String, String> options) {
        return create(options, DEFAULT_MAX_MESSAGE_SIZE, DEFAULT_SEND_WINDOW);
    }

    @Override
    public Transport create(Map<String, String> options, int maxMessageSize, long sendWindow) {
        String c = options.get(CAPACITY);
        int maxRecord = RingLayout.maxRecord(maxMessageSize);
        return c != null ? new RingTransport(Long.parseLong(c), true, maxRecord)
                : new RingTransport(RingLayout.capacityFor(maxMessageSize, sendWindow), false, maxRecord);
    }
}
