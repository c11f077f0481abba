package io.viaemu.inspect;

/**
 * A worker JVM's directory ({@code BASE/ENDPOINT/workers/WID}). A worker writes its pid to the {@code ready} file
 * once it listens on its inbox; before that its pid is known only to the parent that started it.
 *
 * @param connectionId the connection whose flag block names this worker (its child), or null
 */
public record WorkerView(String id, String endpoint, ProcessView process, boolean ready, String connectionId,
        long diskBytes) {
}
