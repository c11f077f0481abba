package io.viaemu.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import io.viaemu.idle.LinuxCalls;

/**
 * The calling thread's CPU affinity through {@code sched_getaffinity(2)} / {@code sched_setaffinity(2)} on the
 * thread itself (pid 0), by {@link LinuxCalls#syscall}: what {@link BackgroundThreads#unpin()} needs, without
 * Chronicle's affinity library, whose initialisation (JNA library proxies, {@code uname}, its own libc binding)
 * cost every fresh client 20-50 ms of CPU on the background threads its first connect starts (async-profiler,
 * README "Connects, connection rate and first connect").
 */
public final class ThreadAffinity {
    private static final String ARCH = System.getProperty("os.arch", "");
    private static final long SYS_SCHED_SETAFFINITY = ARCH.equals("amd64") || ARCH.equals("x86_64") ? 203
            : ARCH.equals("aarch64") ? 122 : -1;
    private static final long SYS_SCHED_GETAFFINITY = ARCH.equals("amd64") || ARCH.equals("x86_64") ? 204
            : ARCH.equals("aarch64") ? 123 : -1;
    /** Bytes of the CPU mask passed to the kernel: 8,192 CPUs (the kernel wants at least its own mask's size). */
    static final int MASK_BYTES = 1024;

    private ThreadAffinity() {
    }

    /** True where the calls can be made (Linux on x86_64 or aarch64 with JNA). */
    public static boolean available() {
        return SYS_SCHED_GETAFFINITY > 0 && LinuxCalls.BOUND;
    }

    /** CPUs the calling thread may run on; -1 if unknown. */
    public static int allowedCpus() {
        if (!available()) {
            return -1;
        }
        ByteBuffer mask = mask();
        if (LinuxCalls.syscall(SYS_SCHED_GETAFFINITY, 0, MASK_BYTES, LinuxCalls.address(mask), 0, 0, 0) <= 0) {
            return -1;
        }
        int n = 0;
        for (int i = 0; i < MASK_BYTES; i += Long.BYTES) {
            n += Long.bitCount(mask.getLong(i));
        }
        return n;
    }

    /**
     * Lets the calling thread run on every CPU this process may use, if it may run on fewer now (it inherited a pin of
     * the thread that made it); true if that widened its affinity. The mask asked for has every bit set: the kernel
     * keeps only the CPUs that are online and in the process's cpuset. Not {@code Runtime.availableProcessors()} as
     * the measure of "every CPU": HotSpot counts the calling thread's own affinity there, so a pinned thread's child
     * sees 1 and would stay pinned. Best effort: false where the calls fail.
     */
    public static boolean unpinCurrentThread() {
        int before = allowedCpus();
        if (before < 0) {
            return false;
        }
        ByteBuffer mask = mask();
        for (int i = 0; i < MASK_BYTES; i += Long.BYTES) {
            mask.putLong(i, -1L);
        }
        if (LinuxCalls.syscall(SYS_SCHED_SETAFFINITY, 0, MASK_BYTES, LinuxCalls.address(mask), 0, 0, 0) != 0) {
            return false;
        }
        return allowedCpus() > before;
    }

    /** Pins the calling thread to {@code cpu} alone (tests); true if the kernel took it. */
    static boolean pinCurrentThread(int cpu) {
        if (!available() || cpu < 0 || cpu >= MASK_BYTES * 8) {
            return false;
        }
        ByteBuffer mask = mask();
        int index = cpu / Long.SIZE * Long.BYTES;
        mask.putLong(index, 1L << (cpu % Long.SIZE));
        return LinuxCalls.syscall(SYS_SCHED_SETAFFINITY, 0, MASK_BYTES, LinuxCalls.address(mask), 0, 0, 0) == 0;
    }

    private static ByteBuffer mask() {
        return ByteBuffer.allocateDirect(MASK_BYTES).order(ByteOrder.nativeOrder());
    }
}
