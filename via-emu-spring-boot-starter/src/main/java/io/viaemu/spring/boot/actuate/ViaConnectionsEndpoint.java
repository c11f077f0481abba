package io.viaemu.spring.boot.actuate;

import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import io.viaemu.ConnectionSnapshot;
import io.viaemu.Trigger;
import io.viaemu.ViaServer;
import io.viaemu.spring.boot.ViaServers;
import io.viaemu.worker.WorkerSnapshot;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;

/**
 * {@code /actuator/viaconnections}: every endpoint's server (triggers, worker pool, handover counts) and every
 * connection with a flag block on disk, handed-over ones included, with the flags of the original design (P, C,
 * copy-request, data-received, reconnection-completion, transmission-intermission), the trigger that fired, the
 * bytes copied at the handover, the pids and the timestamps of each step, and every worker process (pid, state,
 * connections served and current). {@code /actuator/viaconnections/{id}}
 * shows one connection (404 if unknown).
 */
@Endpoint(id = "viaconnections")
public class ViaConnectionsEndpoint {

    private final ViaServers servers;

    public ViaConnectionsEndpoint(ViaServers servers) {
        this.servers = servers;
    }

    @ReadOperation
    public ViaConnectionsDescriptor connections() {
        return new ViaConnectionsDescriptor(servers.all().stream().map(ViaConnectionsEndpoint::describe).toList());
    }

    @ReadOperation
    public ConnectionDescriptor connection(@Selector String id) {
        for (ViaServer s : servers.all()) {
            var snapshot = s.snapshot(id);
            if (snapshot.isPresent()) {
                return ConnectionDescriptor.of(snapshot.get());
            }
        }
        return null; // the actuator answers 404
    }

    private static ServerDescriptor describe(ViaServer s) {
        List<ConnectionDescriptor> connections = s.snapshots().stream()
                .map(ConnectionDescriptor::of)
                .sorted(Comparator.comparing(ConnectionDescriptor::connectedAt,
                        Comparator.nullsLast(Comparator.naturalOrder())))
                .toList();
        List<String> triggers = s.config().triggers().stream().sorted().map(Trigger::name).toList();
        return new ServerDescriptor(s.endpoint(), s.config().baseDir().toString(), triggers,
                new WorkerPoolDescriptor(s.config().workerPoolSize(), s.workers().idleCount(),
                        s.workers().readyCount()),
                s.connections().size(), s.handoversCompleted(), s.handoversFailed(), s.refusedConnections(),
                connections, s.workerSnapshots().stream().map(WorkerDescriptor::of).toList());
    }

    /** The whole report. */
    public record ViaConnectionsDescriptor(List<ServerDescriptor> servers) {
    }

    /**
     * One endpoint's server. {@code openConnections} counts those this parent still serves (not handed-over ones);
     * {@code connections} lists every connection of the endpoint still on disk.
     */
    public record ServerDescriptor(String endpoint, String baseDir, List<String> triggers,
            WorkerPoolDescriptor workerPool, int openConnections, long handoversCompleted, long handoversFailed,
            long refusedConnections, List<ConnectionDescriptor> connections, List<WorkerDescriptor> workers) {
    }

    /**
     * One worker process: STARTING, IDLE, BUSY (serving, may take more up to its concurrency), DRAINING (recycled:
     * takes no more, exits when its connections have ended); connections served and current; its connection limit
     * (0 = unlimited) and why it was recycled (NONE while it takes connections).
     */
    public record WorkerDescriptor(String id, long pid, String state, long connectionsServed,
            long currentConnections, long connectionLimit, int concurrency, String recycleReason,
            Instant startedAt) {

        static WorkerDescriptor of(WorkerSnapshot w) {
            return new WorkerDescriptor(w.id(), w.pid(), w.state().name(), w.connectionsServed(),
                    w.currentConnections(), w.connectionLimit(), w.concurrency(), w.recycleReason(),
                    Instant.ofEpochMilli(w.startedAtMillis()));
        }
    }

    /** {@code size} idle workers are kept; {@code ready} of the {@code idle} ones listen on their inbox already. */
    public record WorkerPoolDescriptor(int size, int idle, int ready) {
    }

    /** A {@link ConnectionSnapshot} plus the handover's duration (-1 until it completed). */
    public record ConnectionDescriptor(String id, String endpoint, String state, long clientPid, long parentPid,
            long childPid, Map<String, Object> flags, String triggerFired, long bytesCopied, String error,
            Map<String, Instant> timestamps, long handoverMillis) {

        static ConnectionDescriptor of(ConnectionSnapshot s) {
            return new ConnectionDescriptor(s.id(), s.endpoint(), s.state(), s.clientPid(), s.parentPid(),
                    s.childPid(), s.flags(), s.triggerFired(), s.bytesCopied(), s.error(), s.timestamps(),
                    s.handoverMillis());
        }

        Instant connectedAt() {
            return timestamps.get("connected");
        }
    }
}
