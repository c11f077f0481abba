package io.viaemu;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import io.viaemu.ViaServer.HandoverListener;
import io.viaemu.protocol.FlagBlock.Word;
import io.viaemu.protocol.ParentRole;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connections a server's parent process serves now, by id, and what becomes of them: refusals, handovers
 * completed and failed, and the {@link HandoverListener}s told about each handover. The parent roles report to it
 * through {@link #events()}.
 */
final class ConnectionRegistry {
    private static final Logger log = LoggerFactory.getLogger(ViaServer.class);

    private final String endpoint;
    private final Map<String, ParentRole> connections = new ConcurrentHashMap<>();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong handoversCompleted = new AtomicLong();
    private final AtomicLong handoversFailed = new AtomicLong();
    private final List<HandoverListener> listeners = new CopyOnWriteArrayList<>();

    /** What the parent roles of this server tell it: handovers starting, connections released. */
    private final ParentRole.Listener events = new ParentRole.Listener() {
        @Override
        public void onReleased(ParentRole connection) {
            released(connection);
        }

        @Override
        public void onHandoverStarted(ParentRole connection, Trigger trigger) {
            for (HandoverListener l : listeners) {
                try {
                    l.onHandoverStarted(connection.id(), trigger);
                } catch (RuntimeException e) {
                    log.warn("handover listener {} failed: {}", l, e.toString());
                }
            }
        }
    };

    ConnectionRegistry(String endpoint) {
        this.endpoint = endpoint;
    }

    ParentRole.Listener events() {
        return events;
    }

    int size() {
        return connections.size();
    }

    void add(ParentRole connection) {
        connections.put(connection.id(), connection);
    }

    boolean contains(String connectionId) {
        return connections.containsKey(connectionId);
    }

    /** A copy: the connections served now. */
    List<ParentRole> all() {
        return List.copyOf(connections.values());
    }

    Collection<ParentConnection> connections() {
        return List.copyOf(connections.values());
    }

    void refusedOne() {
        refused.incrementAndGet();
    }

    long refusedConnections() {
        return refused.get();
    }

    long handoversCompleted() {
        return handoversCompleted.get();
    }

    long handoversFailed() {
        return handoversFailed.get();
    }

    void addHandoverListener(HandoverListener listener) {
        listeners.add(listener);
    }

    private void released(ParentRole c) {
        connections.remove(c.id(), c); // a slot's next use may be here already, under the same id
        if (c.isForked() && c.flags().get(Word.TRIGGER_FIRED) != 0) {
            boolean completed = c.flags().get(Word.RECONNECTION_COMPLETION) != 0;
            (completed ? handoversCompleted : handoversFailed).incrementAndGet();
            ConnectionSnapshot snapshot = ConnectionSnapshot.of(c.id(), endpoint, c.flags().snapshot());
            for (HandoverListener l : listeners) {
                try {
                    l.onHandover(snapshot, completed);
                } catch (RuntimeException e) {
                    log.warn("handover listener {} failed: {}", l, e.toString());
                }
            }
        }
    }
}
