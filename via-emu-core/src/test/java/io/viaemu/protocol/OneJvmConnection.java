package io.viaemu.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

import io.viaemu.PauserKind;
import io.viaemu.Trigger;
import io.viaemu.ViaConfig;
import io.viaemu.internal.Layout;
import io.viaemu.internal.ProcessLiveness;
import io.viaemu.transport.Channel;
import io.viaemu.transport.ChannelReader;
import io.viaemu.transport.Document;
import io.viaemu.transport.memory.MemoryTransport;

/**
 * One connection's three roles in this JVM (after Netty's EmbeddedChannel and Aeron's ClientConductorTest): an
 * in-memory transport and flag block, one fake clock, fake liveness, a made-up identity per role and housekeeping
 * ticked by the test. Nothing is written to disk; no process is started.
 */
final class OneJvmConnection implements AutoCloseable {
    static final String EP = "ep";
    static final long CLIENT_PID = 101;
    static final long PARENT_PID = 102;
    static final long CHILD_PID = 103;
    static final long WORKER_ID = 77;
    static final Duration WAIT = Duration.ofSeconds(10);

    final ManualClock clock = new ManualClock();
    final FakeLiveness liveness = new FakeLiveness(CLIENT_PID, PARENT_PID, CHILD_PID);
    /** Each made-up process's liveness (its heartbeat, its peers' checks), ticked first by its housekeeping. */
    final ProcessLiveness clientLiveness = liveness.of(CLIENT_PID);
    final ProcessLiveness parentLiveness = liveness.of(PARENT_PID);
    final ProcessLiveness childLiveness = liveness.of(CHILD_PID);
    final ManualHousekeeping clientHousekeeping = new ManualHousekeeping(clientLiveness);
    final ManualHousekeeping parentHousekeeping = new ManualHousekeeping(parentLiveness);
    final ManualHousekeeping childHousekeeping = new ManualHousekeeping(childLiveness);
    final RoleEnvironment clientEnv = new RoleEnvironment(clock, clientLiveness, clientHousekeeping, CLIENT_PID, 1);
    final RoleEnvironment parentEnv = new RoleEnvironment(clock, parentLiveness, parentHousekeeping, PARENT_PID, 2);
    final RoleEnvironment childEnv = new RoleEnvironment(clock, childLiveness, childHousekeeping, CHILD_PID, 3);
    /** The pids whose housekeeper a role woke (S7, S11 the client's; C the parent's). */
    final ConcurrentLinkedQueue<Long> woken = new ConcurrentLinkedQueue<>();
    final MemoryTransport transport = new MemoryTransport();
    final ViaConfig config;
    final Path base;
    final long connectionId = Layout.randomId();
    final Path dir;
    final FlagBlock flags;
    final ExecutorService threads = Executors.newCachedThreadPool();
    final List<String> released = new CopyOnWriteArrayList<>();
    final List<Trigger> handoversStarted = new CopyOnWriteArrayList<>();
    /** What the child answered to each RECONNECT the inbox pump delivered (null: granted). */
    final List<String> reconnectAnswers = new CopyOnWriteArrayList<>();
    final List<ControlMessages.Reconnect> reconnects = new CopyOnWriteArrayList<>();
    private volatile boolean running = true;

    ClientRole client;
    ParentRole parent;
    ChildRole child;
    final FakeWorker worker = new FakeWorker();

    OneJvmConnection(Path base, Consumer<ViaConfig.Builder> configure) {
        this(base, configure, UnaryOperator.identity());
    }

    /** As above, the flag block's words seen through {@code words} (a test that holds one write back). */
    OneJvmConnection(Path base, Consumer<ViaConfig.Builder> configure, UnaryOperator<Coordination> words) {
        this.base = base;
        ViaConfig.Builder b = ViaConfig.builder(base).pauser(PauserKind.YIELDING)
                .handoverTimeout(Duration.ofSeconds(2)).childStartTimeout(Duration.ofSeconds(3))
                .peerTimeout(Duration.ofSeconds(5)).connectTimeout(Duration.ofSeconds(4));
        configure.accept(b);
        this.config = b.build();
        this.dir = Layout.connectionDir(base, EP, connectionId);
        this.flags = FlagBlock.on(words.apply(new MemoryCoordination(dir, woken::add)));
    }

    Path listenDir() {
        return Layout.listenDir(base, EP);
    }

    Path inboxDir() {
        return Layout.inboxDir(Layout.workerDir(base, EP, WORKER_ID));
    }

    Path upDir() {
        return Layout.upDir(dir);
    }

    Path downDir() {
        return Layout.downDir(dir);
    }

    /** S41-S43 and S2, S3: the client's CONNECT read by the test in the acceptor's place, the parent's grant. */
    ControlMessages.Connect connect() throws Exception {
        client = ClientRole.open(clientEnv, config, transport, EP, connectionId, dir, flags);
        Future<?> connecting = threads.submit(() -> {
            client.requestConnection();
            return null;
        });
        Document d = nextDocument(transport.open(listenDir()).reader());
        Messages.Reader r = new Messages.Reader().reset(d);
        assertThat(r.type()).isEqualTo(MessageType.CONNECT);
        ControlMessages.Connect connect = ControlMessages.Connect.read(r);
        parent = new ParentRole(parentEnv, config, EP, connectionId, dir, flags,
                ConnectionQueues.up(transport, dir, flags, config), ConnectionQueues.down(transport, dir, flags, config),
                null, new ParentRole.Listener() {
                    @Override
                    public void onReleased(ParentRole connection) {
                        released.add(connection.id());
                    }

                    @Override
                    public void onHandoverStarted(ParentRole connection, Trigger trigger) {
                        handoversStarted.add(trigger);
                    }
                });
        parent.grant();
        connecting.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        return connect;
    }

    /** S4 (EMU_FORK) and S21, S22: the fake worker announces the child at once. */
    void fork() throws IOException {
        parent.fork("handler", () -> worker);
    }

    void tickClient() {
        clientHousekeeping.tick(clock.currentTimeMillis());
    }

    void tickParent() {
        parentHousekeeping.tick(clock.currentTimeMillis());
    }

    void tickChild() {
        childHousekeeping.tick(clock.currentTimeMillis());
    }

    /** Ticks the client's housekeeping every millisecond (real time; the clock does not move), as its housekeeper. */
    void tickClientContinuously() {
        threads.submit(() -> {
            while (running) {
                tickClient();
                Thread.sleep(1);
            }
            return null;
        });
    }

    /** Ticks the parent's housekeeping every millisecond. */
    void tickParentContinuously() {
        threads.submit(() -> {
            while (running) {
                tickParent();
                Thread.sleep(1);
            }
            return null;
        });
    }

    /** The worker's inbox loop: every RECONNECT goes to the child, its answer is recorded. */
    void pumpInbox() {
        threads.submit(() -> {
            ChannelReader inbox = transport.open(inboxDir()).reader();
            Document d = new Document(256);
            Messages.Reader r = new Messages.Reader();
            while (running) {
                if (!inbox.next(d)) {
                    Thread.sleep(1);
                    continue;
                }
                ControlMessages.Reconnect reconnect = ControlMessages.Reconnect.read(r.reset(d));
                reconnects.add(reconnect);
                reconnectAnswers.add(String.valueOf(child.onReconnect(reconnect.token(), reconnect.nonce())));
            }
            return null;
        });
    }

    /** The next RECONNECT in the child's inbox, read by the test. */
    ControlMessages.Reconnect nextReconnect(ChannelReader inbox) throws Exception {
        Messages.Reader r = new Messages.Reader().reset(nextDocument(inbox));
        assertThat(r.type()).isEqualTo(MessageType.RECONNECT);
        return ControlMessages.Reconnect.read(r);
    }

    /** The documents of a queue, decoded to their types. */
    List<MessageType> types(Path queueDir) throws Exception {
        List<MessageType> types = new ArrayList<>();
        for (byte[] doc : transport.documents(queueDir)) {
            if (doc != null) {
                Document d = new Document(doc.length);
                System.arraycopy(doc, 0, d.prepare(0, doc.length), 0, doc.length);
                types.add(new Messages.Reader().reset(d).type());
            }
        }
        return types;
    }

    /** The document at {@code index} (1-based, the memory transport's index) of a queue, parsed. */
    Messages.Reader document(Path queueDir, long index) throws Exception {
        byte[] doc = transport.documents(queueDir).get((int) index - 1);
        Document d = new Document(doc.length);
        System.arraycopy(doc, 0, d.prepare(index, doc.length), 0, doc.length);
        return new Messages.Reader().reset(d);
    }

    /** The last document of a queue, parsed. */
    Messages.Reader lastDocument(Path queueDir) throws Exception {
        return document(queueDir, transport.documents(queueDir).size());
    }

    /** Reads {@code n} bytes from a connection end (bounded wait). */
    static byte[] receive(ConnectionEnd end, int n) throws IOException {
        byte[] got = new byte[n];
        int off = 0;
        while (off < n) {
            int r = end.receive(got, off, n - off, WAIT.toMillis());
            assertThat(r).as("end of stream after %d of %d bytes", off, n).isPositive();
            off += r;
        }
        return got;
    }

    static Document nextDocument(ChannelReader reader) throws InterruptedException {
        Document d = new Document(256);
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!reader.next(d)) {
            assertThat(System.nanoTime() - deadline).as("a document within " + WAIT).isNegative();
            Thread.sleep(1);
        }
        return d;
    }

    /**
     * Waits until some role has read the clock twice more: one that is about to wait has then taken its deadline
     * and checked it at least once, so that moving the clock now is measured against that deadline.
     */
    void awaitWaiting() throws InterruptedException {
        long reads = clock.reads();
        await("a role waiting on the clock", () -> clock.reads() >= reads + 2);
    }

    /** Waits (real time, bounded) until {@code condition} holds. */
    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime() - deadline).as("waited %s for %s", WAIT, what).isNegative();
            Thread.sleep(1);
        }
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        threads.shutdownNow();
        threads.awaitTermination(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The worker EMU_FORK gives the connection to: it creates the child in this JVM. */
    final class FakeWorker implements ParentRole.ChildWorker {
        volatile boolean announceOnAssign = true;
        volatile ControlMessages.Assign assigned;
        volatile boolean killed;
        final List<Runnable> onExit = new CopyOnWriteArrayList<>();

        @Override
        public long id() {
            return WORKER_ID;
        }

        @Override
        public boolean isAlive() {
            return liveness.isAlive(CHILD_PID, 3);
        }

        @Override
        public void assign(long connectionId, String handlerName) {
            assigned = new ControlMessages.Assign(connectionId, handlerName);
            Channel up = ConnectionQueues.up(transport, dir, flags, config);
            Channel down = ConnectionQueues.down(transport, dir, flags, config);
            child = new ChildRole(childEnv, config, EP, connectionId, dir, flags, up, down);
            if (announceOnAssign) {
                child.announce();
            }
        }

        @Override
        public void kill() {
            killed = true;
            liveness.kill(CHILD_PID);
            onExit.forEach(Runnable::run);
        }

        @Override
        public Runnable onExit(Runnable action) {
            onExit.add(action);
            return () -> onExit.remove(action);
        }
    }
}
