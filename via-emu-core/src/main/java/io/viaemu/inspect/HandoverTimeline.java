package io.viaemu.inspect;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import io.viaemu.Trigger;
import io.viaemu.protocol.FlagBlock.Word;

/**
 * A connection's life as the step stamps in its flag block show it, laid out as the patent's Fig. 9 draws it: the
 * client, the parent and the child as lanes, each step a message from one lane to another, sent at one moment and
 * noticed by its receiver at a later one. All moments are {@code System.nanoTime()} values written by the three
 * processes; Linux's monotonic clock is one clock for every process of a host, so they can be compared and
 * subtracted across processes. A step whose stamps are missing (not reached, an older flag block, or a process that
 * died first) is left out; one whose receiver's stamp is missing has {@code receivedNanos} 0.
 *
 * <p>The {@link #segments() segments} cut the pause, from the trigger to the completion flag, into consecutive
 * pieces that add up to it, one per step on the critical path (S7 ... S13): each runs from the moment the previous
 * step was noticed to the moment this one was. They are what the per-step timers of the starter record.
 */
public final class HandoverTimeline {

    /** The three processes of a connection, in the order the picture draws them. */
    public enum Lane {
        CLIENT, PARENT, CHILD;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * One message of the protocol: {@code from} sent it at {@code sentNanos}, {@code to} noticed it at
     * {@code receivedNanos} (0 if unknown).
     */
    public record Step(String code, String label, Lane from, Lane to, long sentNanos, long receivedNanos) {
        /** Nanoseconds from sending to noticing, -1 if the receiver's stamp is missing. */
        public long transitNanos() {
            return receivedNanos == 0 ? -1 : receivedNanos - sentNanos;
        }
    }

    /** Something that happened in one process: the trigger, the completion. */
    public record Mark(String code, String label, Lane lane, long nanos) {
    }

    /** A piece of the pause, ending when step {@code step} was noticed. */
    public record Segment(String step, String label, long fromNanos, long toNanos) {
        public long nanos() {
            return toNanos - fromNanos;
        }
    }

    private final List<Step> steps;
    private final List<Mark> marks;
    private final List<Segment> segments;
    private final long triggerNanos;
    private final long completedNanos;
    private final Trigger trigger;
    private final long originNanos;
    private final long wallAnchorMillis;
    private final long wallAnchorNanos;

    private HandoverTimeline(List<Step> steps, List<Mark> marks, List<Segment> segments, long triggerNanos,
            long completedNanos, Trigger trigger, long originNanos, long wallAnchorMillis, long wallAnchorNanos) {
        this.steps = List.copyOf(steps);
        this.marks = List.copyOf(marks);
        this.segments = List.copyOf(segments);
        this.triggerNanos = triggerNanos;
        this.completedNanos = completedNanos;
        this.trigger = trigger;
        this.originNanos = originNanos;
        this.wallAnchorMillis = wallAnchorMillis;
        this.wallAnchorNanos = wallAnchorNanos;
    }

    /** The timeline of a flag block's words ({@link io.viaemu.protocol.FlagBlock#snapshot()}). */
    public static HandoverTimeline of(Map<Word, Long> w) {
        Trigger trigger = Trigger.ofCode(w.get(Word.TRIGGER_FIRED).intValue());
        // the parent ran the handover if it sent the reconnection request; otherwise the client and the child
        // finished it alone after the parent's death (unexpected T2)
        boolean parentRan = w.get(Word.NANOS_RECONNECT_REQUESTED) != 0 || w.get(Word.NANOS_INTERMISSION_REQUESTED) != 0;
        List<Step> steps = new ArrayList<>();
        step(steps, w, "connect", "S42 connection request", Lane.CLIENT, Lane.PARENT, Word.NANOS_CONNECT_SENT,
                Word.NANOS_PARENT_GRANTED);
        step(steps, w, "grant", "S3 connection permission", Lane.PARENT, Lane.CLIENT, Word.NANOS_PARENT_GRANTED,
                Word.NANOS_CLIENT_GRANTED);
        step(steps, w, "EMU_FORK", "S4 EMU_FORK", Lane.PARENT, Lane.CHILD, Word.NANOS_FORKED,
                Word.NANOS_CHILD_ANNOUNCED);
        if (trigger == Trigger.T3_CHILD_RECEIVE || trigger == Trigger.T4_CHILD_SEND) {
            step(steps, w, "C", "C reconnection request (" + trigger.name().substring(0, 2) + ")", Lane.CHILD,
                    Lane.PARENT, Word.NANOS_C_REQUESTED, Word.NANOS_TRIGGER);
        }
        step(steps, w, "S7", "S7 intermission request", Lane.PARENT, Lane.CLIENT, Word.NANOS_INTERMISSION_REQUESTED,
                Word.NANOS_INTERMISSION_SEEN);
        step(steps, w, "S47", "S47 intermission done", Lane.CLIENT, Lane.PARENT, Word.NANOS_INTERMITTED,
                Word.NANOS_COPY_STARTED);
        if (w.get(Word.NANOS_COPY_STARTED) != 0) {
            long copied = w.get(Word.BYTES_COPIED);
            steps.add(new Step("S10", "S10 copy (" + copied + (copied == 1 ? " byte)" : " bytes)"), Lane.PARENT,
                    Lane.CHILD, w.get(Word.NANOS_COPY_STARTED), w.get(Word.NANOS_COPIED)));
        }
        step(steps, w, "S11", "S11 reconnection request", Lane.PARENT, Lane.CLIENT, Word.NANOS_RECONNECT_REQUESTED,
                Word.NANOS_RECONNECT_SEEN);
        step(steps, w, "S49", "S49 reconnect", Lane.CLIENT, Lane.CHILD, Word.NANOS_RECONNECT_SENT,
                Word.NANOS_RECONNECT_RECEIVED);
        step(steps, w, "S50", "S50 child's grant", Lane.CHILD, Lane.CLIENT, Word.NANOS_GRANTED,
                Word.NANOS_GRANT_SEEN);
        if (w.get(Word.NANOS_REPORTED) != 0) {
            steps.add(new Step("S51", "S51 reconnection report", Lane.CLIENT, Lane.PARENT, w.get(Word.NANOS_REPORTED),
                    parentRan ? w.get(Word.NANOS_COMPLETED) : 0));
        }

        List<Mark> marks = new ArrayList<>();
        long triggerNanos = w.get(Word.NANOS_TRIGGER);
        if (trigger != null && triggerNanos != 0) {
            String label = trigger.name().substring(0, 2) + " " + switch (trigger) {
                case T1_PARENT_CLOSE -> "parent closes";
                case T2_PARENT_ABORT -> parentRan ? "parent aborts" : "parent died (noticed)";
                case T3_CHILD_RECEIVE -> "child receives";
                case T4_CHILD_SEND -> "child sends";
            };
            marks.add(new Mark("trigger", label, Lane.PARENT, triggerNanos));
        }
        long completedNanos = w.get(Word.NANOS_COMPLETED);
        if (completedNanos != 0) {
            marks.add(new Mark("S13", parentRan ? "S13 completion" : "S13 completion (without the parent)",
                    parentRan ? Lane.PARENT : Lane.CHILD, completedNanos));
        }

        List<Segment> segments = new ArrayList<>();
        if (triggerNanos != 0) {
            long from = triggerNanos;
            Object[][] path = {
                {"S7", "intermission requested, noticed by the client", Word.NANOS_INTERMISSION_SEEN},
                {"S47", "intermission done, noticed by the parent", Word.NANOS_COPY_STARTED},
                {"S10", "copy of the unconsumed input", Word.NANOS_COPIED},
                {"S11", "reconnection request, noticed by the client", Word.NANOS_RECONNECT_SEEN},
                {"S49", "client's RECONNECT, received by the child", Word.NANOS_RECONNECT_RECEIVED},
                {"S50", "child's grant, noticed by the client", Word.NANOS_GRANT_SEEN},
                {"S51", "client's report appended", Word.NANOS_REPORTED},
                {"S13", "completion flag set", Word.NANOS_COMPLETED},
            };
            for (Object[] p : path) {
                long to = w.get((Word) p[2]);
                if (to != 0 && to >= from) {
                    segments.add(new Segment((String) p[0], (String) p[1], from, to));
                    from = to;
                }
            }
        }

        long origin = Long.MAX_VALUE;
        for (Step s : steps) {
            origin = Math.min(origin, s.sentNanos());
        }
        for (Mark m : marks) {
            origin = Math.min(origin, m.nanos());
        }
        if (origin == Long.MAX_VALUE) {
            origin = 0;
        }
        // the trigger has both clocks stamped at one moment: it ties the nanoTime stamps to the wall clock
        long anchorMillis = triggerNanos != 0 ? w.get(Word.AT_TRIGGER) : w.get(Word.AT_CONNECTED);
        long anchorNanos = triggerNanos != 0 ? triggerNanos : w.get(Word.NANOS_CONNECT_SENT);
        return new HandoverTimeline(steps, marks, segments, triggerNanos, completedNanos, trigger, origin,
                anchorMillis, anchorNanos);
    }

    private static void step(List<Step> steps, Map<Word, Long> w, String code, String label, Lane from, Lane to,
            Word sent, Word received) {
        if (w.get(sent) != 0) {
            steps.add(new Step(code, label, from, to, w.get(sent), w.get(received)));
        }
    }

    public List<Step> steps() {
        return steps;
    }

    public List<Mark> marks() {
        return marks;
    }

    /** The pause cut into its critical-path steps (empty if no trigger fired). */
    public List<Segment> segments() {
        return segments;
    }

    /** The trigger that fired, or null. */
    public Trigger trigger() {
        return trigger;
    }

    public long triggerNanos() {
        return triggerNanos;
    }

    public long completedNanos() {
        return completedNanos;
    }

    /** Nanoseconds from the trigger to the completion flag, -1 if the handover did not complete (or never began). */
    public long pauseNanos() {
        return triggerNanos == 0 || completedNanos == 0 ? -1 : completedNanos - triggerNanos;
    }

    /** The earliest stamp: the picture's time zero (normally the client's CONNECT). */
    public long originNanos() {
        return originNanos;
    }

    /** True if the flag block has no stamp this timeline can draw. */
    public boolean isEmpty() {
        return steps.isEmpty() && marks.isEmpty();
    }

    /**
     * Epoch millis of a nanoTime stamp, through the one moment both clocks were stamped (the trigger, else the
     * connect: then within the few milliseconds the client takes to open its queues); 0 if there is no anchor.
     */
    public long epochMillis(long nanos) {
        if (wallAnchorMillis == 0 || wallAnchorNanos == 0) {
            return 0;
        }
        return wallAnchorMillis + Math.floorDiv(nanos - wallAnchorNanos, 1_000_000L);
    }

    /** Milliseconds as the picture and the command print them: "0.412 ms", "1,203.5 ms". */
    public static String millis(long nanos) {
        double ms = nanos / 1e6;
        if (Math.abs(ms) >= 100) {
            return String.format(Locale.ROOT, "%,.1f ms", ms);
        }
        return String.format(Locale.ROOT, "%.3f ms", ms);
    }
}
