package io.viaemu.spring.boot.actuate;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.viaemu.ConnectionSnapshot;
import io.viaemu.Trigger;
import io.viaemu.ViaException;
import io.viaemu.ViaServer;
import io.viaemu.inspect.HandoverTimeline;
import io.viaemu.inspect.ViaInspector;
import io.viaemu.spring.boot.ViaServers;
import org.springframework.context.SmartLifecycle;

/**
 * Each handover this parent runs as a Micrometer {@link Observation} named {@value #NAME}, so a tracing backend
 * shows it as a span and the observation's timer measures it: started on the handover's thread once a trigger fired
 * (T1, T2 expected, T3/T4 through C) and the parent asked the client to intermit (S7) — while the client reacts, so
 * making the observation does not lengthen the pause — and stopped when the connection leaves the parent. The
 * span therefore misses the few microseconds from the trigger to S7 (more for the first one in a JVM, which loads
 * the observation's classes); {@code via.handover.duration} and {@code via.handover.step} measure the whole pause
 * from the flag block's stamps. Low-cardinality keys
 * {@code endpoint}, {@code trigger} ({@code T1_PARENT_CLOSE} ...) and {@code outcome} ({@code completed} or
 * {@code failed}); high-cardinality key {@code connection} (the id). Each step of the handover (S7 ... S13, read
 * from the flag block's stamps) is an event of the observation at the moment it happened. A handover that the
 * client and the child finish after the parent's death (unexpected T2) has no observation: there is no parent
 * to make one.
 */
public class ViaHandoverObservation implements SmartLifecycle {
    public static final String NAME = "via.handover";

    private final ObservationRegistry registry;
    private final ViaServers servers;
    private final Map<String, Observation> running = new ConcurrentHashMap<>();
    private volatile boolean started;

    public ViaHandoverObservation(ObservationRegistry registry, ViaServers servers) {
        this.registry = registry;
        this.servers = servers;
    }

    @Override
    public synchronized void start() {
        if (started) {
            return;
        }
        for (ViaServer s : servers.all()) {
            s.addHandoverListener(new ViaServer.HandoverListener() {
                @Override
                public void onHandoverStarted(String connectionId, Trigger trigger) {
                    begin(s, connectionId, trigger);
                }

                @Override
                public void onHandover(ConnectionSnapshot connection, boolean completed) {
                    end(s, connection, completed);
                }
            });
        }
        started = true;
    }

    void begin(ViaServer server, String connectionId, Trigger trigger) {
        Observation o = Observation.createNotStarted(NAME, registry)
                .contextualName("via handover " + trigger.name().substring(0, 2))
                .lowCardinalityKeyValue("endpoint", server.endpoint())
                .lowCardinalityKeyValue("trigger", trigger.name())
                .highCardinalityKeyValue("connection", connectionId)
                .start();
        running.put(connectionId, o);
    }

    void end(ViaServer server, ConnectionSnapshot connection, boolean completed) {
        Observation o = running.remove(connection.id());
        if (o == null) {
            return; // began before this bean listened
        }
        ViaInspector.timeline(server.config().baseDir(), server.endpoint(), connection.id()).ifPresent(t -> {
            for (HandoverTimeline.Segment g : t.segments()) {
                long wall = t.epochMillis(g.toNanos());
                o.event(wall == 0 ? Observation.Event.of(g.step(), g.label())
                        : Observation.Event.of(g.step(), g.label() + " (" + HandoverTimeline.millis(g.nanos()) + ")",
                                wall));
            }
        });
        o.lowCardinalityKeyValue("outcome", completed ? "completed" : "failed");
        if (!completed) {
            o.error(new ViaException("handover of connection " + connection.id() + " failed: "
                    + (connection.error() == null ? "unknown" : connection.error())));
        }
        o.stop();
    }

    @Override
    public void stop() {
        started = false;
    }

    @Override
    public boolean isRunning() {
        return started;
    }
}
