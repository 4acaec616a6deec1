package io.sluice.ice;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.sluice.codec.CodecException;
import io.sluice.codec.ice.IceMessageCodec;
import java.nio.ByteOrder;
import java.util.List;

/**
 * Cuts ICE frames out of the stream: the first frame is read as 8 bytes, and when it is the peer's
 * ByteOrder message the decoder takes the order from it and reads later lengths in that order (a
 * first frame that is not ByteOrder is the connection's to refuse). A frame above the limit is a
 * {@link CodecException} (the connection answers BadLength and closes) — never a buffer that grows.
 */
final class IceFrameDecoder extends ByteToMessageDecoder {

    private final int maxFrameBytes;
    private ByteOrder peerOrder;

    IceFrameDecoder(int maxFrameBytes) {
        this.maxFrameBytes = maxFrameBytes;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (in.readableBytes() < IceMessageCodec.HEADER_BYTES) {
            return;
        }
        if (peerOrder == null) {
            // The first message must be ByteOrder: 8 bytes, whatever its length field claims.
            int minor = in.getUnsignedByte(in.readerIndex() + 1);
            out.add(in.readRetainedSlice(IceMessageCodec.HEADER_BYTES));
            if (minor == 1 && in.getUnsignedByte(in.readerIndex() - 8) == 0) {
                peerOrder = in.getUnsignedByte(in.readerIndex() - 6) == 0 ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN;
            }
            return;
        }
        long length = IceMessageCodec.frameLength(in, peerOrder);
        if (length > maxFrameBytes) {
            throw CodecException.limitExceeded(4, "a message of " + length + " bytes exceeds the limit of " + maxFrameBytes);
        }
        if (in.readableBytes() < length) {
            return;
        }
        out.add(in.readRetainedSlice((int) length));
    }
}
