package io.viaemu.inspect;

import java.util.List;

/**
 * One endpoint's directory ({@code BASE/ENDPOINT}): its server (the pid its lock file names; a killed server
 * leaves it, a stopped one clears it), its connections and workers, and the bytes its files take on disk.
 */
public record EndpointView(String name, ProcessView server, List<ConnectionView> connections,
        List<WorkerView> workers, long diskBytes) {
}
