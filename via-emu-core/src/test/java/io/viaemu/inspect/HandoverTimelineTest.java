package io.viaemu.inspect;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import javax.xml.parsers.DocumentBuilderFactory;

import io.viaemu.Trigger;
import io.viaemu.protocol.ConnectionState;
import io.viaemu.protocol.FlagBlock.Word;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * Timelines of flag blocks that the process tests cannot make on demand: a handover the client and the child
 * finished after the parent was killed (no S7, S47, S10, S11 from the parent; the completion set without it), and a
 * flag block written before the step stamps existed. Both must draw what there is, and say what is missing.
 */
class HandoverTimelineTest {

    @Test
    void parentKilledBeforeTheCopyDrawsTheClientsOwnReconnection() throws Exception {
        Map<Word, Long> w = words();
        long t0 = 5_000_000_000L;
        w.put(Word.STATE, ConnectionState.HANDED_OVER.code());
        w.put(Word.TRIGGER_FIRED, (long) Trigger.T2_PARENT_ABORT.code());
        w.put(Word.NANOS_CONNECT_SENT, t0);
        w.put(Word.NANOS_PARENT_GRANTED, t0 + 1_000_000);
        w.put(Word.NANOS_CLIENT_GRANTED, t0 + 1_200_000);
        w.put(Word.NANOS_FORKED, t0 + 2_000_000);
        w.put(Word.NANOS_CHILD_ANNOUNCED, t0 + 90_000_000);
        w.put(Word.NANOS_TRIGGER, t0 + 500_000_000); // the client noticed the parent's death
        w.put(Word.AT_TRIGGER, 1_700_000_000_000L);
        w.put(Word.NANOS_RECONNECT_SEEN, t0 + 500_100_000);
        w.put(Word.NANOS_RECONNECT_SENT, t0 + 500_150_000);
        w.put(Word.NANOS_RECONNECT_RECEIVED, t0 + 501_000_000);
        w.put(Word.NANOS_GRANTED, t0 + 501_100_000);
        w.put(Word.NANOS_GRANT_SEEN, t0 + 501_300_000);
        w.put(Word.NANOS_REPORTED, t0 + 501_400_000);
        w.put(Word.NANOS_COMPLETED, t0 + 501_500_000);

        HandoverTimeline t = HandoverTimeline.of(w);
        assertThat(t.steps()).extracting(HandoverTimeline.Step::code)
                .containsExactly("connect", "grant", "EMU_FORK", "S49", "S50", "S51");
        HandoverTimeline.Step report = t.steps().get(5);
        assertThat(report.receivedNanos()).as("no parent noticed the report").isZero();
        assertThat(t.marks()).extracting(HandoverTimeline.Mark::label)
                .containsExactly("T2 parent died (noticed)", "S13 completion (without the parent)");
        assertThat(t.pauseNanos()).isEqualTo(1_500_000);
        assertThat(t.segments()).extracting(HandoverTimeline.Segment::step)
                .containsExactly("S11", "S49", "S50", "S51", "S13");
        assertThat(t.segments().stream().mapToLong(HandoverTimeline.Segment::nanos).sum()).isEqualTo(t.pauseNanos());
        assertThat(t.epochMillis(t0 + 501_500_000)).isEqualTo(1_700_000_000_001L);

        Element svg = parse(TimelineSvg.document(view(w), t));
        assertThat(attributes(svg, "data-lane")).containsExactly("client", "parent", "child");
        assertThat(svg.getTextContent()).contains("S51 reconnection report  (not noticed)",
                "pause 1.500 ms (trigger to completion)");
    }

    @Test
    void aFlagBlockWithoutStepStampsDrawsAnEmptyTimeline() throws Exception {
        Map<Word, Long> w = words();
        w.put(Word.STATE, ConnectionState.ESTABLISHED.code());
        HandoverTimeline t = HandoverTimeline.of(w);
        assertThat(t.isEmpty()).isTrue();
        assertThat(t.pauseNanos()).isEqualTo(-1);
        Element svg = parse(TimelineSvg.document(view(w), t));
        assertThat(attributes(svg, "data-lane")).containsExactly("client", "parent", "child");
        assertThat(attributes(svg, "data-step")).isEmpty();
        assertThat(svg.getTextContent()).contains("no step stamps in this flag block");
    }

    private static Map<Word, Long> words() {
        Map<Word, Long> w = new EnumMap<>(Word.class);
        for (Word word : Word.values()) {
            w.put(word, 0L);
        }
        return w;
    }

    private static ConnectionView view(Map<Word, Long> w) {
        return ViaInspector.view("ep", Path.of("/nonexistent/ep/conn/00000000000000aa"), w, -1);
    }

    private static Element parse(String svg) throws Exception {
        var f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        return f.newDocumentBuilder().parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)))
                .getDocumentElement();
    }

    private static List<String> attributes(Element root, String attribute) {
        NodeList all = root.getElementsByTagNameNS("http://www.w3.org/2000/svg", "g");
        List<String> values = new ArrayList<>();
        for (int i = 0; i < all.getLength(); i++) {
            Element e = (Element) all.item(i);
            if (e.hasAttribute(attribute) && !"segment".equals(e.getAttribute("class"))) {
                values.add(e.getAttribute(attribute));
            }
        }
        return values;
    }
}
