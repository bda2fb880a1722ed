package io.pilotfish.collector.dogstatsd.listen;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollDomainDatagramChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.unix.DomainSocketAddress;
import java.nio.file.Path;

/** Sends Unix datagrams, which java.nio cannot: a Netty epoll channel connected to the socket. */
final class UnixDatagramClient implements AutoCloseable {

    private final EventLoopGroup loop = new EpollEventLoopGroup(1);
    private final Channel channel;

    UnixDatagramClient(Path socket) throws InterruptedException {
        channel = new Bootstrap()
                .group(loop)
                .channel(EpollDomainDatagramChannel.class)
                .handler(new ChannelInboundHandlerAdapter())
                .connect(new DomainSocketAddress(socket.toString()))
                .sync()
                .channel();
    }

    void send(byte[] datagram) throws InterruptedException {
        channel.writeAndFlush(Unpooled.wrappedBuffer(datagram)).sync();
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        loop.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }
}
