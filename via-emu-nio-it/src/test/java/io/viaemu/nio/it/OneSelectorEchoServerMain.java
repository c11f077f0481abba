package io.viaemu.nio.it;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Iterator;

/**
 * A plain single-threaded NIO echo server (no via-emu in it): one Selector, a ServerSocketChannel per port given, and
 * every accepted channel on the same selector. Echoes what each connection sends, buffering what the peer does not
 * take yet (OP_WRITE), until the peer closes. Prints "ACCEPTED channel" per connection. Args: port...
 */
public final class OneSelectorEchoServerMain {
    public static void main(String[] args) throws Exception {
        Selector selector = Selector.open();
        for (String p : args) {
            ServerSocketChannel server = ServerSocketChannel.open();
            server.bind(new InetSocketAddress("127.0.0.1", Integer.parseInt(p)));
            server.configureBlocking(false);
            server.register(selector, SelectionKey.OP_ACCEPT);
            System.out.println("BOUND " + server);
        }
        System.out.println("LISTENING");
        while (true) {
            selector.select();
            for (Iterator<SelectionKey> it = selector.selectedKeys().iterator(); it.hasNext(); ) {
                SelectionKey key = it.next();
                it.remove();
                if (!key.isValid()) {
                    continue;
                }
                if (key.isAcceptable()) {
                    SocketChannel ch = ((ServerSocketChannel) key.channel()).accept();
                    if (ch == null) {
                        continue;
                    }
                    System.out.println("ACCEPTED " + ch);
                    ch.configureBlocking(false);
                    ch.register(selector, SelectionKey.OP_READ, ByteBuffer.allocate(256 * 1024));
                    continue;
                }
                SocketChannel ch = (SocketChannel) key.channel();
                ByteBuffer buf = (ByteBuffer) key.attachment();
                if (key.isReadable()) {
                    int n = ch.read(buf);
                    if (n < 0) {
                        System.out.println("CLOSED " + ch);
                        ch.close();
                        continue;
                    }
                }
                buf.flip();
                ch.write(buf);
                buf.compact();
                // read only while there is room, write interest only while something waits to go out
                int ops = (buf.hasRemaining() ? SelectionKey.OP_READ : 0) | (buf.position() > 0 ? SelectionKey.OP_WRITE : 0);
                key.interestOps(ops);
            }
        }
    }
}
