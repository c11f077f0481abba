package io.viaemu.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.stream.Stream;

import io.viaemu.Trigger;
import io.viaemu.ViaClient;
import io.viaemu.ViaConfig;
import io.viaemu.ViaConnection;
import io.viaemu.ViaException;
import io.viaemu.protocol.ConnectionEnd;
import io.viaemu.protocol.ConnectionSlots;
import io.viaemu.protocol.FlagBlock.Word;
import io.viaemu.testapp.GreetingEchoHandler;
import io.viaemu.testapp.ReusableWorkerServerMain;
import io.viaemu.testapp.TestConfigs;
import io.viaemu.testing.JvmProcess;
import io.viaemu.testing.SeparateProcessTest;
import org.junit.jupiter.api.Test;

/**
 * Reusable workers across real processes: a server JVM forks every connection to worker JVMs it keeps, this test's
 * JVM is the client. Each connection starts with 7 bytes the parent consumes, then the parent forks and closes (T1)
 * or aborts (T2); the rest of the client's first document reaches the child as a copy, and the child echoes it and
 * everything after it.
 */
class ReusableWorkerProcessTest extends SeparateProcessTest {
    private static final Duration STEP = Duration.ofSeconds(60);
    private static final int REST = 293;

    @Test
    void oneWorkerServesAHundredConnectionsInSequenceEachHandedOverByteExact() throws Exception {
        startServer(0, 0, 2, 0);
        Set<Long> childPids = new HashSet<>();
        for (int i = 0; i < 100; i++) {
            boolean abort = i % 2 == 1;
            byte[] rest = pattern(i, REST);
            try (ViaConnection c = open(abort ? 'A' : 'E', rest)) {
                assertThat(readExactly(c, REST)).as("connection %d: the copy, echoed by the child", i).isEqualTo(rest);
                byte[] more = pattern(1000 + i, 64);
                c.send(more);
                assertThat(readExactly(c, 64)).as("connection %d: a round trip with the child", i).isEqualTo(more);
                var flags = ((ConnectionEnd) c).flags();
                assertThat(flags.get(Word.TRIGGER_FIRED)).isEqualTo(
                        (abort ? Trigger.T2_PARENT_ABORT : Trigger.T1_PARENT_CLOSE).code());
                assertThat(flags.get(Word.BYTES_COPIED)).as("the parent held exactly the rest of the document")
                        .isEqualTo(REST);
                awaitTrue(() -> flags.get(Word.RECONNECTION_COMPLETION) == 1, "connection " + i
                        + ": the parent sets reconnection-completion once the client reported");
                childPids.add(flags.get(Word.CHILD_PID));
            }
        }
        assertThat(childPids).as("one worker JVM served every connection").hasSize(1);
        long pid = childPids.iterator().next();
        awaitWorkers(w -> w.equals(pid + ":IDLE:100:0:NONE"), "one idle worker that served 100 connections");
    }

    @Test
    void aSlotHandedOverToAChildIsReleasedByItAndReusedByteExactAndAKilledChildLeavesNoSlot() throws Exception {
        startServer(0, 0, 2, 0);
        // without retention: the shared test config keeps every directory for an hour, which turns slots off
        ViaConfig config = TestConfigs.config(base, "T1,T2", 0).toBuilder().retention(Duration.ZERO).build();
        Set<Path> dirs = new HashSet<>();
        long maxUse = 0;
        for (int i = 0; i < 20; i++) {
            Path dir;
            try (ViaConnection c = echoing(config, 'E', 300 + i)) { // the copy echoed: nothing of an earlier use's bytes
                roundTrip(c, 400 + i);
                var flags = ((ConnectionEnd) c).flags();
                assertThat(flags.get(Word.TRIGGER_FIRED)).isEqualTo(Trigger.T1_PARENT_CLOSE.code());
                dir = ((ConnectionEnd) c).directory();
                dirs.add(dir);
                maxUse = Math.max(maxUse, flags.get(Word.SLOT_USE));
            }
            // the child releases the use (its worker keeps the queues): the slot is idle again for the next connect
            awaitTrue(() -> ConnectionSlots.idleSlots(config, "ep") >= 1, "connection " + i + ": its slot idle");
            assertThat(Files.exists(dir)).as("a slot handed over is kept, not deleted").isTrue();
        }
        assertThat(dirs).as("20 handed-over connections on reused slots").hasSizeLessThanOrEqualTo(3);
        assertThat(maxUse).as("a slot's later use").isGreaterThanOrEqualTo(7);

        // kill -9 of the child mid-use: the connection fails clearly, its slot is deleted, not kept or leaked
        ViaConnection c = echoing(config, 'E', 900);
        Path dir = ((ConnectionEnd) c).directory();
        long worker = childPid(c);
        ProcessHandle.of(worker).orElseThrow().destroyForcibly();
        awaitExit(worker);
        assertThatThrownBy(() -> roundTrip(c, 901)).isInstanceOf(ViaException.class)
                .hasMessageContaining("the child process died");
        c.close();
        awaitTrue(() -> !Files.exists(dir), "the killed child's slot deleted");
        Path connDirs = dir.getParent();
        awaitTrue(() -> countDirs(connDirs) == ConnectionSlots.idleSlots(config, "ep"),
                "only idle slots left under " + connDirs);
        // the pool replaces the killed worker: the next connection (on an idle slot) is served by another one
        try (ViaConnection next = echoing(config, 'E', 902)) {
            roundTrip(next, 903);
            assertThat(childPid(next)).isNotEqualTo(worker);
        }
    }

    private static long countDirs(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.count();
        } catch (IOException e) {
            return -1;
        }
    }

    @Test
    void reusableWorkersHandOverByT3AndT4ByteExactToo() throws Exception {
        startServer(0, 0, 2, 0, "t3t4");
        for (String endpoint : List.of("ep-t3", "ep-t4")) {
            boolean t4 = endpoint.endsWith("t4");
            Set<Long> childPids = new HashSet<>();
            for (int i = 0; i < 10; i++) {
                byte[] rest = pattern(i, REST);
                try (ViaConnection c = open(endpoint, t4 ? 'G' : 'R', rest)) {
                    if (t4) {
                        assertThat(readExactly(c, GreetingEchoHandler.GREETING.length))
                                .isEqualTo(GreetingEchoHandler.GREETING);
                    }
                    assertThat(readExactly(c, REST)).as("%s connection %d: the copy, echoed", endpoint, i)
                            .isEqualTo(rest);
                    roundTrip(c, 500 + i);
                    var flags = ((ConnectionEnd) c).flags();
                    assertThat(flags.get(Word.TRIGGER_FIRED)).isEqualTo(
                            (t4 ? Trigger.T4_CHILD_SEND : Trigger.T3_CHILD_RECEIVE).code());
                    assertThat(flags.get(Word.BYTES_COPIED)).isEqualTo(REST);
                    childPids.add(flags.get(Word.CHILD_PID));
                }
            }
            assertThat(childPids).as("one worker served the 10 connections of %s", endpoint).hasSize(1);
        }
    }

    @Test
    void workerRecycledAfterItsLimitFinishesTheConnectionInFlight() throws Exception {
        startServer(0, 2, 2, 0);
        ViaConnection a = echoing('E', 1);
        long worker = childPid(a);
        ViaConnection b = echoing('E', 2);
        assertThat(childPid(b)).as("both connections on one worker").isEqualTo(worker);
        awaitWorkers(w -> w.startsWith(worker + ":DRAINING:") && w.endsWith(":MAX_CONNECTIONS"),
                "the worker recycling after its 2 connections");
        b.close();
        for (int i = 0; i < 20; i++) {
            roundTrip(a, 100 + i);
            Thread.sleep(50);
        }
        assertThat(alive(worker)).as("the recycled worker still serves its connection in flight").isTrue();
        ViaConnection c = echoing('E', 3);
        assertThat(childPid(c)).as("a new connection goes to a new worker").isNotEqualTo(worker);
        c.close();
        roundTrip(a, 200);
        a.close();
        awaitExit(worker);
    }

    @Test
    void kill9OfAReusableWorkerFailsExactlyItsConnectionsAndThePoolReplacesIt() throws Exception {
        startServer(1, 0, 3, 0);
        long first = Long.parseLong(awaitWorkers(w -> w.matches("\\d+:IDLE:0:0:NONE"), "the pool's first worker")
                .split(":")[0]);
        List<ViaConnection> onFirst = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            onFirst.add(echoing('E', i));
            assertThat(childPid(onFirst.get(i))).isEqualTo(first);
        }
        // the first worker is full (3 of 3): the pool started a spare one
        String spare = awaitWorkers(w -> w.matches(first + ":BUSY:0:3:NONE \\d+:IDLE:0:0:NONE"), "a spare worker");
        long second = Long.parseLong(spare.split(" ")[1].split(":")[0]);
        List<ViaConnection> onSecond = List.of(echoing('E', 10), echoing('E', 11));
        for (ViaConnection c : onSecond) {
            assertThat(childPid(c)).isEqualTo(second);
        }

        ProcessHandle.of(second).orElseThrow().destroyForcibly(); // kill -9
        awaitExit(second);

        for (ViaConnection c : onSecond) {
            assertThatThrownBy(() -> {
                c.send(pattern(7, 64));
                readExactly(c, 64);
            }).isInstanceOf(ViaException.class).hasMessageContaining("the child process died");
            c.close();
        }
        for (int i = 0; i < 3; i++) {
            roundTrip(onFirst.get(i), 50 + i); // the other worker's connections are untouched
        }
        String replaced = awaitWorkers(w -> w.matches(first + ":BUSY:0:3:NONE \\d+:IDLE:0:0:NONE")
                && !w.contains(second + ":"), "a replacement for the killed worker");
        long third = Long.parseLong(replaced.split(" ")[1].split(":")[0]);
        ViaConnection c = echoing('E', 20);
        assertThat(childPid(c)).isEqualTo(third);
        c.close();
        for (ViaConnection x : onFirst) {
            x.close();
        }
    }

    @Test
    void oneShotWorkerStillExitsAfterItsConnection() throws Exception {
        startServer(1, 1, 1, 0);
        long first = Long.parseLong(awaitWorkers(w -> w.matches("\\d+:IDLE:0:0:NONE"), "the pool's worker")
                .split(":")[0]);
        ViaConnection a = echoing('E', 1);
        assertThat(childPid(a)).isEqualTo(first);
        awaitWorkers(w -> w.startsWith(first + ":DRAINING:0:1:MAX_CONNECTIONS "), "the one-shot worker draining");
        a.close();
        awaitExit(first);
        ViaConnection b = echoing('E', 2);
        assertThat(childPid(b)).isNotEqualTo(first);
        b.close();
    }

    @Test
    void handlerPastItsTimeLimitFailsItsConnectionClearlyAndTheWorkerIsRecycled() throws Exception {
        startServer(0, 0, 2, 1500);
        byte[] rest = pattern(5, REST);
        ViaConnection s = open('S', rest);
        assertThat(readExactly(s, REST)).isEqualTo(rest);
        long worker = childPid(s);
        long start = System.nanoTime();
        assertThatThrownBy(() -> s.receive(new byte[16], 0, 16, 30_000)).isInstanceOf(ViaException.class)
                .hasMessageContaining("the worker's handler exceeded its time limit");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
        s.close();
        awaitExit(worker);
        assertThat(server.output()).contains("HANDLER_TIMEOUT");
        ViaConnection next = echoing('E', 6);
        assertThat(childPid(next)).isNotEqualTo(worker);
        next.close();
    }

    // ---------------------------------------------------------------------------------------------------------

    private void startServer(int pool, int maxConnections, int concurrency, long handlerTimeoutMillis,
            String... extra) {
        List<String> args = new ArrayList<>(List.of(base.toString(), "ep", Integer.toString(pool),
                Integer.toString(maxConnections), Integer.toString(concurrency), Long.toString(handlerTimeoutMillis)));
        args.addAll(List.of(extra));
        server = JvmProcess.start(tmp.resolve("logs"), "server", List.of(), ReusableWorkerServerMain.class,
                args.toArray(String[]::new)).awaitOutput("LISTENING", STEP);
    }

    private ViaConnection open(char command, byte[] rest) throws IOException {
        return open("ep", command, rest);
    }

    private ViaConnection open(String endpoint, char command, byte[] rest) throws IOException {
        return open(TestConfigs.config(base, "T1,T2", 0), endpoint, command, rest);
    }

    private static ViaConnection open(ViaConfig config, String endpoint, char command, byte[] rest)
            throws IOException {
        ViaConnection c = ViaClient.connect(config, endpoint);
        byte[] first = new byte[ReusableWorkerServerMain.HEADER + rest.length];
        first[0] = (byte) command;
        System.arraycopy(rest, 0, first, ReusableWorkerServerMain.HEADER, rest.length);
        c.send(first); // one document: the parent consumes its first 7 bytes and copies the rest to the child
        return c;
    }

    /** A connection handed over to an echoing child, checked byte-exact. */
    private ViaConnection echoing(char command, int seed) throws IOException {
        return echoing(TestConfigs.config(base, "T1,T2", 0), command, seed);
    }

    private static ViaConnection echoing(ViaConfig config, char command, int seed) throws IOException {
        byte[] rest = pattern(seed, REST);
        ViaConnection c = open(config, "ep", command, rest);
        assertThat(readExactly(c, REST)).isEqualTo(rest);
        return c;
    }

    private static void roundTrip(ViaConnection c, int seed) throws IOException {
        byte[] b = pattern(seed, 64);
        c.send(b);
        assertThat(readExactly(c, 64)).isEqualTo(b);
    }

    private static long childPid(ViaConnection c) {
        return ((ConnectionEnd) c).flags().get(Word.CHILD_PID);
    }

    private static byte[] readExactly(ViaConnection c, int n) throws IOException {
        byte[] b = new byte[n];
        int got = 0;
        while (got < n) {
            int r = c.receive(b, got, n - got, 30_000);
            if (r < 0) {
                throw new IOException("end of stream after " + got + " of " + n + " bytes");
            }
            got += r;
        }
        return b;
    }

    static byte[] pattern(int seed, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (seed * 31 + i * 7);
        }
        return b;
    }

    /** The server's latest WORKERS line (without the prefix), once it satisfies {@code condition}. */
    private String awaitWorkers(Predicate<String> condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + STEP.toNanos();
        String last = null;
        while (System.nanoTime() < deadline) {
            Optional<String> line = Arrays.stream(server.output().split("\n")).filter(l -> l.startsWith("WORKERS "))
                    .reduce((x, y) -> y);
            last = line.map(l -> l.substring("WORKERS ".length()).trim()).orElse(null);
            if (last != null && condition.test(last)) {
                return last;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("waited for " + what + "; last WORKERS line: " + last + "\n" + server.output());
    }

    private static void awaitTrue(BooleanSupplier condition, String what)
            throws InterruptedException {
        long deadline = System.nanoTime() + STEP.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("waited for " + what);
            }
            Thread.sleep(1);
        }
    }

    private static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    private static void awaitExit(long pid) throws InterruptedException {
        long deadline = System.nanoTime() + STEP.toNanos();
        while (alive(pid)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("worker pid " + pid + " did not exit within " + STEP);
            }
            Thread.sleep(20);
        }
    }
}
