package io.viaemu.protocol;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import io.viaemu.Trigger;
import io.viaemu.ViaException;

/**
 * The outcome of a parent connection's handover, for {@link io.viaemu.ParentConnection#handoverCompletion()}: one
 * stage per fork, completed by the parent role where it already observes the outcome (its handover thread at S13,
 * its release, its housekeeper's tick), so waiting for it costs no thread and no polling.
 */
final class HandoverCompletion {
    private volatile CompletableFuture<Trigger> outcome = new CompletableFuture<>();

    /** What callers get: they can wait and chain, not complete it. */
    CompletionStage<Trigger> stage() {
        return outcome.minimalCompletionStage();
    }

    /** A new fork after a fork undone (its child died first): a fresh stage for the new child. */
    void forked() {
        CompletableFuture<Trigger> f = outcome;
        if (f.isCompletedExceptionally()) {
            outcome = new CompletableFuture<>();
        }
    }

    /** S13: reconnection-completion is set; the child owns the connection. */
    void completed(Trigger trigger) {
        outcome.complete(trigger);
    }

    /** No handover will follow this fork (or ever, once the connection failed or was closed). */
    void failed(String connectionId, String why) {
        outcome.completeExceptionally(new ViaException("connection " + connectionId + ": " + why));
    }

    boolean isDone() {
        return outcome.isDone();
    }
}
