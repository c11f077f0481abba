package io.viaemu.transport.chronicle;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import io.viaemu.internal.ConfigProperties;
import io.viaemu.transport.Transport;
import io.viaemu.transport.TransportFactory;

/** {@link TransportFactory} of the built-in Chronicle Queue transport, {@code via.transport=chronicle}. */
public final class ChronicleTransportFactory implements TransportFactory {
    public static final ChronicleTransportFactory INSTANCE = new ChronicleTransportFactory();

    private static final Set<String> OPTIONS = Set.of(ChronicleOptions.ROLL_CYCLE, ChronicleOptions.BLOCK_SIZE);

    @Override
    public String name() {
        return CHRONICLE;
    }

    @Override
    public Set<String> optionNames() {
        return OPTIONS;
    }

    @Override
    public String parseOption(String option, String value) {
        switch (option) {
            case ChronicleOptions.ROLL_CYCLE:
                return value.trim();
            case ChronicleOptions.BLOCK_SIZE:
                return Long.toString(ConfigProperties.size(value));
            default:
                throw new IllegalArgumentException("the chronicle transport has no option '" + option + "' (options: "
                        + new TreeSet<>(OPTIONS) + ")");
        }
    }

    @Override
    public void check(Map<String, String> options, int maxMessageSize) {
        ChronicleOptions.from(options).checkMaxMessageSize(maxMessageSize);
    }

    @Override
    public Transport create(Map<String, String> options) {
        return new ChronicleTransport(ChronicleOptions.from(options));
    }
}
