package io.viaemu;

import java.io.IOException;
import java.nio.file.Files;

import io.viaemu.internal.FilePermissions;
import io.viaemu.internal.JvmOptions;
import io.viaemu.protocol.ClientRole;
import io.viaemu.transport.Transport;
import io.viaemu.transport.TransportFactory;

/** Connects to a via-emu endpoint on this host. */
public final class ViaClient {
    private ViaClient() {
    }

    /**
     * Connects to {@code endpoint} under the configuration's base directory, over the configuration's transport,
     * and waits for the server's grant.
     *
     * @throws ViaTimeoutException if no server granted within the connect timeout
     * @throws ViaRefusedException if no server listens on the endpoint, or it refused
     * @throws ViaSetupException if this JVM lacks the JVM options via-emu needs
     */
    public static ViaConnection connect(ViaConfig config, String endpoint) throws IOException {
        JvmOptions.checkRequired();
        return connect(config, endpoint, transport(config));
    }

    public static ViaConnection connect(ViaConfig config, String endpoint, Transport transport) throws IOException {
        JvmOptions.checkRequired();
        if (Files.isDirectory(config.baseDir())) {
            // like the server: in a directory others can write, they could read or replace the connection's files
            FilePermissions.checkPrivate(config.baseDir());
        }
        return ClientRole.connect(config, transport, endpoint);
    }

    /** The transport a configuration names ({@link ViaConfig#transport()}), with its options. */
    public static Transport transport(ViaConfig config) {
        return TransportFactory.create(config);
    }
}
