package io.viaemu.transport.memory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.viaemu.idle.Doorbell;
import io.viaemu.idle.QueueDoorbells;
import io.viaemu.transport.Channel;
import io.viaemu.transport.ChannelReader;
import io.viaemu.transport.Document;
import io.viaemu.transport.Transport;

/**
 * A transport whose channels live in this JVM's memory: every {@link #open} of the same directory, from any
 * thread, shares one ordered sequence of documents. Nothing touches the disk; the directories only name the
 * channels. It is the test double of the transport SPI (roles driven in one JVM, like Netty's
 * {@code EmbeddedChannel}) and the second implementation the SPI is checked against.
 *
 * <p>Indices start at 1 (0 and negative values mean "none" to the protocol) and grow by one per document. An
 * append to a connection's {@code up} or {@code down} channel rings the doorbell its readers park on, when a flag
 * block in this JVM lends one ({@link QueueDoorbells#register}, an in-memory flag block does), as the Chronicle
 * transport does. {@link Channel#reclaimBefore} drops the documents before the index (their indices stay).
 */
public final class MemoryTransport implements Transport {

    private final Map<Path, Store> stores = new ConcurrentHashMap<>();

    @Override
    public Channel open(Path directory) {
        Path dir = directory.toAbsolutePath().normalize();
        return new MemoryChannel(dir, stores.computeIfAbsent(dir, Store::new));
    }

    /** The documents appended so far to the channel in {@code directory} (reclaimed ones as null), for tests. */
    public List<byte[]> documents(Path directory) {
        Store store = stores.get(directory.toAbsolutePath().normalize());
        if (store == null) {
            return List.of();
        }
        synchronized (store) {
            List<byte[]> copy = new ArrayList<>(store.documents.size());
            for (byte[] d : store.documents) {
                copy.add(d == null ? null : d.clone());
            }
            return copy;
        }
    }

    /** One channel's documents; its monitor guards them. */
    private static final class Store {
        final Path directory;
        final List<byte[]> documents = new ArrayList<>();
        final boolean connectionQueue;

        Store(Path directory) {
            this.directory = directory;
            String name = directory.getFileName() == null ? "" : directory.getFileName().toString();
            this.connectionQueue = name.equals("up") || name.equals("down");
        }

        synchronized long append(byte[] header, int headerLength, byte[] payload, int off, int len) {
            byte[] d = Arrays.copyOf(header, headerLength + len);
            System.arraycopy(payload, off, d, headerLength, len);
            documents.add(d);
            return documents.size(); // index of document i (0-based) is i + 1
        }

        synchronized byte[] get(long index) {
            return index >= 1 && index <= documents.size() ? documents.get((int) (index - 1)) : null;
        }

        synchronized long size() {
            return documents.size();
        }

        synchronized void reclaimBefore(long index) {
            for (long i = 1; i < index && i <= documents.size(); i++) {
                documents.set((int) (i - 1), null);
            }
        }

        synchronized boolean isReclaimed(long index) {
            return index >= 1 && index <= documents.size() && documents.get((int) (index - 1)) == null;
        }
    }

    private static final class MemoryChannel implements Channel {
        private final Path directory;
        private final Store store;

        MemoryChannel(Path directory, Store store) {
            this.directory = directory;
            this.store = store;
        }

        @Override
        public Path directory() {
            return directory;
        }

        @Override
        public long append(byte[] header, int headerLength, byte[] payload, int off, int len) {
            long index = store.append(header, headerLength, payload, off, len);
            if (store.connectionQueue) {
                Doorbell bell = QueueDoorbells.forQueue(directory); // null unless a flag block here lends one
                if (bell != null) {
                    bell.ring();
                }
            }
            return index;
        }

        @Override
        public void prepareToAppend() {
            // nothing to map
        }

        @Override
        public ChannelReader reader() {
            return new MemoryReader(store);
        }

        @Override
        public void reclaimBefore(long index) {
            store.reclaimBefore(index);
        }

        @Override
        public boolean isReclaimed(long index) {
            return store.isReclaimed(index); // freed one by one, as the ring frees them
        }

        @Override
        public void close() {
            // the documents belong to the transport: other handles may still read them
        }

        @Override
        public String toString() {
            return "MemoryChannel{" + directory + "}";
        }
    }

    private static final class MemoryReader implements ChannelReader {
        private final Store store;
        /** Index of the next document to read. */
        private long next = 1;

        MemoryReader(Store store) {
            this.store = store;
        }

        @Override
        public boolean next(Document into) {
            byte[] d = take();
            if (d == null) {
                return false;
            }
            System.arraycopy(d, 0, into.prepare(next - 1, d.length), 0, d.length);
            return true;
        }

        @Override
        public int nextDirect(Document into, byte[] prefix, byte[] dst, int off, int len) {
            byte[] d = take();
            if (d == null) {
                return NONE;
            }
            long index = next - 1;
            boolean matches = d.length >= prefix.length && d.length - prefix.length <= len
                    && Arrays.equals(d, 0, prefix.length, prefix, 0, prefix.length);
            if (matches) {
                into.prepare(index, 0);
                System.arraycopy(d, prefix.length, dst, off, d.length - prefix.length);
                return d.length - prefix.length;
            }
            System.arraycopy(d, 0, into.prepare(index, d.length), 0, d.length);
            return HELD;
        }

        /** The next document, moving past it; reclaimed ones are skipped. Null if there is none yet. */
        private byte[] take() {
            while (next <= store.size()) {
                byte[] d = store.get(next++);
                if (d != null) {
                    return d;
                }
            }
            return null;
        }

        @Override
        public boolean moveToIndex(long index) {
            if (store.get(index) == null) {
                return false;
            }
            next = index;
            return true;
        }

        @Override
        public void toStart() {
            next = 1;
        }

        @Override
        public void toEnd() {
            next = store.size() + 1;
        }

        @Override
        public void close() {
            // nothing held
        }
    }
}
