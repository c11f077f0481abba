package io.viaemu.idle;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import io.viaemu.internal.FilePermissions;
import org.slf4j.LoggerFactory;

/**
 * Spinning bounded by the machine's cores: a waiting thread spins only while it holds one of {@code cores} permits,
 * shared by every via-emu process of the user on this host; without one it parks on its doorbell at once. On a
 * machine with fewer cores than spinning waiters (a handover has three processes, each with a waiting thread or two,
 * on a 2-core host), a spinner only takes the CPU that the thread it waits for needs, and each step waits for the
 * scheduler to preempt a spinner; a parked waiter is woken by the ring as soon as the step is done.
 *
 * <p>The permits are slots in a small shared file ({@code /dev/shm/via-emu-spin-UID}, else under {@code java.io.tmpdir}),
 * each holding the {@link System#nanoTime()} (CLOCK_MONOTONIC: one clock for every process of the host) until which
 * its holder may spin: a lease. A process killed while it holds one cannot keep it: the lease runs out by itself.
 * A long spinner (BUSY) renews its lease while it spins.
 *
 * <p>{@code -Dvia.idle.spinners=N} sets the number of permits (default: {@link Runtime#availableProcessors()});
 * {@code 0} turns the bound off (every waiter spins, as before). Where the file cannot be mapped the bound is off.
 */
public final class SpinPermits {
    /** How long a permit is held without renewal. */
    public static final long LEASE_NANOS = 2_000_000L;
    private static final int STRIDE = 64; // a cache line per slot
    private static final int MAX_SLOTS = 64;
    private static final VarHandle LONGS = MethodHandles.byteBufferViewVarHandle(long[].class,
            ByteOrder.nativeOrder());
    private static final SpinPermits SHARED = open();

    private final ByteBuffer slots;
    private final int count;

    private SpinPermits(ByteBuffer slots, int count) {
        this.slots = slots;
        this.count = count;
    }

    /** The host's permits, or null when spinning is not bounded. */
    public static SpinPermits shared() {
        return SHARED;
    }

    /** Permits of this process only (tests). */
    static SpinPermits local(int count) {
        return new SpinPermits(ByteBuffer.allocateDirect(MAX_SLOTS * STRIDE), Math.min(count, MAX_SLOTS));
    }

    private static SpinPermits open() {
        int n = Integer.getInteger("via.idle.spinners", Runtime.getRuntime().availableProcessors());
        if (n <= 0) {
            return null;
        }
        try {
            Path file = file();
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE)) {
                FilePermissions.makePrivate(file);
                MappedByteBuffer map = ch.map(FileChannel.MapMode.READ_WRITE, 0, MAX_SLOTS * STRIDE);
                return new SpinPermits(map, Math.min(n, MAX_SLOTS));
            }
        } catch (IOException | RuntimeException e) {
            LoggerFactory.getLogger(SpinPermits.class).info("spinning is not bounded by the cores: {}", e.toString());
            return null;
        }
    }

    private static Path file() throws IOException {
        Object uid;
        try {
            uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (IOException | RuntimeException e) {
            uid = System.getProperty("user.name", "user");
        }
        Path shm = Path.of("/dev/shm");
        Path dir = Files.isDirectory(shm) && Files.isWritable(shm) ? shm : Path.of(System.getProperty("java.io.tmpdir"));
        return dir.resolve("via-emu-spin-" + uid);
    }

    /** Number of permits. */
    public int count() {
        return count;
    }

    /**
     * Takes a free (or expired) permit until {@code now + LEASE_NANOS}; returns its slot, or -1 if all are held.
     * {@code hint} spreads the threads over the slots.
     */
    public int acquire(long now, int hint) {
        long until = now + LEASE_NANOS;
        int start = Math.floorMod(hint, count);
        for (int i = 0; i < count; i++) {
            int slot = (start + i) % count;
            int at = slot * STRIDE;
            long held = (long) LONGS.getVolatile(slots, at);
            if ((held == 0 || held - now < 0) && LONGS.compareAndSet(slots, at, held, until)) {
                return slot;
            }
        }
        return -1;
    }

    /** Extends the lease of a held permit; false if it ran out and another waiter took it meanwhile. */
    public boolean renew(int slot, long lease, long now) {
        return LONGS.compareAndSet(slots, slot * STRIDE, lease, now + LEASE_NANOS);
    }

    /** The lease of {@code slot} as held now (to renew or release it). */
    public long lease(int slot) {
        return (long) LONGS.getVolatile(slots, slot * STRIDE);
    }

    /** Gives the permit back, unless its lease ran out and another waiter holds it now. */
    public void release(int slot, long lease) {
        LONGS.compareAndSet(slots, slot * STRIDE, lease, 0L);
    }

    /** Permits held now (tests and diagnostics). */
    public int held(long now) {
        int n = 0;
        for (int i = 0; i < count; i++) {
            long held = (long) LONGS.getVolatile(slots, i * STRIDE);
            if (held != 0 && held - now >= 0) {
                n++;
            }
        }
        return n;
    }

    /**
     * One waiting thread's hold on a permit: its slot and lease. The one place the idle strategies keep a permit
     * (not thread-safe: one per strategy, which serves one thread).
     */
    static final class Hold {
        private final SpinPermits permits;
        private int slot = -1;
        private long lease;

        Hold(SpinPermits permits) {
            this.permits = permits;
        }

        boolean held() {
            return slot >= 0;
        }

        /** Takes a free (or expired) permit until {@code now + LEASE_NANOS}; false if all are held. */
        boolean take(long now) {
            int s = permits.acquire(now, (int) Thread.currentThread().getId());
            if (s < 0) {
                return false;
            }
            slot = s;
            lease = now + LEASE_NANOS;
            return true;
        }

        /**
         * Renews the lease once half of it is gone. False, and no longer held, if it ran out (the thread was
         * descheduled) and another waiter took the permit: the holder asks again.
         */
        boolean renewIfDue(long now) {
            if (lease - now >= LEASE_NANOS / 2) {
                return true;
            }
            if (permits.renew(slot, lease, now)) {
                lease = now + LEASE_NANOS;
                return true;
            }
            slot = -1;
            return false;
        }

        /** Gives the permit back if held. */
        void release() {
            if (slot >= 0) {
                permits.release(slot, lease);
                slot = -1;
            }
        }

        /** The permits this hold takes from. */
        SpinPermits permits() {
            return permits;
        }
    }
}
