package io.viaemu.spring.boot.actuate;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import io.viaemu.ViaServer;
import io.viaemu.spring.boot.ViaServers;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * Health {@code via}: the transport can work. DOWN when the base directory is missing, not a directory, open to
 * other users (the core refuses such a directory: anyone could read or forge traffic), or not writable (a probe
 * file is created and deleted, which also catches a read-only or full file system), or when an endpoint's listen
 * queue directory is missing or not writable (clients could not connect).
 */
public class ViaHealthIndicator extends AbstractHealthIndicator {
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");

    private final ViaServers servers;

    public ViaHealthIndicator(ViaServers servers) {
        super("via-emu health check failed");
        this.servers = servers;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) throws Exception {
        Path base = servers.config().baseDir();
        builder.withDetail("baseDir", base.toString());
        String problem = checkBaseDir(base);
        Map<String, Object> endpoints = new LinkedHashMap<>();
        for (ViaServer s : servers.all()) {
            Map<String, Object> d = new LinkedHashMap<>();
            Path listen = s.listenDirectory();
            boolean listenOk = Files.isDirectory(listen) && Files.isWritable(listen);
            d.put("listenQueue", listenOk ? "ok" : "missing or not writable: " + listen);
            d.put("openConnections", s.connections().size());
            d.put("workersIdle", s.workers().idleCount());
            d.put("workersReady", s.workers().readyCount());
            d.put("handoversCompleted", s.handoversCompleted());
            d.put("handoversFailed", s.handoversFailed());
            endpoints.put(s.endpoint(), d);
            if (!listenOk && problem == null) {
                problem = "listen queue of endpoint '" + s.endpoint() + "' is missing or not writable";
            }
        }
        builder.withDetail("endpoints", endpoints);
        if (problem != null) {
            builder.down().withDetail("problem", problem);
        } else {
            builder.up().withDetail("freeBytes", Files.getFileStore(base).getUsableSpace());
        }
    }

    private static String checkBaseDir(Path base) {
        if (!Files.isDirectory(base)) {
            return "base directory does not exist";
        }
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(base);
            if (!OWNER_ONLY.containsAll(perms)) {
                return "base directory is accessible to others (" + PosixFilePermissions.toString(perms)
                        + "); it must be owner-only (chmod 700)";
            }
        } catch (UnsupportedOperationException notPosix) {
            // the core does not check permissions there either
        } catch (IOException e) {
            return "cannot read the base directory's permissions: " + e;
        }
        try {
            Path probe = Files.createTempFile(base, ".health", ".probe");
            Files.delete(probe);
        } catch (IOException e) {
            return "base directory is not writable: " + e;
        }
        return null;
    }
}
