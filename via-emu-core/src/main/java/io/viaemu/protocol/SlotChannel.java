package io.viaemu.protocol;

import java.nio.file.Path;

import io.viaemu.transport.Channel;
import io.viaemu.transport.ChannelReader;
import io.viaemu.transport.Document;
import java.io.IOException;

/**
 * A connection slot's queue as each use of the slot sees it: the same open channel and the same reader across
 * uses. A new reader of a file-backed queue maps the queue's current file again (with Chronicle, a tailer acquires
 * its store, and a store nothing else holds was released with the last tailer); keeping the one reader keeps that
 * mapping, so a use's reader only moves past the previous use's last document
 * ({@link InboundStream#startAfter}). One use at a time reads it (a slot has one use at a time); closing the reader
 * a use was given detaches that use from it (it reads nothing more, so never the next use's documents), closing this
 * channel closes both.
 */
public final class SlotChannel implements Channel {
    private final Channel channel;
    private ChannelReader reader;

    public SlotChannel(Channel channel) {
        this.channel = channel;
    }

    @Override
    public Path directory() {
        return channel.directory();
    }

    @Override
    public long append(byte[] header, int headerLength, byte[] payload, int off, int len) {
        return channel.append(header, headerLength, payload, off, len);
    }

    @Override
    public long append(byte[] header, int headerLength, byte[] payload, int off, int len, SpaceWait wait)
            throws IOException {
        return channel.append(header, headerLength, payload, off, len, wait);
    }

    @Override
    public void prepareToAppend() {
        channel.prepareToAppend();
    }

    /** The slot's reader, kept open (made on first call): its {@code close} leaves it open for the next use. */
    @Override
    public synchronized ChannelReader reader() {
        if (reader == null) {
            reader = channel.reader();
        }
        ChannelReader kept = reader;
        return new ChannelReader() {
            /** Closed: this use is over and reads nothing more (guarded by the stream's read lock, as all reads). */
            private boolean detached;

            @Override
            public boolean next(Document into) {
                return !detached && kept.next(into);
            }

            @Override
            public int nextDirect(Document into, byte[] prefix, byte[] dst, int off, int len) {
                return detached ? NONE : kept.nextDirect(into, prefix, dst, off, len);
            }

            @Override
            public boolean moveToIndex(long index) {
                return !detached && kept.moveToIndex(index);
            }

            @Override
            public void toStart() {
                if (!detached) {
                    kept.toStart();
                }
            }

            @Override
            public void toEnd() {
                if (!detached) {
                    kept.toEnd();
                }
            }

            @Override
            public void close() {
                detached = true; // the slot's next use reads on with the reader; SlotChannel.close() closes it
            }
        };
    }

    @Override
    public void reclaimBefore(long index) {
        channel.reclaimBefore(index);
    }

    @Override
    public boolean isReclaimed(long index) {
        return channel.isReclaimed(index);
    }

    @Override
    public long roomNow(int headerLength) {
        return channel.roomNow(headerLength);
    }

    @Override
    public synchronized void close() {
        if (reader != null) {
            reader.close();
            reader = null;
        }
        channel.close();
    }
}
