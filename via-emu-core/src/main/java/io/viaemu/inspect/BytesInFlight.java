package io.viaemu.inspect;

/**
 * What a connection's flag block and queues can say honestly about bytes on their way, like {@code ss}'s queues.
 *
 * @param upUnconsumed bytes the client sent that the server side has not consumed yet: the DATA documents of the up
 *        queue after the parent's consumed position, which the parent records in the flag block from EMU_FORK until
 *        the handover; null where no position is recorded (not forked, or handed over: the other readers' positions
 *        live only in their processes' memory)
 * @param upUnconsumedExact false if the count stopped early (the scan reads at most {@code ViaInspector}'s limit of
 *        documents) and is a lower bound
 * @param copied bytes the parent had received but not consumed at the handover and gave to the child (S10)
 * @param appended bytes appended to the connection's queues in both directions, counted by the senders for the
 *        disk quota (0 when no quota is set)
 */
public record BytesInFlight(Long upUnconsumed, boolean upUnconsumedExact, long copied, long appended) {
}
