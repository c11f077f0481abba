package io.viaemu.socket;

import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketOption;
import java.net.SocketOptions;
import java.net.StandardSocketOptions;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The option values of one emulated socket. A via-emu connection has no TCP underneath, so apart from SO_TIMEOUT
 * (read and accept timeouts) and the buffer sizes, options change nothing: they are accepted and recorded so that
 * unchanged socket code that sets and reads them (Nagle, keep-alive, linger) works. SO_SNDBUF is the connection's
 * send window (a write blocks while that many of its bytes are unread by the peer) and SO_RCVBUF the receive window
 * it advertises to the peer; unset, both report the configured send window. Both option APIs are served: the
 * {@link SocketOptions} integer ids the {@code Socket} setters use, and {@link StandardSocketOptions}.
 */
final class SocketOptionValues {

    /** What a Socket supports: the options TCP sockets commonly get set. */
    static final Set<SocketOption<?>> CLIENT_OPTIONS = Set.of(StandardSocketOptions.SO_KEEPALIVE,
            StandardSocketOptions.SO_LINGER, StandardSocketOptions.SO_SNDBUF, StandardSocketOptions.SO_RCVBUF,
            StandardSocketOptions.SO_REUSEADDR, StandardSocketOptions.TCP_NODELAY, StandardSocketOptions.IP_TOS);

    /** What a ServerSocket supports (as the JDK's). */
    static final Set<SocketOption<?>> SERVER_OPTIONS = Set.of(StandardSocketOptions.SO_RCVBUF,
            StandardSocketOptions.SO_REUSEADDR);

    /** Reported when nobody set a size: the order of a TCP socket's default. */
    static final int DEFAULT_BUFFER = 64 * 1024;

    private final Map<Integer, Object> values = new ConcurrentHashMap<>();
    /** Option ids set explicitly (applied to a real TCP socket when falling back). */
    private final Set<Integer> explicitlySet = ConcurrentHashMap.newKeySet();

    SocketOptionValues() {
        values.put(SocketOptions.SO_TIMEOUT, 0);
        values.put(SocketOptions.TCP_NODELAY, false);
        values.put(SocketOptions.SO_KEEPALIVE, false);
        values.put(SocketOptions.SO_OOBINLINE, false);
        values.put(SocketOptions.SO_REUSEADDR, false);
        values.put(SocketOptions.SO_LINGER, -1);
        values.put(SocketOptions.SO_SNDBUF, DEFAULT_BUFFER);
        values.put(SocketOptions.SO_RCVBUF, DEFAULT_BUFFER);
        values.put(SocketOptions.IP_TOS, 0);
    }

    int soTimeout() {
        return (Integer) values.get(SocketOptions.SO_TIMEOUT);
    }

    /** Applies the explicitly set options to a real TCP socket (the fallback for unmapped addresses). */
    void applyTo(Socket s) throws SocketException {
        for (int id : explicitlySet) {
            applyOne(s, id);
        }
    }

    /** Applies one recorded option to a real TCP socket. */
    void applyOne(Socket s, int id) throws SocketException {
        Object v = values.get(id);
        switch (id) {
            case SocketOptions.SO_TIMEOUT: s.setSoTimeout((Integer) v); break;
            case SocketOptions.TCP_NODELAY: s.setTcpNoDelay((Boolean) v); break;
            case SocketOptions.SO_KEEPALIVE: s.setKeepAlive((Boolean) v); break;
            case SocketOptions.SO_OOBINLINE: s.setOOBInline((Boolean) v); break;
            case SocketOptions.SO_REUSEADDR: s.setReuseAddress((Boolean) v); break;
            case SocketOptions.SO_LINGER: s.setSoLinger((Integer) v >= 0, Math.max((Integer) v, 0)); break;
            case SocketOptions.SO_SNDBUF: s.setSendBufferSize((Integer) v); break;
            case SocketOptions.SO_RCVBUF: s.setReceiveBufferSize((Integer) v); break;
            case SocketOptions.IP_TOS: s.setTrafficClass((Integer) v); break;
            default: break;
        }
    }

    /** Applies the explicitly set buffer sizes to a via-emu connection: they are its flow-control windows. */
    void applyTo(io.viaemu.ViaConnection c) {
        for (int id : explicitlySet) {
            applyOne(c, id);
        }
    }

    void applyOne(io.viaemu.ViaConnection c, int id) {
        if (id == SocketOptions.SO_SNDBUF) {
            c.setSendWindow((Integer) values.get(id));
        } else if (id == SocketOptions.SO_RCVBUF) {
            c.setReceiveWindow((Integer) values.get(id));
        }
    }

    /**
     * {@link #get(int)} on a connected socket: an unset SO_RCVBUF is the receive window the connection advertises
     * (an accepted socket inherits its listener's), else, like an unset SO_SNDBUF, its send window.
     */
    Object get(int id, io.viaemu.ViaConnection c) throws SocketException {
        if (c != null && !explicitlySet.contains(id) && (id == SocketOptions.SO_SNDBUF || id == SocketOptions.SO_RCVBUF)) {
            long window = id == SocketOptions.SO_RCVBUF && c.receiveWindow() > 0 ? c.receiveWindow() : c.sendWindow();
            if (window > 0) {
                return (int) Math.min(window, Integer.MAX_VALUE);
            }
        }
        return get(id);
    }

    /** Applies the recorded options a server socket has to a real TCP server socket. */
    void applyTo(ServerSocket s) throws SocketException {
        for (int id : explicitlySet) {
            applyOne(s, id);
        }
    }

    void applyOne(ServerSocket s, int id) throws SocketException {
        Object v = values.get(id);
        switch (id) {
            case SocketOptions.SO_TIMEOUT: s.setSoTimeout((Integer) v); break;
            case SocketOptions.SO_REUSEADDR: s.setReuseAddress((Boolean) v); break;
            case SocketOptions.SO_RCVBUF: s.setReceiveBufferSize((Integer) v); break;
            default: break;
        }
    }

    /** {@link SocketOptions#setOption} semantics: the values the JDK's Socket and ServerSocket setters pass. */
    void set(int id, Object value) throws SocketException {
        switch (id) {
            case SocketOptions.SO_TIMEOUT:
                values.put(id, nonNegative(id, value));
                break;
            case SocketOptions.TCP_NODELAY:
            case SocketOptions.SO_KEEPALIVE:
            case SocketOptions.SO_OOBINLINE:
            case SocketOptions.SO_REUSEADDR:
                if (!(value instanceof Boolean)) {
                    throw new SocketException("Bad value for option " + name(id) + ": " + value);
                }
                values.put(id, value);
                break;
            case SocketOptions.SO_LINGER:
                // Socket.setSoLinger passes Boolean.FALSE to turn it off, an Integer to turn it on
                if (value instanceof Boolean) {
                    if ((Boolean) value) {
                        throw new SocketException("Bad value for SO_LINGER: true without a time");
                    }
                    values.put(id, -1);
                } else {
                    values.put(id, Math.min(nonNegative(id, value), 65535));
                }
                break;
            case SocketOptions.SO_SNDBUF:
            case SocketOptions.SO_RCVBUF:
                int size = nonNegative(id, value);
                if (size == 0) {
                    throw new SocketException("Bad value for option " + name(id) + ": 0");
                }
                values.put(id, size);
                break;
            case SocketOptions.IP_TOS:
                values.put(id, nonNegative(id, value) & 0xFF);
                break;
            default:
                throw new SocketException("Option " + name(id) + " is not supported by a via-emu socket");
        }
        explicitlySet.add(id);
    }

    Object get(int id) throws SocketException {
        Object v = values.get(id);
        if (v == null) {
            throw new SocketException("Option " + name(id) + " is not supported by a via-emu socket");
        }
        return v;
    }

    /** The {@link SocketOption} API, mapped onto the integer ids. */
    <T> void set(SocketOption<T> option, T value, Set<SocketOption<?>> supported) throws SocketException {
        checkSupported(option, supported);
        if (value == null) {
            throw new IllegalArgumentException("Invalid value 'null' for " + option.name());
        }
        if (option == StandardSocketOptions.SO_LINGER) {
            int linger = (Integer) value;
            set(SocketOptions.SO_LINGER, linger < 0 ? (Object) Boolean.FALSE : (Object) linger);
            return;
        }
        if ((option == StandardSocketOptions.SO_SNDBUF || option == StandardSocketOptions.SO_RCVBUF)
                && (Integer) value <= 0) {
            throw new IllegalArgumentException("Invalid value '" + value + "' for " + option.name());
        }
        set(idOf(option), value);
    }

    @SuppressWarnings("unchecked")
    <T> T get(SocketOption<T> option, Set<SocketOption<?>> supported) throws SocketException {
        checkSupported(option, supported);
        return (T) get(idOf(option));
    }

    /** The {@link SocketOption} API on a (possibly) connected socket: buffer sizes are its windows. */
    @SuppressWarnings("unchecked")
    <T> T get(SocketOption<T> option, Set<SocketOption<?>> supported, io.viaemu.ViaConnection c)
            throws SocketException {
        checkSupported(option, supported);
        return (T) get(idOf(option), c);
    }

    private static void checkSupported(SocketOption<?> option, Set<SocketOption<?>> supported) {
        if (!supported.contains(option)) {
            // the JDK's contract for an option the socket does not support
            throw new UnsupportedOperationException("'" + option + "' not supported");
        }
    }

    static int idOf(SocketOption<?> option) {
        if (option == StandardSocketOptions.SO_KEEPALIVE) {
            return SocketOptions.SO_KEEPALIVE;
        } else if (option == StandardSocketOptions.SO_LINGER) {
            return SocketOptions.SO_LINGER;
        } else if (option == StandardSocketOptions.SO_SNDBUF) {
            return SocketOptions.SO_SNDBUF;
        } else if (option == StandardSocketOptions.SO_RCVBUF) {
            return SocketOptions.SO_RCVBUF;
        } else if (option == StandardSocketOptions.SO_REUSEADDR) {
            return SocketOptions.SO_REUSEADDR;
        } else if (option == StandardSocketOptions.TCP_NODELAY) {
            return SocketOptions.TCP_NODELAY;
        } else if (option == StandardSocketOptions.IP_TOS) {
            return SocketOptions.IP_TOS;
        }
        throw new UnsupportedOperationException("'" + option + "' not supported");
    }

    private static int nonNegative(int id, Object value) throws SocketException {
        if (!(value instanceof Integer) || (Integer) value < 0) {
            throw new SocketException("Bad value for option " + name(id) + ": " + value);
        }
        return (Integer) value;
    }

    static String name(int id) {
        switch (id) {
            case SocketOptions.SO_TIMEOUT: return "SO_TIMEOUT";
            case SocketOptions.TCP_NODELAY: return "TCP_NODELAY";
            case SocketOptions.SO_KEEPALIVE: return "SO_KEEPALIVE";
            case SocketOptions.SO_OOBINLINE: return "SO_OOBINLINE";
            case SocketOptions.SO_REUSEADDR: return "SO_REUSEADDR";
            case SocketOptions.SO_LINGER: return "SO_LINGER";
            case SocketOptions.SO_SNDBUF: return "SO_SNDBUF";
            case SocketOptions.SO_RCVBUF: return "SO_RCVBUF";
            case SocketOptions.IP_TOS: return "IP_TOS";
            case SocketOptions.SO_BINDADDR: return "SO_BINDADDR";
            default: return "0x" + Integer.toHexString(id);
        }
    }
}
