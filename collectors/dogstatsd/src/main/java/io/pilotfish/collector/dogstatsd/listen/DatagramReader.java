package io.pilotfish.collector.dogstatsd.listen;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;

/**
 * Hands each datagram (UDP or Unix) to the packet handler. The channel reads into buffers one byte longer than the
 * packet limit, so a datagram that filled the extra byte was longer than the limit: it is cut at the limit and marked
 * truncated, as the Agent counts it.
 */
final class DatagramReader extends ChannelInboundHandlerAdapter {

    private final Transport transport;
    private final int bufferSize;
    private final PacketHandler handler;

    DatagramReader(Transport transport, int bufferSize, PacketHandler handler) {
        this.transport = transport;
        this.bufferSize = bufferSize;
        this.handler = handler;
    }

    /** The read buffer for one datagram: one byte more than the limit, so that a longer datagram shows. */
    static int readSize(int bufferSize) {
        return bufferSize + 1;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof ByteBufHolder holder) {
                deliver(holder.content());
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void deliver(ByteBuf content) {
        int length = content.readableBytes();
        if (length == 0) {
            return; // an empty datagram holds no message
        }
        if (length > bufferSize) {
            handler.packet(transport, content.slice(content.readerIndex(), bufferSize), true, "");
        } else {
            handler.packet(transport, content, false, "");
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // A datagram socket keeps receiving after a failed read, so the error is reported and the channel stays open.
        String reason = cause instanceof IOException ? "read_error" : "handler_error";
        handler.problem(transport, reason, Causes.describe(cause));
    }
}
