package io.viaemu.nio;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

import io.viaemu.ViaConfig;
import io.viaemu.socket.ViaAddressMap;

/**
 * The rules file that switches a program over to via-emu without a code change ({@code -Dvia.conf=FILE}), in the
 * spirit of the JDK's SDP configuration ({@code -Dcom.sun.sdp.conf}): one rule per line, {@code #} starts a comment.
 *
 * <pre>
 * base-dir  /run/app/via          # the via-emu base directory (relative: to this file's directory)
 * pauser    backoff               # busy | yielding | backoff
 * set       via.timeouts.connect=2s   # any other via.* setting of ViaConfig.fromProperties
 * bind      *:8080        web     # a server socket bound to port 8080 of a local address listens on endpoint "web"
 * bind      *:9000-9009   port-{port}
 * connect   localhost:8080 web    # a client connecting to localhost:8080 connects to endpoint "web"
 * connect   *:8080        web     # ... to port 8080 of any local address
 * connect   *:*           port-{port}   # every local port, by a template
 * </pre>
 *
 * A host is {@code *} (any local address: loopback, wildcard, this host's interfaces, {@code localhost}), a name as
 * callers write it, or a literal IP; a port is a number, a range {@code FIRST-LAST}, or {@code *} (a template with
 * {@code {port}}). Addresses no rule maps keep using TCP: {@code bind} rules decide for server sockets,
 * {@code connect} rules for client sockets, so a program can serve over via-emu and still call out over TCP.
 */
public final class ViaRules {

    /** The system property naming the rules file. */
    public static final String PROPERTY = "via.conf";

    private final Path file;
    private final ViaConfig config;
    private final ViaAddressMap bindMap;
    private final ViaAddressMap connectMap;

    private ViaRules(Path file, ViaConfig config, ViaAddressMap bindMap, ViaAddressMap connectMap) {
        this.file = file;
        this.config = config;
        this.bindMap = bindMap;
        this.connectMap = connectMap;
    }

    /** The rules named by {@code -Dvia.conf}, or null if the property is not set. */
    public static ViaRules fromSystemProperty() {
        String name = System.getProperty(PROPERTY);
        if (name == null || name.isBlank()) {
            return null;
        }
        try {
            return load(Path.of(name.trim()));
        } catch (IOException e) {
            throw new IllegalArgumentException("-D" + PROPERTY + "=" + name + ": cannot read the via-emu rules file: "
                    + e, e);
        }
    }

    /**
     * Rules that map nothing (every address is TCP) with {@code config}: for channels over connections that exist
     * already, such as the one a worker was handed ({@link ViaChannelHandler}).
     */
    public static ViaRules none(ViaConfig config) {
        return new ViaRules(null, config, new ViaAddressMap().unmapped(ViaAddressMap.Unmapped.TCP),
                new ViaAddressMap().unmapped(ViaAddressMap.Unmapped.TCP));
    }

    /**
     * Reads and checks a rules file.
     *
     * @throws IllegalArgumentException naming the file, the line number and what is wrong
     */
    public static ViaRules load(Path file) throws IOException {
        return parse(file, Files.readAllLines(file, StandardCharsets.UTF_8));
    }

    static ViaRules parse(Path file, List<String> lines) {
        Properties props = new Properties();
        ViaAddressMap bind = new ViaAddressMap().unmapped(ViaAddressMap.Unmapped.TCP);
        ViaAddressMap connect = new ViaAddressMap().unmapped(ViaAddressMap.Unmapped.TCP);
        Path dir = file.toAbsolutePath().getParent();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            int hash = line.indexOf('#');
            if (hash >= 0) {
                line = line.substring(0, hash);
            }
            line = line.trim();
            if (line.isEmpty()) {
                continue;
            }
            String[] words = line.split("\\s+");
            try {
                switch (words[0].toLowerCase(Locale.ROOT)) {
                    case "base-dir":
                        expect(words, 2, "base-dir DIRECTORY");
                        props.setProperty("via.base-dir", dir.resolve(words[1]).normalize().toString());
                        break;
                    case "pauser":
                        expect(words, 2, "pauser busy|yielding|backoff");
                        props.setProperty("via.pauser", words[1]);
                        break;
                    case "set":
                        expect(words, 2, "set via.NAME=VALUE");
                        int eq = words[1].indexOf('=');
                        if (eq <= 0 || !words[1].startsWith("via.")) {
                            throw new IllegalArgumentException("expected 'set via.NAME=VALUE'");
                        }
                        props.setProperty(words[1].substring(0, eq), words[1].substring(eq + 1));
                        break;
                    case "bind":
                        expect(words, 3, "bind HOST:PORT ENDPOINT");
                        addRule(bind, words[1], words[2]);
                        break;
                    case "connect":
                        expect(words, 3, "connect HOST:PORT ENDPOINT");
                        addRule(connect, words[1], words[2]);
                        break;
                    default:
                        throw new IllegalArgumentException("unknown rule '" + words[0]
                                + "' (base-dir, pauser, set, bind, connect)");
                }
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(file + ":" + (i + 1) + ": " + e.getMessage() + " in '"
                        + lines.get(i).trim() + "'", e);
            }
        }
        ViaConfig config;
        try {
            config = ViaConfig.fromProperties((Map<?, ?>) props);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
        return new ViaRules(file, config, bind, connect);
    }

    private static void expect(String[] words, int n, String form) {
        if (words.length != n) {
            throw new IllegalArgumentException("expected '" + form + "'");
        }
    }

    private static void addRule(ViaAddressMap map, String address, String endpoint) {
        int colon = address.lastIndexOf(':');
        if (colon <= 0 || colon == address.length() - 1) {
            throw new IllegalArgumentException("expected HOST:PORT (HOST '*' for any local address)");
        }
        String host = address.substring(0, colon);
        String port = address.substring(colon + 1);
        boolean anyHost = host.equals("*");
        if (port.equals("*")) {
            if (!anyHost) {
                throw new IllegalArgumentException("port '*' only with host '*' (a template for every local port)");
            }
            map.defaultTemplate(endpoint);
            return;
        }
        int first;
        int last;
        int dash = port.indexOf('-');
        try {
            first = Integer.parseInt(dash < 0 ? port : port.substring(0, dash));
            last = dash < 0 ? first : Integer.parseInt(port.substring(dash + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad port '" + port + "': a number, FIRST-LAST or '*'");
        }
        if (last < first) {
            throw new IllegalArgumentException("empty port range " + port);
        }
        if (first != last && !endpoint.contains("{port}")) {
            throw new IllegalArgumentException("a port range needs an endpoint template with {port}");
        }
        for (int p = first; p <= last; p++) {
            String ep = endpoint.replace("{port}", Integer.toString(p));
            if (anyHost) {
                map.map(p, ep);
            } else {
                map.map(host, p, ep);
            }
        }
    }

    /** The endpoint a server socket bound to {@code address} listens on, or null: real TCP. */
    public String bindEndpoint(InetSocketAddress address) {
        return address.getPort() == 0 ? null : bindMap.endpointFor(address);
    }

    /** The endpoint a client connecting to {@code address} connects to, or null: real TCP. */
    public String connectEndpoint(InetSocketAddress address) {
        return connectMap.endpointFor(address);
    }

    public ViaConfig config() {
        return config;
    }

    /** The bind rules as an address map (for the classic server socket factory). */
    public ViaAddressMap bindMap() {
        return bindMap;
    }

    /** The connect rules as an address map (for the classic socket factory). */
    public ViaAddressMap connectMap() {
        return connectMap;
    }

    public Path file() {
        return file;
    }

    @Override
    public String toString() {
        return "ViaRules{" + file + ", base " + config.baseDir() + ", bind " + bindMap + ", connect " + connectMap + "}";
    }
}
