package io.viaemu.internal;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One server per endpoint, and a way for clients to tell at once that nobody listens (like ECONNREFUSED instead of a
 * timeout). The server holds an OS file lock on {@code BASE/ENDPOINT/server.lock} and writes its pid and start time
 * into it; the kernel drops the lock when the server dies, even by kill -9.
 */
public final class EndpointLock implements Closeable {
    static final String FILE = "server.lock";

    /** The last record read of each lock file, by path ({@link #recordedOwner}). */
    private static final Map<Path, Record> RECORDS = new ConcurrentHashMap<>();

    private final FileChannel channel;
    private final FileLock lock;

    private EndpointLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /** @throws IOException naming the live server if another process holds the endpoint */
    public static EndpointLock acquire(Path endpointDir, String endpoint) throws IOException {
        FilePermissions.createPrivateDirectories(endpointDir);
        Path file = endpointDir.resolve(FILE);
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        FilePermissions.makePrivate(file);
        FileLock lock;
        try {
            lock = ch.tryLock();
        } catch (OverlappingFileLockException sameJvm) {
            lock = null;
        }
        if (lock == null) {
            ch.close();
            throw new IOException("endpoint '" + endpoint + "' already has a server (pid " + ownerPid(endpointDir)
                    + ")");
        }
        ch.truncate(0);
        ch.write(ByteBuffer.wrap((Processes.currentPid() + " " + Processes.currentStart() + "\n")
                .getBytes(StandardCharsets.US_ASCII)), 0);
        return new EndpointLock(ch, lock);
    }

    /** The pid of the live server of the endpoint, or -1 if none runs. */
    public static long ownerPid(Path endpointDir) {
        long[] owner = recordedOwner(endpointDir);
        return owner != null && Processes.isAlive(owner[0], owner[1]) ? owner[0] : -1;
    }

    /**
     * {pid, start millis} of the server the endpoint's lock file names, alive or not (a killed server leaves its
     * record; a stopped one empties it), or null if it names none.
     */
    public static long[] recordedOwner(Path endpointDir) {
        Path file = endpointDir.resolve(FILE);
        try {
            // one stat instead of open, read and close on every connect: a server that starts writes the file, one
            // that stops truncates it, so the same file (inode), size and modification time mean the same record
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            Record cached = RECORDS.get(file);
            if (cached != null && cached.matches(a)) {
                return cached.owner().clone();
            }
            String[] s = Files.readString(file, StandardCharsets.US_ASCII).trim().split(" ");
            long[] owner = {Long.parseLong(s[0]), s.length > 1 ? Long.parseLong(s[1]) : 0};
            if (RECORDS.size() > 1024) {
                RECORDS.clear(); // endpoints this process connected to: few, but bounded
            }
            RECORDS.put(file, new Record(a.fileKey(), a.size(), a.lastModifiedTime(), owner.clone()));
            return owner;
        } catch (IOException | RuntimeException e) {
            RECORDS.remove(file);
            return null;
        }
    }

    /** What a lock file said when it had this inode, size and modification time. */
    private record Record(Object fileKey, long size, FileTime modified, long[] owner) {
        boolean matches(BasicFileAttributes a) {
            return fileKey != null && fileKey.equals(a.fileKey()) && size == a.size()
                    && modified.equals(a.lastModifiedTime());
        }
    }

    @Override
    public void close() throws IOException {
        try {
            channel.truncate(0); // a stopped server is no server, even if its pid lives on
            lock.release();
        } finally {
            channel.close();
        }
    }
}
