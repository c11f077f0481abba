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

/**
 * A via-emu connection ({@link ViaServer} / {@link ViaClient}): the whole protocol layer on top of the Chronicle
 * transport (typed documents, flag checks on every send, per-connection locks, the housekeeper). With the busy
 * pauser it is directly comparable to {@code chronicle}; {@code via-backoff} is the default configuration.
 */
public final class ViaContender implements Contender {
    static final String ENDPOINT = "bench";

    private final PauserKind pauser;

    public ViaContender(PauserKind pauser) {
        this.pauser = pauser;
    }

    @Override
    public String name() {
        return pauser == PauserKind.BUSY ? "via" : "via-" + pauser.name().toLowerCase();
    }

    @Override
    public String description() {
        return "via-emu connection (ViaServer/ViaClient, pauser " + pauser + ", no fork)";
    }

    static ViaConfig config(Path base, PauserKind pauser) {
        // room for the 10,000 idle connections of idle10000 (the server's default limit is lower)
        return ViaConfig.builder(base).pauser(pauser).triggers(Set.of()).connectTimeout(Duration.ofSeconds(30))
                .maxConnections(20_000).build();
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
        ViaServer server = ViaServer.listen(config(base, pauser), ENDPOINT);
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
        return new ViaBenchConnection(ViaClient.connect(config(Path.of(address), pauser), ENDPOINT));
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
