package io.viaemu.spring.boot.autoconfigure;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.viaemu.aeron.AeronOptions;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Clients on other hosts ({@code via.remote.*}, module via-emu-aeron): the gateway a server host runs, and on a
 * client host the routes from {@code host:port} to an endpoint behind a gateway. Not {@code via.transport}, which
 * names the core's same-host transport of the local connections (the gateway's own connections use it too).
 */
@ConfigurationProperties(prefix = "via.remote")
public class ViaRemoteProperties {
    /** A peer on the other host silent this long is gone (its connections fail); heartbeats go every tenth of it. */
    private Duration peerTimeout = Duration.ofSeconds(5);

    /** The handshake with the gateway, and the gateway's wait for a client's reply stream. */
    private Duration connectTimeout = Duration.ofSeconds(10);

    /**
     * A send held by back-pressure (the peer alive but not reading) fails after this with a
     * RemoteBackPressureException that says how much went out; 0 = it waits as long as the peer lives.
     */
    private Duration sendTimeout = Duration.ZERO;

    /**
     * How threads waiting on Aeron wait (client receives, the gateway's sessions, the media drivers): "backoff"
     * (spin once, yield for a few ms, then park up to 100 us), "yield" (yield between polls, never park) or "busy"
     * (a core per waiting thread).
     */
    private String idle = "backoff";

    /**
     * The media drivers' threads: "invoker" (none: the threads that send and wait run the driver, one hop less
     * each way), "shared" (one driver thread) or "dedicated" (three).
     */
    private String threading = "invoker";

    private final Gateway gateway = new Gateway();

    /** Client host: remote services reached through a gateway (the socket factory bean maps their addresses). */
    private List<Route> routes = new ArrayList<>();

    public Duration getPeerTimeout() {
        return peerTimeout;
    }

    public void setPeerTimeout(Duration peerTimeout) {
        this.peerTimeout = peerTimeout;
    }

    public Duration getConnectTimeout() {
        return connectTimeout;
    }

    public void setConnectTimeout(Duration connectTimeout) {
        this.connectTimeout = connectTimeout;
    }

    public Duration getSendTimeout() {
        return sendTimeout;
    }

    public void setSendTimeout(Duration sendTimeout) {
        this.sendTimeout = sendTimeout;
    }

    public String getIdle() {
        return idle;
    }

    public void setIdle(String idle) {
        this.idle = idle;
    }

    public String getThreading() {
        return threading;
    }

    public void setThreading(String threading) {
        this.threading = threading;
    }

    public Gateway getGateway() {
        return gateway;
    }

    public List<Route> getRoutes() {
        return routes;
    }

    public void setRoutes(List<Route> routes) {
        this.routes = routes;
    }

    /** The settings as the Aeron module takes them. */
    public AeronOptions toOptions() {
        return AeronOptions.defaults().peerTimeout(peerTimeout).connectTimeout(connectTimeout)
                .sendTimeout(sendTimeout).idle(idle).threading(threading);
    }

    /**
     * Server host: the gateway that terminates remote clients' Aeron UDP sessions into local via-emu connections.
     * Run it in an application of its own, not in the parent: the media driver lives in the gateway's process, and
     * a gateway inside the parent would die with it, which defeats recovery from the parent's death (T2).
     */
    public static class Gateway {
        /** Whether this application runs the gateway. */
        private boolean enabled;

        /** The UDP address (host:port) remote clients publish to; required when enabled. */
        private String listen;

        /** The gateway-wide token (owner-only file, at least 16 bytes), for endpoints without their own. */
        private Path tokenFile;

        /**
         * Endpoints with their own token: endpoint name to token file. Such an endpoint refuses the gateway-wide
         * token ("authentication failed: wrong token for endpoint ...").
         */
        private Map<String, Path> endpointTokenFiles = new LinkedHashMap<>();

        /** Only these endpoints are served (empty: every endpoint that has a token, own or gateway-wide). */
        private List<String> endpoints = new ArrayList<>();

        /** The media driver's directory (default /dev/shm/via-aeron-gateway-PORT). */
        private Path aeronDir;

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public String getListen() {
            return listen;
        }

        public void setListen(String listen) {
            this.listen = listen;
        }

        public Path getTokenFile() {
            return tokenFile;
        }

        public void setTokenFile(Path tokenFile) {
            this.tokenFile = tokenFile;
        }

        public Map<String, Path> getEndpointTokenFiles() {
            return endpointTokenFiles;
        }

        public void setEndpointTokenFiles(Map<String, Path> endpointTokenFiles) {
            this.endpointTokenFiles = endpointTokenFiles;
        }

        public List<String> getEndpoints() {
            return endpoints;
        }

        public void setEndpoints(List<String> endpoints) {
            this.endpoints = endpoints;
        }

        public Path getAeronDir() {
            return aeronDir;
        }

        public void setAeronDir(Path aeronDir) {
            this.aeronDir = aeronDir;
        }
    }

    /** A remote service: connections to {@code address} go to {@code endpoint} through {@code gateway}. */
    public static class Route {
        /** The address the application connects to (host:port), as it names it. */
        private String address;

        /** The gateway's UDP address (host:port). */
        private String gateway;

        /** The via-emu endpoint behind the gateway. */
        private String endpoint;

        /** The token file for this endpoint (owner-only; the endpoint's own token or the gateway-wide one). */
        private Path tokenFile;

        public String getAddress() {
            return address;
        }

        public void setAddress(String address) {
            this.address = address;
        }

        public String getGateway() {
            return gateway;
        }

        public void setGateway(String gateway) {
            this.gateway = gateway;
        }

        public String getEndpoint() {
            return endpoint;
        }

        public void setEndpoint(String endpoint) {
            this.endpoint = endpoint;
        }

        public Path getTokenFile() {
            return tokenFile;
        }

        public void setTokenFile(Path tokenFile) {
            this.tokenFile = tokenFile;
        }
    }
}
