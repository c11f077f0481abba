package io.viaemu.socket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.Properties;

import io.viaemu.ViaConfig;
import org.junit.jupiter.api.Test;

/** The address mapping rules (no queues involved). */
class ViaAddressMapTest {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    private static InetAddress remote() throws UnknownHostException {
        return InetAddress.getByAddress("db.example", new byte[] {10, 1, 2, 3}); // built, not looked up
    }

    @Test
    void aPortEntryMapsLocalAddressesOnly() throws Exception {
        ViaAddressMap map = new ViaAddressMap().map(7000, "echo");
        assertThat(map.endpointFor(new InetSocketAddress(LOOPBACK, 7000))).isEqualTo("echo");
        assertThat(map.endpointFor(new InetSocketAddress(InetAddress.getByName("::1"), 7000))).isEqualTo("echo");
        assertThat(map.endpointFor(new InetSocketAddress(7000))).isEqualTo("echo"); // wildcard, as servers bind
        assertThat(map.endpointFor(InetSocketAddress.createUnresolved("localhost", 7000))).isEqualTo("echo");
        assertThat(map.endpointFor(new InetSocketAddress(remote(), 7000))).isNull();
        assertThat(map.endpointFor(new InetSocketAddress(LOOPBACK, 7001))).isNull();
    }

    @Test
    void aHostEntryMatchesTheNameOrTheLiteralAddressAndWinsOverAPortEntry() throws Exception {
        ViaAddressMap map = new ViaAddressMap().map(5432, "local-pg").map("db.example", 5432, "pg")
                .map("10.9.9.9", 5432, "pg-by-ip").map("[::1]", 5433, "v6");
        assertThat(map.endpointFor(new InetSocketAddress(remote(), 5432))).isEqualTo("pg");
        assertThat(map.endpointFor(InetSocketAddress.createUnresolved("DB.Example", 5432))).isEqualTo("pg");
        assertThat(map.endpointFor(new InetSocketAddress(InetAddress.getByAddress(new byte[] {10, 9, 9, 9}), 5432)))
                .isEqualTo("pg-by-ip");
        assertThat(map.endpointFor(new InetSocketAddress(InetAddress.getByName("0:0:0:0:0:0:0:1"), 5433)))
                .isEqualTo("v6");
        assertThat(map.endpointFor(new InetSocketAddress(LOOPBACK, 5432))).isEqualTo("local-pg");
    }

    @Test
    void theDefaultTemplateMapsEveryOtherLocalPort() throws Exception {
        ViaAddressMap map = new ViaAddressMap().map(80, "web").defaultTemplate("port-{port}");
        assertThat(map.endpointFor(new InetSocketAddress(LOOPBACK, 80))).isEqualTo("web");
        assertThat(map.endpointFor(new InetSocketAddress(LOOPBACK, 8081))).isEqualTo("port-8081");
        assertThat(map.endpointFor(new InetSocketAddress(remote(), 8081))).isNull();
        assertThatThrownBy(() -> map.defaultTemplate("no-placeholder")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void propertiesDefineEntriesTemplateAndPolicy() throws Exception {
        Properties p = new Properties();
        p.setProperty("via.socket.map.7000", "echo");
        p.setProperty("via.socket.map.db.example:5432", "pg");
        p.setProperty("via.socket.map.[::1]:7001", "echo6");
        p.setProperty("via.socket.map.default", "port-{port}");
        p.setProperty("via.socket.unmapped", "tcp");
        p.setProperty("unrelated.property", "ignored");
        ViaAddressMap map = ViaAddressMap.fromProperties(p);
        assertThat(map.endpointFor(new InetSocketAddress(LOOPBACK, 7000))).isEqualTo("echo");
        assertThat(map.endpointFor(new InetSocketAddress(remote(), 5432))).isEqualTo("pg");
        assertThat(map.endpointFor(new InetSocketAddress(InetAddress.getByName("::1"), 7001))).isEqualTo("echo6");
        assertThat(map.endpointFor(new InetSocketAddress(LOOPBACK, 9000))).isEqualTo("port-9000");
        assertThat(map.unmapped()).isEqualTo(ViaAddressMap.Unmapped.TCP);
        assertThat(new ViaAddressMap().unmapped()).isEqualTo(ViaAddressMap.Unmapped.FAIL);
    }

    @Test
    void malformedPropertiesAreRefusedNamingTheProperty() {
        Properties badKey = new Properties();
        badKey.setProperty("via.socket.map.notaport", "x");
        assertThatThrownBy(() -> ViaAddressMap.fromProperties(badKey)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("via.socket.map.notaport");
        Properties badEndpoint = new Properties();
        badEndpoint.setProperty("via.socket.map.7000", "../escape");
        assertThatThrownBy(() -> ViaAddressMap.fromProperties(badEndpoint))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("../escape");
        Properties badPolicy = new Properties();
        badPolicy.setProperty("via.socket.unmapped", "maybe");
        assertThatThrownBy(() -> ViaAddressMap.fromProperties(badPolicy))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maybe");
        assertThatThrownBy(() -> new ViaAddressMap().map(0, "x")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void factoriesFromPropertiesTakeTheBaseDirectoryOrTheStartersDefault() {
        Properties p = new Properties();
        p.setProperty("via.socket.map.7000", "echo");
        // no base directory set: the Spring Boot starter's default, not an IllegalStateException
        assertThat(ViaSocketFactory.fromProperties(p).config().baseDir())
                .isEqualTo(ViaConfig.defaultBaseDir().toAbsolutePath());
        p.setProperty(ViaSocketFactory.BASE_DIR_PROPERTY, "/tmp/some-base");
        ViaServerSocketFactory servers = ViaServerSocketFactory.fromProperties(p);
        assertThat(servers.config().baseDir()).isEqualTo(Path.of("/tmp/some-base"));
        assertThat(servers.addressMap().endpointFor(new InetSocketAddress(LOOPBACK, 7000))).isEqualTo("echo");
        assertThat(servers.socketFactory().addressMap()).isSameAs(servers.addressMap());
    }

    @Test
    void factoriesFromPropertiesTakeEveryViaSettingAndRefuseTwoDifferentBaseDirectories() {
        Properties p = new Properties();
        p.setProperty(ViaSocketFactory.BASE_DIR_PROPERTY, "/tmp/socket-base");
        p.setProperty("via.timeouts.connect", "2s");
        p.setProperty("via.pauser", "busy");
        ViaSocketFactory f = ViaSocketFactory.fromProperties(p);
        assertThat(f.config().baseDir()).isEqualTo(Path.of("/tmp/socket-base"));
        assertThat(f.config().connectTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(f.config().pauser()).isEqualTo(io.viaemu.PauserKind.BUSY);
        p.setProperty("via.base-dir", "/tmp/socket-base");
        assertThat(ViaServerSocketFactory.fromProperties(p).config().baseDir())
                .isEqualTo(Path.of("/tmp/socket-base"));
        p.setProperty("via.base-dir", "/tmp/other-base");
        assertThatThrownBy(() -> ViaSocketFactory.fromProperties(p)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("/tmp/socket-base").hasMessageContaining("/tmp/other-base");
        p.remove("via.base-dir");
        p.setProperty("via.timeouts.connect", "soon");
        assertThatThrownBy(() -> ViaSocketFactory.fromProperties(p)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("via.timeouts.connect").hasMessageContaining("'soon'");
    }

    @Test
    void portEntriesApplyToThisHostsOwnNetworkAddresses() throws Exception {
        // an RMI stub names its server by java.rmi.server.hostname or the local host's address, often not loopback
        ViaAddressMap map = new ViaAddressMap().map(7000, "echo").defaultTemplate("port-{port}");
        int checked = 0;
        for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            for (InetAddress own : Collections.list(ni.getInetAddresses())) {
                assertThat(map.endpointFor(new InetSocketAddress(own, 7000))).as(own.toString()).isEqualTo("echo");
                assertThat(map.endpointFor(new InetSocketAddress(own, 7001))).as(own.toString()).isEqualTo("port-7001");
                checked++;
            }
        }
        assertThat(checked).isPositive();
        // an address of no interface of this host stays remote (TEST-NET-3, never assigned)
        InetAddress remote = InetAddress.getByAddress(new byte[] {(byte) 203, 0, 113, 77});
        assertThat(map.endpointFor(new InetSocketAddress(remote, 7000))).isNull();
    }

    @Test
    void entriesCanBeRemoved() {
        ViaAddressMap map = new ViaAddressMap().map(7000, "echo").map("h", 1, "e");
        map.unmap(7000).unmap("h", 1);
        assertThat(map.endpointFor(new InetSocketAddress(LOOPBACK, 7000))).isNull();
        assertThat(map.endpointFor(InetSocketAddress.createUnresolved("h", 1))).isNull();
    }
}
