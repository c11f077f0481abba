package io.viaemu.idle;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;

/** Spinning bounded by the cores: permits run out, come back on release and by themselves when a lease runs out. */
class SpinPermitsTest {

    @Test
    void noMoreSpinnersThanPermits() {
        SpinPermits p = SpinPermits.local(2);
        long now = System.nanoTime();
        int a = p.acquire(now, 0);
        int b = p.acquire(now, 0);
        assertThat(a).isNotNegative();
        assertThat(b).isNotNegative().isNotEqualTo(a);
        assertThat(p.acquire(now, 1)).as("both permits are held").isEqualTo(-1);
        assertThat(p.held(now)).isEqualTo(2);
        p.release(a, now + SpinPermits.LEASE_NANOS);
        assertThat(p.acquire(now, 0)).isEqualTo(a);
    }

    @Test
    void aLeaseThatRanOutIsTakenByTheNextSpinner() {
        SpinPermits p = SpinPermits.local(1);
        long now = System.nanoTime();
        int a = p.acquire(now, 0);
        assertThat(p.acquire(now + SpinPermits.LEASE_NANOS / 2, 0)).isEqualTo(-1);
        long later = now + SpinPermits.LEASE_NANOS + 1;
        // its holder was killed, or descheduled: the permit is free again without it
        assertThat(p.acquire(later, 0)).isEqualTo(a);
        assertThat(p.renew(a, now + SpinPermits.LEASE_NANOS, later)).as("the old holder's lease is gone").isFalse();
        p.release(a, now + SpinPermits.LEASE_NANOS); // the old holder's release leaves the new lease alone
        assertThat(p.held(later)).isEqualTo(1);
    }

    @Test
    void aBusyWaiterWithoutAPermitParksOnItsDoorbellAndTheRingWakesIt() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Doorbell.futexAvailable());
        Doorbell bell = new Doorbell(ByteBuffer.allocateDirect(Doorbell.SIZE), 0, "test");
        SpinPermits permits = SpinPermits.local(1);
        // the one permit is held by another spinner for the test's duration
        assertThat(permits.acquire(System.nanoTime() + TimeUnit.SECONDS.toNanos(60), 0)).isZero();
        AtomicBoolean condition = new AtomicBoolean();
        CountDownLatch done = new CountDownLatch(1);
        Thread waiter = new Thread(() -> {
            IdleStrategy idle = BusySpinIdleStrategy.bounded(permits);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!condition.get() && System.nanoTime() < deadline) {
                idle.idle(bell, deadline);
            }
            idle.reset();
            done.countDown();
        });
        waiter.start();
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (bell.waiters() == 0 && System.nanoTime() < until) {
            Thread.sleep(1);
        }
        assertThat(bell.waiters()).as("the waiter without a permit parks on its doorbell").isEqualTo(1);
        condition.set(true);
        bell.ring();
        assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(bell.waiters()).isZero();
        waiter.join(5_000);
    }
}
