package io.viaemu.transport.memory;

import java.util.Arrays;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import io.viaemu.transport.Channel;
import io.viaemu.transport.ChannelReader;
import io.viaemu.transport.Document;
import org.junit.jupiter.api.Test;

/** The in-memory transport keeps the SPI's contract: shared by directory, ordered, indexed from 1, reclaimable. */
class MemoryTransportTest {

    private static final Path DIR = Path.of("/nonexistent/via-memory/conn/up");

    @Test
    void handlesOfOneDirectoryShareTheDocumentsInOrder() {
        MemoryTransport t = new MemoryTransport();
        Channel writer = t.open(DIR);
        Channel other = t.open(DIR.resolve("..").resolve("up"));
        ChannelReader reader = other.reader();
        Document d = new Document(4);
        assertThat(reader.next(d)).isFalse();
        assertThat(writer.append(new byte[] {1, 2}, 2, new byte[] {9, 3, 4}, 1, 2)).isEqualTo(1);
        assertThat(writer.append(new byte[] {5}, 1, new byte[0], 0, 0)).isEqualTo(2);
        assertThat(reader.next(d)).isTrue();
        assertThat(d.index()).isEqualTo(1);
        assertThat(Arrays.copyOf(d.bytes(), d.length())).containsExactly(1, 2, 3, 4);
        assertThat(reader.nextDirect(d, new byte[] {5}, new byte[8], 0, 8)).isZero();
        assertThat(d.index()).isEqualTo(2);
        assertThat(reader.nextDirect(d, new byte[] {5}, new byte[8], 0, 8)).isEqualTo(ChannelReader.NONE);
    }

    @Test
    void nextDirectHoldsWhatDoesNotMatchOrFit() {
        MemoryTransport t = new MemoryTransport();
        Channel c = t.open(DIR);
        c.append(new byte[] {1, 5}, 2, new byte[] {7, 7, 7}, 0, 3);
        ChannelReader r = c.reader();
        Document d = new Document(1);
        byte[] dst = new byte[2];
        assertThat(r.nextDirect(d, new byte[] {1, 5}, dst, 0, 2)).as("does not fit").isEqualTo(ChannelReader.HELD);
        assertThat(d.length()).isEqualTo(5);
        assertThat(r.moveToIndex(1)).isTrue();
        assertThat(r.nextDirect(d, new byte[] {1, 6}, new byte[8], 0, 8)).as("other prefix")
                .isEqualTo(ChannelReader.HELD);
    }

    @Test
    void reclaimedDocumentsAreGoneAndTheirIndicesStay() {
        MemoryTransport t = new MemoryTransport();
        Channel c = t.open(DIR);
        for (int i = 0; i < 3; i++) {
            c.append(new byte[] {(byte) i}, 1, new byte[0], 0, 0);
        }
        c.reclaimBefore(3);
        ChannelReader r = c.reader();
        assertThat(r.moveToIndex(2)).isFalse();
        Document d = new Document(1);
        assertThat(r.next(d)).isTrue();
        assertThat(d.index()).isEqualTo(3);
        r.toEnd();
        assertThat(r.next(d)).isFalse();
        assertThat(t.documents(DIR)).hasSize(3);
        assertThat(t.documents(DIR).get(0)).isNull();
    }
}
