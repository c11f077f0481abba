package io.viaemu.nio.it;

import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

import io.viaemu.nio.ViaChannelHandler;

/**
 * The worker's side of {@link NioForkingServerMain}: says whether {@code System.inheritedChannel()} is the channel it
 * was handed ("inherited\n" or "not-inherited\n"), then answers every byte upper-cased until end of stream.
 */
public final class UppercaseChannelHandler extends ViaChannelHandler {
    @Override
    protected void handle(SocketChannel channel) throws Exception {
        boolean inherited = System.inheritedChannel() == channel;
        channel.write(ByteBuffer.wrap((inherited ? "inherited\n" : "not-inherited\n")
                .getBytes(StandardCharsets.US_ASCII)));
        ByteBuffer buf = ByteBuffer.allocate(16 * 1024);
        while (channel.read(buf) >= 0) {
            buf.flip();
            for (int i = buf.position(); i < buf.limit(); i++) {
                buf.put(i, (byte) Character.toUpperCase(buf.get(i)));
            }
            while (buf.hasRemaining()) {
                channel.write(buf);
            }
            buf.clear();
        }
    }
}
