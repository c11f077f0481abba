package io.viaemu.transport;

import java.nio.file.Path;

/**
 * The transport SPI: durable, ordered, one-direction channels between processes on one host, each living in a
 * directory. via-emu puts two channels (up: client to server, down: server to client) under every connection and
 * one listen channel under every endpoint. The Chronicle Queue implementation is {@code ChronicleTransport}, the
 * one-file ring {@code RingTransport}.
 */
public interface Transport {

    /** Opens the channel stored in {@code directory}, creating it if missing. Several processes may open it. */
    Channel open(Path directory);

    /**
     * Opens a channel whose files roll by size, not by time: a writer whose current file holds more than
     * {@code rollBytes} advances {@code segments}, which every process that opens the channel must share, and every
     * appender and reader of the channel moves on to a new file. Files whose documents are consumed are then
     * released by {@link Channel#reclaimBefore}, so the channel's disk follows what is unconsumed, not its history.
     * A transport without files, or without rolling files (the ring transport), ignores the counter.
     */
    default Channel open(Path directory, SegmentCounter segments, long rollBytes) {
        return open(directory);
    }

    /** A counter shared between processes (a flag-block word): the number of a channel's current file. */
    interface SegmentCounter {
        long get();

        boolean compareAndSet(long expected, long value);
    }
}
