package io.viaemu.aeron;

import java.io.File;
import java.util.concurrent.TimeUnit;

import io.aeron.Aeron;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import org.agrona.IoUtil;

/**
 * The media drivers: the gateway's (the daemon's own, so it outlives any parent process) and the one a client JVM
 * embeds unless it is pointed at a running driver with {@code -Daeron.dir}.
 *
 * <p>Aeron's own timeouts are set above the peer timeout: an image (a peer's stream) is declared gone, and a
 * publication not connected, only after twice the peer timeout (at least Aeron's 10 s default). So a link outage
 * shorter than the peer timeout never makes Aeron drop a stream (it retransmits what was lost when the link is
 * back), and one longer than the peer timeout is reported by via-emu's heartbeats first, with a clear reason.
 */
final class Drivers {
    static final String CLIENT_DIR_PREFIX = "via-aeron-client-";
    private static Aeron clientAeron;
    private static MediaDriver clientDriver;
    private static DriverPump clientPump = DriverPump.NONE;

    private Drivers() {
    }

    static MediaDriver.Context driverContext(String directory, AeronOptions options) {
        long aeronTimeout = Math.max(TimeUnit.SECONDS.toNanos(10), 2 * options.peerTimeoutNanos());
        MediaDriver.Context c = new MediaDriver.Context()
                .aeronDirectoryName(directory)
                .dirDeleteOnStart(true)
                .dirDeleteOnShutdown(true);
        switch (options.threading()) {
            case "invoker":
                c.threadingMode(ThreadingMode.INVOKER);
                break;
            case "dedicated":
                c.threadingMode(ThreadingMode.DEDICATED).conductorIdleStrategy(options.newIdleStrategy())
                        .senderIdleStrategy(options.newIdleStrategy())
                        .receiverIdleStrategy(options.newIdleStrategy());
                break;
            default:
                c.threadingMode(ThreadingMode.SHARED).sharedIdleStrategy(options.newIdleStrategy());
                break;
        }
        return c.imageLivenessTimeoutNs(aeronTimeout)
                .publicationConnectionTimeoutNs(aeronTimeout)
                .publicationLingerTimeoutNs(TimeUnit.SECONDS.toNanos(2))
                .termBufferSparseFile(true);
    }

    /**
     * A client JVM killed (kill -9) leaves its embedded driver's directory behind (tens of MB of log buffers in
     * /dev/shm): the next client JVM deletes those whose process is gone.
     */
    private static void deleteDirectoriesOfDeadClients(File parent) {
        File[] dirs = parent.listFiles((d, name) -> name.startsWith(CLIENT_DIR_PREFIX));
        if (dirs == null) {
            return;
        }
        for (File d : dirs) {
            try {
                long pid = Long.parseLong(d.getName().substring(CLIENT_DIR_PREFIX.length()));
                if (ProcessHandle.of(pid).isEmpty()) {
                    IoUtil.delete(d, true);
                }
            } catch (NumberFormatException e) {
                // not one of ours
            }
        }
    }

    /**
     * The client JVM's Aeron: connected to the driver in {@code -Daeron.dir} if that is set, else to a driver
     * embedded in this JVM (directory under /dev/shm, deleted at exit). One per JVM, shared by its connections.
     */
    static synchronized Aeron clientAeron(AeronOptions options) {
        if (clientAeron != null && !clientAeron.isClosed()) {
            return clientAeron;
        }
        String dir = System.getProperty("aeron.dir");
        if (dir == null) {
            File shm = new File("/dev/shm");
            File parent = shm.isDirectory() ? shm : new File(System.getProperty("java.io.tmpdir"));
            deleteDirectoriesOfDeadClients(parent);
            dir = new File(parent, CLIENT_DIR_PREFIX + ProcessHandle.current().pid()).getAbsolutePath();
            clientDriver = MediaDriver.launchEmbedded(driverContext(dir, options));
            clientPump = DriverPump.of(clientDriver, "client");
            dir = clientDriver.aeronDirectoryName();
        }
        Aeron aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(dir));
        clientAeron = aeron;
        DriverPump pump = clientPump;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            aeron.close();
            pump.closeDriver();
        }, "via-aeron-client-shutdown"));
        return aeron;
    }

    /**
     * What runs the client JVM's embedded driver if it has no threads of its own (INVOKER mode): the connections'
     * sends and receives invoke it. {@link DriverPump#NONE} for a driver elsewhere ({@code -Daeron.dir}).
     */
    static synchronized DriverPump clientPump() {
        return clientPump;
    }
}
