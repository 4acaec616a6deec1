package io.sluice.peer;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;

/**
 * First in the pipeline of a connection waiting for a client slot: holds what the client sends,
 * up to {@value #MAX_HELD_BYTES} bytes (then reading stops, as it did for every waiting connection
 * before), so that the connection's end is seen while it waits and its backlog place freed. Removed
 * when the slot comes; what it held then goes on up the pipeline, in order. On the event loop; the
 * held bytes are released if the connection ends first.
 */
final class WaitingGate extends ChannelInboundHandlerAdapter {

    static final String NAME = "sluice-waiting-gate";
    /** Enough for a HELLO and a few first calls; a client that sends more waits on TCP instead. */
    static final int MAX_HELD_BYTES = 16 * 1024;

    private CompositeByteBuf held;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf bytes)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (held == null) {
            held = ctx.alloc().compositeBuffer(Integer.MAX_VALUE);
        }
        held.addComponent(true, bytes);
        if (held.readableBytes() >= MAX_HELD_BYTES) {
            ctx.channel().config().setAutoRead(false);
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        CompositeByteBuf bytes = held;
        held = null;
        if (bytes != null) {
            if (ctx.channel().isActive()) {
                ctx.fireChannelRead(bytes);
                ctx.fireChannelReadComplete();
            } else {
                ReferenceCountUtil.release(bytes);
            }
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        CompositeByteBuf bytes = held;
        held = null;
        if (bytes != null) {
            bytes.release();
        }
        ctx.fireChannelInactive();
    }
}
