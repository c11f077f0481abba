package io.viaemu.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import io.viaemu.ViaConfig;
import io.viaemu.ViaException;
import io.viaemu.testing.TestDirs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pool's bookkeeping in one JVM: the worker processes are stand-ins, and the test plays the workers' side of
 * their status blocks (ready, a connection finished, recycling).
 */
class WorkerPoolTest {
    @TempDir
    Path tmp;
    private final List<FakeProcess> launched = new CopyOnWriteArrayList<>();
    private WorkerPool pool;

    @AfterEach
    void close() {
        if (pool != null) {
            pool.close();
        }
    }

    private WorkerPool pool(int size, int maxConnections, int concurrency) throws Exception {
        return pool(size, maxConnections, concurrency, Duration.ZERO);
    }

    private WorkerPool pool(int size, int maxConnections, int concurrency, Duration idleTimeout) throws Exception {
        ViaConfig config = ViaConfig.builder(TestDirs.privateDir(tmp, "base")).workerPoolSize(size)
                .workerMaxConnections(maxConnections).workerConcurrency(concurrency).workerIdleTimeout(idleTimeout)
                .childStartTimeout(Duration.ofSeconds(2)).build();
        pool = new WorkerPool(config, null, "ep", id -> {
            FakeProcess p = new FakeProcess();
            launched.add(p);
            return p;
        });
        pool.start();
        return pool;
    }

    private static void ready(Worker w) {
        w.status().announce(w.pid(), System.currentTimeMillis());
    }

    /** The pool's {@code index}th worker, announced ready (as its JVM would once started). */
    private Worker readyWorker(int index) {
        Worker w = pool.all().get(index);
        ready(w);
        return w;
    }

    @Test
    void startLaunchesPoolSizeWorkersWithTheirLimitsInTheirStatusBlocks() throws Exception {
        pool(2, 5, 3);
        assertThat(launched).hasSize(2);
        assertThat(pool.idleCount()).isEqualTo(2);
        assertThat(pool.readyCount()).isZero();
        for (Worker w : pool.all()) {
            assertThat(w.status().limit()).isEqualTo(5);
            assertThat(w.status().concurrency()).isEqualTo(3);
        }
    }

    @Test
    void forkOnAnIdleReusableWorkerReservesItWithoutLaunchingAnything() throws Exception {
        pool(1, 0, 2);
        Worker w = readyWorker(0);
        assertThat(pool.acquire()).isSameAs(w);
        assertThat(w.status().current()).isEqualTo(1);
        assertThat(pool.idleCount()).as("1 of 2 taken: still spare").isEqualTo(1);
        w.status().finishedOne(); // the worker's handler ended
        assertThat(pool.acquire()).isSameAs(w);
        assertThat(w.status().assigned()).isEqualTo(2);
        Thread.sleep(100); // a refill, if one were queued, would have launched by now
        assertThat(launched).as("no JVM was started for these forks").hasSize(1);
    }

    @Test
    void aForkThatFindsOnlyAStartingWorkerReturnsWhenTheWorkerSaysReady() throws Exception {
        pool(1, 0, 1);
        Worker starting = pool.all().get(0);
        CompletableFuture<Worker> fork = CompletableFuture.supplyAsync(() -> {
            try {
                return pool.acquire();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        awaitTrue(() -> starting.status().stateBell().waiters() == 1, "the fork parked on the worker's state doorbell");
        assertThat(fork).isNotDone();
        ready(starting); // the worker's READY rings the doorbell
        assertThat(fork.get(5, TimeUnit.SECONDS)).isSameAs(starting);
        assertThat(starting.status().stateBell().waiters()).as("the fork left the doorbell").isZero();
    }

    @Test
    void aForkWaitingForAStartingWorkerFailsAtOnceWhenTheWorkerDies() throws Exception {
        pool(1, 0, 1);
        Worker starting = pool.all().get(0);
        CompletableFuture<Worker> fork = CompletableFuture.supplyAsync(() -> {
            try {
                return pool.acquire();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        awaitTrue(() -> starting.status().stateBell().waiters() == 1, "the fork parked on the worker's state doorbell");
        launched.get(0).die();
        assertThatThrownBy(() -> fork.get(1, TimeUnit.SECONDS)).hasRootCauseInstanceOf(ViaException.class)
                .hasMessageContaining("exited before it was ready");
    }

    @Test
    void aWorkersExitActionsRunOnceAtItsExitAndNotOnceCancelled() throws Exception {
        pool(1, 0, 1);
        Worker w = readyWorker(0);
        AtomicInteger kept = new AtomicInteger();
        AtomicInteger cancelled = new AtomicInteger();
        w.onExit(kept::incrementAndGet);
        Runnable cancel = w.onExit(cancelled::incrementAndGet);
        cancel.run(); // what EMU_FORK does once the child announced itself: nothing of the fork stays with the worker
        launched.get(0).die();
        awaitTrue(() -> kept.get() == 1, "the exit action ran");
        assertThat(cancelled.get()).as("a cancelled exit action never runs").isZero();
        AtomicInteger late = new AtomicInteger();
        w.onExit(late::incrementAndGet);
        assertThat(late.get()).as("registered after the exit: runs at once").isEqualTo(1);
        assertThat(kept.get()).as("once").isEqualTo(1);
    }

    @Test
    void aBusyWorkerIsReplacedAndCountsAgainOnceIdle() throws Exception {
        pool(1, 0, 1);
        Worker first = readyWorker(0);
        assertThat(pool.acquire()).isSameAs(first);
        awaitTrue(() -> launched.size() == 2, "a spare worker launched while the first is busy");
        Worker second = readyWorker(1);
        first.status().finishedOne();
        assertThat(pool.idleCount()).as("the reusable worker counts as spare again").isEqualTo(2);
        assertThat(pool.acquire()).as("ready and least busy, oldest first").isSameAs(first);
        Thread.sleep(100);
        assertThat(launched).hasSize(2);
    }

    @Test
    void aForkThatFindsTheReadyWorkerFullWaitsForItsEndedConnectionNotForTheStartingReplacement() throws Exception {
        pool(1, 0, 1);
        Worker first = readyWorker(0);
        assertThat(pool.acquire()).isSameAs(first); // full: its one connection at once
        awaitTrue(() -> launched.size() == 2, "the replacement launched in the background");
        Worker starting = pool.all().get(1);
        CompletableFuture<Worker> fork = acquireAsync();
        awaitTrue(() -> first.status().stateBell().waiters() == 1, "the fork parked on the full worker's doorbell");
        assertThat(fork).isNotDone();
        assertThat(starting.status().assigned()).as("nothing reserved in the starting worker").isZero();
        first.status().finishedOne(); // the connection ended: its ring wakes the fork
        assertThat(fork.get(5, TimeUnit.SECONDS)).isSameAs(first);
        assertThat(first.status().stateBell().waiters()).as("the fork left the doorbell").isZero();
        assertThat(launched).as("no JVM started on the fork's path").hasSize(2);
    }

    @Test
    void aForkWaitingForRoomTakesTheReplacementOnceItIsReady() throws Exception {
        pool(1, 0, 1);
        Worker first = readyWorker(0);
        assertThat(pool.acquire()).isSameAs(first);
        awaitTrue(() -> launched.size() == 2, "the replacement launched in the background");
        CompletableFuture<Worker> fork = acquireAsync();
        awaitTrue(() -> first.status().stateBell().waiters() == 1, "the fork parked on the full worker's doorbell");
        Worker second = readyWorker(1);
        assertThat(fork.get(5, TimeUnit.SECONDS)).isSameAs(second);
        assertThat(first.status().assigned()).as("the full worker got nothing more").isEqualTo(1);
    }

    private CompletableFuture<Worker> acquireAsync() {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return pool.acquire();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    @Test
    void oneShotWorkerTakesOneConnectionOnly() throws Exception {
        pool(1, 1, 1);
        Worker first = readyWorker(0);
        assertThat(pool.acquire()).isSameAs(first);
        first.status().finishedOne();
        assertThat(first.status().canAdmit()).as("limit of 1 reached").isFalse();
        awaitTrue(() -> launched.size() == 2, "its replacement");
        Worker second = readyWorker(1);
        assertThat(pool.acquire()).isSameAs(second);
    }

    @Test
    void concurrencyBoundsTheConnectionsAssignedAtOnce() throws Exception {
        pool(1, 0, 2);
        Worker w = readyWorker(0);
        assertThat(pool.acquire()).isSameAs(w);
        assertThat(pool.acquire()).isSameAs(w);
        assertThat(w.status().current()).isEqualTo(2);
        assertThat(w.status().admit()).as("full at its concurrency").isZero();
        awaitTrue(() -> launched.size() == 2, "a spare worker for the next connection");
        Worker second = readyWorker(1);
        assertThat(pool.acquire()).isSameAs(second);
        w.status().finishedOne();
        assertThat(w.status().canAdmit()).as("one ended: room for one more").isTrue();
    }

    @Test
    void connectionLimitAddsJitterButUnlimitedStaysUnlimited() throws Exception {
        ViaConfig c = ViaConfig.builder(tmp).workerMaxConnections(100).workerMaxConnectionsJitter(20).build();
        assertThat(WorkerPool.connectionLimit(c, 0)).isEqualTo(100);
        assertThat(WorkerPool.connectionLimit(c, 20)).isEqualTo(120);
        assertThat(WorkerPool.connectionLimit(c.toBuilder().workerMaxConnections(0).build(), 7)).isZero();
        ViaConfig jittered = ViaConfig.builder(TestDirs.privateDir(tmp, "b2")).workerPoolSize(30)
                .workerMaxConnections(100).workerMaxConnectionsJitter(20).build();
        pool = new WorkerPool(jittered, null, "ep", id -> new FakeProcess());
        pool.start();
        long distinct = pool.all().stream().mapToLong(w -> w.status().limit()).distinct().count();
        assertThat(pool.all()).allSatisfy(w -> assertThat(w.status().limit()).isBetween(100L, 120L));
        assertThat(distinct).as("30 workers do not all get the same limit").isGreaterThan(1);
    }

    @Test
    void aWorkerThatRecycledItselfIsNotChosenAndIsReplaced() throws Exception {
        pool(1, 0, 4);
        Worker first = readyWorker(0);
        assertThat(pool.acquire()).isSameAs(first);
        assertThat(first.status().close(WorkerStatus.Recycle.HEAP_LIMIT)).as("owes the one assigned").isEqualTo(1);
        assertThat(first.status().admit()).isZero();
        assertThat(pool.idleCount()).isZero();
        Thread t = new Thread(() -> {
            try {
                pool.acquire();
            } catch (Exception e) {
                // not reached: the second worker gets ready
            }
        });
        t.start();
        awaitTrue(() -> launched.size() >= 2, "another worker");
        ready(pool.all().get(1));
        t.join(5_000);
        assertThat(first.status().assigned()).isEqualTo(1);
        assertThat(first.snapshot().state()).isEqualTo(WorkerSnapshot.State.DRAINING);
        assertThat(first.snapshot().recycleReason()).isEqualTo("HEAP_LIMIT");
    }

    @Test
    void aDeadWorkerIsForgottenAndReplaced() throws Exception {
        pool(1, 0, 4);
        Worker first = readyWorker(0);
        launched.get(0).die();
        awaitTrue(() -> !pool.all().contains(first) && launched.size() == 2, "the dead worker replaced");
        assertThat(pool.snapshots()).hasSize(1);
    }

    @Test
    void aWorkerThatDiesBeforeItIsReadyIsNotRelaunchedInALoop() throws Exception {
        pool(1, 0, 1);
        launched.get(0).die();
        awaitTrue(() -> pool.all().isEmpty(), "the dead worker forgotten");
        Thread.sleep(100);
        assertThat(launched).hasSize(1);
        assertThatThrownBy(() -> {
            launchedDie(); // the worker the next fork starts dies while starting
            pool.acquire();
        }).isInstanceOf(ViaException.class).hasMessageContaining("exited before it was ready");
    }

    private void launchedDie() {
        Thread killer = new Thread(() -> {
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (launched.size() < 2 && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            if (launched.size() >= 2) {
                launched.get(1).die();
            }
        });
        killer.setDaemon(true);
        killer.start();
    }

    @Test
    void idleReusableWorkersBeyondThePoolSizeAreRetiredAfterTheIdleTimeout() throws Exception {
        pool(1, 0, 1, Duration.ofMillis(300));
        Worker first = readyWorker(0);
        assertThat(pool.acquire()).isSameAs(first);
        awaitTrue(() -> launched.size() == 2, "a spare worker while the first is busy");
        Worker second = readyWorker(1);
        Thread.sleep(600);
        assertThat(first.status().admissionClosed() || second.status().admissionClosed())
                .as("one busy and one spare: nothing to retire").isFalse();
        first.status().finishedOne(); // the burst is over: two idle workers, one more than the pool's size
        awaitTrue(() -> first.status().admissionClosed() || second.status().admissionClosed(), "one retired");
        Thread.sleep(600);
        assertThat(first.status().admissionClosed() && second.status().admissionClosed())
                .as("the pool keeps its one spare worker").isFalse();
        Worker retired = first.status().admissionClosed() ? first : second;
        assertThat(retired.status().recycleReason()).isEqualTo(WorkerStatus.Recycle.RETIRED_BY_PARENT);
        assertThat(pool.acquire()).isNotSameAs(retired);
    }

    @Test
    void closeLetsAOneShotWorkerFinishItsConnection() throws Exception {
        pool(0, 1, 1);
        Thread starter = new Thread(() -> {
            try {
                pool.acquire();
            } catch (Exception e) {
                // not reached: the worker gets ready below
            }
        });
        starter.start();
        awaitTrue(() -> launched.size() == 1, "the one-shot worker");
        Worker w = readyWorker(0);
        starter.join(5_000);
        w.status().close(WorkerStatus.Recycle.MAX_CONNECTIONS); // what the worker does at its one ASSIGN
        pool.close(); // the server shuts down (after handing the connection to the worker: T2)
        assertThat(launched.get(0).isAlive()).as("the worker still serves its one connection").isTrue();
        w.status().finishedOne();
        assertThat(w.status().closeIfIdle()).isTrue();
    }

    @Test
    void closeStopsIdleWorkersAndLetsBusyOnesDrain() throws Exception {
        pool(2, 0, 2);
        Worker busy = pool.all().get(0);
        Worker idle = pool.all().get(1);
        ready(busy);
        ready(idle);
        assertThat(pool.acquire()).isSameAs(busy);
        pool.close();
        assertThat(launched.get(1).isAlive()).as("idle worker stopped").isFalse();
        assertThat(launched.get(0).isAlive()).as("busy worker keeps its connection").isTrue();
        assertThat(busy.status().admissionClosed()).isTrue();
        assertThat(busy.status().recycleReason()).isEqualTo(WorkerStatus.Recycle.RETIRED_BY_PARENT);
        assertThatThrownBy(pool::acquire).isInstanceOf(ViaException.class).hasMessageContaining("closed");
    }

    private static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("waited 5 s for " + what);
            }
            Thread.sleep(1);
        }
    }

    /** A worker process stand-in: alive until {@link #die()} or a kill. */
    static final class FakeProcess extends Process {
        private static final AtomicLong PIDS = new AtomicLong(4_000_000);
        private final long pid = PIDS.incrementAndGet();
        private final CompletableFuture<Process> exit = new CompletableFuture<>();

        void die() {
            exit.complete(this);
        }

        @Override
        public long pid() {
            return pid;
        }

        @Override
        public boolean isAlive() {
            return !exit.isDone();
        }

        @Override
        public CompletableFuture<Process> onExit() {
            return exit;
        }

        @Override
        public Process destroyForcibly() {
            die();
            return this;
        }

        @Override
        public void destroy() {
            die();
        }

        @Override
        public OutputStream getOutputStream() {
            return OutputStream.nullOutputStream();
        }

        @Override
        public InputStream getInputStream() {
            return InputStream.nullInputStream();
        }

        @Override
        public InputStream getErrorStream() {
            return InputStream.nullInputStream();
        }

        @Override
        public int waitFor() throws InterruptedException {
            exit.join();
            return 137;
        }

        @Override
        public int exitValue() {
            if (!exit.isDone()) {
                throw new IllegalThreadStateException("alive");
            }
            return 137;
        }
    }
}
