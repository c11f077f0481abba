package io.viaemu.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

/** Ids from /dev/urandom: positive, never 0, distinct, and not a sequence. */
class RandomIdsTest {

    @Test
    void theKernelsGeneratorFillsTheBuffer() {
        byte[] bytes = new byte[512];
        assertThat(RandomIds.readUrandom(bytes)).isTrue();
        int zeros = 0;
        for (byte b : bytes) {
            zeros += b == 0 ? 1 : 0;
        }
        assertThat(zeros).as("512 random bytes are not mostly zero").isLessThan(20);
    }

    @Test
    void idsAcrossSeveralBatchesArePositiveAndDistinct() {
        Set<Long> seen = new HashSet<>();
        int bitsSet = 0;
        for (int i = 0; i < 1_000; i++) { // ~16 refills of 64
            long id = Layout.randomId();
            assertThat(id).isPositive();
            assertThat(seen.add(id)).as("id %d repeated", id).isTrue();
            bitsSet += Long.bitCount(id);
        }
        // 63 random bits each: about half set (31.5 per id); a counter or a constant would be far off
        assertThat(bitsSet / 1_000.0).isBetween(29.0, 34.0);
    }
}
