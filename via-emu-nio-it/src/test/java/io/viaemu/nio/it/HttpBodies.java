package io.viaemu.nio.it;

import java.util.Random;

/** Deterministic bodies both ends can compute: the test's byte-for-byte checks. */
public final class HttpBodies {
    /** Sizes from empty to 1 MiB, across document and window boundaries. */
    public static final int[] SIZES = {0, 1, 1000, 65_535, 65_536, 262_145, 1 << 19, (1 << 20) - 1, 1 << 20};

    private HttpBodies() {
    }

    public static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }
}
