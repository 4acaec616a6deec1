package io.sluice.codec.ice;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.sluice.codec.CodecErrorCode;
import io.sluice.codec.CodecException;
import io.sluice.codec.Limits;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Encodes and decodes ICE messages in a given byte order.
 *
 * <p>A frame is the 8-byte header plus {@code 8 × length} bytes; {@link #frameLength} cuts them out
 * of a stream. Decoding checks every count and length against the frame and {@link Limits} (frame
 * size, list entries, string and data lengths) and fails with a {@link CodecException} naming the
 * offset; {@link #errorFor} turns such a failure into the ICE Error message the specification
 * prescribes (BadMinor, BadLength, BadValue) for the sender of the offending message.
 *
 * <p>Stateless and thread-safe. The caller owns the buffers: {@code decode} reads its input and
 * keeps copies, {@code encode} writes into the caller's buffer.
 */
public final class IceMessageCodec {

    /** The header every ICE message starts with. */
    public static final int HEADER_BYTES = 8;

    private IceMessageCodec() {
    }

    /**
     * The length of the frame starting at the reader index, once its header is there.
     *
     * @param in the stream's bytes
     * @param order the sender's byte order
     * @return the frame's total length in bytes, or -1 if fewer than 8 bytes are readable
     */
    public static long frameLength(ByteBuf in, ByteOrder order) {
        if (in.readableBytes() < HEADER_BYTES) {
            return -1;
        }
        long units = order == ByteOrder.BIG_ENDIAN ? in.getUnsignedInt(in.readerIndex() + 4) : in.getUnsignedIntLE(in.readerIndex() + 4);
        return HEADER_BYTES + units * 8;
    }

    // ---------------------------------------------------------------------------------- decode

    /**
     * Decodes one whole frame.
     *
     * @param frame exactly one message's bytes; read, not released
     * @param order the sender's byte order
     * @param limits the limits
     * @return the message
     * @throws CodecException when the frame breaks the format or the limits
     */
    public static IceMessage decode(ByteBuf frame, ByteOrder order, Limits limits) {
        Reader r = new Reader(frame, order, limits);
        int total = frame.readableBytes();
        limits.checkMessageBytes(total);
        if (total < HEADER_BYTES) {
            throw CodecException.truncated(total, "an ICE message has an 8-byte header, got " + total + " bytes");
        }
        int major = r.u8();
        int minor = r.u8();
        int d0 = r.u8();
        int d1 = r.u8();
        long units = r.u32();
        if (HEADER_BYTES + units * 8 != total) {
            throw CodecException.malformed(4, "length says " + units + " units of 8 bytes follow the header, "
                    + (total - HEADER_BYTES) + " bytes do");
        }
        if (major != IceMessage.ICE_MAJOR) {
            if (minor == 0 && total >= 16) {
                return decodeError(r, major, d0, d1);
            }
            byte[] body = new byte[total - HEADER_BYTES];
            frame.readBytes(body);
            return new IceMessage.Generic(major, minor, d0, d1, body);
        }
        IceMessage m = switch (minor) {
            case 0 -> decodeError(r, major, d0, d1);
            case 1 -> {
                empty(units);
                if (d0 > 1) {
                    throw CodecException.malformed(2, "byte order " + d0 + " (0 is LSB first, 1 is MSB first)");
                }
                yield new IceMessage.ByteOrderMessage(d0 == 0 ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
            }
            case 2 -> {
                r.need(8);
                boolean must = r.u8() != 0;
                r.skip(7);
                String vendor = r.string();
                String release = r.string();
                List<String> auth = r.strings(d1);
                List<IceVersion> versions = r.versions(d0);
                yield new IceMessage.ConnectionSetup(must, vendor, release, auth, versions);
            }
            case 3 -> new IceMessage.AuthRequired(d0, r.authData());
            case 4 -> new IceMessage.AuthReply(r.authData());
            case 5 -> new IceMessage.AuthNextPhase(r.authData());
            case 6 -> new IceMessage.ConnectionReply(d0, r.string(), r.string());
            case 7 -> {
                r.need(8);
                int versionCount = r.u8();
                int authCount = r.u8();
                r.skip(6);
                String name = r.string();
                String vendor = r.string();
                String release = r.string();
                List<String> auth = r.strings(authCount);
                List<IceVersion> versions = r.versions(versionCount);
                yield new IceMessage.ProtocolSetup(d0, d1 != 0, name, vendor, release, auth, versions);
            }
            case 8 -> new IceMessage.ProtocolReply(d0, d1, r.string(), r.string());
            case 9 -> {
                empty(units);
                yield new IceMessage.Ping();
            }
            case 10 -> {
                empty(units);
                yield new IceMessage.PingReply();
            }
            case 11 -> {
                empty(units);
                yield new IceMessage.WantToClose();
            }
            case 12 -> {
                empty(units);
                yield new IceMessage.NoClose();
            }
            default -> throw CodecException.malformed(1, "minor opcode " + minor + " is not an ICE message (BadMinor)");
        };
        int left = frame.readableBytes();
        if (left >= 8) {
            throw CodecException.malformed(total - left, left + " bytes after the last field (padding is at most 7)");
        }
        frame.skipBytes(left);
        return m;
    }

    private static IceMessage decodeError(Reader r, int major, int d0, int d1) {
        int errorClass = r.order == ByteOrder.BIG_ENDIAN ? (d0 << 8 | d1) : (d1 << 8 | d0);
        r.need(8);
        int offendingMinor = r.u8();
        int severity = r.u8();
        r.skip(2);
        long sequence = r.u32();
        byte[] values = new byte[r.in.readableBytes()];
        r.in.readBytes(values);
        return new IceMessage.Error(major, offendingMinor, severity, errorClass, sequence, values);
    }

    private static void empty(long units) {
        if (units != 0) {
            throw CodecException.malformed(4, "this message has no body, length says " + units + " units");
        }
    }

    /** Reads fields in one byte order, every read checked against the frame. */
    private static final class Reader {
        final ByteBuf in;
        final ByteOrder order;
        final Limits limits;
        final int base;

        Reader(ByteBuf in, ByteOrder order, Limits limits) {
            this.in = in;
            this.order = order;
            this.limits = limits;
            this.base = in.readerIndex();
        }

        int at() {
            return in.readerIndex() - base;
        }

        void need(int n) {
            if (in.readableBytes() < n) {
                throw CodecException.truncated(at(), n + " more bytes needed, " + in.readableBytes() + " left");
            }
        }

        int u8() {
            need(1);
            return in.readUnsignedByte();
        }

        int u16() {
            need(2);
            return order == ByteOrder.BIG_ENDIAN ? in.readUnsignedShort() : in.readUnsignedShortLE();
        }

        long u32() {
            need(4);
            return order == ByteOrder.BIG_ENDIAN ? in.readUnsignedInt() : in.readUnsignedIntLE();
        }

        void skip(int n) {
            need(n);
            in.skipBytes(n);
        }

        String string() {
            int at = at();
            int n = u16();
            limits.checkStringBytes(n, at);
            need(n);
            String s = in.readCharSequence(n, StandardCharsets.ISO_8859_1).toString();
            skip(pad4(2 + n));
            return s;
        }

        List<String> strings(int count) {
            limits.checkElements(count, at());
            List<String> out = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                out.add(string());
            }
            return out;
        }

        List<IceVersion> versions(int count) {
            limits.checkElements(count, at());
            List<IceVersion> out = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                out.add(new IceVersion(u16(), u16()));
            }
            return out;
        }

        byte[] authData() {
            need(8);
            int at = at();
            int n = u16();
            skip(6);
            limits.checkStringBytes(n, at);
            need(n);
            byte[] data = new byte[n];
            in.readBytes(data);
            return data;
        }
    }

    static int pad4(int n) {
        return (4 - n % 4) % 4;
    }

    static int pad8(int n) {
        return (8 - n % 8) % 8;
    }

    // ---------------------------------------------------------------------------------- encode

    /**
     * Writes {@code message} in {@code order}.
     *
     * @param message the message
     * @param order the byte order this side announced
     * @param out where to write; owned by the caller
     * @throws CodecException when a field does not fit its wire type
     */
    public static void encode(IceMessage message, ByteOrder order, ByteBuf out) {
        ByteBuf body = Unpooled.buffer();
        try {
            int d0 = 0;
            int d1 = 0;
            Writer w = new Writer(body, order);
            if (message instanceof IceMessage.ByteOrderMessage b) {
                d0 = b.order() == ByteOrder.BIG_ENDIAN ? 1 : 0;
            } else if (message instanceof IceMessage.ConnectionSetup s) {
                d0 = count(s.versions().size(), "versions");
                d1 = count(s.authNames().size(), "authentication names");
                w.u8(s.mustAuthenticate() ? 1 : 0).zeros(7).string(s.vendor()).string(s.release());
                s.authNames().forEach(w::string);
                s.versions().forEach(w::version);
            } else if (message instanceof IceMessage.AuthRequired a) {
                d0 = byteField(a.authIndex(), "auth index");
                w.authData(a.data());
            } else if (message instanceof IceMessage.AuthReply a) {
                w.authData(a.data());
            } else if (message instanceof IceMessage.AuthNextPhase a) {
                w.authData(a.data());
            } else if (message instanceof IceMessage.ConnectionReply c) {
                d0 = byteField(c.versionIndex(), "version index");
                w.string(c.vendor()).string(c.release());
            } else if (message instanceof IceMessage.ProtocolSetup p) {
                d0 = byteField(p.protocolOpcode(), "protocol opcode");
                d1 = p.mustAuthenticate() ? 1 : 0;
                w.u8(count(p.versions().size(), "versions")).u8(count(p.authNames().size(), "authentication names")).zeros(6)
                        .string(p.protocolName()).string(p.vendor()).string(p.release());
                p.authNames().forEach(w::string);
                p.versions().forEach(w::version);
            } else if (message instanceof IceMessage.ProtocolReply p) {
                d0 = byteField(p.versionIndex(), "version index");
                d1 = byteField(p.protocolOpcode(), "protocol opcode");
                w.string(p.vendor()).string(p.release());
            } else if (message instanceof IceMessage.Error e) {
                if (e.errorClass() < 0 || e.errorClass() > 0xFFFF) {
                    throw CodecException.unencodable("error class " + e.errorClass() + " is not a CARD16");
                }
                d0 = order == ByteOrder.BIG_ENDIAN ? e.errorClass() >>> 8 : e.errorClass() & 0xFF;
                d1 = order == ByteOrder.BIG_ENDIAN ? e.errorClass() & 0xFF : e.errorClass() >>> 8;
                w.u8(byteField(e.offendingMinorOpcode(), "offending minor opcode")).u8(byteField(e.severity(), "severity")).zeros(2)
                        .u32(e.offendingSequenceNumber());
                body.writeBytes(e.values());
            } else if (message instanceof IceMessage.Generic g) {
                d0 = byteField(g.data0(), "data byte");
                d1 = byteField(g.data1(), "data byte");
                body.writeBytes(g.body());
            }
            // Ping, PingReply, WantToClose and NoClose are the header alone.
            body.writeZero(pad8(body.readableBytes()));
            out.writeByte(message.majorOpcode()).writeByte(message.minorOpcode()).writeByte(d0).writeByte(d1);
            long units = body.readableBytes() / 8;
            if (order == ByteOrder.BIG_ENDIAN) {
                out.writeInt((int) units);
            } else {
                out.writeIntLE((int) units);
            }
            out.writeBytes(body);
        } finally {
            body.release();
        }
    }

    private static int count(int n, String what) {
        return byteField(n, "count of " + what);
    }

    private static int byteField(int v, String what) {
        if (v < 0 || v > 255) {
            throw CodecException.unencodable(what + " " + v + " does not fit a CARD8");
        }
        return v;
    }

    /** Writes fields in one byte order. */
    private static final class Writer {
        final ByteBuf out;
        final ByteOrder order;

        Writer(ByteBuf out, ByteOrder order) {
            this.out = out;
            this.order = order;
        }

        Writer u8(int v) {
            out.writeByte(v);
            return this;
        }

        Writer u16(int v) {
            if (order == ByteOrder.BIG_ENDIAN) {
                out.writeShort(v);
            } else {
                out.writeShortLE(v);
            }
            return this;
        }

        Writer u32(long v) {
            if (order == ByteOrder.BIG_ENDIAN) {
                out.writeInt((int) v);
            } else {
                out.writeIntLE((int) v);
            }
            return this;
        }

        Writer zeros(int n) {
            out.writeZero(n);
            return this;
        }

        Writer string(String s) {
            byte[] bytes = s.getBytes(StandardCharsets.ISO_8859_1);
            if (bytes.length > 0xFFFF) {
                throw CodecException.unencodable("a STRING has at most 65535 bytes, got " + bytes.length);
            }
            u16(bytes.length);
            out.writeBytes(bytes);
            return zeros(pad4(2 + bytes.length));
        }

        void version(IceVersion v) {
            u16(v.major());
            u16(v.minor());
        }

        void authData(byte[] data) {
            if (data.length > 0xFFFF) {
                throw CodecException.unencodable("authentication data has at most 65535 bytes, got " + data.length);
            }
            u16(data.length);
            zeros(6);
            out.writeBytes(data);
        }
    }

    // ---------------------------------------------------------------------------------- errors

    /**
     * The Error message to send back for a frame that failed to decode: BadMinor for an unknown ICE
     * minor opcode, BadLength for lengths and limits, BadValue for other values (with the offset of
     * the bad value, as a CARD32 offset and a CARD32 length of 0). ICE's own messages are fatal to
     * the connection (the setup cannot go on); other protocols' are fatal to that protocol.
     *
     * @param frame the offending frame (its first two bytes are read, nothing is consumed)
     * @param order the byte order this side writes in
     * @param offendingSequence the sequence number of the offending message
     * @param failure why it failed
     * @return the Error message
     */
    public static IceMessage.Error errorFor(ByteBuf frame, ByteOrder order, long offendingSequence, CodecException failure) {
        int major = frame.readableBytes() > 0 ? frame.getUnsignedByte(frame.readerIndex()) : 0;
        int minor = frame.readableBytes() > 1 ? frame.getUnsignedByte(frame.readerIndex() + 1) : 0;
        int severity = major == IceMessage.ICE_MAJOR ? IceError.FATAL_TO_CONNECTION : IceError.FATAL_TO_PROTOCOL;
        int errorClass;
        byte[] values = new byte[0];
        if (major == IceMessage.ICE_MAJOR && minor > 12) {
            errorClass = IceError.BAD_MINOR;
            severity = IceError.CAN_CONTINUE;
        } else if (failure.errorCode() == CodecErrorCode.MALFORMED && !failure.reason().startsWith("length says")
                && !failure.reason().contains("has no body") && !failure.reason().contains("after the last field")) {
            errorClass = IceError.BAD_VALUE;
            ByteBuf v = Unpooled.buffer(8);
            Writer w = new Writer(v, order);
            w.u32(failure.offset()).u32(0);
            values = new byte[8];
            v.readBytes(values);
            v.release();
        } else {
            errorClass = IceError.BAD_LENGTH;
        }
        return new IceMessage.Error(major, minor, severity, errorClass, offendingSequence, values);
    }
}
