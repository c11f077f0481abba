package io.viaemu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import io.viaemu.internal.Layout;
import io.viaemu.protocol.FlagBlock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Snapshots of an endpoint's connections read from their flag blocks on disk (for the actuator and health checks):
 * every connection with a flag block, those handed over to a child included, read-only.
 */
final class ServerInspector {
    private static final Logger log = LoggerFactory.getLogger(ViaServer.class);

    private final ViaConfig config;
    private final String endpoint;

    ServerInspector(ViaConfig config, String endpoint) {
        this.config = config;
        this.endpoint = endpoint;
    }

    List<ConnectionSnapshot> snapshots() {
        List<ConnectionSnapshot> list = new ArrayList<>();
        Path dir = Layout.connectionsDir(config.baseDir(), endpoint);
        if (!Files.isDirectory(dir)) {
            return list;
        }
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                snapshot(p).ifPresent(list::add);
            }
        } catch (IOException e) {
            log.warn("cannot list {}: {}", dir, e.toString());
        }
        return list;
    }

    Optional<ConnectionSnapshot> snapshot(String connectionId) {
        try {
            Layout.parseId(connectionId);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        return snapshot(Layout.connectionsDir(config.baseDir(), endpoint).resolve(connectionId));
    }

    private Optional<ConnectionSnapshot> snapshot(Path connDir) {
        try {
            FlagBlock f = FlagBlock.openReadOnly(connDir);
            return Optional.of(ConnectionSnapshot.of(connDir.getFileName().toString(), endpoint, f.snapshot()));
        } catch (IOException e) {
            return Optional.empty(); // closed and deleted meanwhile, or not a connection
        }
    }
}
