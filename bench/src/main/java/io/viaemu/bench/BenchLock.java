package io.viaemu.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;

/**
 * A machine-wide lock (an OS file lock on {@code <java.io.tmpdir>/via-emu-bench.lock}) held for a whole benchmark run,
 * so that two runs started at the same time (two engineers, or a run and a handover benchmark) take turns instead of
 * running four peers on two cores and spoiling each other's figures. The OS drops the lock when the holder dies.
 */
final class BenchLock implements AutoCloseable {

    static final Path DEFAULT_FILE = Path.of(System.getProperty("java.io.tmpdir"), "via-emu-bench.lock");

    private final FileChannel channel;
    private final FileLock lock;

    private BenchLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Takes the lock, waiting up to {@code waitSec} seconds for another run to finish.
     *
     * @throws IOException when the lock is still held after {@code waitSec}
     */
    static BenchLock acquire(Path file, long waitSec) throws IOException, InterruptedException {
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(waitSec);
            boolean told = false;
            while (true) {
                FileLock lock = channel.tryLock();
                if (lock != null) {
                    byte[] pid = (ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8);
                    channel.truncate(0);
                    channel.write(ByteBuffer.wrap(pid), 0);
                    return new BenchLock(channel, lock);
                }
                if (System.nanoTime() > deadline) {
                    throw new IOException("another benchmark run (pid " + holder(channel) + ") still holds " + file
                            + " after " + waitSec + " s");
                }
                if (!told) {
                    System.err.println("[bench] waiting for another benchmark run (pid " + holder(channel)
                            + ", lock " + file + ") to finish, at most " + waitSec + " s");
                    told = true;
                }
                Thread.sleep(1000);
            }
        } catch (IOException | InterruptedException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    private static String holder(FileChannel channel) {
        try {
            ByteBuffer buf = ByteBuffer.allocate(32);
            int n = channel.read(buf, 0);
            return n > 0 ? new String(buf.array(), 0, n, StandardCharsets.UTF_8).trim() : "?";
        } catch (IOException e) {
            return "?";
        }
    }

    @Override
    public void close() throws IOException {
        try {
            lock.release();
        } finally {
            channel.close();
        }
    }
}
