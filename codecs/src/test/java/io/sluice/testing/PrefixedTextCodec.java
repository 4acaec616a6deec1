package io.sluice.testing;

import io.netty.buffer.ByteBuf;
import io.sluice.codec.CodecException;
import io.sluice.codec.LengthFieldFraming;
import io.sluice.codec.Limits;
import io.sluice.codec.MessageCodec;
import java.nio.charset.StandardCharsets;

/**
 * A small wire format for tests of the codec operators: a 2-byte big-endian length, then that many
 * bytes of UTF-8 text. Strict: trailing bytes and bad lengths are errors, as in a real format.
 */
public final class PrefixedTextCodec implements MessageCodec<String> {

    /** The framing that matches the format. */
    public static final LengthFieldFraming FRAMING = LengthFieldFraming.prefix(2);

    @Override
    public String decode(ByteBuf in, Limits limits) {
        int start = in.readerIndex();
        if (in.readableBytes() < 2) {
            throw CodecException.truncated(in.readableBytes(), "length field needs 2 bytes");
        }
        int length = in.readUnsignedShort();
        limits.checkStringBytes(length, 2);
        if (in.readableBytes() < length) {
            throw CodecException.truncated(in.readerIndex() - start + in.readableBytes(),
                    "text declared " + length + " bytes, " + in.readableBytes() + " present");
        }
        if (in.readableBytes() > length) {
            throw CodecException.malformed(2 + length, (in.readableBytes() - length) + " trailing bytes");
        }
        return in.readCharSequence(length, StandardCharsets.UTF_8).toString();
    }

    @Override
    public void encode(String message, ByteBuf out) {
        byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > 0xFFFF) {
            throw CodecException.unencodable("text of " + bytes.length + " bytes does not fit a 2-byte length");
        }
        out.writeShort(bytes.length).writeBytes(bytes);
    }
}
