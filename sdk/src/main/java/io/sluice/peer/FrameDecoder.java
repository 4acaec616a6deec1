package io.sluice.peer;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.sluice.codec.CodecException;
import io.sluice.codec.Framing;
import io.sluice.codec.Limits;
import io.sluice.codec.call.CallFrameCodec;
import java.util.List;

/**
 * Cuts call frames out of a connection's bytes and decodes them, within the peer's limits. Netty
 * keeps the partial frame; a frame larger than the limit is refused from its header, before its
 * bytes are buffered. A failure surfaces as a {@code DecoderException} whose cause is the
 * {@link CodecException}, which the association answers with GOODBYE(PROTOCOL).
 */
final class FrameDecoder extends ByteToMessageDecoder {

    private final Limits limits;
    private long streamOffset;

    FrameDecoder(Limits limits) {
        this.limits = limits;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        int length = CallFrameCodec.FRAMING.frameLength(in);
        if (length == Framing.NEED_MORE) {
            return;
        }
        if (length > limits.maxMessageBytes()) {
            throw CodecException.limitExceeded(streamOffset, "frame of " + length + " bytes exceeds the "
                    + limits.maxMessageBytes() + "-byte limit");
        }
        if (in.readableBytes() < length) {
            return;
        }
        ByteBuf frame = in.readSlice(length);
        try {
            out.add(CallFrameCodec.INSTANCE.decode(frame, limits));
        } catch (CodecException e) {
            throw CodecException.malformed(streamOffset + Math.max(e.offset(), 0), e.reason());
        }
        streamOffset += length;
    }
}
