package io.viaemu.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;

import io.viaemu.ViaProtocolException;
import io.viaemu.transport.Document;
import org.junit.jupiter.api.Test;

/** Every control document's writer and reader agree, field for field, and a short document is refused. */
class ControlMessagesTest {

    private static Messages.Reader parse(ControlMessages.ControlMessage m) throws ViaProtocolException {
        return parse(m.writeTo(new Messages.Writer()));
    }

    private static Messages.Reader parse(Messages.Writer w) throws ViaProtocolException {
        Document d = new Document(16);
        byte[] bytes = Arrays.copyOf(w.bytes(), w.length());
        System.arraycopy(bytes, 0, d.prepare(1, bytes.length), 0, bytes.length);
        return new Messages.Reader().reset(d);
    }

    @Test
    void eachCodecReadsWhatItWrites() throws Exception {
        ControlMessages.Connect connect = new ControlMessages.Connect(11, 22, 33);
        assertThat(ControlMessages.Connect.read(parse(connect))).isEqualTo(connect);
        ControlMessages.Grant grant = new ControlMessages.Grant(-5, 77);
        assertThat(ControlMessages.Grant.read(parse(grant))).isEqualTo(grant);
        ControlMessages.Connect onSlot = new ControlMessages.Connect(11, 22, 33, 4, 0x1_0000_0007L, 0x1_0000_0009L);
        assertThat(ControlMessages.Connect.read(parse(onSlot))).isEqualTo(onSlot);
        ControlMessages.Grant slotGrant = new ControlMessages.Grant(-5, 77, 0x1_0000_0007L, 0x1_0000_0009L);
        assertThat(ControlMessages.Grant.read(parse(slotGrant))).isEqualTo(slotGrant);
        ControlMessages.Assign assign = new ControlMessages.Assign(9, "com.example.Handler");
        assertThat(ControlMessages.Assign.read(parse(assign))).isEqualTo(assign);
        ControlMessages.Reconnect reconnect = new ControlMessages.Reconnect(1, "échos", 2, 3);
        assertThat(ControlMessages.Reconnect.read(parse(reconnect))).isEqualTo(reconnect);
        ControlMessages.ReconnectRequest request = new ControlMessages.ReconnectRequest(4, 5);
        assertThat(ControlMessages.ReconnectRequest.read(parse(request))).isEqualTo(request);
        ControlMessages.Close failure = ControlMessages.Close.failure(ErrorCode.CHILD_DIED, null);
        assertThat(ControlMessages.Close.read(parse(failure))).isEqualTo(new ControlMessages.Close(7, ""));
        assertThat(ControlMessages.Close.read(parse(ControlMessages.Close.END_OF_STREAM)).isEndOfStream()).isTrue();
        ControlMessages.Close refused = ControlMessages.Close.refused("full");
        assertThat(ControlMessages.Close.read(parse(refused)).error()).isEqualTo(ErrorCode.REFUSED);
        for (ControlMessages.ControlMessage m : List.of(ControlMessages.IntermissionRequest.INSTANCE,
                ControlMessages.IntermissionDone.INSTANCE, ControlMessages.ReconnectionDone.INSTANCE)) {
            Messages.Reader r = parse(m);
            assertThat(r.type()).isEqualTo(m.type());
            assertThat(r.payloadLength()).isZero();
        }
    }

    @Test
    void connectIsSixLongsOnTheWire() throws Exception {
        Messages.Writer w = new ControlMessages.Connect(1, 2, 3, 4, 5, 6).writeTo(new Messages.Writer());
        assertThat(w.length()).isEqualTo(Messages.HEADER + 6 * 8);
        Messages.Reader r = parse(w);
        assertThat(new long[] {r.getLong(), r.getLong(), r.getLong(), r.getLong(), r.getLong(), r.getLong()})
                .containsExactly(1, 2, 3, 4, 5, 6);
    }

    @Test
    void theSlotFieldsAreOptionalOnTheWire() throws Exception {
        Messages.Writer connect = new Messages.Writer().start(MessageType.CONNECT).putLong(1).putLong(2).putLong(3);
        assertThat(ControlMessages.Connect.read(parse(connect))).isEqualTo(new ControlMessages.Connect(1, 2, 3));
        Messages.Writer grant = new Messages.Writer().start(MessageType.GRANT).putLong(4).putLong(5);
        assertThat(ControlMessages.Grant.read(parse(grant))).isEqualTo(new ControlMessages.Grant(4, 5, 0, 0));
    }

    @Test
    void aTruncatedDocumentIsAProtocolError() throws Exception {
        Messages.Writer w = new Messages.Writer().start(MessageType.CONNECT).putLong(1).putLong(2);
        assertThatThrownBy(() -> ControlMessages.Connect.read(parse(w))).isInstanceOf(ViaProtocolException.class)
                .hasMessageContaining("truncated CONNECT document");
        Messages.Writer close = new Messages.Writer().start(MessageType.CLOSE).putLong(1).putInt(-5);
        assertThatThrownBy(() -> ControlMessages.Close.read(parse(close))).isInstanceOf(ViaProtocolException.class);
    }

    @Test
    void aReaderOfAnotherTypeIsADefect() throws Exception {
        Messages.Reader r = parse(new ControlMessages.Grant(1, 2));
        assertThatThrownBy(() -> ControlMessages.Connect.read(r)).isInstanceOf(IllegalArgumentException.class);
    }
}
