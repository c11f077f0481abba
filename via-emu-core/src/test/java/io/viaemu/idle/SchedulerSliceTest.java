package io.viaemu.idle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;

/** A thread's short scheduler slice: taken, read back from the kernel, given back as it was. */
class SchedulerSliceTest {

    @Test
    void aShortenedSliceIsTheKernelsAndIsGivenBack() throws Exception {
        assumeTrue(SchedulerSlice.current() > 0, "no sched_getattr here");
        long[] seen = new long[3];
        Thread t = new Thread(() -> {
            seen[0] = SchedulerSlice.current();
            long before = SchedulerSlice.shortenTo(SchedulerSlice.MIN_SLICE_NANOS);
            seen[1] = SchedulerSlice.current();
            SchedulerSlice.restore(before);
            seen[2] = SchedulerSlice.current();
        });
        t.start();
        t.join(10_000);
        assertThat(seen[1]).as("the slice while shortened").isEqualTo(SchedulerSlice.MIN_SLICE_NANOS);
        assertThat(seen[2]).as("given back").isEqualTo(seen[0]);
    }

    @Test
    void aSliceAlreadyShortIsLeftAlone() throws Exception {
        assumeTrue(SchedulerSlice.current() > 0, "no sched_getattr here");
        long[] seen = new long[2];
        Thread t = new Thread(() -> {
            long outer = SchedulerSlice.shortenTo(SchedulerSlice.MIN_SLICE_NANOS);
            long inner = SchedulerSlice.shortenTo(SchedulerSlice.MIN_SLICE_NANOS); // a nested wait: nothing to change, nothing to give back
            seen[0] = inner;
            SchedulerSlice.restore(inner);
            seen[1] = SchedulerSlice.current();
            SchedulerSlice.restore(outer);
        });
        t.start();
        t.join(10_000);
        assertThat(seen[0]).isEqualTo(SchedulerSlice.UNCHANGED);
        assertThat(seen[1]).isEqualTo(SchedulerSlice.MIN_SLICE_NANOS);
    }
}
