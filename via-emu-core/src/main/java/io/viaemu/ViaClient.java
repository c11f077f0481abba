package io.viaemu;

import java.io.IOException;
import java.nio.file.Files;

import io.viaemu.internal.FilePermissions;
import io.viaemu.internal.JvmOptions;
import io.viaemu.internal.Layout;
import io.viaemu.internal.NativeWarmup;
import io.viaemu.protocol.ClientRole;
import io.viaemu.protocol.ConnectionSlots;
import io.viaemu.transport.Transport;
import io.viaemu.transport.TransportFactory;

/** Connects to a via-emu endpoint on this host. */
public final class ViaClient {
    static {
        // JNA's initialisation on a thread of its own while the first connect makes its slot (see the class)
        NativeWarmup.start();
    }

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
        try {
            return connectOnce(config, endpoint);
        } finally {
            NativeWarmup.firstConnectReturned(); // SLF4J's set-up may start now (see Logs)
        }
    }

    private static ViaConnection connectOnce(ViaConfig config, String endpoint) throws IOException {
        if (!ConnectionSlots.enabled(config)) {
            JvmOptions.checkRequired();
            return connect(config, endpoint, transport(config));
        }
        checkBaseDir(config);
        Layout.checkEndpoint(endpoint);
        // before anything of Chronicle's loads (it applies Chronicle's default properties); in a fresh JVM the
        // NativeWarmup thread initialises JNA meanwhile
        JvmOptions.checkRequired();
        // a connection slot of this process's pool when one is idle: its queues are open already (see README)
        return ConnectionSlots.of(config, endpoint).connect(config, endpoint);
    }

    /**
     * Gets this process ready to connect to {@code endpoint} fast: initialises the transport (Chronicle's classes
     * and its first queue, a few hundred milliseconds in a fresh JVM) and fills this process's pool of connection
     * slots for the endpoint, in the calling thread. Optional: without it the first connect pays for both. Needs no
     * server yet. Does nothing more when {@link ViaConfig#connectSlots()} is 0 than initialise the transport.
     *
     * @throws ViaSetupException if this JVM lacks the JVM options via-emu needs
     */
    public static void prepare(ViaConfig config, String endpoint) throws IOException {
        JvmOptions.checkRequired();
        checkBaseDir(config);
        Layout.checkEndpoint(endpoint);
        if (ConnectionSlots.enabled(config)) {
            ConnectionSlots.of(config, endpoint).prepare();
        } else {
            transport(config); // the transport's classes at least
        }
    }

    /**
     * Deletes this process's idle connection slots, of every endpoint (also done at the JVM's exit and after
     * {@link ViaConfig#connectSlotIdleTimeout()}); connections open now are not affected, and their slots are
     * deleted at their close. Later connects make new slots.
     */
    public static void releaseSlots() {
        ConnectionSlots.closeAll();
    }

    /** Idle connection slots this process keeps for {@code endpoint} (tests, tools). */
    public static int idleSlots(ViaConfig config, String endpoint) {
        return ConnectionSlots.idleSlots(config, endpoint);
    }

    private static void checkBaseDir(ViaConfig config) throws IOException {
        if (Files.isDirectory(config.baseDir())) {
            // like the server: in a directory others can write, they could read or replace the connection's files
            FilePermissions.checkPrivate(config.baseDir());
        }
    }

    public static ViaConnection connect(ViaConfig config, String endpoint, Transport transport) throws IOException {
        JvmOptions.checkRequired();
        checkBaseDir(config);
        return ClientRole.connect(config, transport, endpoint);
    }

    /** The transport a configuration names ({@link ViaConfig#transport()}), with its options. */
    public static Transport transport(ViaConfig config) {
        return TransportFactory.create(config);
    }
}
