package io.viaemu.transport.ring;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import io.viaemu.transport.Channel;
import io.viaemu.transport.Transport;

/**
 * {@link Transport} whose every channel is one memory-mapped file used as a ring ({@link RingLayout},
 * {@link RingChannel}): a channel costs one mapping and no file descriptor, its pages are reused lap after lap
 * (no new file, no freshly zeroed pages per window of a stream), and opening it maps one file.
 */
public final class RingTransport implements Transport {
    private final long capacity;
    private final boolean capacityRequired;
    private final int maxRecord;

    /**
     * @param capacity data bytes of each channel it creates (a power of two)
     * @param capacityRequired refuse existing channels of another capacity (the capacity was configured), else adopt
     *        theirs (it was derived: the process that created the channel derived it from the same configuration)
     * @param maxRecord the largest record a channel it creates takes ({@link RingLayout#maxRecord})
     */
    public RingTransport(long capacity, boolean capacityRequired, int maxRecord) {
        if (2L * RingLayout.reserve(maxRecord) > capacity) {
            throw new IllegalArgumentException("ring capacity " + capacity + " is too small for records of "
                    + maxRecord + " bytes: at least " + 2L * RingLayout.reserve(maxRecord));
        }
        this.capacity = capacity;
        this.capacityRequired = capacityRequired;
        this.maxRecord = maxRecord;
    }

    /** A transport sized for a configuration's largest message and send window. */
    public static RingTransport forConfiguration(int maxMessageSize, long sendWindow) {
        return new RingTransport(RingLayout.capacityFor(maxMessageSize, sendWindow), false,
                RingLayout.maxRecord(maxMessageSize));
    }

    @Override
    public Channel open(Path directory) {
        return RingChannel.open(directory, capacity, capacityRequired, maxRecord);
    }

    /**
     * As {@link #open(Path)}: a ring never rolls to a new file, so the segment counter and the roll size are
     * meaningless for it and ignored; what is consumed is freed by {@link Channel#reclaimBefore} in place.
     */
    @Override
    public Channel open(Path directory, SegmentCounter segments, long rollBytes) {
        return open(directory);
    }

    /** True if {@code directory} holds a ring channel's file. */
    public static boolean isRing(Path directory) {
        return Files.isRegularFile(directory.resolve(RingLayout.FILE_NAME));
    }

    /**
     * Opens an existing ring channel read-only, whatever its capacity, creating and writing nothing: for an
     * inspector beside the processes that own it. Only its readers work.
     */
    public static Channel openReadOnly(Path directory) throws IOException {
        return RingChannel.openReadOnly(directory);
    }
}
