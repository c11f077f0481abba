package io.viaemu.transport;

import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;

import io.viaemu.ViaConfig;
import io.viaemu.transport.chronicle.ChronicleTransportFactory;
import io.viaemu.transport.ring.RingTransportFactory;

/**
 * Makes the {@link Transport} a configuration names ({@link ViaConfig#transport()}, property {@code via.transport})
 * from that transport's own options ({@link ViaConfig#transportOptions()}): Chronicle Queue
 * ({@value #CHRONICLE}) and the one-file ring ({@value #RING}) are built in; others register an implementation of this interface as a
 * {@link ServiceLoader} service ({@code META-INF/services/io.viaemu.transport.TransportFactory}).
 *
 * <p>Every process of a server (its clients and workers too) must use the same transport with the same options:
 * workers get both from the parent's configuration.
 */
public interface TransportFactory {

    /** The built-in transport's name. */
    String CHRONICLE = "chronicle";
    /** The built-in one-file ring transport's name. */
    String RING = "ring";

    /** The name {@code via.transport} selects this transport by. */
    String name();

    /**
     * The options this transport reads. Each is also a property {@code via.NAME} (for example
     * {@code via.roll-cycle}), so the core, the worker arguments and the Spring starter share one set of names.
     */
    Set<String> optionNames();

    /**
     * Parses one option's value given as property text and returns it in the form {@link #create} reads.
     *
     * @throws IllegalArgumentException with the reason when the value is bad or the option unknown
     */
    String parseOption(String option, String value);

    /**
     * Checks the options against the rest of the configuration; by default nothing to check.
     *
     * @param maxMessageSize the largest data document's payload the configuration lets through
     * @throws IllegalArgumentException naming the options in conflict
     */
    default void check(Map<String, String> options, int maxMessageSize) {
    }

    /** The transport with these options (parsed ones; options not given take the transport's defaults). */
    Transport create(Map<String, String> options);

    /**
     * The transport with these options for a configuration whose largest data document is {@code maxMessageSize}
     * bytes and whose send window is {@code sendWindow} (a transport that sizes its channels from them overrides
     * this; by default {@link #create(Map)}).
     */
    default Transport create(Map<String, String> options, int maxMessageSize, long sendWindow) {
        return create(options);
    }

    /** The transport the configuration names, with its options. */
    static Transport create(ViaConfig config) {
        return named(config.transport()).create(config.transportOptions(), config.maxMessageSize(),
                config.sendWindow());
    }

    /**
     * The factory of the transport called {@code name}.
     *
     * @throws IllegalArgumentException naming the known transports if there is none of that name
     */
    static TransportFactory named(String name) {
        if (CHRONICLE.equals(name)) {
            return ChronicleTransportFactory.INSTANCE;
        }
        if (RING.equals(name)) {
            return RingTransportFactory.INSTANCE;
        }
        Set<String> known = new TreeSet<>(Set.of(CHRONICLE, RING));
        for (TransportFactory f : ServiceLoader.load(TransportFactory.class)) {
            if (f.name().equals(name)) {
                return f;
            }
            known.add(f.name());
        }
        throw new IllegalArgumentException("unknown transport '" + name + "' (known: " + String.join(", ", known)
                + ")");
    }
}
