package io.sluice.peer;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.sluice.codec.Limits;
import io.sluice.codec.MessageCodec;
import java.nio.charset.StandardCharsets;

/**
 * Built-in payload codecs for {@link CallType}s: raw bytes, UTF-8 text, and {@code ByteBuf}s. Any
 * other {@link MessageCodec} plugs in the same way. Each payload is the whole rest of its frame, so
 * these codecs need no length of their own; all decode within {@link Limits#maxMessageBytes()}.
 */
public final class PayloadCodecs {

    private static final MessageCodec<byte[]> BYTES = new MessageCodec<>() {
        @Override
        public byte[] decode(ByteBuf in, Limits limits) {
            return ByteBufUtil.getBytes(in, in.readerIndex(), in.readableBytes(), true);
        }

        @Override
        public void encode(byte[] message, ByteBuf out) {
            out.writeBytes(message);
        }
    };

    private static final MessageCodec<String> UTF8 = new MessageCodec<>() {
        @Override
        public String decode(ByteBuf in, Limits limits) {
            limits.checkStringBytes(in.readableBytes(), 0);
            return in.readCharSequence(in.readableBytes(), StandardCharsets.UTF_8).toString();
        }

        @Override
        public void encode(String message, ByteBuf out) {
            ByteBufUtil.writeUtf8(out, message);
        }
    };

    private static final MessageCodec<ByteBuf> BYTE_BUF = new MessageCodec<>() {
        @Override
        public ByteBuf decode(ByteBuf in, Limits limits) {
            return in.readRetainedSlice(in.readableBytes());
        }

        @Override
        public void encode(ByteBuf message, ByteBuf out) {
            out.writeBytes(message, message.readerIndex(), message.readableBytes());
        }
    };

    private PayloadCodecs() {
    }

    /** @return payloads as byte arrays (copied) */
    public static MessageCodec<byte[]> bytes() {
        return BYTES;
    }

    /** @return payloads as UTF-8 text, within {@link Limits#maxStringBytes()} */
    public static MessageCodec<String> utf8() {
        return UTF8;
    }

    /**
     * Payloads as buffers, without copying on decode. A decoded {@code ByteBuf} is a retained slice
     * owned by whoever receives it (the handler for requests, the subscriber for responses), who
     * releases it. Encoding copies the readable bytes and leaves the caller's buffer alone; the caller
     * still owns and releases it.
     *
     * @return the codec
     */
    public static MessageCodec<ByteBuf> byteBuf() {
        return BYTE_BUF;
    }
}
