package io.viaemu.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;

import io.viaemu.PauserKind;
import io.viaemu.socket.ViaAddressMap;
import io.viaemu.socket.ViaServerSocketFactory;
import io.viaemu.socket.ViaSocketFactory;

/**
 * via-emu through the socket emulation: plain {@link Socket}/{@link ServerSocket} code whose sockets come from
 * via-emu's factories (port 7000 mapped to the bench endpoint), busy pauser.
 */
public final class ViaSocketContender implements Contender {
    private static final int PORT = 7000;

    @Override
    public String name() {
        return "via-socket";
    }

    @Override
    public String description() {
        return "java.net.Socket from ViaSocketFactory over via-emu (pauser BUSY)";
    }

    private static ViaAddressMap map() {
        return new ViaAddressMap().map(PORT, ViaContender.ENDPOINT);
    }

    @Override
    public Listener listen(Path dir) throws IOException {
        Path base = ViaContender.privateBase(dir);
        ServerSocket server = new ViaServerSocketFactory(ViaContender.config(base, PauserKind.BUSY), map())
                .createServerSocket(PORT, 50, InetAddress.getLoopbackAddress());
        return new Listener() {
            @Override
            public String address() {
                return base.toString();
            }

            @Override
            public Connection accept() throws IOException {
                return new TcpContender.SocketConnection(server.accept());
            }

            @Override
            public void close() throws IOException {
                server.close();
            }
        };
    }

    @Override
    public Connection connect(String address) throws IOException {
        Socket s = new ViaSocketFactory(ViaContender.config(Path.of(address), PauserKind.BUSY), map())
                .createSocket(InetAddress.getLoopbackAddress(), PORT);
        return new TcpContender.SocketConnection(s);
    }
}
