package io.viaemu.transport.ring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;

import io.viaemu.ViaConfig;
import io.viaemu.internal.ConfigProperties;
import io.viaemu.transport.TransportFactory;

import org.junit.jupiter.api.Test;

/** {@code via.transport=ring} and {@code via.ring-capacity}: selection, parsing, checks, derived capacity. */
class RingTransportFactoryTest {

    @Test
    void ringIsSelectableByNameAndByProperty() {
        assertThat(TransportFactory.named("ring")).isSameAs(RingTransportFactory.INSTANCE);
        ViaConfig c = ConfigProperties.apply(ViaConfig.builder(Path.of("/tmp/x")),
                Map.of("via.transport", "ring", "via.ring-capacity", "32MB")).build();
        assertThat(c.transport()).isEqualTo("ring");
        assertThat(c.transportOptions()).containsEntry(RingTransportFactory.CAPACITY, Long.toString(32L << 20));
        assertThat(TransportFactory.create(c)).isInstanceOf(RingTransport.class);
    }

    @Test
    void aCapacityThatIsNoPowerOfTwoOrTooSmallForTheLargestMessageIsRefused() {
        assertThatThrownBy(() -> ViaConfig.builder(Path.of("/tmp/x")).transport("ring")
                .transportOption(RingTransportFactory.CAPACITY, "3MB").build())
                .hasMessageContaining("power of two");
        assertThatThrownBy(() -> ViaConfig.builder(Path.of("/tmp/x")).transport("ring").maxMessageSize(1 << 20)
                .transportOption(RingTransportFactory.CAPACITY, "1MB").build())
                .hasMessageContaining("at least");
        assertThatThrownBy(() -> ViaConfig.builder(Path.of("/tmp/x")).transport("ring")
                .transportOption("no-such", "1").build()).hasMessageContaining("no option 'no-such'");
    }

    @Test
    void theDerivedCapacityHoldsTwiceAWindowAndALargestMessage() {
        assertThat(RingLayout.capacityFor(1 << 20, 4L << 20)).isEqualTo(16L << 20);
        assertThat(RingLayout.capacityFor(64 * 1024, 64 * 1024)).isGreaterThanOrEqualTo(4L * 64 * 1024);
        long c = RingLayout.capacityFor(1 << 20, 0);
        assertThat(RingLayout.isPowerOfTwo(c)).isTrue();
        assertThat(c).isGreaterThanOrEqualTo(2L * RingLayout.reserve(RingLayout.maxRecord(1 << 20)));
    }
}
