package io.viaemu.socket.rmi;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

import io.viaemu.testing.JvmProcess;
import io.viaemu.testing.SeparateProcessTest;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Java RMI and JMX over via-emu (issue 9, item 8), each side its own JVM with {@link ViaRmiSocketFactory} installed as
 * RMI's socket factory, as the README describes: a registry on a mapped port, the remote object (or JMX's RMI
 * server) exported on port 0, which a default template maps in every JVM, and calls whose byte-array arguments and
 * results are checked byte for byte. A stub names this host by the address in {@code java.rmi.server.hostname}
 * (or the local host's address); port entries and the template apply to every address of this host.
 */
@Timeout(value = 240, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class RmiAndJmxOverViaTest extends SeparateProcessTest {

    private static final int REGISTRY_PORT = 1099;

    @Test
    void rmiRegistryAndRemoteObjectOverViaEmu() {
        runCalls("rmi", List.of());
    }

    @Test
    void jmxConnectorServerAndClientOverViaEmu() {
        runCalls("jmx", List.of());
    }

    @Test
    void rmiStubsNamingThisHostsOwnNetworkAddressWork() throws Exception {
        // what a stub carries when java.rmi.server.hostname is not set and the host name resolves to the network
        // address: not loopback, but still this host
        Optional<InetAddress> own = ownNonLoopbackAddress();
        org.junit.jupiter.api.Assumptions.assumeTrue(own.isPresent(), "this host has no non-loopback address");
        runCalls("rmi", List.of("-Djava.rmi.server.hostname=" + own.get().getHostAddress()));
    }

    private void runCalls(String kind, List<String> extraOptions) {
        List<String> options = new ArrayList<>(List.of("-Dvia.base-dir=" + base,
                "-Dvia.socket.map." + REGISTRY_PORT + "=rmi-registry", "-Dvia.socket.map.default=port-{port}",
                "-Dvia.timeouts.connect=20s"));
        options.addAll(extraOptions);
        server = JvmProcess.start(tmp.resolve("logs"), kind + "-server", options, RmiJmxServerMain.class, kind,
                Integer.toString(REGISTRY_PORT), "180").awaitOutput("READY", Duration.ofSeconds(90));
        String serverPid = server.output().replaceAll("(?s).*READY pid=(\\d+).*", "$1");
        client = JvmProcess.start(tmp.resolve("logs"), kind + "-client", options, RmiJmxClientMain.class, kind,
                "localhost", Integer.toString(REGISTRY_PORT));
        Awaitility.await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(100))
                .until(() -> client.output().contains("CALLS OK") || client.output().contains("CALLS FAILED")
                        || !client.process().isAlive());
        assertThat(client.output()).as("client output; server output:\n" + server.output())
                .contains("CALLS OK n=5 server-pid=" + serverPid);
    }

    private static Optional<InetAddress> ownNonLoopbackAddress() throws Exception {
        for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (!ni.isUp() || ni.isLoopback()) {
                continue;
            }
            for (InetAddress a : Collections.list(ni.getInetAddresses())) {
                if (a instanceof Inet4Address && !a.isLoopbackAddress()) {
                    return Optional.of(a);
                }
            }
        }
        return Optional.empty();
    }
}
