package io.viaemu.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

/**
 * {@link ProcessLiveness} in one JVM (after Aeron's ClientConductorTest): two made-up processes, a server and a
 * client with many connections to it, their heartbeats in a map, deaths decided by the test, time by a fake clock
 * the test moves and the housekeeper's ticks given by the test. What it must show: one heartbeat per process and one
 * check per peer process per interval, whatever the number of connections; a stopped peer reported within the peer
 * timeout (and not before), to every connection; a dead one dropped.
 */
class ProcessLivenessTest {
    private static final Path BASE = Path.of("/base");
    private static final long SERVER = 11;
    private static final long CLIENT = 22;
    private static final long TIMEOUT = 5_000;
    private static final long INTERVAL = TIMEOUT / 10;
    private static final int CONNECTIONS = 200;

    /** Every process's heartbeat, with counts of writes and reads. */
    private final Map<Long, Long> beats = new ConcurrentHashMap<>();
    private final AtomicInteger writes = new AtomicInteger();
    private final AtomicInteger reads = new AtomicInteger();
    private final Set<Long> dead = ConcurrentHashMap.newKeySet();
    private final AtomicLong exits = new AtomicLong();
    private final AtomicInteger wakeUps = new AtomicInteger();
    private long now = 1_000_000;

    private ProcessLiveness process(long pid) {
        ProcessLiveness.Heartbeats heartbeats = new ProcessLiveness.Heartbeats() {
            @Override
            public void write(Path base, long millis) {
                writes.incrementAndGet();
                beats.put(pid, millis);
            }

            @Override
            public long read(Path base, long peer, long startMillis) {
                reads.incrementAndGet();
                return beats.getOrDefault(peer, 0L);
            }

            @Override
            public void forget(Path base, long peer, long startMillis) {
            }
        };
        ProcessLiveness.Exits processExits = new ProcessLiveness.Exits() {
            @Override
            public boolean isAlive(long p, long startMillis) {
                return !dead.contains(p);
            }

            @Override
            public void watch(long p, long startMillis) {
            }

            @Override
            public long exits() {
                return exits.get();
            }
        };
        return new ProcessLiveness(heartbeats, processExits, wakeUps::incrementAndGet);
    }

    /** A server and a client process, the client with {@link #CONNECTIONS} connections to the server. */
    private final ProcessLiveness server = process(SERVER);
    private final ProcessLiveness client = process(CLIENT);

    private void connect() {
        server.beat(BASE, TIMEOUT, now);
        for (int i = 0; i < CONNECTIONS; i++) {
            client.beat(BASE, TIMEOUT, now); // each connection's client role does, at its identification
            client.watch(BASE, SERVER, 7, TIMEOUT); // and watches its parent
        }
        assertThat(wakeUps.get()).as("the housekeepers told of the new interval").isPositive();
        wakeUps.set(0);
    }

    /** Time passes by {@code millis} in steps of 10 ms; the housekeepers tick at each step, the server's if running. */
    private void run(long millis, boolean serverRuns) {
        for (long t = 0; t < millis; t += 10) {
            now += 10;
            if (serverRuns) {
                server.tick(now);
            }
            client.tick(now);
        }
    }

    @Test
    void oneHeartbeatPerProcessAndOneCheckPerPeerProcessWhateverTheConnections() {
        connect();
        assertThat(client.watchedPeers()).isEqualTo(1);
        assertThat(client.idleIntervalNanos()).isEqualTo(INTERVAL * 1_000_000L);
        writes.set(0);
        reads.set(0);
        run(10_000, true);
        // 10 s at a tenth of the peer timeout: 20 heartbeats per process, 20 reads of the server's by the client
        assertThat(writes.get()).isBetween(2 * 19, 2 * 21);
        assertThat(reads.get()).isBetween(19, 21);
        assertThat(wakeUps.get()).isZero();
        assertThat(client.isSilent(SERVER, 7, TIMEOUT, now)).isFalse();
    }

    @Test
    void aStoppedPeerIsReportedWithinThePeerTimeoutNotBefore() {
        connect();
        run(1_000, true);
        long exitsBefore = client.exits();
        long stoppedAt = now;
        run(TIMEOUT - INTERVAL, false); // the server stopped: its heartbeat ages, but not past the timeout yet
        assertThat(client.exits()).isEqualTo(exitsBefore);
        assertThat(client.isSilent(SERVER, 7, TIMEOUT, now)).isFalse();

        while (client.exits() == exitsBefore) {
            run(10, false);
        }
        // the last heartbeat was up to an interval before the stop; the check comes at most an interval late
        assertThat(now - stoppedAt).isBetween(TIMEOUT - INTERVAL, TIMEOUT + INTERVAL);
        assertThat(wakeUps.get()).isEqualTo(1);
        // every connection of the client now finds its peer silent: one look each, only on this event
        for (int i = 0; i < CONNECTIONS; i++) {
            assertThat(client.isSilent(SERVER, 7, TIMEOUT, now)).isTrue();
        }
        // a connection with a longer peer timeout is told again at each check while the silence lasts
        long exitsAtVerdict = client.exits();
        run(INTERVAL, false);
        assertThat(client.exits()).isNotEqualTo(exitsAtVerdict);
        assertThat(client.isSilent(SERVER, 7, 2 * TIMEOUT, now)).isFalse();

        // resumed: it beats again and is no longer silent
        run(INTERVAL + 10, true);
        assertThat(client.isSilent(SERVER, 7, TIMEOUT, now)).isFalse();
    }

    @Test
    void aPeerWithoutAKnownHeartbeatIsNeverSilent() {
        client.beat(BASE, TIMEOUT, now);
        client.watch(BASE, SERVER, 7, TIMEOUT); // the server never beat (no file: another version, or none yet)
        long exitsBefore = client.exits();
        run(3 * TIMEOUT, false);
        assertThat(client.exits()).isEqualTo(exitsBefore);
        assertThat(client.isSilent(SERVER, 7, TIMEOUT, now)).isFalse();
        assertThat(client.isSilent(99, 1, TIMEOUT, now)).as("not watched").isFalse();
    }

    @Test
    void aDeadPeerIsDroppedAndReportedEvenWhereNoExitWatchSawIt() {
        connect();
        run(1_000, true);
        long exitsBefore = client.exits();
        dead.add(SERVER); // the exit watch did not report it (exits unchanged): a process it does not watch
        run(INTERVAL + 10, false);
        assertThat(client.exits()).isNotEqualTo(exitsBefore);
        assertThat(client.watchedPeers()).isZero();
        assertThat(client.isAlive(SERVER, 7)).isFalse();
        assertThat(client.isSilent(SERVER, 7, TIMEOUT, now)).as("dead, not silent").isFalse();
    }

    @Test
    void theShortestPeerTimeoutSetsTheInterval() {
        server.beat(BASE, TIMEOUT, now);
        client.watch(BASE, SERVER, 7, TIMEOUT);
        wakeUps.set(0);
        client.watch(BASE, SERVER, 7, 1_000); // another connection, configured with a shorter peer timeout
        assertThat(client.idleIntervalNanos()).isEqualTo(100 * 1_000_000L);
        assertThat(wakeUps.get()).as("the housekeeper must tick it sooner than planned").isEqualTo(1);
        long exitsBefore = client.exits();
        run(1_200, false);
        assertThat(client.exits()).as("silent past the shorter timeout").isNotEqualTo(exitsBefore);
        assertThat(client.isSilent(SERVER, 7, 1_000, now)).isTrue();
        assertThat(client.isSilent(SERVER, 7, TIMEOUT, now)).isFalse();
    }
}
