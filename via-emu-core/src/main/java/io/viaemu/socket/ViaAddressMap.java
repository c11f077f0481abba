package io.viaemu.socket;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Which via-emu endpoint a TCP address stands for. Socket code names {@code host:port}; via-emu names endpoints
 * (directories under the base directory). This map is the one place that relates the two, for clients
 * ({@link ViaSocketFactory}) and servers ({@link ViaServerSocketFactory}) alike.
 *
 * <h2>Rules, in order</h2>
 * <ol>
 * <li><b>Host entry</b> {@code host:port -> endpoint}: matches that host name (case-insensitive, as the caller wrote
 * it) or that literal IP address.</li>
 * <li><b>Port entry</b> {@code port -> endpoint}: matches the port on a <em>local</em> address only: {@code
 * localhost}, any loopback address (127.0.0.0/8, ::1), the wildcard address (0.0.0.0, ::, what a server binds by
 * default) or an address of one of this host's network interfaces (what an RMI stub names its server by). via-emu connects processes of one host, so a port entry never captures a remote host that happens to
 * use the same port; map such a host explicitly with a host entry.</li>
 * <li><b>Default template</b> (optional), e.g. {@code port-{port}}: any local address whose port has no entry maps to
 * the template with {@code {port}} replaced, so that any number of ports work without listing them.</li>
 * <li>Otherwise the address is <b>unmapped</b>: by default ({@link Unmapped#FAIL}) connecting throws a
 * {@link java.net.ConnectException} and binding a {@link java.net.BindException}, each naming the address and how
 * to map it. With {@link Unmapped#TCP} the socket uses real TCP instead (a plain JDK socket inside the
 * {@link ViaSocket} / {@link ViaServerSocket}).</li>
 * </ol>
 *
 * <h2>Properties</h2>
 * {@link #fromProperties(Properties)} (and {@link #fromSystemProperties()}) read:
 * <pre>
 * via.socket.map.7000=echo               port entry
 * via.socket.map.db.local:5432=pg        host entry (the last ':' separates the port)
 * via.socket.map.[::1]:7001=echo6        IPv6 literal host entry
 * via.socket.map.default=port-{port}     default template
 * via.socket.unmapped=fail|tcp           what unmapped addresses do (default fail)
 * </pre>
 *
 * <h2>Port 0</h2>
 * A server socket bound to port 0 (on a local address) gets a free port from the ephemeral range 49152-65535; its
 * endpoint is the default template's (or {@code ephemeral-PORT} without one), and the server socket adds a port
 * entry for it to this map while it is open, so clients that use the same map instance (in this JVM) find it.
 * Clients in other JVMs find it through the default template, which they must then share. Exception: with
 * {@link Unmapped#TCP} and no default template, port 0 binds a real TCP port.
 *
 * <p>Endpoint names must be valid via-emu endpoint names: letters, digits, '.', '_' or '-', at most 64.
 *
 * <p>Thread-safe; entries may be added and removed at any time.
 */
public final class ViaAddressMap {

    /** Prefix of the mapping properties. */
    public static final String PREFIX = "via.socket.map.";
    /** Key (after {@link #PREFIX}) of the default template. */
    public static final String DEFAULT_KEY = "default";
    /** The property choosing what unmapped addresses do. */
    public static final String UNMAPPED_PROPERTY = "via.socket.unmapped";
    /** The placeholder of the default template. */
    public static final String PORT_PLACEHOLDER = "{port}";

    /** Same rule as the core's endpoint names (they become directory names). */
    private static final Pattern ENDPOINT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final Pattern DIGITS = Pattern.compile("[0-9]{1,5}");

    /** What a socket does with an address this map does not map. */
    public enum Unmapped {
        /** Connect and bind fail with an IOException naming the address (the default). */
        FAIL,
        /** Connect and bind use real TCP. */
        TCP
    }

    private final Map<Integer, String> ports = new ConcurrentHashMap<>();
    private final Map<String, String> hosts = new ConcurrentHashMap<>();
    private volatile String defaultTemplate;
    private volatile Unmapped unmapped = Unmapped.FAIL;

    /** An empty map: every address is unmapped until entries are added. */
    public ViaAddressMap() {
    }

    /** The mapping from system properties (see the class comment). */
    public static ViaAddressMap fromSystemProperties() {
        return fromProperties(System.getProperties());
    }

    /**
     * The mapping from properties (see the class comment); other keys are ignored.
     *
     * @throws IllegalArgumentException naming the property that is malformed
     */
    public static ViaAddressMap fromProperties(Properties properties) {
        ViaAddressMap map = new ViaAddressMap();
        for (String key : properties.stringPropertyNames()) {
            String value = properties.getProperty(key).trim();
            if (key.equals(UNMAPPED_PROPERTY)) {
                try {
                    map.unmapped(Unmapped.valueOf(value.toUpperCase(Locale.ROOT)));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(key + "=" + value + ": expected 'fail' or 'tcp'");
                }
                continue;
            }
            if (!key.startsWith(PREFIX)) {
                continue;
            }
            String address = key.substring(PREFIX.length());
            try {
                if (address.equals(DEFAULT_KEY)) {
                    map.defaultTemplate(value);
                } else if (DIGITS.matcher(address).matches()) {
                    map.map(Integer.parseInt(address), value);
                } else {
                    int colon = address.lastIndexOf(':');
                    if (colon <= 0 || !DIGITS.matcher(address.substring(colon + 1)).matches()) {
                        throw new IllegalArgumentException("expected PORT, HOST:PORT or '" + DEFAULT_KEY + "' after '"
                                + PREFIX + "'");
                    }
                    map.map(address.substring(0, colon), Integer.parseInt(address.substring(colon + 1)), value);
                }
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("bad via-emu socket mapping " + key + "=" + value + ": "
                        + e.getMessage(), e);
            }
        }
        return map;
    }

    /** Port entry: {@code port} on any local address is {@code endpoint}. */
    public ViaAddressMap map(int port, String endpoint) {
        ports.put(checkPort(port), checkEndpoint(endpoint));
        return this;
    }

    /** Host entry: {@code host:port} (a name as callers write it, or a literal IP) is {@code endpoint}. */
    public ViaAddressMap map(String host, int port, String endpoint) {
        hosts.put(hostKey(host, checkPort(port)), checkEndpoint(endpoint));
        return this;
    }

    /** Removes a port entry. */
    public ViaAddressMap unmap(int port) {
        ports.remove(port);
        return this;
    }

    /** Removes a host entry. */
    public ViaAddressMap unmap(String host, int port) {
        hosts.remove(hostKey(host, port));
        return this;
    }

    /**
     * Maps every local port without an entry to {@code template} with {@value #PORT_PLACEHOLDER} replaced by the
     * port; null removes the template.
     */
    public ViaAddressMap defaultTemplate(String template) {
        if (template != null) {
            if (!template.contains(PORT_PLACEHOLDER)) {
                throw new IllegalArgumentException("default template '" + template + "' lacks " + PORT_PLACEHOLDER);
            }
            checkEndpoint(template.replace(PORT_PLACEHOLDER, "65535"));
        }
        this.defaultTemplate = template;
        return this;
    }

    public String defaultTemplate() {
        return defaultTemplate;
    }

    /** What sockets do with unmapped addresses. */
    public ViaAddressMap unmapped(Unmapped policy) {
        this.unmapped = Objects.requireNonNull(policy);
        return this;
    }

    public Unmapped unmapped() {
        return unmapped;
    }

    /**
     * The endpoint for an address, or null if it is unmapped.
     *
     * @param address resolved or not; an unresolved one is matched by its host name
     */
    public String endpointFor(InetSocketAddress address) {
        int port = address.getPort();
        String byName = hosts.get(hostKey(address.getHostString(), port));
        if (byName != null) {
            return byName;
        }
        InetAddress ip = address.getAddress();
        if (ip != null) {
            String byIp = hosts.get(hostKey(ip.getHostAddress(), port));
            if (byIp != null) {
                return byIp;
            }
        }
        if (!isLocal(address)) {
            return null;
        }
        String byPort = ports.get(port);
        if (byPort != null) {
            return byPort;
        }
        String template = defaultTemplate;
        return template == null || port == 0 ? null : template.replace(PORT_PLACEHOLDER, Integer.toString(port));
    }

    /** The endpoint a server bound to port 0 that was given {@code port} listens on. */
    String ephemeralEndpoint(int port) {
        String template = defaultTemplate;
        return template == null ? "ephemeral-" + port : template.replace(PORT_PLACEHOLDER, Integer.toString(port));
    }

    /** True if any entry or the template maps {@code port} on a local address. */
    boolean isPortMapped(int port) {
        return ports.containsKey(port);
    }

    /**
     * Port entries apply to these: the loopback and wildcard addresses, the name {@code localhost}, and every address
     * of this host's network interfaces (what RMI stubs and other self-describing protocols name this host by:
     * {@code java.rmi.server.hostname} or the local host's address; TCP to it reaches this host's listeners too).
     */
    static boolean isLocal(InetSocketAddress address) {
        InetAddress ip = address.getAddress();
        if (ip != null) {
            return ip.isLoopbackAddress() || ip.isAnyLocalAddress() || isThisHostsAddress(ip);
        }
        String host = address.getHostString();
        return host == null || host.isEmpty() || host.equalsIgnoreCase("localhost");
    }

    private static boolean isThisHostsAddress(InetAddress ip) {
        try {
            return NetworkInterface.getByInetAddress(ip) != null;
        } catch (SocketException e) {
            return false; // the interfaces cannot be listed: only loopback and wildcard count as local
        }
    }

    /** The message an unmapped address fails with: names the address and tells how to map it. */
    static String unmappedMessage(InetSocketAddress address, String verb) {
        int port = address.getPort();
        String local = isLocal(address) ? PREFIX + port + "=ENDPOINT or " : "";
        return "No via-emu endpoint is mapped for " + describe(address) + " (cannot " + verb + "): map it with "
                + local + PREFIX + address.getHostString() + ":" + port + "=ENDPOINT, or set " + UNMAPPED_PROPERTY
                + "=tcp to use real TCP for unmapped addresses";
    }

    static String describe(InetSocketAddress address) {
        InetAddress ip = address.getAddress();
        String host = address.getHostString();
        if (ip == null || host.equals(ip.getHostAddress())) {
            return host + ":" + address.getPort();
        }
        return host + "/" + ip.getHostAddress() + ":" + address.getPort();
    }

    private static String hostKey(String host, int port) {
        String h = Objects.requireNonNull(host, "host").trim().toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1); // [::1] as in URLs
        }
        if (h.isEmpty()) {
            throw new IllegalArgumentException("empty host");
        }
        if (h.indexOf(':') >= 0) {
            // IPv6 literal: one spelling (::1 and 0:0:0:0:0:0:0:1 are the same address). A literal is parsed, never
            // looked up, so this does no DNS.
            try {
                h = InetAddress.getByName(h).getHostAddress();
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("bad IPv6 address '" + host + "'");
            }
        }
        return h + "#" + port;
    }

    private static int checkPort(int port) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is not in 1-65535");
        }
        return port;
    }

    private static String checkEndpoint(String endpoint) {
        if (endpoint == null || !ENDPOINT.matcher(endpoint).matches()) {
            throw new IllegalArgumentException("bad endpoint name '" + endpoint
                    + "': use letters, digits, '.', '_' or '-' (at most 64)");
        }
        return endpoint;
    }

    @Override
    public String toString() {
        return "ViaAddressMap{ports=" + ports + ", hosts=" + hosts + ", default=" + defaultTemplate + ", unmapped="
                + unmapped + '}';
    }
}
