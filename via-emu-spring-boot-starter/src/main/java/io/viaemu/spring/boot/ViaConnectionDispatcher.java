package io.viaemu.spring.boot;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import io.viaemu.ConnectionHandedOverException;
import io.viaemu.ConnectionSnapshot;
import io.viaemu.ParentConnection;
import io.viaemu.Trigger;
import io.viaemu.ViaException;
import io.viaemu.ViaServer;
import io.viaemu.ViaTimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * The parent's accept loops: one thread per endpoint that has an accepting {@link ConnectionHandler}, and one
 * thread per accepted connection that runs its handler:
 * <ul>
 * <li>{@code fork = true}: fork the connection to a worker running the handler, then close the parent's end, which
 * with T1 hands the connection over at once. Without T1 the parent leaves its end alone until another trigger
 * hands it over (T3/T4: the child's first receive or send; T2: this server's shutdown).</li>
 * <li>otherwise: run the handler here; when it returns, close the parent's end (T1 if it forked meanwhile).</li>
 * </ul>
 * Endpoints without an accepting handler are not touched, so an application may call {@code ViaServer.accept}
 * itself.
 */
public class ViaConnectionDispatcher implements SmartLifecycle {
    private static final Logger log = LoggerFactory.getLogger(ViaConnectionDispatcher.class);
    /** Accept waits this long at a time so that stop() is noticed promptly. */
    private static final long ACCEPT_SLICE_MILLIS = 200;

    private final ViaServers servers;
    private final ConnectionHandlerRegistry handlers;
    private final List<ViaHandoverListener> listeners;
    private final List<Thread> acceptors = new ArrayList<>();
    private final AtomicInteger connectionThreads = new AtomicInteger();
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "via-connection-" + connectionThreads.incrementAndGet());
        t.setDaemon(true); // connections end with their server; they must not keep the JVM alive on their own
        return t;
    });
    private volatile boolean running;
    /** Completed by {@link #stop()}: connection threads waiting for a handover stop waiting. */
    private volatile CompletableFuture<Void> stopping = new CompletableFuture<>();

    public ViaConnectionDispatcher(ViaServers servers, ConnectionHandlerRegistry handlers,
            List<ViaHandoverListener> listeners) {
        this.servers = servers;
        this.handlers = handlers;
        this.listeners = List.copyOf(listeners);
    }

    @Override
    public synchronized void start() {
        if (running) {
            return;
        }
        running = true;
        stopping = new CompletableFuture<>();
        for (ViaServer server : servers.all()) {
            // the core calls back when a forked connection leaves the parent: exact, whoever fired the trigger
            server.addHandoverListener((snapshot, completed) -> {
                if (completed) {
                    notifyHandedOver(server, snapshot);
                }
            });
        }
        Map<String, ConnectionHandlerMethod> accepting = handlers.acceptingHandlers(servers.primary().endpoint());
        checkTriggers(accepting);
        accepting.forEach((endpoint, handler) -> {
            ViaServer server = servers.get(endpoint).orElseThrow();
            // not a daemon: an application without a web server lives as long as it accepts connections
            Thread t = new Thread(() -> acceptLoop(server, handler), "via-dispatch-" + endpoint);
            t.start();
            acceptors.add(t);
            log.info("via-emu endpoint '{}' dispatches to handler {}", endpoint, handler);
        });
        for (ViaServer s : servers.all()) {
            if (!accepting.containsKey(s.endpoint())) {
                log.info("via-emu endpoint '{}' has no accepting @ConnectionHandler: the application accepts its "
                        + "connections itself", s.endpoint());
            }
        }
    }

    private void checkTriggers(Map<String, ConnectionHandlerMethod> accepting) {
        boolean anyFork = accepting.values().stream().anyMatch(h -> h.fork() || h.parentSide());
        if (anyFork && servers.config().triggers().isEmpty()) {
            log.warn("via-emu: every trigger is off, so a forked connection is never handed to its worker");
        }
    }

    private void acceptLoop(ViaServer server, ConnectionHandlerMethod handler) {
        while (running) {
            ParentConnection c;
            try {
                c = server.accept(ACCEPT_SLICE_MILLIS);
            } catch (ViaTimeoutException e) {
                continue;
            } catch (ViaException e) {
                // the server was closed (also by its own JVM shutdown hook, which may run before this stops)
                if (running) {
                    log.info("via-emu endpoint '{}': no more connections are dispatched: {}", server.endpoint(),
                            e.getMessage());
                }
                return;
            } catch (Exception e) {
                log.error("via-emu endpoint '{}': accept failed; no more connections are dispatched",
                        server.endpoint(), e);
                return;
            }
            try {
                executor.execute(() -> serve(server, handler, c));
            } catch (RuntimeException rejected) {
                closeQuietly(c); // stopping
            }
        }
    }

    private void serve(ViaServer server, ConnectionHandlerMethod handler, ParentConnection c) {
        try {
            if (handler.fork()) {
                c.fork(handler.name());
            } else {
                handler.invoke(c);
            }
        } catch (ConnectionHandedOverException e) {
            // a trigger (T3/T4) gave the connection to the child while the parent-side handler still used it
            log.debug("connection {}: handed over while handler {} used it", c.id(), handler.name());
        } catch (Exception e) {
            log.warn("connection {}: handler {} failed: {}", c.id(), handler, e.toString(), e);
        } catch (Error e) {
            log.error("connection {}: handler {} failed", c.id(), handler, e);
        }
        finish(server, c);
    }

    /** The parent is done with the connection: hand it over (T1) or wait for another trigger, or just close it. */
    private void finish(ViaServer server, ParentConnection c) {
        try {
            if (c.isForked() && !c.isHandedOver() && c.isOpen()) {
                if (triggerFired(server, c)) {
                    // Another trigger (T3/T4) is handing the connection over on a core thread. ParentRole.close()
                    // would not wait for that handover but close the connection under it: leave the end alone.
                    log.debug("connection {}: a trigger already fired; not closing", c.id());
                } else if (server.config().isEnabled(Trigger.T1_PARENT_CLOSE)) {
                    c.close(); // T1: returns once the child owns the connection
                } else {
                    awaitOtherTrigger(c);
                }
            } else if (!c.isHandedOver()) {
                c.close();
            }
        } catch (Exception e) {
            log.warn("connection {}: closing the parent's end failed: {}", c.id(), e.toString());
        }
        if (c.isForked()) {
            awaitHandoverEnd(server, c);
        }
    }

    private static boolean triggerFired(ViaServer server, ParentConnection c) {
        return server.snapshot(c.id()).map(s -> s.triggerFired() != null).orElse(false);
    }

    /**
     * Without T1 the parent must not close a forked connection (that would end it for the child too): it waits
     * until T3/T4 hands it over, the child exits first (the core then returns the connection to the parent, which
     * closes it), or the connection ends. At shutdown it leaves the connection to {@link ViaServer#close()}, which
     * hands it over with T2.
     */
    private void awaitOtherTrigger(ParentConnection c) throws Exception {
        if (running && c.isOpen() && c.isForked() && !c.isHandedOver()) {
            // the stage ends with the handover, the connection's end or the child's exit; stop() ends the wait too
            try {
                CompletableFuture.anyOf(c.handoverCompletion().toCompletableFuture(), stopping).get();
            } catch (ExecutionException noHandover) {
                log.debug("connection {}: {}", c.id(), noHandover.getCause().getMessage());
            }
        }
        if (c.isOpen() && !c.isForked() && !c.isHandedOver()) {
            c.close();
        }
    }

    /**
     * A handover that a trigger started on a core thread (T3/T4) is over when its stage completes (after the
     * parent's end is released). Until the copy step even {@code isHandedOver()} is false, so the fired trigger in
     * the flag block counts too.
     */
    private void awaitHandoverEnd(ViaServer server, ParentConnection c) {
        if (!(c.isOpen() && c.isForked() && (c.isHandedOver() || triggerFired(server, c)))) {
            return;
        }
        try {
            c.handoverCompletion().toCompletableFuture()
                    .get(2 * servers.config().handoverTimeout().toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException | TimeoutException e) {
            log.debug("connection {}: the handover ended without completing: {}", c.id(), e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void notifyHandedOver(ViaServer server, ConnectionSnapshot snapshot) {
        for (ViaHandoverListener l : listeners) {
            try {
                l.handedOver(server, snapshot);
            } catch (RuntimeException e) {
                log.warn("handover listener {} failed: {}", l, e.toString());
            }
        }
    }

    private static void closeQuietly(ParentConnection c) {
        try {
            c.close();
        } catch (Exception e) {
            log.debug("closing {}: {}", c.id(), e.toString());
        }
    }

    /** Stops accepting; connections being served go on until their server closes (T2 for forked ones). */
    @Override
    public synchronized void stop() {
        if (!running) {
            return;
        }
        running = false;
        stopping.complete(null);
        for (Thread t : acceptors) {
            try {
                t.join(2 * ACCEPT_SLICE_MILLIS + 1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        acceptors.clear();
        executor.shutdown();
    }

    @Override
    public boolean isRunning() {
        return running;
    }
}
