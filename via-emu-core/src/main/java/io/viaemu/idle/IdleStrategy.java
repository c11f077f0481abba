package io.viaemu.idle;

/**
 * How a thread waits for work that another thread or process produces (the peer's next document, a handover flag,
 * a connect request). A waiting loop polls, and after each poll that found nothing calls {@link #idle(Doorbell, long)}
 * with the doorbell the producer rings; a poll that found work calls {@link #reset()}. Leaving the loop in any other
 * way must call {@link #reset()} too (a parking strategy keeps itself announced on the doorbell between idles).
 *
 * <p>The shape follows Agrona's idle strategies ({@code idle(workCount)}, {@code reset()}); the doorbell is what a
 * strategy that parks parks on, so that a writer in another process can wake it.
 *
 * <p>Instances keep state and belong to one thread.
 */
public interface IdleStrategy {

    /**
     * One step of idling after a poll that found nothing, parking at most until {@code deadlineNanos}
     * ({@link System#nanoTime()} scale; {@code Long.MAX_VALUE} for no deadline) once the strategy parks. May return
     * at any time (spuriously included): the caller polls again and calls it again.
     */
    void idle(Doorbell doorbell, long deadlineNanos);

    /** {@link #idle(Doorbell, long)} without a doorbell: a parking strategy parks for bounded times. */
    default void idle() {
        idle(null, Long.MAX_VALUE);
    }

    /** Agrona's form: work done resets the strategy, none idles one step. */
    default void idle(int workCount) {
        if (workCount > 0) {
            reset();
        } else {
            idle();
        }
    }

    /** Work was found, or the wait ended: start over with spinning, and stop being announced on any doorbell. */
    void reset();
}
