package io.viaemu.faults;

import static io.viaemu.faults.Faults.EP;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import io.viaemu.ViaClient;
import io.viaemu.ViaConfig;
import io.viaemu.ViaConnection;
import io.viaemu.protocol.ConnectionEnd;
import io.viaemu.protocol.FlagBlock;
import io.viaemu.testapp.FaultConfigs;
import org.junit.jupiter.api.Test;
import io.viaemu.testing.TestTransport;

/** Many connections in a row leave no files or process resources behind; rolled queue files are released. */
class DiskAndResourceTest extends FaultProcessTest {
    /**
     * Connect/close cycles. A cycle costs ~23 ms on the 2-core CI machine (connect ~16 ms: four Chronicle queues
     * are created), so the 10,000 the issue asks for take ~4 minutes; CI can afford them (its whole run is under
     * 10 minutes of its 30). -Dvia.test.cycles=N runs fewer when iterating locally.
     */
    static final int CYCLES = Integer.getInteger("via.test.cycles", 10_000);
    /** Connections open at once in {@link #thousandsOfOpenConnectionsEachWorkAndTheirResourcesGoWithThem}. */
    static final int CONCURRENT = Integer.getInteger("via.test.concurrent", 2_000);

    @Test
    void manyConnectCloseCyclesLeaveNoDirectoriesFilesOrResourcesBehind() throws Exception {
        Map<String, String> props = FaultConfigs.props("retentionMs", "0");
        ViaConfig config = startFaultServer(props, "ECHO");
        Path conns = base.resolve(EP).resolve("conn");
        for (int i = 0; i < 100; i++) { // warm up: classes, the housekeeper, the async pool, the listen channel
            cycle(config, i);
        }
        drainConnectionSlots(conns); // the baseline without the client's idle slots and the server's kept queues
        Resources before = Resources.of(ProcessHandle.current().pid());
        Resources serverBefore = Resources.of(server.pid());
        long t0 = System.nanoTime();
        int maxDirs = 0;
        for (int i = 0; i < CYCLES; i++) {
            cycle(config, i);
            if (i % 500 == 0) {
                maxDirs = Math.max(maxDirs, Faults.list(conns).size());
            }
        }
        long millis = (System.nanoTime() - t0) / 1_000_000;
        ViaClient.releaseSlots(); // the client's idle connection slots (at most connectSlots) go now, not at exit
        Faults.await("every connection directory is deleted", Duration.ofSeconds(10),
                () -> Faults.list(conns).isEmpty());
        Resources afterNoGc = Resources.of(ProcessHandle.current().pid());
        System.gc(); // as for the server below: closed flag blocks' mappings go with their buffers, at a GC
        Thread.sleep(100); // the buffers' cleaners run on the reference-handling thread
        Resources after = Resources.of(ProcessHandle.current().pid());
        System.out.println("client before its GC: " + afterNoGc);
        Resources serverNoGc = Resources.of(server.pid());
        // The mappings of closed connections go with their buffers at the server's next GC, once nothing refers to
        // them: the housekeeper drops a closed end's watch at its next tick (at most a second after the close). The
        // queues (fds) the server kept for the client's slots go at the endpoint's next sweep (every 2 s) after the
        // slots' directories went.
        Resources serverAfter;
        long gcDeadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        do {
            gc(server.pid());
            serverAfter = Resources.of(server.pid());
        } while ((serverAfter.maps > serverBefore.maps + 50 || serverAfter.fds > serverBefore.fds + 10)
                && System.nanoTime() - gcDeadline < 0);
        long apparent = Faults.treeBytes(base);
        long allocated = allocatedKiB(base);
        System.out.printf("%d connect/send/receive/close cycles in %d ms (%.2f ms each); at most %d connection "
                + "directories seen; client %s -> %s; server %s -> %s (before its GC: %s); base: %d bytes apparent, %d KiB allocated%n",
                CYCLES, millis, millis / (double) CYCLES, maxDirs, before, after, serverBefore, serverAfter, serverNoGc,
                apparent,
                allocated);
        assertThat(maxDirs).as("connection directories do not pile up during the run").isLessThan(20);
        // what stays: the listen queue (one sparse cycle file), the endpoint lock/metadata files
        assertThat(allocated).as("disk used under the base directory after " + CYCLES + " connections")
                .isLessThan(4 * 1024);
        assertThat(after.fds).as("client file descriptors").isLessThanOrEqualTo(before.fds + 10);
        assertThat(after.maps).as("client memory mappings; mapped most: " + mostMapped(ProcessHandle.current().pid()))
                .isLessThanOrEqualTo(before.maps + 50);
        assertThat(after.threads).as("client threads").isLessThanOrEqualTo(before.threads + 5);
        assertThat(serverAfter.fds).as("server file descriptors").isLessThanOrEqualTo(serverBefore.fds + 10);
        assertThat(serverAfter.maps).as("server memory mappings; mapped most: " + mostMapped(server.pid())).isLessThanOrEqualTo(serverBefore.maps + 50);
        assertThat(serverAfter.threads).as("server threads").isLessThanOrEqualTo(serverBefore.threads + 5);
        assertThat(server.output()).doesNotContain("ECHO-ERROR").doesNotContain("Exception");
    }

    /**
     * Server scale: 2,000 connections (-Dvia.test.concurrent=N for others) open at once between two processes
     * (the server echoes each on a thread of its own), every one carries data while all are open, and after they close the mappings, file
     * descriptors, threads and disk of both processes are back at their baseline.
     */
    @Test
    void thousandsOfOpenConnectionsEachWorkAndTheirResourcesGoWithThem() throws Exception {
        Map<String, String> props = FaultConfigs.props("retentionMs", "0",
                "maxConnections", Integer.toString(CONCURRENT + 10));
        ViaConfig config = startFaultServer(props, "ECHO");
        Path conns = base.resolve(EP).resolve("conn");
        // warm up: classes, the housekeeper, the async pool, the listen channel; on one-connection directories, as
        // this test was calibrated (a slot would carry the 50 connections in a few directories, and the server's
        // baseline would miss the 50 flag blocks its GC releases later)
        ViaConfig warmup = config.toBuilder().connectSlots(0).build();
        for (int i = 0; i < 50; i++) {
            cycle(warmup, i);
        }
        Faults.await("the warm-up's connection directories are deleted", Duration.ofSeconds(10),
                () -> Faults.list(conns).isEmpty());
        Resources before = Resources.of(ProcessHandle.current().pid());
        Resources serverBefore = Resources.of(server.pid());
        List<ViaConnection> open = new ArrayList<>(CONCURRENT);
        Resources peak;
        Resources serverPeak;
        long t0 = System.nanoTime();
        try {
            for (int i = 0; i < CONCURRENT; i++) {
                ViaConnection c = ViaClient.connect(config, EP);
                open.add(c);
                echo(c, i);
            }
            long openMillis = (System.nanoTime() - t0) / 1_000_000;
            for (int i = 0; i < CONCURRENT; i++) { // all of them still work while all are open
                echo(open.get(i), CONCURRENT + i);
            }
            assertThat(Faults.list(conns)).as("one directory per open connection").hasSize(CONCURRENT);
            peak = Resources.of(ProcessHandle.current().pid());
            serverPeak = Resources.of(server.pid());
            System.out.printf("%d connections opened in %d ms (%.2f ms each); per connection: client %.1f mappings, "
                    + "%.2f fds, %.2f threads; server %.1f mappings, %.2f fds, %.2f threads; base %d KiB allocated%n",
                    CONCURRENT, openMillis, openMillis / (double) CONCURRENT,
                    (peak.maps - before.maps) / (double) CONCURRENT, (peak.fds - before.fds) / (double) CONCURRENT,
                    (peak.threads - before.threads) / (double) CONCURRENT,
                    (serverPeak.maps - serverBefore.maps) / (double) CONCURRENT,
                    (serverPeak.fds - serverBefore.fds) / (double) CONCURRENT,
                    (serverPeak.threads - serverBefore.threads) / (double) CONCURRENT, allocatedKiB(base));
            System.out.println("mapped most while open: client " + mostMapped(ProcessHandle.current().pid())
                    + "; server " + mostMapped(server.pid()));
        } finally {
            for (ViaConnection c : open) {
                c.close();
            }
            open.clear(); // a closed connection's flag block stays mapped while anything refers to it
        }
        ViaClient.releaseSlots(); // the client's idle connection slots (at most connectSlots) go now, not at exit
        Faults.await("every connection directory is deleted", Duration.ofSeconds(60),
                () -> Faults.list(conns).isEmpty());
        // Both processes' mappings of closed ends go at a GC once their housekeeper dropped the ends (its next tick).
        Resources after;
        long gcDeadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        do {
            after = Resources.of(ProcessHandle.current().pid());
        } while ((after.maps > before.maps + 50 || mappedUnder(ProcessHandle.current().pid(), conns) > 0)
                && System.nanoTime() - gcDeadline < 0);
        Resources serverAfter;
        gcDeadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        do {
            gc(server.pid());
            serverAfter = Resources.of(server.pid());
        } while ((serverAfter.maps > serverBefore.maps + 50 + THREAD_STACK_CACHE_MAPPINGS
                || mappedUnder(server.pid(), conns) > 0 || serverAfter.threads > serverBefore.threads + 5)
                && System.nanoTime() - gcDeadline < 0);
        long allocated = allocatedKiB(base);
        System.out.printf("after closing all: client %s -> %s -> %s; server %s -> %s -> %s; base %d KiB allocated%n",
                before, peak, after, serverBefore, serverPeak, serverAfter, allocated);
        assertThat(peak.maps - before.maps).as("the open connections were measured while open")
                .isGreaterThan(CONCURRENT);
        assertThat(after.fds).as("client file descriptors").isLessThanOrEqualTo(before.fds + 10);
        assertThat(after.maps).as("client memory mappings; mapped most: " + mostMapped(ProcessHandle.current().pid()))
                .isLessThanOrEqualTo(before.maps + 50);
        assertThat(after.threads).as("client threads").isLessThanOrEqualTo(before.threads + 5);
        assertThat(serverAfter.fds).as("server file descriptors").isLessThanOrEqualTo(serverBefore.fds + 10);
        assertThat(mappedUnder(ProcessHandle.current().pid(), conns)).as("client mappings of connection files")
                .isZero();
        assertThat(mappedUnder(server.pid(), conns)).as("server mappings of connection files").isZero();
        assertThat(serverAfter.maps).as("server memory mappings; mapped most: " + mostMapped(server.pid()))
                .isLessThanOrEqualTo(serverBefore.maps + 50 + THREAD_STACK_CACHE_MAPPINGS);
        assertThat(serverAfter.threads).as("server threads (one echo thread per connection while open)")
                .isLessThanOrEqualTo(serverBefore.threads + 5);
        assertThat(allocated).as("disk used under the base directory after all closed").isLessThan(4 * 1024);
        assertThat(server.output()).doesNotContain("ECHO-ERROR").doesNotContain("Exception");
    }

    /**
     * Deletes the client's idle connection slots (they would go after their idle timeout or at exit) and waits
     * until their directories are gone and the server's next sweep (every 2 s) has closed the queues it kept for
     * them: both processes are then at the state the resource checks compare with.
     */
    private static void drainConnectionSlots(Path conns) throws Exception {
        ViaClient.releaseSlots();
        Faults.await("the warm-up's connection directories are deleted", Duration.ofSeconds(10),
                () -> Faults.list(conns).isEmpty());
        Thread.sleep(2_500);
    }

    /** One 16-byte round trip on an open connection, checked byte for byte. */
    private static void echo(ViaConnection c, long i) throws IOException {
        byte[] b = ByteBuffer.allocate(16).putLong(i).putLong(~i).array();
        c.send(b);
        byte[] got = new byte[16];
        int off = 0;
        while (off < 16) {
            int n = c.receive(got, off, 16 - off, 10_000);
            if (n < 0) {
                throw new AssertionError("end of stream on connection " + i);
            }
            off += n;
        }
        assertThat(got).as("echo on connection " + i).isEqualTo(b);
    }

    /** The files this process maps most often, for a failure message. */
    /**
     * Mappings the server may keep after its 2,000 echo threads ended, none of them a leak: glibc keeps the stacks of
     * exited threads for the next ones, up to 40 MiB (its stack cache), and each 1 MiB Java stack is two mappings
     * (stack and guard); 56 such stacks were seen after a run on the ring transport. The connections' own files are
     * checked apart ({@link #mappedUnder}: none may stay mapped).
     */
    private static final int THREAD_STACK_CACHE_MAPPINGS = 2 * 40;

    /**
     * Mappings of files under {@code dir}, deleted ones included: under the connections' directory, a flag block
     * or a ring still mapped (the listen channel's ring and the processes' doorbells are not under it).
     */
    private static long mappedUnder(long pid, Path dir) throws IOException {
        String prefix = dir.toAbsolutePath().toString() + "/";
        return Files.readAllLines(Path.of("/proc/" + pid + "/maps")).stream().filter(l -> l.contains(prefix)).count();
    }

    private static String mostMapped(long pid) throws IOException {
        Map<String, Long> byFile = new TreeMap<>();
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/maps"))) {
            String[] f = line.trim().split("\\s+", 6);
            String file = f.length == 6 ? f[5].replaceAll("[0-9a-f]{16}", "ID") : "[anonymous]";
            byFile.merge(file, 1L, Long::sum);
        }
        return byFile.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(5)
                .map(e -> e.getKey() + " x" + e.getValue()).collect(Collectors.joining(", "));
    }

    /**
     * The Chronicle trap: queues roll to a new file often (the listen queue every second, TEST_SECONDLY; the
     * connection's queues by size, every 64 KiB with a 64 KiB window); the tailer in the other process must follow
     * each roll (also across seconds with no document at all), and the rolled files must be deleted by their
     * reader, or a long-lived connection fills the disk.
     */
    @Test
    void streamingAcrossCycleRollsKeepsEveryByteInOrderAndDeletesRolledFiles() throws Exception {
        TestTransport.assumeChronicle();
        Map<String, String> props = FaultConfigs.props("rollCycle", "TEST_SECONDLY", "sendWindow", "65536");
        ViaConfig config = startFaultServer(props, "ECHO");
        try (ViaConnection c = ViaClient.connect(config, EP)) {
            Path dir = Faults.connDir(base, c);
            AtomicReference<Throwable> readError = new AtomicReference<>();
            long[] received = new long[1];
            Thread reader = new Thread(() -> {
                byte[] buf = new byte[8192];
                ByteBuffer pending = ByteBuffer.allocate(8192 + 8);
                long expect = 0;
                try {
                    int n;
                    while ((n = c.receive(buf, 0, buf.length, 10_000)) >= 0) {
                        pending.put(buf, 0, n).flip();
                        while (pending.remaining() >= 8) {
                            long v = pending.getLong();
                            if (v != expect) {
                                throw new AssertionError("expected long " + expect + ", got " + v);
                            }
                            expect++;
                        }
                        pending.compact();
                    }
                } catch (Throwable e) {
                    readError.set(e);
                }
                received[0] = expect;
            }, "echo-reader");
            reader.start();
            long seq = 0;
            int maxUp = 0;
            int maxDown = 0;
            ByteBuffer batch = ByteBuffer.allocate(64 * 8);
            long start = System.nanoTime();
            long gapAt = 1_500_000_000L;
            boolean gapDone = false;
            FlagBlock flags = ((ConnectionEnd) c).flags();
            // at least 4.5 s (cycles roll every second), and on a loaded machine on until both queues rolled by size
            // often enough (bounded: rolls that never come fail the assertions below)
            while (readError.get() == null && System.nanoTime() - start < 30_000_000_000L
                    && (System.nanoTime() - start < 4_500_000_000L || flags.get(FlagBlock.Word.UP_SEGMENT) <= 5
                            || flags.get(FlagBlock.Word.DOWN_SEGMENT) <= 5)) {
                if (!gapDone && System.nanoTime() - start > gapAt) {
                    Thread.sleep(2_200); // more than two whole cycles without a document in either queue
                    gapDone = true;
                }
                batch.clear();
                for (int i = 0; i < 64; i++) {
                    batch.putLong(seq++);
                }
                c.send(batch.array());
                Thread.sleep(1);
                maxUp = Math.max(maxUp, cycleFiles(dir.resolve("up")));
                maxDown = Math.max(maxDown, cycleFiles(dir.resolve("down")));
            }
            c.shutdownOutput();
            reader.join(20_000);
            assertThat(readError.get()).as("the echo came back in order").isNull();
            assertThat(received[0]).as("every long came back").isEqualTo(seq);
            System.out.printf("streamed %d longs across cycle rolls; at most %d up and %d down cycle files%n", seq,
                    maxUp, maxDown);
            assertThat(flags.get(FlagBlock.Word.UP_SEGMENT)).as("up queue rolls").isGreaterThan(5);
            assertThat(flags.get(FlagBlock.Word.DOWN_SEGMENT)).as("down queue rolls")
                    .isGreaterThan(5);
            assertThat(maxUp).as("cycle files of the up queue at any time").isLessThanOrEqualTo(3);
            assertThat(maxDown).as("cycle files of the down queue at any time").isLessThanOrEqualTo(3);
            // the listen queue rolls too; it must not keep a file per second either
            assertThat(cycleFiles(base.resolve(EP).resolve("listen"))).isLessThanOrEqualTo(3);
        }
    }

    // ---------------------------------------------------------------------------------------------------------

    private static void cycle(ViaConfig config, int i) throws IOException {
        try (ViaConnection c = ViaClient.connect(config, EP)) {
            echo(c, i);
        }
    }

    /** Runs a full GC in another JVM of this JDK (jcmd), waiting at most 30 s. */
    private static void gc(long pid) throws Exception {
        String javaBinary = ProcessHandle.current().info().command().orElseThrow();
        Path jcmd = Path.of(javaBinary).resolveSibling("jcmd");
        Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid), "GC.run").redirectErrorStream(true)
                .start();
        p.getInputStream().readAllBytes();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("jcmd GC.run").isTrue();
        Thread.sleep(300); // the cleaner unmaps after the GC
    }

    private static int cycleFiles(Path queueDir) {
        return (int) Faults.list(queueDir).stream().filter(p -> p.toString().endsWith(".cq4")).count();
    }

    /** Allocated (not apparent: the queue files are sparse) KiB under {@code dir}, by du. */
    private static long allocatedKiB(Path dir) throws Exception {
        Process du = new ProcessBuilder("du", "-sk", dir.toString()).redirectErrorStream(true).start();
        String out = new String(du.getInputStream().readAllBytes()).trim();
        du.waitFor();
        return Long.parseLong(out.split("\\s+")[0]);
    }

    /** File descriptors, memory mappings and threads of a process (from /proc), after a GC if it is this one. */
    record Resources(long fds, long maps, long threads) {
        static Resources of(long pid) throws Exception {
            boolean self = pid == ProcessHandle.current().pid();
            if (self) {
                for (int i = 0; i < 3; i++) { // mappings of closed flag blocks go with their buffers
                    System.gc();
                    Thread.sleep(100);
                }
            }
            Path proc = Path.of("/proc", Long.toString(pid));
            long fds;
            try (Stream<Path> s = Files.list(proc.resolve("fd"))) {
                fds = s.count();
            }
            long maps;
            try (Stream<String> s = Files.lines(proc.resolve("maps"))) {
                maps = s.count();
            }
            long threads;
            try (Stream<Path> s = Files.list(proc.resolve("task"))) {
                threads = s.count();
            }
            return new Resources(fds, maps, threads);
        }

        @Override
        public String toString() {
            return "{fds " + fds + ", maps " + maps + ", threads " + threads + "}";
        }
    }

}
