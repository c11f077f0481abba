package io.viaemu.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/** A via-emu background thread made by a pinned thread runs on every CPU: the pin is not inherited. */
class ThreadAffinityTest {

    @Test
    void aBackgroundThreadOfAPinnedThreadMayRunOnEveryCpu() throws Exception {
        int cpus = Runtime.getRuntime().availableProcessors();
        assumeTrue(ThreadAffinity.available() && cpus >= 2, "needs the affinity calls and 2 CPUs");
        assertThat(ThreadAffinity.allowedCpus()).isEqualTo(cpus);
        CompletableFuture<int[]> seen = new CompletableFuture<>();
        Thread pinned = new Thread(() -> {
            try {
                if (!ThreadAffinity.pinCurrentThread(0)) {
                    seen.complete(null); // CPU 0 not ours (a cpuset without it): nothing to test here
                    return;
                }
                int own = ThreadAffinity.allowedCpus();
                CompletableFuture<Integer> background = new CompletableFuture<>();
                Thread t = BackgroundThreads.daemon("affinity-test", () -> background.complete(
                        ThreadAffinity.allowedCpus()));
                t.start();
                seen.complete(new int[] {own, background.get(30, TimeUnit.SECONDS)});
            } catch (Throwable e) {
                seen.completeExceptionally(e);
            }
        }, "pinned-creator");
        pinned.start();
        int[] cpusSeen = seen.get(60, TimeUnit.SECONDS);
        pinned.join(10_000);
        assumeTrue(cpusSeen != null, "cannot pin a thread to CPU 0 here");
        assertThat(cpusSeen[0]).as("the creator, pinned").isEqualTo(1);
        assertThat(cpusSeen[1]).as("its background thread").isEqualTo(cpus);
        assertThat(ThreadAffinity.unpinCurrentThread()).as("this thread was not pinned").isFalse();
    }
}
