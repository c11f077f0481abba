package io.viaemu.idle;

import java.io.IOException;
import java.lang.ref.WeakReference;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which doorbell the readers of a queue park on, so that every append to a queue rings it, whoever appends (the
 * transport rings after each append; see {@code ChronicleTransport}):
 * <ul>
 * <li>a connection's {@code up} and {@code down} queues: the server side's and the client's doorbell in the
 * connection's flag block (the {@code flags} file beside them, at {@link #CLIENT_OFFSET} and
 * {@link #SERVER_OFFSET});</li>
 * <li>any other queue (an endpoint's listen queue, a worker's inbox): a doorbell file beside it,
 * {@code <queue>.bell}.</li>
 * </ul>
 * A flag block open in this process lends its doorbells ({@link #register}); otherwise the file is mapped here.
 */
public final class QueueDoorbells {
    /** Offset of the client's doorbell in a flag block (its down queue and its flags). */
    public static final int CLIENT_OFFSET = 4096 - 2 * Doorbell.SIZE;
    /** Offset of the server side's doorbell in a flag block (the up queue, parent's and child's flags). */
    public static final int SERVER_OFFSET = 4096 - Doorbell.SIZE;
    static final String FLAGS_FILE = "flags";

    /** Flag blocks' doorbells by connection directory: {client, server}. */
    private static final Map<Path, WeakReference<Doorbell[]>> CONNECTIONS = new ConcurrentHashMap<>();
    /** Doorbell files by queue directory. */
    private static final Map<Path, Doorbell> FILES = new ConcurrentHashMap<>();

    private QueueDoorbells() {
    }

    /** A flag block in {@code connectionDir} is mapped in this process: its doorbells serve its queues. */
    public static void register(Path connectionDir, Doorbell client, Doorbell server) {
        if (CONNECTIONS.size() > 4_096) {
            CONNECTIONS.values().removeIf(r -> r.get() == null);
        }
        CONNECTIONS.put(connectionDir.toAbsolutePath().normalize(), new WeakReference<>(new Doorbell[] {client, server}));
    }

    /** The doorbell the readers of the queue in {@code queueDir} park on; null if there is none. */
    public static Doorbell forQueue(Path queueDir) {
        Path dir = queueDir.toAbsolutePath().normalize();
        String name = dir.getFileName().toString();
        if (name.equals("up") || name.equals("down")) {
            Path connectionDir = dir.getParent();
            int side = name.equals("down") ? 0 : 1;
            WeakReference<Doorbell[]> ref = CONNECTIONS.get(connectionDir);
            Doorbell[] bells = ref == null ? null : ref.get();
            if (bells != null) {
                return bells[side];
            }
            return mapFlagBlock(connectionDir, side);
        }
        return FILES.computeIfAbsent(dir, QueueDoorbells::mapFile);
    }

    /** The doorbell file of the queue in {@code queueDir} (created if missing). */
    public static Path fileFor(Path queueDir) {
        return queueDir.resolveSibling(queueDir.getFileName() + ".bell");
    }

    /** Forgets the doorbell of a queue whose directory is going away. */
    public static void forget(Path queueDir) {
        FILES.remove(queueDir.toAbsolutePath().normalize());
    }

    private static Doorbell mapFile(Path queueDir) {
        try {
            return Doorbell.openFile(fileFor(queueDir));
        } catch (IOException e) {
            return null; // its reader has none either: it parks for bounded times
        }
    }

    private static Doorbell mapFlagBlock(Path connectionDir, int side) {
        Path flags = connectionDir.resolve(FLAGS_FILE);
        if (!Files.exists(flags)) {
            return null;
        }
        try (FileChannel ch = FileChannel.open(flags, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            if (ch.size() < 4096) {
                return null;
            }
            MappedByteBuffer map = ch.map(FileChannel.MapMode.READ_WRITE, 0, 4096);
            Doorbell client = new Doorbell(map, CLIENT_OFFSET, flags + "#client");
            Doorbell server = new Doorbell(map, SERVER_OFFSET, flags + "#server");
            register(connectionDir, client, server);
            return side == 0 ? client : server;
        } catch (IOException e) {
            return null;
        }
    }
}
