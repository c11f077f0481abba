package io.viaemu.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Set;

import io.viaemu.PauserKind;
import io.viaemu.ViaClient;
import io.viaemu.ViaConfig;
import io.viaemu.ViaConnection;
import io.viaemu.ViaServer;
import io.viaemu.transport.TransportFactory;
import io.viaemu.transport.ring.RingTransportFactory;

/**
 * A via-emu connection ({@link ViaServer} / {@link ViaClient}): the whole protocol layer on top of the Chronicle
 * transport (typed documents, flag checks on every send, per-connection locks, the housekeeper). With the busy
 * pauser it is directly comparable to {@code chronicle}; {@code via-backoff} is the default configuration.
 */
public final class ViaContender implements Contender {
    static final String ENDPOINT = "bench";

    private final PauserKind pauser;
    private final String transport;

    /** On the Chronicle transport ({@code via}, {@code via-backoff}), whatever the default transport is. */
    public ViaContender(PauserKind pauser) {
        this(pauser, TransportFactory.CHRONICLE);
    }

    /** On the transport named ({@code via-ring}, {@code via-ring-backoff} for the ring transport). */
    public ViaContender(PauserKind pauser, String transport) {
        this.pauser = pauser;
        this.transport = transport;
    }

    @Override
    public String name() {
        String base = TransportFactory.CHRONICLE.equals(transport) ? "via" : "via-" + transport;
        return pauser == PauserKind.BUSY ? base : base + "-" + pauser.name().toLowerCase();
    }

    @Override
    public String description() {
        return "via-emu connection (ViaServer/ViaClient, " + transport + " transport, pauser " + pauser + ", no fork)";
    }

    static ViaConfig config(Path base, PauserKind pauser) {
        return config(base, pauser, TransportFactory.CHRONICLE);
    }

    static ViaConfig config(Path base, PauserKind pauser, String transport) {
        // room for the 10,000 idle connections of idle10000 (the server's default limit is lower)
        // the library's defaults unless a run sets the sizes (peer options -Dvia.bench.send-window,
        // -Dvia.bench.max-message-size, -Dvia.bench.ring-capacity)
        ViaConfig.Builder b = ViaConfig.builder(base).transport(transport).pauser(pauser).triggers(Set.of())
                .connectTimeout(Duration.ofSeconds(30)).maxConnections(20_000);
        Long window = Long.getLong("via.bench.send-window");
        if (window != null) {
            b.sendWindow(window);
        }
        Integer maxMessage = Integer.getInteger("via.bench.max-message-size");
        if (maxMessage != null) {
            b.maxMessageSize(maxMessage);
        }
        String ringCapacity = System.getProperty("via.bench.ring-capacity");
        if (ringCapacity != null && TransportFactory.RING.equals(transport)) {
            b.transportOption(RingTransportFactory.CAPACITY, ringCapacity);
        }
        return b.build();
    }

    String transport() {
        return transport;
    }

    /** The base directory must be owner-only: via-emu refuses one others can use. */
    static Path privateBase(Path dir) throws IOException {
        Path base = dir.resolve("via");
        if (!Files.isDirectory(base)) {
            Files.createDirectories(base, PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rwx------")));
        }
        return base;
    }

    @Override
    public Listener listen(Path dir) throws IOException {
        Path base = privateBase(dir);
        ViaServer server = ViaServer.listen(config(base, pauser, transport), ENDPOINT);
        return new Listener() {
            @Override
            public String address() {
                return base.toString();
            }

            @Override
            public Connection accept() throws IOException {
                return new ViaBenchConnection(server.accept(0));
            }

            @Override
            public void close() throws IOException {
                server.close();
            }
        };
    }

    @Override
    public Connection connect(String address) throws IOException {
        return new ViaBenchConnection(ViaClient.connect(config(Path.of(address), pauser, transport), ENDPOINT));
    }

    private static final class ViaBenchConnection implements Connection {
        private final ViaConnection c;

        ViaBenchConnection(ViaConnection c) {
            this.c = c;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            c.send(b, off, len);
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            return c.receive(b, off, len, 0);
        }

        @Override
        public void close() throws IOException {
            c.close();
        }
    }
}
