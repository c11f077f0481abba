package io.viaemu.inspect;

import java.io.StringWriter;
import java.io.Writer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;

import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;

import io.viaemu.inspect.HandoverTimeline.Lane;
import io.viaemu.inspect.HandoverTimeline.Mark;
import io.viaemu.inspect.HandoverTimeline.Segment;
import io.viaemu.inspect.HandoverTimeline.Step;

/**
 * Draws a {@link HandoverTimeline} as an SVG picture in the manner of the patent's Fig. 9: client, parent and child
 * as vertical lanes, time running down, each step an arrow from the lane that sent it (at the moment it was sent)
 * to the lane that noticed it (at the moment it was noticed), the pause from the trigger to the completion flag
 * shaded, each arrow labelled with its step and transit time, and the pause's pieces (S7 ... S13) listed with their
 * durations beside it. Rows are in time order but evenly spaced, not to scale: connecting and forking take
 * milliseconds to seconds, the handover's steps tenths of a millisecond; each row is labelled with its time.
 *
 * <p>Elements carry classes and data attributes ({@code lane}/{@code data-lane}, {@code step}/{@code data-step},
 * {@code data-sent-ns}, {@code mark}, {@code pause}, {@code segment}) so scripts and tests can read the picture.
 * Written with the JDK's StAX writer, which escapes all text.
 */
public final class TimelineSvg {
    private static final int WIDTH = 1010;
    private static final int TIME_X = 12;
    private static final int[] LANE_X = {250, 480, 710};
    private static final int SEGMENTS_X = 770;
    private static final int TOP = 150;
    private static final int ROW = 30;
    private static final String NS = "http://www.w3.org/2000/svg";

    private TimelineSvg() {
    }

    /** The picture as an SVG document (with XML declaration), for a file. */
    public static String document(ConnectionView c, HandoverTimeline t) {
        return render(c, t, true);
    }

    /** The picture as an {@code <svg>} element, for inlining in an HTML page. */
    public static String element(ConnectionView c, HandoverTimeline t) {
        return render(c, t, false);
    }

    private static String render(ConnectionView c, HandoverTimeline t, boolean document) {
        StringWriter out = new StringWriter();
        try {
            write(out, c, t, document);
        } catch (XMLStreamException e) {
            throw new IllegalStateException("cannot write the timeline SVG", e); // a StringWriter does not fail
        }
        return out.toString();
    }

    private static void write(Writer out, ConnectionView c, HandoverTimeline t, boolean document)
            throws XMLStreamException {
        // every moment drawn, in time order: one row each
        TreeSet<Long> moments = new TreeSet<>();
        for (Step s : t.steps()) {
            moments.add(s.sentNanos());
            if (s.receivedNanos() != 0) {
                moments.add(s.receivedNanos());
            }
        }
        for (Mark m : t.marks()) {
            moments.add(m.nanos());
        }
        List<Long> rows = new ArrayList<>(moments);
        int height = TOP + Math.max(rows.size(), 1) * ROW + 60;

        XMLStreamWriter x = XMLOutputFactory.newFactory().createXMLStreamWriter(out);
        if (document) {
            x.writeStartDocument("UTF-8", "1.0");
            x.writeCharacters("\n");
        }
        x.writeStartElement("svg");
        x.writeDefaultNamespace(NS);
        attr(x, "id", "via-timeline");
        attr(x, "width", WIDTH);
        attr(x, "height", height);
        attr(x, "viewBox", "0 0 " + WIDTH + " " + height);
        attr(x, "font-family", "DejaVu Sans, Arial, sans-serif");
        attr(x, "font-size", 12);
        attr(x, "data-connection", c.id());

        x.writeStartElement("title");
        x.writeCharacters("Handover timeline of via-emu connection " + c.id());
        x.writeEndElement();
        x.writeStartElement("defs");
        x.writeStartElement("marker");
        attr(x, "id", "arrowhead");
        attr(x, "viewBox", "0 0 10 10");
        attr(x, "refX", 10);
        attr(x, "refY", 5);
        attr(x, "markerWidth", 7);
        attr(x, "markerHeight", 7);
        attr(x, "orient", "auto-start-reverse");
        x.writeEmptyElement("path");
        attr(x, "d", "M0,0 L10,5 L0,10 z");
        attr(x, "fill", "#333");
        x.writeEndElement();
        x.writeEndElement();
        x.writeEmptyElement("rect");
        attr(x, "width", WIDTH);
        attr(x, "height", height);
        attr(x, "fill", "#ffffff");

        header(x, c, t);

        // the pause, shaded behind everything else
        if (t.triggerNanos() != 0) {
            int y0 = y(rows, t.triggerNanos()) - 12;
            long end = t.completedNanos() != 0 ? t.completedNanos() : rows.get(rows.size() - 1);
            int y1 = y(rows, end) + 12;
            x.writeStartElement("g");
            attr(x, "class", "pause");
            attr(x, "data-pause-ns", t.pauseNanos());
            x.writeEmptyElement("rect");
            attr(x, "x", 140);
            attr(x, "y", y0);
            attr(x, "width", SEGMENTS_X - 150);
            attr(x, "height", y1 - y0);
            attr(x, "fill", "#fff1c9");
            attr(x, "stroke", "#e0a020");
            attr(x, "stroke-dasharray", "4 3");
            text(x, 146, y0 + 13, t.pauseNanos() < 0 ? "handover did not complete"
                    : "pause " + HandoverTimeline.millis(t.pauseNanos()) + " (trigger to completion)",
                    "start", "bold", "#8a5a00");
            x.writeEndElement();
        }

        // time of each row
        long origin = t.originNanos();
        for (int i = 0; i < rows.size(); i++) {
            int yy = TOP + i * ROW + ROW / 2;
            x.writeEmptyElement("line");
            attr(x, "x1", 140);
            attr(x, "x2", SEGMENTS_X - 10);
            attr(x, "y1", yy);
            attr(x, "y2", yy);
            attr(x, "stroke", "#eeeeee");
            x.writeStartElement("text");
            attr(x, "class", "time");
            attr(x, "x", TIME_X);
            attr(x, "y", yy + 4);
            attr(x, "fill", "#666");
            x.writeCharacters("+" + HandoverTimeline.millis(rows.get(i) - origin));
            x.writeEndElement();
        }

        // lanes
        String[] pids = {c.client().describe(), c.parent().describe(), c.child().describe()};
        for (Lane lane : Lane.values()) {
            int lx = LANE_X[lane.ordinal()];
            x.writeStartElement("g");
            attr(x, "class", "lane");
            attr(x, "data-lane", lane.label());
            x.writeEmptyElement("rect");
            attr(x, "x", lx - 60);
            attr(x, "y", TOP - 62);
            attr(x, "width", 120);
            attr(x, "height", 42);
            attr(x, "rx", 6);
            attr(x, "fill", lane == Lane.CLIENT ? "#dbe9ff" : lane == Lane.PARENT ? "#e3f4e1" : "#f4e3f1");
            attr(x, "stroke", "#555");
            text(x, lx, TOP - 44, lane.label(), "middle", "bold", "#222");
            text(x, lx, TOP - 28, "pid " + pids[lane.ordinal()], "middle", "normal", "#444");
            x.writeEmptyElement("line");
            attr(x, "x1", lx);
            attr(x, "x2", lx);
            attr(x, "y1", TOP - 20);
            attr(x, "y2", TOP + Math.max(rows.size(), 1) * ROW + 10);
            attr(x, "stroke", "#555");
            attr(x, "stroke-width", 2);
            x.writeEndElement();
        }

        // steps
        for (Step s : t.steps()) {
            int x1 = LANE_X[s.from().ordinal()];
            int x2 = LANE_X[s.to().ordinal()];
            int y1 = y(rows, s.sentNanos());
            boolean noticed = s.receivedNanos() != 0;
            int y2 = noticed ? y(rows, s.receivedNanos()) : y1;
            x.writeStartElement("g");
            attr(x, "class", "step");
            attr(x, "data-step", s.code());
            attr(x, "data-from", s.from().label());
            attr(x, "data-to", s.to().label());
            attr(x, "data-sent-ns", s.sentNanos() - origin);
            if (noticed) {
                attr(x, "data-received-ns", s.receivedNanos() - origin);
            }
            x.writeEmptyElement("line");
            attr(x, "x1", x1);
            attr(x, "y1", y1);
            attr(x, "x2", x2 + (x2 > x1 ? -3 : 3));
            attr(x, "y2", y2);
            attr(x, "stroke", "#333");
            attr(x, "stroke-width", 1.5);
            if (!noticed) {
                attr(x, "stroke-dasharray", "5 3");
            }
            attr(x, "marker-end", "url(#arrowhead)");
            x.writeEmptyElement("circle");
            attr(x, "cx", x1);
            attr(x, "cy", y1);
            attr(x, "r", 3);
            attr(x, "fill", "#333");
            // label near the sender's end, so arrows that cross a lane keep their labels off it
            double f = Math.abs(x2 - x1) > 300 ? 0.25 : 0.5;
            int lx = (int) (x1 + (x2 - x1) * f);
            int ly = y1 - 6; // above the sender's end: an arrow only goes down from there (noticed after sent)
            text(x, lx, ly, s.label() + "  " + (noticed ? HandoverTimeline.millis(s.transitNanos()) : "(not noticed)"),
                    "middle", "normal", "#111");
            x.writeEndElement();
        }

        // marks: trigger, completion
        for (Mark m : t.marks()) {
            int mx = LANE_X[m.lane().ordinal()];
            int my = y(rows, m.nanos());
            x.writeStartElement("g");
            attr(x, "class", "mark");
            attr(x, "data-mark", m.code());
            attr(x, "data-sent-ns", m.nanos() - origin);
            x.writeEmptyElement("polygon");
            attr(x, "points", (mx - 7) + "," + my + " " + mx + "," + (my - 7) + " " + (mx + 7) + "," + my + " " + mx
                    + "," + (my + 7));
            attr(x, "fill", m.code().equals("trigger") ? "#d9534f" : "#2e7d32");
            text(x, mx + 12, my + 4, m.label(), "start", "bold", m.code().equals("trigger") ? "#b52b27" : "#1b5e20");
            x.writeEndElement();
        }

        // the pause's pieces, beside the lanes
        if (!t.segments().isEmpty()) {
            text(x, SEGMENTS_X, TOP - 6, "pause by step", "start", "bold", "#222");
            for (Segment g : t.segments()) {
                int ya = y(rows, g.fromNanos());
                int yb = y(rows, g.toNanos());
                x.writeStartElement("g");
                attr(x, "class", "segment");
                attr(x, "data-step", g.step());
                attr(x, "data-ns", g.nanos());
                x.writeEmptyElement("line");
                attr(x, "x1", SEGMENTS_X);
                attr(x, "x2", SEGMENTS_X);
                attr(x, "y1", ya + 2);
                attr(x, "y2", yb - 2);
                attr(x, "stroke", "#e0a020");
                attr(x, "stroke-width", 4);
                text(x, SEGMENTS_X + 8, (ya + yb) / 2 + 4, g.step() + "  " + HandoverTimeline.millis(g.nanos()),
                        "start", "normal", "#8a5a00");
                x.writeEndElement();
            }
        }
        if (rows.isEmpty()) {
            text(x, WIDTH / 2, TOP + 20, "no step stamps in this flag block", "middle", "normal", "#666");
        }
        x.writeEndElement();
        x.writeEndDocument();
        x.flush();
        x.close();
    }

    private static void header(XMLStreamWriter x, ConnectionView c, HandoverTimeline t) throws XMLStreamException {
        text(x, TIME_X, 24, "Connection " + c.id() + " on endpoint '" + c.endpoint() + "'", "start", "bold", "#111");
        StringBuilder line = new StringBuilder("state ").append(c.state());
        line.append(", trigger ").append(t.trigger() == null ? "none fired" : t.trigger().name());
        if (t.pauseNanos() >= 0) {
            line.append(", pause ").append(HandoverTimeline.millis(t.pauseNanos()));
        }
        if (c.error() != null) {
            line.append(", error: ").append(c.error());
        }
        text(x, TIME_X, 44, line.toString(), "start", "normal", "#333");
        long wall = t.epochMillis(t.triggerNanos() != 0 ? t.triggerNanos() : t.originNanos());
        text(x, TIME_X, 62, "times since the first step (the client's CONNECT); rows in time order, not to scale"
                + (wall == 0 ? "" : "; " + (t.triggerNanos() != 0 ? "trigger at " : "connected at ")
                        + Instant.ofEpochMilli(wall)), "start", "normal", "#666");
    }

    private static int y(List<Long> rows, long nanos) {
        int i = Collections.binarySearch(rows, nanos);
        return TOP + Math.max(i, 0) * ROW + ROW / 2;
    }

    private static void text(XMLStreamWriter x, int tx, int ty, String s, String anchor, String weight, String fill)
            throws XMLStreamException {
        x.writeStartElement("text");
        attr(x, "x", tx);
        attr(x, "y", ty);
        attr(x, "text-anchor", anchor);
        if (!"normal".equals(weight)) {
            attr(x, "font-weight", weight);
        }
        attr(x, "fill", fill);
        // a white halo keeps a label readable where it crosses a lane or another arrow
        attr(x, "stroke", "#ffffff");
        attr(x, "stroke-width", 3);
        attr(x, "paint-order", "stroke");
        x.writeCharacters(s);
        x.writeEndElement();
    }

    private static void attr(XMLStreamWriter x, String name, Object value) throws XMLStreamException {
        x.writeAttribute(name, value instanceof Double d ? String.format(Locale.ROOT, "%.1f", d) : value.toString());
    }
}
