package io.viaemu.spring.boot.actuate;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import io.viaemu.ViaServer;
import io.viaemu.inspect.ConnectionView;
import io.viaemu.inspect.EndpointView;
import io.viaemu.inspect.HandoverTimeline;
import io.viaemu.inspect.TimelinePage;
import io.viaemu.inspect.TimelineSvg;
import io.viaemu.inspect.ViaInspector;
import io.viaemu.spring.boot.ViaServers;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.web.annotation.WebEndpoint;

/**
 * {@code /actuator/viatimeline}: the handover timelines, next to {@code viaconnections}. The endpoint's root is an
 * HTML list of this application's connections still on disk (most recent first; closed ones stay for
 * {@code via.retention}), each linking to {@code /actuator/viatimeline/{id}}: the connection's timeline picture
 * (client, parent and child as lanes, each step an arrow, the pause shaded, as in the patent's Fig. 9) with a table
 * of its steps. {@code /actuator/viatimeline/{id}/svg} is the picture alone ({@code image/svg+xml}). Unknown ids
 * answer 404. Web only (pages, not data): the data is in {@code viaconnections}.
 */
@WebEndpoint(id = "viatimeline")
public class ViaTimelineEndpoint {
    static final String HTML = "text/html;charset=UTF-8";
    static final String SVG = "image/svg+xml;charset=UTF-8";
    /** The list shows at most this many connections. */
    static final int RECENT = 100;

    private final ViaServers servers;

    public ViaTimelineEndpoint(ViaServers servers) {
        this.servers = servers;
    }

    @ReadOperation(produces = HTML)
    public String list() {
        List<ConnectionView> recent = connections().stream()
                .sorted(Comparator.comparing((ConnectionView c) -> c.timestamps().get("connected"),
                        Comparator.nullsFirst(Comparator.naturalOrder())).reversed())
                .limit(RECENT)
                .toList();
        return TimelinePage.list(recent, "viatimeline/");
    }

    @ReadOperation(produces = HTML)
    public String connection(@Selector String id) {
        return find(id).map(f -> TimelinePage.connection(f.connection, f.timeline, "../viatimeline")).orElse(null);
    }

    @ReadOperation(produces = SVG)
    public String picture(@Selector String id, @Selector String format) {
        if (!"svg".equals(format)) {
            return null;
        }
        return find(id).map(f -> TimelineSvg.document(f.connection, f.timeline)).orElse(null);
    }

    private record Found(ConnectionView connection, HandoverTimeline timeline) {
    }

    private Optional<Found> find(String id) {
        if (id == null || id.length() != 16) {
            return Optional.empty(); // whole ids only: a page is linked, not typed
        }
        ViaInspector inspector = inspector();
        return connections(inspector).stream().filter(c -> c.id().equals(id)).findFirst()
                .flatMap(c -> inspector.timeline(c).map(t -> new Found(c, t)));
    }

    private List<ConnectionView> connections() {
        return connections(inspector());
    }

    /** The connections of this application's endpoints (the base directory may hold other applications' too). */
    private List<ConnectionView> connections(ViaInspector inspector) {
        Set<String> mine = servers.all().stream().map(ViaServer::endpoint).collect(Collectors.toSet());
        try {
            return inspector.endpoints().stream().filter(e -> mine.contains(e.name()))
                    .map(EndpointView::connections).flatMap(List::stream).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private ViaInspector inspector() {
        Path base = servers.config().baseDir();
        try {
            return new ViaInspector(base);
        } catch (IOException e) {
            throw new UncheckedIOException("the via-emu base directory " + base + " is not there", e);
        }
    }
}
