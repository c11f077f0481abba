package io.viaemu.spring.boot;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.viaemu.ViaException;
import org.junit.jupiter.api.Test;

class ConnectionLinesTests {

    @Test
    void readsOneLineAndNotOneByteMore() throws Exception {
        ByteArrayConnection c = new ByteArrayConnection("UPPER\r\nhello\nworld\n".getBytes(UTF_8));

        assertThat(ConnectionLines.readLine(c, 64, 1000)).isEqualTo("UPPER");
        // what a fork would hand to the worker: everything after the request line
        assertThat(c.remaining()).isEqualTo("hello\nworld\n");
        assertThat(ConnectionLines.readLine(c, 64, 1000)).isEqualTo("hello");
        assertThat(c.remaining()).isEqualTo("world\n");
    }

    @Test
    void decodesUtf8() throws Exception {
        ByteArrayConnection c = new ByteArrayConnection("grüße\n".getBytes(UTF_8));
        assertThat(ConnectionLines.readLine(c, 64, 1000)).isEqualTo("grüße");
    }

    @Test
    void endOfStreamBeforeALineIsNull() throws Exception {
        assertThat(ConnectionLines.readLine(new ByteArrayConnection(new byte[0]), 64, 1000)).isNull();
    }

    @Test
    void endOfStreamInsideALineFails() {
        ByteArrayConnection c = new ByteArrayConnection("no newline".getBytes(UTF_8));
        assertThatThrownBy(() -> ConnectionLines.readLine(c, 64, 1000)).isInstanceOf(ViaException.class)
                .hasMessageContaining("ended inside a line");
    }

    @Test
    void refusesTooLongLinesWithoutReadingFarPastTheLimit() {
        ByteArrayConnection c = new ByteArrayConnection("0123456789\n".getBytes(UTF_8));
        assertThatThrownBy(() -> ConnectionLines.readLine(c, 4, 1000)).isInstanceOf(ViaException.class)
                .hasMessageContaining("longer than 4 bytes");
        assertThat(c.receiveCalls).isLessThanOrEqualTo(6);
    }

    @Test
    void exactlyMaxBytesWithCrLfIsAccepted() throws Exception {
        ByteArrayConnection c = new ByteArrayConnection("abcd\r\n".getBytes(UTF_8));
        assertThat(ConnectionLines.readLine(c, 4, 1000)).isEqualTo("abcd");
    }
}
