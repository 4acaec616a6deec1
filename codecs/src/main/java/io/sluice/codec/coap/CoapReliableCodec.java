package io.sluice.codec.coap;

import io.netty.buffer.ByteBuf;
import io.sluice.codec.CodecException;
import io.sluice.codec.Framing;
import io.sluice.codec.Limits;
import io.sluice.codec.MessageCodec;

/**
 * The CoAP message format over reliable transports (RFC 8323): over TCP and TLS (§3.2), a length
 * nibble (13, 14 and 15 extend it by 1, 2 and 4 bytes) and the token length, then the code, the
 * token, options and payload as in RFC 7252; over WebSockets (§4), the same with the length nibble
 * 0 and no extension, since each binary frame holds exactly one message. There is no type and no
 * message ID: decoded messages carry type NON and message ID 0 (nothing is acknowledged on a
 * reliable transport), and encoding ignores both.
 *
 * <p>{@link #TCP_FRAMING} finds message boundaries in a TCP byte stream from the header alone. Decoding fails with a {@link CodecException} naming the offset for a token
 * length of 9–15, a length that disagrees with the bytes given, every option and payload error of
 * RFC 7252 §3, and truncation; {@link Limits} bound the message size (the smaller of the peer's
 * Max-Message-Size and ours is for the message layer to pass in), the option count and each
 * option value. Whether a signalling option is known or critical is the message layer's concern
 * ({@link CoapSignals}).
 *
 * <p>Stateless and thread-safe. The decoder copies what it keeps, so the caller releases the input
 * as {@link MessageCodec} says; encoding writes into the caller's buffer.
 */
public final class CoapReliableCodec implements MessageCodec<CoapMessage> {

    /** RFC 8323 §3.2: CoAP over TCP and TLS, with a length field. */
    public static final CoapReliableCodec TCP = new CoapReliableCodec(true);
    /** RFC 8323 §4: CoAP over WebSockets, one message per binary frame, length nibble 0. */
    public static final CoapReliableCodec WEBSOCKET = new CoapReliableCodec(false);

    /** Where each message ends in a TCP or TLS byte stream; WebSocket frames need none. */
    public static final Framing TCP_FRAMING = CoapReliableCodec::tcpFrameLength;

    private final boolean lengthField;

    private CoapReliableCodec(boolean lengthField) {
        this.lengthField = lengthField;
    }

    /**
     * The whole frame's length from its header: 1 byte of Len/TKL, 0, 1, 2 or 4 bytes of extended
     * length, the code, the token, and Len bytes of options and payload.
     */
    private static int tcpFrameLength(ByteBuf buffer) {
        int at = buffer.readerIndex();
        if (buffer.readableBytes() < 1) {
            return Framing.NEED_MORE;
        }
        int first = buffer.getUnsignedByte(at);
        int nibble = first >>> 4;
        int tokenLength = first & 0x0F;
        if (tokenLength > 8) {
            throw CodecException.malformed(0, "token length " + tokenLength + " (9-15 are reserved)");
        }
        int extension = extensionBytes(nibble);
        if (buffer.readableBytes() < 1 + extension) {
            return Framing.NEED_MORE;
        }
        long length = length(buffer, at + 1, nibble);
        long total = 1L + extension + 1 + tokenLength + length;
        if (total > Integer.MAX_VALUE) {
            throw CodecException.limitExceeded(1, "a message of " + total + " bytes");
        }
        return (int) total;
    }

    @Override
    public CoapMessage decode(ByteBuf in, Limits limits) {
        int base = in.readerIndex();
        int total = in.readableBytes();
        limits.checkMessageBytes(total);
        if (total < 2) {
            throw CodecException.truncated(total, "a CoAP message over a reliable transport needs at least 2 bytes, got " + total);
        }
        int first = in.readUnsignedByte();
        int nibble = first >>> 4;
        int tokenLength = first & 0x0F;
        if (tokenLength > 8) {
            throw CodecException.malformed(0, "token length " + tokenLength + " (9-15 are reserved)");
        }
        if (lengthField) {
            int extension = extensionBytes(nibble);
            if (in.readableBytes() < extension + 1) {
                throw CodecException.truncated(total, "the header's extended length needs " + extension + " bytes");
            }
            long length = length(in, in.readerIndex(), nibble);
            in.skipBytes(extension);
            long declared = 1L + extension + 1 + tokenLength + length;
            if (declared > total) {
                throw CodecException.truncated(total, "the header declares " + declared + " bytes, " + total + " given");
            }
            if (declared < total) {
                throw CodecException.malformed(0, "the header declares " + declared + " bytes, but " + total + " were given as one message");
            }
        } else if (nibble != 0) {
            throw CodecException.malformed(0, "a WebSocket message has length nibble 0 (RFC 8323 §4.2), not " + nibble);
        }
        CoapCode code = new CoapCode(in.readUnsignedByte());
        if (in.readableBytes() < tokenLength) {
            throw CodecException.truncated(total, "token of " + tokenLength + " bytes, " + in.readableBytes() + " left");
        }
        byte[] token = new byte[tokenLength];
        in.readBytes(token);
        CoapMessageCodec.Body body = CoapMessageCodec.readBody(in, base, total, limits);
        return CoapMessage.trusted(CoapType.NON, code, 0, token, body.options(), body.payload());
    }

    @Override
    public void encode(CoapMessage message, ByteBuf out) {
        byte[] token = message.tokenArray();
        byte[] payload = message.payloadArray();
        int length = CoapMessageCodec.bodySize(message.options(), payload.length);
        if (!lengthField) {
            out.writeByte(token.length);
        } else if (length < 13) {
            out.writeByte(length << 4 | token.length);
        } else if (length < 269) {
            out.writeByte(13 << 4 | token.length);
            out.writeByte(length - 13);
        } else if (length < 65805) {
            out.writeByte(14 << 4 | token.length);
            out.writeShort(length - 269);
        } else {
            out.writeByte(15 << 4 | token.length);
            out.writeInt(length - 65805);
        }
        out.writeByte(message.code().value());
        out.writeBytes(token);
        CoapMessageCodec.writeBody(message.options(), payload, out);
    }

    /**
     * @param message a message
     * @return its encoded size in bytes, to check against the peer's Max-Message-Size before sending
     */
    public int encodedSize(CoapMessage message) {
        int length = CoapMessageCodec.bodySize(message.options(), message.payloadLength());
        int extension = !lengthField ? 0 : length < 13 ? 0 : length < 269 ? 1 : length < 65805 ? 2 : 4;
        return 1 + extension + 1 + message.tokenLength() + length;
    }

    private static int extensionBytes(int nibble) {
        return nibble < 13 ? 0 : nibble == 13 ? 1 : nibble == 14 ? 2 : 4;
    }

    /** The length of options and payload, from the nibble and the extension bytes at {@code at}. */
    private static long length(ByteBuf buffer, int at, int nibble) {
        return switch (nibble) {
            case 13 -> buffer.getUnsignedByte(at) + 13L;
            case 14 -> buffer.getUnsignedShort(at) + 269L;
            case 15 -> buffer.getUnsignedInt(at) + 65805L;
            default -> nibble;
        };
    }

    @Override
    public String toString() {
        return lengthField ? "CoapReliableCodec[TCP]" : "CoapReliableCodec[WebSocket]";
    }
}
