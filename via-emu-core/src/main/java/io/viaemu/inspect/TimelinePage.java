package io.viaemu.inspect;

import java.io.StringWriter;
import java.util.List;

import java.util.Locale;
import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;

/**
 * Small HTML pages around the {@link TimelineSvg timeline picture}: one connection (the picture inline and its
 * steps as a table) and a list of connections linking to theirs. Written with the JDK's StAX writer (XHTML syntax
 * that browsers read as HTML), which escapes all text; no scripts, no external resources.
 */
public final class TimelinePage {
    private static final String STYLE = "body{font-family:DejaVu Sans,Arial,sans-serif;margin:16px;color:#222}"
            + "table{border-collapse:collapse;margin-top:12px}td,th{border:1px solid #ccc;padding:3px 8px;"
            + "text-align:left;font-size:13px}th{background:#f3f3f3}td.num{text-align:right}"
            + "a{color:#0b5394}h1{font-size:18px}";

    private TimelinePage() {
    }

    /** The page of one connection: its timeline picture and a table of its steps. */
    public static String connection(ConnectionView c, HandoverTimeline t, String listHref) {
        StringWriter out = new StringWriter();
        try {
            XMLStreamWriter x = start(out, "via-emu handover " + c.id());
            x.writeStartElement("p");
            link(x, listHref, "all connections");
            x.writeEndElement();
            h1(x, "Handover timeline of connection " + c.id());
            x.writeStartElement("div");
            x.writeAttribute("id", "timeline");
            x.writeCharacters(""); // closes the start tag before the picture goes in
            x.flush();
            out.write(TimelineSvg.element(c, t)); // already well-formed and escaped
            x.writeEndElement();
            x.writeStartElement("table");
            x.writeAttribute("id", "steps");
            row(x, "th", "step", "from", "to", "sent (ms)", "noticed (ms)", "transit (ms)");
            for (ConnectionView.StepView s : c.steps()) {
                x.writeStartElement("tr");
                x.writeAttribute("class", "step");
                x.writeAttribute("data-step", s.code());
                cell(x, s.label());
                cell(x, s.from());
                cell(x, s.to() == null ? "" : s.to());
                num(x, s.sentMs());
                num(x, s.receivedMs());
                num(x, s.transitMs());
                x.writeEndElement();
            }
            x.writeEndElement();
            end(x);
        } catch (XMLStreamException e) {
            throw new IllegalStateException("cannot write the page", e);
        }
        return out.toString();
    }

    /** The list of connections, most recent first, each linking to {@code hrefPrefix + id}. */
    public static String list(List<ConnectionView> connections, String hrefPrefix) {
        StringWriter out = new StringWriter();
        try {
            XMLStreamWriter x = start(out, "via-emu connections");
            h1(x, "via-emu connections (" + connections.size() + ")");
            x.writeStartElement("table");
            x.writeAttribute("id", "connections");
            row(x, "th", "connection", "endpoint", "state", "trigger", "pause", "client", "parent", "child",
                    "connected");
            for (ConnectionView c : connections) {
                x.writeStartElement("tr");
                x.writeAttribute("class", "connection");
                x.writeStartElement("td");
                link(x, hrefPrefix + c.id(), c.id());
                x.writeEndElement();
                cell(x, c.endpoint());
                cell(x, c.state());
                cell(x, c.triggerFired() == null ? "-" : c.triggerFired());
                cell(x, c.pauseMicros() < 0 ? "-" : HandoverTimeline.millis(c.pauseMicros() * 1000));
                cell(x, c.client().describe());
                cell(x, c.parent().describe());
                cell(x, c.child().describe());
                cell(x, c.timestamps().containsKey("connected") ? c.timestamps().get("connected").toString() : "-");
                x.writeEndElement();
            }
            x.writeEndElement();
            end(x);
        } catch (XMLStreamException e) {
            throw new IllegalStateException("cannot write the page", e);
        }
        return out.toString();
    }

    private static XMLStreamWriter start(StringWriter out, String title) throws XMLStreamException {
        out.write("<!DOCTYPE html>\n");
        XMLStreamWriter x = XMLOutputFactory.newFactory().createXMLStreamWriter(out);
        x.writeStartElement("html");
        x.writeAttribute("lang", "en");
        x.writeStartElement("head");
        x.writeEmptyElement("meta");
        x.writeAttribute("charset", "utf-8");
        x.writeStartElement("title");
        x.writeCharacters(title);
        x.writeEndElement();
        x.writeStartElement("style");
        x.writeCharacters(STYLE);
        x.writeEndElement();
        x.writeEndElement();
        x.writeStartElement("body");
        return x;
    }

    private static void end(XMLStreamWriter x) throws XMLStreamException {
        x.writeEndElement();
        x.writeEndElement();
        x.flush();
        x.close();
    }

    private static void h1(XMLStreamWriter x, String s) throws XMLStreamException {
        x.writeStartElement("h1");
        x.writeCharacters(s);
        x.writeEndElement();
    }

    private static void link(XMLStreamWriter x, String href, String s) throws XMLStreamException {
        x.writeStartElement("a");
        x.writeAttribute("href", href);
        x.writeCharacters(s);
        x.writeEndElement();
    }

    private static void row(XMLStreamWriter x, String tag, String... cells) throws XMLStreamException {
        x.writeStartElement("tr");
        for (String c : cells) {
            x.writeStartElement(tag);
            x.writeCharacters(c);
            x.writeEndElement();
        }
        x.writeEndElement();
    }

    private static void cell(XMLStreamWriter x, String s) throws XMLStreamException {
        x.writeStartElement("td");
        x.writeCharacters(s);
        x.writeEndElement();
    }

    private static void num(XMLStreamWriter x, Double v) throws XMLStreamException {
        x.writeStartElement("td");
        x.writeAttribute("class", "num");
        x.writeCharacters(v == null ? "" : String.format(Locale.ROOT, "%.3f", v));
        x.writeEndElement();
    }
}
