package io.viaemu.aeron;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;

import io.aeron.Aeron;
import io.aeron.Image;
import io.aeron.Subscription;
import io.aeron.driver.MediaDriver;
import io.viaemu.ViaConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server host's gateway for clients on other hosts: a daemon that runs the Aeron media driver and terminates
 * each remote client's Aeron UDP session into an ordinary local via-emu connection (see {@link GatewaySession}).
 * It is its own process, so the driver outlives any parent: a parent killed mid-stream (T2) is recovered on this
 * host by the child from the local connection's up queue, which is the persistent record of what the client sent.
 *
 * <pre>
 * java @via-emu-core/src/main/resources/META-INF/via-emu/jvm.args -cp "$(cat via-emu-aeron/target/gateway.classpath):via-emu-aeron/target/classes" \
 *      -Dvia.base-dir=/run/app/via io.viaemu.aeron.AeronGateway --listen 10.0.0.5:40123 --token-file /etc/via/token
 * </pre>
 *
 * Options: {@code --listen HOST:PORT} (the UDP address clients publish to; required), {@code --token-file FILE}
 * (the gateway-wide shared secret, owner-only), {@code --endpoint-token ENDPOINT=FILE} (repeatable: that endpoint
 * takes only this token, not the gateway-wide one; at least one of the two kinds is required), {@code --endpoints a,b} (only these; default all),
 * {@code --aeron-dir DIR} (the driver's directory; default under /dev/shm), {@code --idle busy|yield|backoff} and
 * {@code --threading invoker|shared|dedicated} (the {@link AeronOptions} of those names, over the system
 * properties). The local connections take every
 * {@code via.*} system property ({@link ViaConfig#fromSystemProperties()}), the Aeron links the
 * {@code via.aeron.*} ones ({@link AeronOptions}).
 */
public final class AeronGateway implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AeronGateway.class);

    private final String listen;
    /** The gateway-wide token, for endpoints without their own; null = none (only endpoints with a token). */
    private final byte[] token;
    private final Map<String, byte[]> endpointTokens;
    private final Set<String> endpoints;
    private final ViaConfig viaConfig;
    private final AeronOptions options;
    private final MediaDriver driver;
    private final DriverPump pump;
    private final Aeron aeron;
    private final Subscription subscription;
    private final Map<Integer, GatewaySession> sessions = new ConcurrentHashMap<>();

    private AeronGateway(String listen, byte[] token, Map<String, byte[]> endpointTokens, Set<String> endpoints,
            ViaConfig viaConfig, AeronOptions options, String aeronDir) {
        this.listen = listen;
        this.token = token == null ? null : token.clone();
        this.endpointTokens = Map.copyOf(endpointTokens);
        this.endpoints = endpoints;
        this.viaConfig = viaConfig;
        this.options = options;
        this.driver = MediaDriver.launch(Drivers.driverContext(aeronDir, options));
        this.pump = DriverPump.of(driver, "gateway");
        this.aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(driver.aeronDirectoryName()));
        this.subscription = aeron.addSubscription("aeron:udp?endpoint=" + listen, Frames.UP_STREAM,
                this::onImage, this::onImageGone);
    }

    /**
     * Starts a gateway listening on {@code listen} ({@code host:port}) for the endpoints given (empty = all).
     */
    public static AeronGateway start(String listen, byte[] token, Set<String> endpoints, ViaConfig viaConfig,
            AeronOptions options, Path aeronDir) throws IOException {
        return start(listen, token, Map.of(), endpoints, viaConfig, options, aeronDir);
    }

    /**
     * Starts a gateway whose endpoints in {@code endpointTokens} each take only their own token, and the others
     * the gateway-wide {@code token} (null: no gateway-wide token, so only the endpoints with their own are
     * served). {@code endpoints} limits the endpoints served further (empty = no limit).
     */
    public static AeronGateway start(String listen, byte[] token, Map<String, byte[]> endpointTokens,
            Set<String> endpoints, ViaConfig viaConfig, AeronOptions options, Path aeronDir) throws IOException {
        InetSocketAddress a = AeronViaClient.parse(listen);
        if (token == null && endpointTokens.isEmpty()) {
            throw new IllegalArgumentException("no token: give the gateway-wide token or endpoint tokens");
        }
        if (token != null) {
            checkLength("the gateway's token", token);
        }
        endpointTokens.forEach((e, t) -> checkLength("endpoint '" + e + "''s token", t));
        String dir = aeronDir != null ? aeronDir.toString()
                : (Files.isDirectory(Path.of("/dev/shm")) ? "/dev/shm" : System.getProperty("java.io.tmpdir"))
                        + "/via-aeron-gateway-" + a.getPort();
        return new AeronGateway(AeronViaClient.literal(a.getAddress()) + ":" + a.getPort(), token, endpointTokens,
                endpoints, viaConfig, options, dir);
    }

    private static void checkLength(String what, byte[] t) {
        if (t.length < 16) {
            throw new IllegalArgumentException(what + " must have at least 16 bytes (it has " + t.length + ")");
        }
    }

    public static void main(String[] args) throws Exception {
        String listen = null;
        Path tokenFile = null;
        Path aeronDir = null;
        Set<String> endpoints = new LinkedHashSet<>();
        Map<String, byte[]> endpointTokens = new LinkedHashMap<>();
        AeronOptions options = AeronOptions.fromSystemProperties();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String v = i + 1 < args.length ? args[i + 1] : null;
            switch (a) {
                case "--listen": listen = value(a, v); i++; break;
                case "--token-file": tokenFile = Path.of(value(a, v)); i++; break;
                case "--aeron-dir": aeronDir = Path.of(value(a, v)); i++; break;
                case "--endpoints": endpoints.addAll(Arrays.asList(value(a, v).split(","))); i++; break;
                case "--idle": options.idle(value(a, v)); i++; break;
                case "--threading": options.threading(value(a, v)); i++; break;
                case "--endpoint-token": {
                    String et = value(a, v);
                    int eq = et.indexOf('=');
                    if (eq <= 0 || eq == et.length() - 1) {
                        usage("--endpoint-token needs ENDPOINT=TOKEN_FILE: " + et);
                    }
                    endpointTokens.put(et.substring(0, eq), readToken(Path.of(et.substring(eq + 1))));
                    i++;
                    break;
                }
                default: usage("unknown option " + a);
            }
        }
        if (listen == null || (tokenFile == null && endpointTokens.isEmpty())) {
            usage("--listen and --token-file (or --endpoint-token) are required");
        }
        AeronGateway gateway = start(listen, tokenFile == null ? null : readToken(tokenFile), endpointTokens,
                endpoints, ViaConfig.fromSystemProperties(), options, aeronDir);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            gateway.close();
            stopped.countDown();
        }, "via-aeron-gateway-shutdown"));
        System.out.println("via-emu Aeron gateway listening on " + gateway.listen + " (aeron dir "
                + gateway.driver.aeronDirectoryName() + ", base dir " + gateway.viaConfig.baseDir() + ", endpoints "
                + (endpoints.isEmpty() ? (tokenFile == null ? endpointTokens.keySet() : "all") : endpoints)
                + (endpointTokens.isEmpty() ? "" : ", own tokens for " + endpointTokens.keySet()) + ", "
                + gateway.options + ")");
        System.out.flush();
        stopped.await();
    }

    /** {@link #readToken} for callers that cannot throw IOException (configuration): unreadable is illegal. */
    public static byte[] tokenOf(Path file) {
        try {
            return readToken(file);
        } catch (IOException e) {
            throw new IllegalArgumentException("token file " + file + ": " + e.getMessage(), e);
        }
    }

    /** The token file's content, trimmed; refused if others may read it. */
    static byte[] readToken(Path file) throws IOException {
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
        for (PosixFilePermission p : perms) {
            if (p.name().startsWith("GROUP") || p.name().startsWith("OTHERS")) {
                throw new IOException("the token file " + file + " must be owner-only (chmod 600): it is " + perms);
            }
        }
        return Files.readString(file, StandardCharsets.UTF_8).trim().getBytes(StandardCharsets.UTF_8);
    }

    private static String value(String option, String v) {
        if (v == null) {
            usage(option + " needs a value");
        }
        return v;
    }

    private static void usage(String problem) {
        System.err.println(problem + "\nusage: AeronGateway --listen HOST:PORT [--token-file FILE] "
                + "[--endpoint-token ENDPOINT=FILE]... [--endpoints a,b] [--aeron-dir DIR] [--idle busy|yield|backoff] "
                + "[--threading invoker|shared|dedicated]");
        System.exit(2);
    }

    public String listenAddress() {
        return listen;
    }

    /** Remote clients connected (or in their handshake) now. */
    public int sessionCount() {
        return sessions.size();
    }

    Aeron aeron() {
        return aeron;
    }

    /** What runs the gateway's driver in INVOKER mode: every session's duty cycle, and a background thread. */
    DriverPump pump() {
        return pump;
    }

    /**
     * The token a client of {@code endpoint} must prove: the endpoint's own, else the gateway-wide one; for an
     * endpoint with neither a random one no client can know (refused as a wrong token, like any other).
     */
    byte[] tokenFor(String endpoint) {
        byte[] own = endpointTokens.get(endpoint);
        if (own != null) {
            return own;
        }
        return token != null ? token : Frames.nonce();
    }

    boolean hasOwnToken(String endpoint) {
        return endpointTokens.containsKey(endpoint);
    }

    ViaConfig viaConfig() {
        return viaConfig;
    }

    boolean serves(String endpoint) {
        return (endpoints.isEmpty() || endpoints.contains(endpoint))
                && (token != null || endpointTokens.containsKey(endpoint));
    }

    private void onImage(Image image) {
        GatewaySession s = new GatewaySession(this, image, options);
        GatewaySession old = sessions.put(image.sessionId(), s);
        if (old != null) {
            old.end("a new Aeron stream came with the same session id", false);
        }
        s.start();
    }

    private void onImageGone(Image image) {
        GatewaySession s = sessions.get(image.sessionId());
        if (s != null) {
            s.streamEnded();
        }
    }

    void sessionEnded(int sessionId, GatewaySession s) {
        sessions.remove(sessionId, s);
    }

    @Override
    public void close() {
        for (GatewaySession s : sessions.values()) {
            s.end("the gateway is stopping", true);
        }
        subscription.close();
        aeron.close();
        pump.closeDriver();
        LOG.info("gateway on {} stopped", listen);
    }
}
