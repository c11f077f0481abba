package io.viaemu.spring.boot.actuate;

import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.viaemu.ConnectionSnapshot;
import io.viaemu.ViaServer;
import io.viaemu.inspect.HandoverTimeline;
import io.viaemu.inspect.ViaInspector;
import io.viaemu.spring.boot.ViaHandoverListener;
import io.viaemu.spring.boot.ViaServers;
import org.springframework.context.SmartLifecycle;

/**
 * Micrometer meters of every endpoint (tag {@code endpoint}):
 * <ul>
 * <li>{@code via.connections.open} (gauge): connections the parent serves now, handed-over ones not included;</li>
 * <li>{@code via.handovers.completed}, {@code via.handovers.failed}, {@code via.connections.refused} (counters, read
 * from the server's own counts);</li>
 * <li>{@code via.workers.idle}, {@code via.workers.ready} (gauges): the warm worker pool;</li>
 * <li>{@code via.handover.duration} (timer, tag {@code trigger} too): trigger to completion, from the flag block's
 * timestamps (millisecond resolution), recorded when the dispatcher sees a handover complete. A connection whose
 * child and client both close within moments of the handover may be gone from disk before it is read; the counters
 * above still count it.</li>
 * <li>{@code via.handover.step} (timer, tags {@code endpoint}, {@code trigger}, {@code step}): the pause cut into
 * its steps on the critical path, S7 (intermission requested, until the client noticed) ... S13 (completion flag),
 * from the flag block's nanosecond stamps; the steps add up to the pause (see
 * {@link HandoverTimeline#segments()}).</li>
 * </ul>
 * Meters are registered when the context starts, after every endpoint's server exists.
 */
public class ViaMetrics implements SmartLifecycle, ViaHandoverListener {
    public static final String CONNECTIONS_OPEN = "via.connections.open";
    public static final String HANDOVERS_COMPLETED = "via.handovers.completed";
    public static final String HANDOVERS_FAILED = "via.handovers.failed";
    public static final String CONNECTIONS_REFUSED = "via.connections.refused";
    public static final String WORKERS_IDLE = "via.workers.idle";
    public static final String WORKERS_READY = "via.workers.ready";
    public static final String HANDOVER_DURATION = "via.handover.duration";
    public static final String HANDOVER_STEP = "via.handover.step";

    private final MeterRegistry registry;
    private final ViaServers servers;
    private volatile boolean running;

    public ViaMetrics(MeterRegistry registry, ViaServers servers) {
        this.registry = registry;
        this.servers = servers;
    }

    @Override
    public synchronized void start() {
        if (running) {
            return;
        }
        for (ViaServer s : servers.all()) {
            String ep = s.endpoint();
            Gauge.builder(CONNECTIONS_OPEN, s, x -> x.connections().size()).tag("endpoint", ep)
                    .description("via-emu connections served by this parent").register(registry);
            FunctionCounter.builder(HANDOVERS_COMPLETED, s, ViaServer::handoversCompleted).tag("endpoint", ep)
                    .description("Forked connections handed over to their worker").register(registry);
            FunctionCounter.builder(HANDOVERS_FAILED, s, ViaServer::handoversFailed).tag("endpoint", ep)
                    .description("Handovers that started but failed").register(registry);
            FunctionCounter.builder(CONNECTIONS_REFUSED, s, ViaServer::refusedConnections).tag("endpoint", ep)
                    .description("Connections refused at max-connections").register(registry);
            Gauge.builder(WORKERS_IDLE, s, x -> x.workers().idleCount()).tag("endpoint", ep)
                    .description("Idle worker JVMs of the warm pool").register(registry);
            Gauge.builder(WORKERS_READY, s, x -> x.workers().readyCount()).tag("endpoint", ep)
                    .description("Idle worker JVMs ready for a fork").register(registry);
        }
        running = true;
    }

    @Override
    public void handedOver(ViaServer server, ConnectionSnapshot snapshot) {
        long millis = snapshot.handoverMillis();
        if (millis < 0) {
            return;
        }
        Timer.builder(HANDOVER_DURATION)
                .tag("endpoint", server.endpoint())
                .tag("trigger", snapshot.triggerFired() == null ? "unknown" : snapshot.triggerFired())
                .description("Handover of a forked connection, from the trigger to the completion flag")
                .register(registry)
                .record(millis, TimeUnit.MILLISECONDS);
        String trigger = snapshot.triggerFired() == null ? "unknown" : snapshot.triggerFired();
        ViaInspector.timeline(server.config().baseDir(), server.endpoint(), snapshot.id()).ifPresent(t -> {
            for (HandoverTimeline.Segment g : t.segments()) {
                Timer.builder(HANDOVER_STEP)
                        .tag("endpoint", server.endpoint())
                        .tag("trigger", trigger)
                        .tag("step", g.step())
                        .description("One step of the handover's pause (S7 ... S13), from the flag block's stamps")
                        .register(registry)
                        .record(g.nanos(), TimeUnit.NANOSECONDS);
            }
        });
    }

    @Override
    public void stop() {
        running = false;
    }

    @Override
    public boolean isRunning() {
        return running;
    }
}
