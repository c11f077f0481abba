package io.viaemu.idle;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The doorbell in one JVM: a parked waiter is woken, no wake-up is lost under races, a park ends at its timeout. */
class DoorbellTest {
    @TempDir
    Path tmp;

    @Test
    void futexIsAvailableOnThisLinux() {
        assertThat(Doorbell.futexAvailable()).as("the tests below would only test the fallback").isTrue();
    }

    /** The futex word's address is resolved on first use (not at construction): the word the offset names. */
    @Test
    void theFutexAddressIsTheWordAtTheDoorbellsOffset() {
        ByteBuffer direct = ByteBuffer.allocateDirect(3 * Doorbell.SIZE);
        Doorbell second = new Doorbell(direct, Doorbell.SIZE, "second");
        assertThat(second.futexAddress()).isEqualTo(LinuxCalls.address(direct) + Doorbell.SIZE)
                .isEqualTo(second.futexAddress());
    }

    @Test
    void ringWakesAParkedWaiter() throws Exception {
        Doorbell bell = Doorbell.openFile(tmp.resolve("a.bell"));
        AtomicBoolean condition = new AtomicBoolean();
        CountDownLatch parked = new CountDownLatch(1);
        AtomicLong wokeAfterRing = new AtomicLong(-1);
        AtomicLong ringAt = new AtomicLong();
        Thread waiter = new Thread(() -> {
            BackoffIdleStrategy idle = new BackoffIdleStrategy(0, 0, 1_000, 1_000);
            try {
                while (!condition.get()) {
                    idle.idle(bell, Long.MAX_VALUE); // no deadline: only a ring ends the park
                    if (idle.isParking()) {
                        parked.countDown();
                    }
                }
                wokeAfterRing.set(System.nanoTime() - ringAt.get());
            } finally {
                idle.reset();
            }
        });
        waiter.start();
        assertThat(parked.await(10, TimeUnit.SECONDS)).isTrue();
        awaitWaiting(waiter);
        assertThat(bell.waiters()).isEqualTo(1);
        ringAt.set(System.nanoTime());
        condition.set(true);
        bell.ring();
        waiter.join(10_000);
        assertThat(waiter.isAlive()).as("woken by the ring").isFalse();
        assertThat(wokeAfterRing.get()).isBetween(0L, TimeUnit.SECONDS.toNanos(5));
        assertThat(bell.waiters()).as("reset() took the waiter off the doorbell").isZero();
    }

    @Test
    void aRingThroughAnotherMappingOfTheFileWakesTheWaiter() throws Exception {
        Path file = tmp.resolve("shared.bell");
        Doorbell waiterSide = Doorbell.openFile(file);
        Doorbell ringerSide = Doorbell.openFile(file); // a second mapping, as another process has
        AtomicBoolean condition = new AtomicBoolean();
        Thread waiter = new Thread(() -> {
            IdleStrategy idle = new BackoffIdleStrategy(0, 0, 1_000, 1_000);
            try {
                while (!condition.get()) {
                    idle.idle(waiterSide, Long.MAX_VALUE);
                }
            } finally {
                idle.reset();
            }
        });
        waiter.start();
        awaitWaiting(waiter);
        condition.set(true);
        ringerSide.ring();
        waiter.join(10_000);
        assertThat(waiter.isAlive()).isFalse();
    }

    @Test
    void noWakeUpIsLostWhenRingsRaceWithParks() throws Exception {
        // ping-pong through two doorbells, both sides parking at once: a lost wake-up leaves both parked forever
        Doorbell ping = Doorbell.openFile(tmp.resolve("ping.bell"));
        Doorbell pong = Doorbell.openFile(tmp.resolve("pong.bell"));
        AtomicLong pings = new AtomicLong();
        AtomicLong pongs = new AtomicLong();
        int rounds = 20_000;
        AtomicReference<Throwable> failure = new AtomicReference<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        Thread ponger = new Thread(() -> {
            IdleStrategy idle = new BackoffIdleStrategy(0, 0, 1_000, 1_000);
            try {
                for (long i = 1; i <= rounds; i++) {
                    while (pings.get() < i) {
                        if (System.nanoTime() > deadline) {
                            throw new AssertionError("ponger stuck at " + i);
                        }
                        idle.idle(ping, deadline);
                    }
                    idle.reset();
                    pongs.set(i);
                    pong.ring();
                }
            } catch (Throwable e) {
                failure.set(e);
            } finally {
                idle.reset();
            }
        });
        ponger.start();
        IdleStrategy idle = new BackoffIdleStrategy(0, 0, 1_000, 1_000);
        for (long i = 1; i <= rounds; i++) {
            pings.set(i);
            ping.ring();
            while (pongs.get() < i) {
                assertThat(System.nanoTime()).as("pinger stuck at %d", i).isLessThan(deadline);
                idle.idle(pong, deadline);
            }
            idle.reset();
        }
        ponger.join(10_000);
        assertThat(failure.get()).isNull();
        assertThat(pongs.get()).isEqualTo(rounds);
        assertThat(ping.waiters()).isZero();
        assertThat(pong.waiters()).isZero();
    }

    @Test
    void aParkEndsAtItsDeadlineWithoutARing() {
        Doorbell bell = Doorbell.local("timeout");
        IdleStrategy idle = new BackoffIdleStrategy(0, 0, 1_000, 1_000);
        long start = System.nanoTime();
        long deadline = start + TimeUnit.MILLISECONDS.toNanos(200);
        try {
            while (System.nanoTime() - deadline < 0) {
                idle.idle(bell, deadline);
            }
        } finally {
            idle.reset();
        }
        long took = System.nanoTime() - start;
        assertThat(took).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(200))
                .isLessThan(TimeUnit.SECONDS.toNanos(5));
        assertThat(bell.waiters()).isZero();
    }

    @Test
    void ringWithoutWaitersDoesNotChangeTheSequence() {
        Doorbell bell = Doorbell.local("quiet");
        int seq = bell.sequence();
        bell.ring();
        assertThat(bell.sequence()).as("the writer's hot path: a fence and a read").isEqualTo(seq);
        bell.arm();
        bell.ring();
        assertThat(bell.sequence()).isEqualTo(seq + 1);
        bell.disarm();
    }

    /** Gives {@code t} time to enter its futex wait (a thread in a native call stays RUNNABLE for the JVM). */
    private static void awaitWaiting(Thread t) throws InterruptedException {
        // a ring that comes earlier is not lost either (the race test's subject): this only makes the test meaningful
        TimeUnit.MILLISECONDS.sleep(200);
    }
}
