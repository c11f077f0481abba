package io.viaemu.socket.rmi;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.rmi.server.RMISocketFactory;

import io.viaemu.socket.ViaServerSocketFactory;
import io.viaemu.socket.ViaSocketFactory;

/**
 * RMI's sockets from via-emu's factories, configured by system properties: what the README tells an RMI or JMX
 * application to install with {@link RMISocketFactory#setSocketFactory} in every JVM (registry, server, client).
 * One map for both directions, so that ports this JVM's server sockets picked for port 0 are found by its clients.
 */
public final class ViaRmiSocketFactory extends RMISocketFactory {
    private final ViaServerSocketFactory servers = ViaServerSocketFactory.fromSystemProperties();
    private final ViaSocketFactory clients = servers.socketFactory();

    @Override
    public Socket createSocket(String host, int port) throws IOException {
        return clients.createSocket(host, port);
    }

    @Override
    public ServerSocket createServerSocket(int port) throws IOException {
        return servers.createServerSocket(port);
    }
}
