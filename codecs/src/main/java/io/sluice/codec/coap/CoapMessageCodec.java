package io.sluice.codec.coap;

import io.netty.buffer.ByteBuf;
import io.sluice.codec.CodecException;
import io.sluice.codec.Limits;
import io.sluice.codec.MessageCodec;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The RFC 7252 §3 message format over datagrams: a 4-byte header, a 0–8 byte token, options with
 * delta and length nibbles (13 and 14 extend them by one and two bytes), and a payload after the
 * {@code 0xFF} marker.
 *
 * <p>Decoding fails with a {@link CodecException} naming the offset for every message format
 * error of RFC 7252 §3: a version other than 1, a token length of 9–15, the reserved nibble 15
 * outside a payload marker, a payload marker with no payload, an option number beyond 65535, an
 * empty message (0.00) with bytes after its header, and truncation. {@link Limits} bound the
 * message size ({@code maxMessageBytes}), the option count ({@code maxElements}) and each option
 * value ({@code maxStringBytes}). Whether an option is known, and whether its length suits its
 * definition, is left to the message layer, which answers 4.02 or ignores the option
 * (RFC 7252 §5.4.1).
 *
 * <p>Stateless and thread-safe; use {@link #INSTANCE}. The decoder copies what it keeps, so the
 * caller releases the input as {@link MessageCodec} says; encoding writes into the caller's buffer.
 */
public final class CoapMessageCodec implements MessageCodec<CoapMessage> {

    /** The codec. */
    public static final CoapMessageCodec INSTANCE = new CoapMessageCodec();

    /** The only protocol version. */
    public static final int VERSION = 1;

    static final int PAYLOAD_MARKER = 0xFF;

    private CoapMessageCodec() {
    }

    @Override
    public CoapMessage decode(ByteBuf in, Limits limits) {
        int base = in.readerIndex();
        int total = in.readableBytes();
        limits.checkMessageBytes(total);
        if (total < 4) {
            throw CodecException.truncated(total, "a CoAP message needs a 4-byte header, got " + total + " bytes");
        }
        int first = in.readUnsignedByte();
        int version = first >>> 6;
        if (version != VERSION) {
            throw CodecException.malformed(0, "version " + version + " (only version 1 exists)");
        }
        CoapType type = CoapType.of(first >>> 4);
        int tokenLength = first & 0x0F;
        if (tokenLength > 8) {
            throw CodecException.malformed(0, "token length " + tokenLength + " (9-15 are reserved)");
        }
        CoapCode code = new CoapCode(in.readUnsignedByte());
        int messageId = in.readUnsignedShort();
        if (code.isEmpty() && total > 4) {
            throw CodecException.malformed(4, "an empty message (0.00) has " + (total - 4) + " bytes after its header");
        }
        if (in.readableBytes() < tokenLength) {
            throw CodecException.truncated(total, "token of " + tokenLength + " bytes, " + in.readableBytes() + " left");
        }
        byte[] token = new byte[tokenLength];
        in.readBytes(token);
        Body body = readBody(in, base, total, limits);
        return CoapMessage.trusted(type, code, messageId, token, body.options(), body.payload());
    }

    /** What follows the token in every CoAP framing (RFC 7252 §3, RFC 8323 §3.2 and §4): options, then the payload. */
    record Body(CoapOptions options, byte[] payload) {
    }

    /**
     * Reads options and payload up to the end of {@code in}.
     *
     * @param base where the message starts in {@code in}, for offsets in errors
     * @param total the message's length, for truncation errors
     */
    static Body readBody(ByteBuf in, int base, int total, Limits limits) {
        List<CoapOptions.Option> options = null;
        int number = 0;
        byte[] payload = new byte[0];
        while (in.isReadable()) {
            int at = in.readerIndex() - base;
            int head = in.readUnsignedByte();
            if (head == PAYLOAD_MARKER) {
                if (!in.isReadable()) {
                    throw CodecException.malformed(at, "payload marker followed by no payload");
                }
                payload = new byte[in.readableBytes()];
                in.readBytes(payload);
                break;
            }
            int delta = extended(in, head >>> 4, at, "delta", base);
            int length = extended(in, head & 0x0F, at, "length", base);
            number += delta;
            if (number > 0xFFFF) {
                throw CodecException.malformed(at, "option number " + number + " exceeds 65535");
            }
            limits.checkStringBytes(length, at);
            if (in.readableBytes() < length) {
                throw CodecException.truncated(total, "option " + number + " declares " + length + " bytes, "
                        + in.readableBytes() + " left");
            }
            if (options == null) {
                options = new ArrayList<>(8);
            }
            limits.checkElements(options.size() + 1, at);
            byte[] value = new byte[length];
            in.readBytes(value);
            options.add(new CoapOptions.Option(number, value));
        }
        CoapOptions set = options == null ? CoapOptions.empty() : CoapOptions.ofSorted(Collections.unmodifiableList(options));
        return new Body(set, payload);
    }

    private static int extended(ByteBuf in, int nibble, int at, String what, int base) {
        switch (nibble) {
            case 13:
                if (!in.isReadable()) {
                    throw CodecException.truncated(in.readerIndex() - base, "option " + what + " extension byte missing");
                }
                return in.readUnsignedByte() + 13;
            case 14:
                if (in.readableBytes() < 2) {
                    throw CodecException.truncated(in.readerIndex() - base, "option " + what + " extension bytes missing");
                }
                return in.readUnsignedShort() + 269;
            case 15:
                throw CodecException.malformed(at, "option " + what + " nibble 15 is reserved");
            default:
                return nibble;
        }
    }

    @Override
    public void encode(CoapMessage message, ByteBuf out) {
        byte[] token = message.tokenArray();
        out.writeByte(VERSION << 6 | message.type().value() << 4 | token.length);
        out.writeByte(message.code().value());
        out.writeShort(message.messageId());
        if (message.isEmpty()) {
            if (token.length > 0 || message.options().size() > 0 || message.payloadLength() > 0) {
                throw CodecException.unencodable("an empty message (0.00) carries no token, options or payload");
            }
            return;
        }
        out.writeBytes(token);
        writeBody(message.options(), message.payloadArray(), out);
    }

    /** Writes options and payload, as {@link #readBody} reads them. */
    static void writeBody(CoapOptions options, byte[] payload, ByteBuf out) {
        int previous = 0;
        for (CoapOptions.Option option : options.all()) {
            int delta = option.number() - previous;
            byte[] value = option.value();
            int length = value.length;
            if (length > 0xFFFF + 269) {
                throw CodecException.unencodable("option " + option.number() + " value of " + length + " bytes is too long");
            }
            out.writeByte(nibble(delta) << 4 | nibble(length));
            writeExtension(out, delta);
            writeExtension(out, length);
            out.writeBytes(value);
            previous = option.number();
        }
        if (payload.length > 0) {
            out.writeByte(PAYLOAD_MARKER);
            out.writeBytes(payload);
        }
    }

    /** The size {@link #writeBody} writes. */
    static int bodySize(CoapOptions options, int payloadLength) {
        int size = 0;
        int previous = 0;
        for (CoapOptions.Option option : options.all()) {
            int delta = option.number() - previous;
            int length = option.value().length;
            size += 1 + extensionSize(delta) + extensionSize(length) + length;
            previous = option.number();
        }
        return size + (payloadLength > 0 ? 1 + payloadLength : 0);
    }

    /**
     * The encoded size of {@code message}, to check it against a datagram limit before encoding.
     *
     * @param message a message
     * @return its size in bytes
     */
    public int encodedSize(CoapMessage message) {
        return 4 + message.tokenLength() + bodySize(message.options(), message.payloadLength());
    }

    private static int nibble(int value) {
        return value < 13 ? value : value < 269 ? 13 : 14;
    }

    private static int extensionSize(int value) {
        return value < 13 ? 0 : value < 269 ? 1 : 2;
    }

    private static void writeExtension(ByteBuf out, int value) {
        if (value >= 269) {
            out.writeShort(value - 269);
        } else if (value >= 13) {
            out.writeByte(value - 13);
        }
    }
}
