package io.pilotfish.collector.dogstatsd.listen;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.TooLongFrameException;
import java.io.IOException;
import java.nio.ByteOrder;
import java.util.List;

/**
 * One Unix stream connection. Packets arrive as frames (a 4-byte little-endian length, then that many bytes), cut by
 * the decoder placed before this handler. A length over the packet limit closes the connection, as in the Agent: the
 * stream can no longer be trusted to be in step with its frames.
 */
final class StreamConnectionReader extends ChannelInboundHandlerAdapter {

    private static final int LENGTH_FIELD_BYTES = 4;

    private final PacketHandler handler;
    private final CgroupContainerId containerIds;
    private final boolean originFromPeerCredentials;
    /** The peer's container, resolved once when the connection opens: a connection never changes process. */
    private String peerContainerId = "";

    StreamConnectionReader(PacketHandler handler, CgroupContainerId containerIds, boolean originFromPeerCredentials) {
        this.handler = handler;
        this.containerIds = containerIds;
        this.originFromPeerCredentials = originFromPeerCredentials;
    }

    /**
     * The decoder that cuts frames of at most {@code bufferSize} bytes, failing as soon as a longer length is read.
     * An unfinished frame left when the connection closes is reported to {@code handler} ({@code partial_frame}).
     */
    static LengthFieldBasedFrameDecoder frameDecoder(int bufferSize, PacketHandler handler) {
        // maxFrameLength counts the length field too.
        return new LengthFieldBasedFrameDecoder(ByteOrder.LITTLE_ENDIAN, bufferSize + LENGTH_FIELD_BYTES,
                0, LENGTH_FIELD_BYTES, 0, LENGTH_FIELD_BYTES, true) {
            @Override
            protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
                super.decodeLast(ctx, in, out);
                if (in.isReadable()) {
                    handler.problem(Transport.UNIX_STREAM, "partial_frame", "the connection closed in the middle of"
                            + " a frame; its " + in.readableBytes() + " bytes are dropped");
                    in.skipBytes(in.readableBytes());
                }
            }
        };
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        if (originFromPeerCredentials && ctx.channel() instanceof EpollDomainSocketChannel channel) {
            peerContainerId = resolvePeerContainer(channel);
        }
        super.channelActive(ctx);
    }

    private String resolvePeerContainer(EpollDomainSocketChannel channel) {
        int pid;
        try {
            pid = channel.peerCredentials().pid();
        } catch (IOException e) {
            handler.problem(Transport.UNIX_STREAM, "peer_credentials", "cannot read the peer's credentials: "
                    + Causes.describe(e));
            return "";
        }
        // One small read from procfs (kernel memory, no disk) per connection, not per packet.
        return containerIds.forPid(pid);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf frame = (ByteBuf) msg;
        try {
            if (frame.isReadable()) {
                handler.packet(Transport.UNIX_STREAM, frame, false, peerContainerId);
            }
        } finally {
            frame.release();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof TooLongFrameException) {
            handler.problem(Transport.UNIX_STREAM, "frame_too_long",
                    Causes.describe(cause) + "; closing the connection, as the Datadog Agent does");
            ctx.close();
        } else if (cause instanceof IOException) {
            handler.problem(Transport.UNIX_STREAM, "connection_error", Causes.describe(cause));
            ctx.close();
        } else {
            handler.problem(Transport.UNIX_STREAM, "handler_error", Causes.describe(cause));
        }
    }
}
