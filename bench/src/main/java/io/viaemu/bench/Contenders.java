package io.viaemu.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import io.viaemu.PauserKind;
import io.viaemu.transport.TransportFactory;

/** The registry of {@link Contender}s, in the default run order (TCP first: it is the baseline of every ratio). */
public final class Contenders {

    /** The contender every ratio is computed against. */
    public static final String BASELINE = "tcp";

    private static final Map<String, Supplier<Contender>> ALL = new LinkedHashMap<>();

    static {
        register(TcpContender::new);
        register(UdsContender::new);
        register(ChronicleContender::new);
        register(() -> new ViaContender(PauserKind.BUSY));
        register(() -> new ViaContender(PauserKind.BACKOFF));
        register(() -> new ViaContender(PauserKind.BUSY, TransportFactory.RING));
        register(() -> new ViaContender(PauserKind.BACKOFF, TransportFactory.RING));
        register(ViaSocketContender::new);
        register(() -> new ViaNioContender(false));
        register(() -> new ViaNioContender(true));
        register(AeronContender::new);
    }

    private Contenders() {
    }

    private static void register(Supplier<Contender> factory) {
        ALL.put(factory.get().name(), factory);
    }

    public static List<String> names() {
        return new ArrayList<>(ALL.keySet());
    }

    public static Contender create(String name) {
        Supplier<Contender> factory = ALL.get(name);
        if (factory == null) {
            throw new IllegalArgumentException("unknown contender '" + name + "', known: " + String.join(",", ALL.keySet()));
        }
        return factory.get();
    }
}
