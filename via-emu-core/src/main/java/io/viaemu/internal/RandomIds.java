package io.viaemu.internal;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * Random 64-bit values for ids, grant tokens and nonces ({@link Layout#randomId()}), from the kernel's
 * cryptographically secure generator: 512 bytes of {@code /dev/urandom} per 64 values (one open, read and close),
 * the source the JDK's default {@code SecureRandom} on Linux ({@code NativePRNG}) reads too. Read directly, a fresh
 * JVM's first connect does not pay for the JDK's security-provider set-up that the first {@code new SecureRandom()}
 * costs (15-25 ms on this 2-core machine, async-profiler). Where {@code /dev/urandom} cannot be read, a
 * {@link SecureRandom} (made then) fills the buffer instead.
 */
final class RandomIds {
    private static final String URANDOM = "/dev/urandom";
    private static final int BATCH = 64;
    private static final long[] VALUES = new long[BATCH];
    private static int left;

    private RandomIds() {
    }

    /** The JDK's generator, made only where /dev/urandom fails. */
    private static final class Fallback {
        static final SecureRandom RANDOM = new SecureRandom();
    }

    /** The next random value (any 64 bits). */
    static synchronized long next() {
        if (left == 0) {
            byte[] bytes = new byte[BATCH * Long.BYTES];
            if (!readUrandom(bytes)) {
                Fallback.RANDOM.nextBytes(bytes);
            }
            ByteBuffer.wrap(bytes).asLongBuffer().get(VALUES);
            Arrays.fill(bytes, (byte) 0);
            left = BATCH;
        }
        long value = VALUES[--left];
        VALUES[left] = 0; // a value handed out is not kept in memory
        return value;
    }

    /** True if {@code bytes} were filled from {@link #URANDOM}. */
    static boolean readUrandom(byte[] bytes) {
        try (InputStream in = new FileInputStream(URANDOM)) {
            return in.readNBytes(bytes, 0, bytes.length) == bytes.length;
        } catch (IOException | SecurityException e) {
            return false;
        }
    }
}
