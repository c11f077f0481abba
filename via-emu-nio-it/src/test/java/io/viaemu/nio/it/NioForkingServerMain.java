package io.viaemu.nio.it;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

import io.viaemu.nio.ViaChannels;

/**
 * A NIO server that knows via-emu only at one point: for each connection it reads the 6-byte greeting "HELLO\n"
 * itself, answers "parent:HELLO\n", and hands the channel to a worker process ({@link ViaChannels#handOver}), where
 * {@link UppercaseChannelHandler} serves the rest. Args: port.
 */
public final class NioForkingServerMain {
    public static void main(String[] args) throws Exception {
        ServerSocketChannel server = ServerSocketChannel.open();
        server.bind(new InetSocketAddress("127.0.0.1", Integer.parseInt(args[0])));
        System.out.println("LISTENING " + server);
        while (true) {
            SocketChannel ch = server.accept();
            ByteBuffer greeting = ByteBuffer.allocate(6); // exactly the greeting: the rest stays for the worker
            while (greeting.hasRemaining()) {
                if (ch.read(greeting) < 0) {
                    throw new IllegalStateException("client left before its greeting");
                }
            }
            String hello = new String(greeting.array(), StandardCharsets.US_ASCII);
            ch.write(ByteBuffer.wrap(("parent:" + hello).getBytes(StandardCharsets.US_ASCII)));
            ViaChannels.handOver(ch, UppercaseChannelHandler.class.getName());
            System.out.println("HANDED OVER " + ViaChannels.endpoint(server));
        }
    }
}
