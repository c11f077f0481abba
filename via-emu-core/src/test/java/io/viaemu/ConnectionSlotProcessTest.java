package io.viaemu;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import io.viaemu.protocol.ConnectionEnd;
import io.viaemu.protocol.ConnectionState;
import io.viaemu.protocol.FlagBlock;
import io.viaemu.protocol.FlagBlock.Word;
import io.viaemu.testapp.EchoServerMain;
import io.viaemu.testapp.SlotCyclingClientMain;
import io.viaemu.testing.JvmProcess;
import io.viaemu.testing.SeparateProcessTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Connection slots between two JVMs (this one the client, an echo server in another): many connect / round trip /
 * close cycles reuse a few slots, and no use ever reads a byte of an earlier use's, whatever that use left unread;
 * a server restarted under clients that hold idle slots serves them on its first sight of them.
 */
class ConnectionSlotProcessTest extends SeparateProcessTest {
    private static final Duration STEP = Duration.ofSeconds(60);
    private static final int SLOTS = 4;

    private ViaConfig clientConfig() {
        return ViaConfig.builder(base).connectSlots(SLOTS).connectTimeout(Duration.ofSeconds(20)).build();
    }

    @AfterEach
    void releaseSlots() {
        ViaClient.releaseSlots();
    }

    private JvmProcess startEchoServer() {
        return JvmProcess.start(tmp.resolve("logs"), "echo-server", List.of(), EchoServerMain.class,
                base.toString(), "echo").awaitOutput("LISTENING", STEP);
    }

    /** A payload no other cycle sends: the cycle number in every 8 bytes, {@code longs} of them. */
    private static byte[] numbered(int cycle, int part, int longs) {
        ByteBuffer b = ByteBuffer.allocate(longs * 8);
        for (int i = 0; i < longs; i++) {
            b.putLong(((long) cycle << 32) | ((long) part << 24) | i);
        }
        return b.array();
    }

    private static byte[] receiveExactly(ViaConnection c, int length) throws IOException {
        byte[] got = new byte[length];
        int off = 0;
        while (off < length) {
            int n = c.receive(got, off, length - off, 20_000);
            assertThat(n).as("end of stream after " + off + " of " + length + " bytes").isPositive();
            off += n;
        }
        return got;
    }

    @Test
    void sequentialCyclesReuseSlotsAndNeverSeeAnEarlierUsesBytes() throws Exception {
        server = startEchoServer();
        ViaConfig config = clientConfig();
        Map<String, Integer> usesById = new HashMap<>();
        long maxUse = 0;
        int cycles = 400;
        for (int cycle = 0; cycle < cycles; cycle++) {
            ViaConnection c = ViaClient.connect(config, "echo");
            FlagBlock flags = ((ConnectionEnd) c).flags();
            maxUse = Math.max(maxUse, flags.get(Word.SLOT_USE));
            usesById.merge(c.id(), 1, Integer::sum);
            int longs = 1 + cycle % 97;
            byte[] first = numbered(cycle, 0, longs);
            c.send(first);
            // the first bytes this use reads are its own echo: nothing of an earlier use's, read or left unread
            assertThat(receiveExactly(c, first.length)).as("cycle " + cycle).isEqualTo(first);
            switch (cycle % 4) {
                case 1 -> c.send(numbered(cycle, 1, 33)); // its echo is left unread in the down queue
                case 2 -> {
                    c.send(numbered(cycle, 2, 5)); // sent and echoed...
                    c.shutdownOutput(); // ... then end of stream first; the server closes after it
                    assertThat(receiveExactly(c, 40)).isEqualTo(numbered(cycle, 2, 5));
                    assertThat(c.receive(new byte[8], 0, 8, 20_000)).isEqualTo(-1);
                }
                case 3 -> c.send(numbered(cycle, 3, 2_000)); // 16 KB the client never reads
                default -> {
                }
            }
            c.close();
        }
        assertThat(usesById.size()).as("directories used for " + cycles + " connections: " + usesById)
                .isLessThanOrEqualTo(SLOTS + 1);
        assertThat(maxUse).as("a slot served many connections").isGreaterThan(cycles / (SLOTS + 1));
        assertThat(server.output()).doesNotContain("ECHO-ERROR");
        ViaClient.releaseSlots();
        awaitNoConnectionDirectories();
    }

    @Test
    void aRestartedServerServesTheSlotsItNeverSaw() throws Exception {
        server = startEchoServer();
        ViaConfig config = clientConfig();
        String firstId;
        FlagBlock firstFlags;
        try (ViaConnection c = ViaClient.connect(config, "echo")) {
            firstId = c.id();
            firstFlags = ((ConnectionEnd) c).flags();
            c.send(numbered(1, 0, 4));
            assertThat(receiveExactly(c, 32)).isEqualTo(numbered(1, 0, 4));
        }
        long deadline = System.nanoTime() + STEP.toNanos();
        while (!firstFlags.slotFree() && System.nanoTime() < deadline) {
            Thread.sleep(5); // the server's close of the use releases the slot
        }
        assertThat(firstFlags.slotFree()).as("released by the first server").isTrue();
        server.kill9();
        server = startEchoServer();
        boolean reused = false;
        for (int cycle = 2; cycle < 12; cycle++) {
            try (ViaConnection c = ViaClient.connect(config, "echo")) {
                reused |= c.id().equals(firstId);
                assertThat(((ConnectionEnd) c).flags().get(Word.PARENT_PID)).isEqualTo(server.pid());
                c.send(numbered(cycle, 0, 9));
                assertThat(receiveExactly(c, 72)).isEqualTo(numbered(cycle, 0, 9));
            }
        }
        assertThat(reused).as("a slot the first server served was used with the second").isTrue();
    }

    @Test
    void theIdleSlotsOfAKilledClientAreDeletedAndTheServerClosesTheQueuesItKeptForThem() throws Exception {
        server = startEchoServer();
        client = JvmProcess.start(tmp.resolve("logs"), "slot-client", List.of(), SlotCyclingClientMain.class,
                base.toString(), "echo", "200").awaitOutput("CYCLED", STEP);
        assertThat(client.output()).doesNotContain("idle=0");
        Path conn = base.resolve("echo").resolve("conn");
        try (Stream<Path> s = Files.list(conn)) {
            assertThat(s.count()).as("the client's slots").isPositive();
        }
        assertThat(queueFilesMapped(server.pid())).as("the server keeps the queues of slots it served").isPositive();
        client.kill9();
        awaitNoConnectionDirectories(); // the server's sweep: an idle slot of a dead client is stale
        long deadline = System.nanoTime() + STEP.toNanos();
        while (queueFilesMapped(server.pid()) > 0 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(queueFilesMapped(server.pid())).as("queue files of the dead client's slots mapped by the server")
                .isZero();
        // and the endpoint serves on: a new client's connections work
        ViaConfig config = clientConfig();
        try (ViaConnection c = ViaClient.connect(config, "echo")) {
            c.send(numbered(7, 0, 3));
            assertThat(receiveExactly(c, 24)).isEqualTo(numbered(7, 0, 3));
        }
    }

    /** Mappings of connection queue files (under the base directory's conn/) in a process. */
    private long queueFilesMapped(long pid) throws IOException {
        String conn = base.resolve("echo").resolve("conn").toString();
        try (Stream<String> lines = Files.lines(Path.of("/proc/" + pid + "/maps"))) {
            return lines.filter(l -> l.contains(conn) && (l.contains(".cq4") || l.contains("/ring"))).count();
        }
    }

    private void awaitNoConnectionDirectories() throws Exception {
        Path conn = base.resolve("echo").resolve("conn");
        long deadline = System.nanoTime() + STEP.toNanos();
        List<Path> left = List.of();
        while (System.nanoTime() < deadline) {
            try (Stream<Path> s = Files.list(conn)) {
                left = s.toList();
            }
            if (left.isEmpty()) {
                return;
            }
            Thread.sleep(20);
        }
        StringBuilder states = new StringBuilder();
        for (Path p : left) {
            ConnectionState st = FlagBlock.openReadOnly(p).state();
            states.append(p.getFileName()).append('=').append(st).append(' ');
        }
        assertThat(left).as("connection directories left: " + states).isEmpty();
    }
}
