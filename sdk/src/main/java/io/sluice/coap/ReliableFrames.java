package io.sluice.coap;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.sluice.codec.CodecException;
import io.sluice.codec.coap.CoapReliableCodec;
import java.util.List;

/**
 * Cuts a CoAP-over-TCP byte stream (RFC 8323 §3.2) into one buffer per message, from the header
 * alone. A frame longer than {@code maxFrameBytes} is never accumulated: the header says how long
 * it is, so it is refused as soon as that is known. A refused or malformed header is passed on as
 * a {@link CodecException} for the message layer to answer with an Abort; nothing after it is read.
 *
 * <p>Runs on the channel's loop. Each frame passed on is a retained slice the next handler releases.
 */
final class ReliableFrames extends ByteToMessageDecoder {

    private final int maxFrameBytes;
    private boolean failed;

    ReliableFrames(int maxFrameBytes) {
        this.maxFrameBytes = maxFrameBytes;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        int length;
        try {
            length = CoapReliableCodec.TCP_FRAMING.frameLength(in);
            if (length > maxFrameBytes) {
                throw CodecException.limitExceeded(0, "a message of " + length + " bytes (Max-Message-Size is " + maxFrameBytes + ")");
            }
        } catch (CodecException e) {
            failed = true;
            in.skipBytes(in.readableBytes());
            out.add(e);
            return;
        }
        if (length < 0 || in.readableBytes() < length) {
            return;
        }
        out.add(in.readRetainedSlice(length));
    }
}
