package io.viaemu.nio.it;

import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;

/**
 * A Netty 4.2 NIO echo client that knows nothing of via-emu: opens {@code connections} connections at once, sends
 * {@code bytes} seeded random bytes on each in writes of up to 64 KiB, and checks that the echo is the same bytes.
 * Args: host port bytes connections. Prints "OK ..." and exits 0, or exits 1.
 */
public final class NettyEchoClientMain {
    public static void main(String[] args) throws Exception {
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        int bytes = Integer.parseInt(args[2]);
        int connections = Integer.parseInt(args[3]);
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        try {
            CompletableFuture<?>[] done = new CompletableFuture<?>[connections];
            for (int i = 0; i < connections; i++) {
                byte[] data = new byte[bytes];
                new Random(1000 + i).nextBytes(data);
                CompletableFuture<byte[]> echoed = new CompletableFuture<>();
                done[i] = echoed.thenAccept(got -> {
                    if (!Arrays.equals(got, data)) {
                        throw new IllegalStateException("echo differs from what was sent");
                    }
                });
                ByteBuf received = Unpooled.buffer(bytes);
                new Bootstrap().group(group).channel(NioSocketChannel.class).option(ChannelOption.TCP_NODELAY, true)
                        .handler(new ChannelInitializer<SocketChannel>() {
                            @Override
                            protected void initChannel(SocketChannel ch) {
                                ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                                    @Override
                                    public void channelActive(ChannelHandlerContext ctx) {
                                        for (int off = 0; off < bytes; off += 65536) {
                                            ctx.write(Unpooled.wrappedBuffer(data, off, Math.min(65536, bytes - off)));
                                        }
                                        ctx.flush();
                                    }

                                    @Override
                                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                        ByteBuf b = (ByteBuf) msg;
                                        received.writeBytes(b);
                                        b.release();
                                        if (received.readableBytes() >= bytes) {
                                            byte[] got = new byte[received.readableBytes()];
                                            received.readBytes(got);
                                            echoed.complete(got);
                                            ctx.close();
                                        }
                                    }

                                    @Override
                                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                        echoed.completeExceptionally(cause);
                                        ctx.close();
                                    }
                                });
                            }
                        }).connect(host, port).addListener(f -> {
                            if (!f.isSuccess()) {
                                echoed.completeExceptionally(f.cause());
                            }
                        });
            }
            CompletableFuture.allOf(done).get(60, TimeUnit.SECONDS);
            System.out.println("OK " + connections + " connections x " + bytes + " bytes echoed byte for byte");
        } catch (Exception e) {
            e.printStackTrace(System.out);
            System.out.println("FAILED " + e);
            System.exit(1);
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
        System.exit(0);
    }
}
