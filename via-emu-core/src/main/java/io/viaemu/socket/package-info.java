/**
 * Socket emulation: unchanged {@code java.net} / {@code javax.net} socket code over via-emu connections.
 *
 * <h2>Use</h2>
 * Code that takes a {@link javax.net.SocketFactory} or {@link javax.net.ServerSocketFactory} (most clients,
 * servers and libraries that can be configured at all) gets {@link io.viaemu.socket.ViaSocketFactory} /
 * {@link io.viaemu.socket.ViaServerSocketFactory}:
 * <pre>{@code
 * ViaConfig config = ViaConfig.builder(Path.of("/run/myapp/via")).build();   // owner-only (0700) directory
 * ViaAddressMap map = new ViaAddressMap().map(7000, "echo");                  // localhost:7000 is endpoint "echo"
 * ServerSocketFactory servers = new ViaServerSocketFactory(config, map);
 * SocketFactory clients = new ViaSocketFactory(config, map);
 * }</pre>
 * or, from system properties, {@code ViaSocketFactory.fromSystemProperties()} with
 * {@code -Dvia.base-dir=/run/myapp/via -Dvia.socket.map.7000=echo}, and any other setting by the Spring Boot
 * starter's names ({@link io.viaemu.ViaConfig#fromProperties}: {@code -Dvia.timeouts.connect=2s -Dvia.pauser=busy
 * -Dvia.worker.pool-size=2}, ...). The sockets are
 * {@link io.viaemu.socket.ViaSocket} (a {@link java.net.Socket}) and {@link io.viaemu.socket.ViaServerSocket} (a
 * {@link java.net.ServerSocket}); both work unconnected/unbound too ({@code createSocket()} then
 * {@code connect(address, timeout)}, as many libraries do).
 *
 * <h2>Address mapping</h2>
 * {@link io.viaemu.socket.ViaAddressMap}: a {@code host:port} entry, else a port entry (local addresses only:
 * localhost, loopback, wildcard), else an optional default template ({@code port-{port}}); anything else is
 * unmapped, and fails with a {@link java.net.ConnectException} / {@link java.net.BindException} naming the address,
 * unless {@code via.socket.unmapped=tcp} makes it use real TCP. Port 0 picks a free ephemeral port.
 *
 * <h2>Socket behaviour</h2>
 * As a TCP socket's: a byte stream; SO_TIMEOUT on reads and accepts ({@link java.net.SocketTimeoutException}, the
 * socket stays usable); shutdownOutput and close give the peer end of stream; I/O on a closed socket throws
 * {@code SocketException("Socket is closed")}; close from another thread ends a blocked read or accept; available()
 * counts arrived bytes; TCP options are accepted and recorded (no TCP underneath, so they change nothing); closing
 * a ServerSocket leaves accepted sockets open. A client's address and port are the ones it connected to; a server
 * side socket's remote port is derived from the connection id and equals the client's local port.
 * Connecting to an endpoint without a live server is refused at once ({@link java.net.ConnectException}
 * "Connection refused"); a server that is alive but does not accept in time (stopped, overloaded) makes the connect
 * time out ({@link java.net.SocketTimeoutException} "Connect timed out", after the timeout given to {@code connect},
 * else the configuration's connect timeout). Differences that remain: writes never block for flow control (the queues
 * are files); urgent data is not supported; {@code getChannel()} is null (no NIO channels); peers are processes of
 * the same host.
 *
 * <h2>Handover</h2>
 * A client's socket survives the handover of its connection to a worker by itself. On the server side,
 * {@link io.viaemu.socket.ViaSocket#parentConnection()} gives the {@link io.viaemu.ParentConnection} of an accepted
 * socket to fork, and {@link io.viaemu.socket.ViaSocket#handOver(String)} forks and hands over in one call; in the
 * worker, a {@link io.viaemu.socket.ViaSocketHandler} runs socket code on the connection. Bytes the server's
 * application already read into its own buffers do not move: read no further than needed before handing over.
 */
package io.viaemu.socket;
