package io.viaemu.worker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.TimeUnit;

import io.viaemu.ViaConfig;
import io.viaemu.ViaConnectionHandler;
import io.viaemu.ViaProtocolException;
import io.viaemu.idle.Doorbell;
import io.viaemu.idle.IdleStrategy;
import io.viaemu.idle.QueueDoorbells;
import io.viaemu.internal.FilePermissions;
import io.viaemu.internal.Layout;
import io.viaemu.internal.ProcessExitWatch;
import io.viaemu.internal.Processes;
import io.viaemu.protocol.ChildRole;
import io.viaemu.protocol.FlagBlock;
import io.viaemu.protocol.MessageType;
import io.viaemu.protocol.Messages;
import io.viaemu.transport.Channel;
import io.viaemu.transport.ChannelReader;
import io.viaemu.transport.Document;
import io.viaemu.transport.Transport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker side of EMU_FORK, in a worker JVM: listens on its inbox for the parent's ASSIGN, runs the named
 * handler on the connection as the child, and answers the client's RECONNECT. Serves one connection, then returns.
 * An idle worker whose parent died returns too.
 */
public final class WorkerRuntime {
    private static final Logger log = LoggerFactory.getLogger(WorkerRuntime.class);

    private final ViaConfig config;
    private final Transport transport;
    private final String endpoint;
    private final long workerId;
    private final HandlerResolver resolver;
    /** The launching parent {pid, startMillis}; pid 0 if unknown (started by hand). */
    private final long[] parent = parentFromEnvironment();
    private volatile ChildRole child;
    private volatile boolean handlerDone;
    /** Rung by every append to the inbox, by the handler's end and by the parent's exit. */
    private Doorbell inboxBell;

    public WorkerRuntime(ViaConfig config, Transport transport, String endpoint, long workerId,
            HandlerResolver resolver) {
        this.config = config;
        this.transport = transport;
        this.endpoint = endpoint;
        this.workerId = workerId;
        this.resolver = resolver;
    }

    /** Runs until the assigned connection's handler finished (or the parent died before assigning one). */
    public void run() throws IOException {
        Path dir = Layout.workerDir(config.baseDir(), endpoint, workerId);
        Path inboxDir = Layout.inboxDir(dir);
        Channel inbox = transport.open(inboxDir);
        ChannelReader reader = inbox.reader();
        inboxBell = QueueDoorbells.forQueue(inboxDir); // before READY: nobody rings it yet
        if (inboxBell == null) {
            throw new IOException("cannot map the inbox's doorbell beside " + inboxDir);
        }
        inboxBell.clearWaiters();
        Doorbell bell = inboxBell;
        Runnable onExit = bell::ringAlways;
        ProcessExitWatch.addListener(onExit);
        ProcessExitWatch.watch(parent[0], parent[1]);
        Path ready = dir.resolve(Worker.READY_FILE);
        Path tmp = dir.resolve(Worker.READY_FILE + ".tmp");
        Files.writeString(tmp, Long.toString(ProcessHandle.current().pid()));
        FilePermissions.makePrivate(tmp);
        Files.move(tmp, ready, StandardCopyOption.ATOMIC_MOVE);
        log.info("worker {} pid {} ready", Layout.idString(workerId), ProcessHandle.current().pid());
        Document doc = new Document(512);
        Messages.Reader r = new Messages.Reader();
        IdleStrategy idle = config.pauser().newIdleStrategy();
        long nextParentCheck = 0;
        // the parent's exit rings the doorbell when the kernel reports it; otherwise look every 100 ms
        long parentCheckMillis = ProcessExitWatch.available() ? 10_000 : 100;
        try {
            while (!handlerDone) {
                if (reader.next(doc)) {
                    idle.reset();
                    handle(doc, r);
                    continue;
                }
                long now = System.currentTimeMillis();
                if (child == null && (now > nextParentCheck || ProcessExitWatch.hasExited(parent[0], parent[1]))) {
                    nextParentCheck = now + parentCheckMillis;
                    if (parent[0] != 0 && (ProcessExitWatch.hasExited(parent[0], parent[1])
                            || !Processes.isAlive(parent[0], parent[1]))) {
                        log.info("worker {}: parent died before assigning a connection; exiting",
                                Layout.idString(workerId));
                        return;
                    }
                }
                idle.idle(bell, child == null ? System.nanoTime() + parentCheckMillis * 1_000_000L : Long.MAX_VALUE);
            }
        } finally {
            idle.reset();
            ProcessExitWatch.removeListener(onExit);
            reader.close();
            inbox.close();
            FilePermissions.deleteTree(dir);
        }
    }

    private void handle(Document doc, Messages.Reader r) {
        try {
            MessageType type = r.reset(doc).type();
            switch (type) {
                case ASSIGN:
                    assign(r.getLong(), r.getString());
                    break;
                case RECONNECT:
                    reconnect(r.getLong(), r.getString(), r.getLong(), r.getLong());
                    break;
                default:
                    log.warn("worker {}: refused unexpected {} document in its inbox", Layout.idString(workerId), type);
            }
        } catch (ViaProtocolException e) {
            log.warn("worker {}: refused a bad inbox document: {}", Layout.idString(workerId), e.getMessage());
        } catch (IOException | RuntimeException e) {
            log.error("worker {}: failed to handle an inbox document", Layout.idString(workerId), e);
        }
    }

    private void assign(long connectionId, String handlerName) throws IOException {
        if (child != null) {
            log.warn("worker {}: refused a second ASSIGN ({}): a worker serves one connection",
                    Layout.idString(workerId), Layout.idString(connectionId));
            return;
        }
        ViaConnectionHandler handler = resolver.resolve(handlerName);
        Path connDir = Layout.connectionDir(config.baseDir(), endpoint, connectionId);
        FlagBlock flags = FlagBlock.open(connDir);
        ChildRole c = new ChildRole(config, endpoint, connectionId, connDir, flags,
                io.viaemu.protocol.ConnectionQueues.up(transport, connDir, flags, config),
                io.viaemu.protocol.ConnectionQueues.down(transport, connDir, flags, config));
        try {
            c.announce();
        } catch (RuntimeException | Error e) {
            handlerDone = true; // this worker's one assignment failed: exit, so the parent sees the child gone
            inboxBell.ringAlways();
            throw e;
        }
        child = c;
        log.info("worker {}: child of connection {} runs handler '{}'", Layout.idString(workerId), c.id(),
                handlerName);
        Thread t = new Thread(() -> {
            try {
                handler.handle(c);
            } catch (Throwable e) {
                log.warn("handler '{}' on connection {} ended with {}", handlerName, c.id(), e.toString());
            } finally {
                try {
                    c.close();
                } catch (Throwable e) {
                    log.warn("closing connection {}: {}", c.id(), e.toString());
                } finally {
                    handlerDone = true; // whatever happened, this worker's one connection is over
                    inboxBell.ringAlways();
                }
            }
        }, "via-handler-" + c.id());
        t.start();
    }

    private void reconnect(long connectionId, String endpointName, long token, long nonce) {
        ChildRole c = child;
        if (c == null || c.flags() == null || !Layout.idString(connectionId).equals(c.id())
                || !endpoint.equals(endpointName)) {
            log.warn("worker {}: refused RECONNECT for unknown connection {} of endpoint '{}'",
                    Layout.idString(workerId), Layout.idString(connectionId), endpointName);
            return;
        }
        String refusal = c.onReconnect(token, nonce);
        if (refusal != null) {
            log.warn("worker {}: refused RECONNECT for connection {}: {}", Layout.idString(workerId), c.id(), refusal);
        }
    }

    private static long[] parentFromEnvironment() {
        String v = System.getenv(WorkerLauncher.PARENT_ENV);
        if (v == null || v.indexOf(':') < 0) {
            return new long[] {0, 0};
        }
        try {
            return new long[] {Long.parseLong(v.substring(0, v.indexOf(':'))),
                    Long.parseLong(v.substring(v.indexOf(':') + 1))};
        } catch (NumberFormatException e) {
            return new long[] {0, 0};
        }
    }

    /** Waits (bounded) for the handler thread to finish; for tests and orderly shutdown. */
    public boolean awaitHandler(long timeout, TimeUnit unit) throws InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        while (!handlerDone && System.nanoTime() < deadline) {
            TimeUnit.MILLISECONDS.sleep(5);
        }
        return handlerDone;
    }
}
