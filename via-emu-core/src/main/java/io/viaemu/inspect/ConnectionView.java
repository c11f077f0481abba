package io.viaemu.inspect;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import io.viaemu.ConnectionSnapshot;

/**
 * One connection as read from outside: its flag block ({@link ConnectionSnapshot}, the actuator's view), whether
 * its three processes still run, what is in flight, its disk use and the handover's step stamps.
 *
 * @param steps the protocol's messages with their moments, relative to the timeline's origin
 * @param pauseMicros trigger to completion flag, -1 if the handover did not complete
 */
public record ConnectionView(String id, String endpoint, String state, ProcessView client, ProcessView parent,
        ProcessView child, String workerId, Map<String, Object> flags, String triggersEnabled, String triggerFired,
        BytesInFlight bytesInFlight, long diskBytes, String error, Map<String, Instant> timestamps,
        List<StepView> steps, List<SegmentView> pauseSteps, long pauseMicros) {

    /**
     * A step (or a mark: {@code to} null) of the timeline: milliseconds since the timeline's origin (normally the
     * client's CONNECT) when it was sent and when it was noticed (null if not known), and the transit between.
     */
    public record StepView(String code, String label, String from, String to, double sentMs, Double receivedMs,
            Double transitMs) {
    }

    /** A piece of the pause (see {@link HandoverTimeline#segments()}). */
    public record SegmentView(String step, String label, double ms) {
    }
}
