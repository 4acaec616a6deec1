package io.sluice.codec.call;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.sluice.codec.CodecException;
import io.sluice.codec.LengthFieldFraming;
import io.sluice.codec.Limits;
import io.sluice.codec.MessageCodec;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Encodes and decodes {@link CallFrame}s as {@code PROTOCOL.md} specifies. Each encoded frame
 * includes its 4-byte length prefix; cut streams with {@link #FRAMING}.
 *
 * <p>Stateless and thread-safe; use {@link #INSTANCE}. Ownership follows
 * {@link MessageCodec}: decoded payload frames hold a retained slice of the input and are released
 * by their consumer; encoding copies the payload's readable bytes and leaves the frame's reference
 * count alone.
 */
public final class CallFrameCodec implements MessageCodec<CallFrame> {

    /** The codec. */
    public static final CallFrameCodec INSTANCE = new CallFrameCodec();

    /** Frames start with a 4-byte big-endian count of the bytes after it. */
    public static final LengthFieldFraming FRAMING = LengthFieldFraming.prefix(4);

    /** The smallest frame: the length field and the type byte. */
    static final int MIN_FRAME = 5;

    private static final int MAX_MESSAGE_BYTES = 0xFFFF;

    /** The fixed part of each type's body, indexed by type; -1 for unassigned types. */
    private static final int[] MIN_BODY = {-1, 14, 11, 4, 4, 4, 8, 4, 8, 8, 8, 4};

    private CallFrameCodec() {
    }

    @Override
    public CallFrame decode(ByteBuf in, Limits limits) {
        int start = in.readerIndex();
        int total = in.readableBytes();
        if (total < MIN_FRAME) {
            throw CodecException.truncated(total, "a frame needs at least " + MIN_FRAME + " bytes, got " + total);
        }
        limits.checkMessageBytes(total);
        long length = in.readUnsignedInt();
        if (length != total - 4) {
            throw CodecException.malformed(0, "length field says " + length + " bytes follow, " + (total - 4) + " do");
        }
        int type = in.readUnsignedByte();
        int minimum = type < MIN_BODY.length ? MIN_BODY[type] : -1;
        if (minimum >= 0 && in.readableBytes() < minimum) {
            throw CodecException.truncated(total, "a type 0x" + Integer.toHexString(type) + " frame needs a body of at least "
                    + minimum + " bytes, got " + in.readableBytes());
        }
        CallFrame frame = switch (type) {
            case 0x01 -> decodeHello(in, start);
            case 0x02 -> {
                long callId = in.readUnsignedInt();
                int tag = in.readUnsignedShort();
                int flags = in.readUnsignedByte();
                if ((flags & ~(FLAG_STREAM | FLAG_METADATA)) != 0) {
                    throw CodecException.malformed(11, "unknown request flags 0x" + Integer.toHexString(flags));
                }
                long demand = in.readUnsignedInt();
                checkCallId(callId, 5);
                checkDemand(demand, 12);
                Map<String, String> metadata = (flags & FLAG_METADATA) != 0 ? readMetadata(in, start) : Map.of();
                yield new CallFrame.Request(callId, tag, (flags & FLAG_STREAM) != 0, demand, in.readRetainedSlice(in.readableBytes()),
                        metadata);
            }
            case 0x03 -> new CallFrame.Response(checkCallId(in.readUnsignedInt(), 5), in.readRetainedSlice(in.readableBytes()));
            case 0x04 -> new CallFrame.Next(checkCallId(in.readUnsignedInt(), 5), in.readRetainedSlice(in.readableBytes()));
            case 0x05 -> new CallFrame.Complete(checkCallId(in.readUnsignedInt(), 5));
            case 0x06 -> {
                long callId = checkCallId(in.readUnsignedInt(), 5);
                int status = in.readUnsignedShort();
                yield new CallFrame.Failure(callId, status, readText(in, start, limits));
            }
            case 0x07 -> new CallFrame.Cancel(checkCallId(in.readUnsignedInt(), 5));
            case 0x08 -> {
                long callId = checkCallId(in.readUnsignedInt(), 5);
                long n = in.readUnsignedInt();
                checkDemand(n, 9);
                if (n == 0) {
                    throw CodecException.malformed(9, "REQUEST_N of 0");
                }
                yield new CallFrame.RequestN(callId, n);
            }
            case 0x09 -> new CallFrame.Ping(in.readLong());
            case 0x0A -> new CallFrame.Pong(in.readLong());
            case 0x0B -> {
                int status = in.readUnsignedShort();
                yield new CallFrame.Goodbye(status, readText(in, start, limits));
            }
            default -> throw CodecException.malformed(4, "unknown frame type 0x" + Integer.toHexString(type));
        };
        if (in.isReadable()) {
            int trailing = in.readableBytes();
            if (frame instanceof CallFrame.PayloadFrame p) {
                p.release();
            }
            throw CodecException.malformed(in.readerIndex() - start, trailing + " trailing bytes after a type 0x"
                    + Integer.toHexString(type) + " frame");
        }
        return frame;
    }

    private static CallFrame decodeHello(ByteBuf in, int start) {
        int magic = in.readInt();
        if (magic != CallFrame.MAGIC) {
            throw CodecException.malformed(5, "HELLO without the SLCE magic (got 0x" + Integer.toHexString(magic) + ")");
        }
        int version = in.readUnsignedByte();
        int flags = in.readUnsignedByte();
        if (flags != 0) {
            throw CodecException.malformed(10, "unknown HELLO flags 0x" + Integer.toHexString(flags));
        }
        return new CallFrame.Hello(version, in.readUnsignedInt(), in.readUnsignedInt());
    }

    private static long checkCallId(long callId, int offset) {
        if (callId == 0) {
            throw CodecException.malformed(offset, "call id 0 is reserved");
        }
        return callId;
    }

    private static void checkDemand(long demand, int offset) {
        if (demand > CallFrame.MAX_DEMAND) {
            throw CodecException.malformed(offset, "demand " + demand + " exceeds " + CallFrame.MAX_DEMAND);
        }
    }

    private static final int FLAG_STREAM = 0x01;
    private static final int FLAG_METADATA = 0x02;

    /** count:1 (1..8), then count pairs of key:string and value:string; keys unique, within their limits. */
    private static Map<String, String> readMetadata(ByteBuf in, int start) {
        int offset = in.readerIndex() - start;
        if (!in.isReadable()) {
            throw CodecException.truncated(offset, "metadata count");
        }
        int count = in.readUnsignedByte();
        if (count == 0 || count > CallFrame.MAX_METADATA_ENTRIES) {
            throw CodecException.malformed(offset, "metadata of " + count + " entries (1 to " + CallFrame.MAX_METADATA_ENTRIES + ")");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            String key = readBounded(in, start, CallFrame.MAX_METADATA_KEY_BYTES, "metadata key");
            String value = readBounded(in, start, CallFrame.MAX_METADATA_VALUE_BYTES, "metadata value");
            if (key.isEmpty() || metadata.put(key, value) != null) {
                throw CodecException.malformed(in.readerIndex() - start, "metadata key '" + key + "' is empty or repeated");
            }
        }
        return metadata;
    }

    private static String readBounded(ByteBuf in, int start, int max, String what) {
        int offset = in.readerIndex() - start;
        if (in.readableBytes() < 2) {
            throw CodecException.truncated(offset, what);
        }
        int length = in.readUnsignedShort();
        if (length > max) {
            throw CodecException.malformed(offset, what + " of " + length + " bytes (at most " + max + ")");
        }
        if (in.readableBytes() < length) {
            throw CodecException.truncated(offset + 2 + in.readableBytes(), what + " of " + length + " bytes");
        }
        return in.readCharSequence(length, StandardCharsets.UTF_8).toString();
    }

    private static void writeMetadata(ByteBuf out, Map<String, String> metadata) {
        if (metadata.size() > CallFrame.MAX_METADATA_ENTRIES) {
            throw CodecException.unencodable("metadata of " + metadata.size() + " entries (at most " + CallFrame.MAX_METADATA_ENTRIES + ")");
        }
        out.writeByte(metadata.size());
        for (Map.Entry<String, String> e : metadata.entrySet()) {
            writeBounded(out, e.getKey(), CallFrame.MAX_METADATA_KEY_BYTES, "metadata key");
            writeBounded(out, e.getValue(), CallFrame.MAX_METADATA_VALUE_BYTES, "metadata value");
        }
    }

    private static void writeBounded(ByteBuf out, String text, int max, String what) {
        int length = ByteBufUtil.utf8Bytes(text);
        if (length > max || (length == 0 && what.endsWith("key"))) {
            throw CodecException.unencodable(what + " of " + length + " bytes (1 to " + max + ")");
        }
        out.writeShort(length);
        ByteBufUtil.writeUtf8(out, text);
    }

    private static String readText(ByteBuf in, int start, Limits limits) {
        int offset = in.readerIndex() - start;
        int length = in.readUnsignedShort();
        limits.checkStringBytes(length, offset);
        if (in.readableBytes() < length) {
            throw CodecException.truncated(offset + 2 + in.readableBytes(), "message of " + length + " bytes");
        }
        return in.readCharSequence(length, StandardCharsets.UTF_8).toString();
    }

    @Override
    public void encode(CallFrame frame, ByteBuf out) {
        int start = out.writerIndex();
        out.writeInt(0);
        out.writeByte(frame.type());
        if (frame instanceof CallFrame.Hello h) {
            out.writeInt(CallFrame.MAGIC).writeByte(h.version()).writeByte(0)
                    .writeInt((int) h.keepAliveMillis()).writeInt((int) h.maxFrameBytes());
        } else if (frame instanceof CallFrame.Request r) {
            writeCallId(out, r.callId());
            if (r.tag() < 0 || r.tag() > 0xFFFF) {
                throw CodecException.unencodable("tag " + r.tag() + " does not fit 16 bits");
            }
            out.writeShort(r.tag()).writeByte((r.stream() ? FLAG_STREAM : 0) | (r.metadata().isEmpty() ? 0 : FLAG_METADATA));
            writeDemand(out, r.initialDemand());
            if (!r.metadata().isEmpty()) {
                writeMetadata(out, r.metadata());
            }
            writePayload(out, r.payload());
        } else if (frame instanceof CallFrame.Response r) {
            writeCallId(out, r.callId());
            writePayload(out, r.payload());
        } else if (frame instanceof CallFrame.Next n) {
            writeCallId(out, n.callId());
            writePayload(out, n.payload());
        } else if (frame instanceof CallFrame.Complete c) {
            writeCallId(out, c.callId());
        } else if (frame instanceof CallFrame.Failure f) {
            writeCallId(out, f.callId());
            out.writeShort(checkStatus(f.status()));
            writeText(out, f.message());
        } else if (frame instanceof CallFrame.Cancel c) {
            writeCallId(out, c.callId());
        } else if (frame instanceof CallFrame.RequestN r) {
            writeCallId(out, r.callId());
            if (r.n() <= 0) {
                throw CodecException.unencodable("REQUEST_N of " + r.n());
            }
            writeDemand(out, r.n());
        } else if (frame instanceof CallFrame.Ping p) {
            out.writeLong(p.nonce());
        } else if (frame instanceof CallFrame.Pong p) {
            out.writeLong(p.nonce());
        } else if (frame instanceof CallFrame.Goodbye g) {
            out.writeShort(checkStatus(g.status()));
            writeText(out, g.message());
        }
        out.setInt(start, out.writerIndex() - start - 4);
    }

    private static void writePayload(ByteBuf out, ByteBuf payload) {
        out.writeBytes(payload, payload.readerIndex(), payload.readableBytes());
    }

    private static void writeCallId(ByteBuf out, long callId) {
        if (callId <= 0 || callId > 0xFFFF_FFFFL) {
            throw CodecException.unencodable("call id " + callId + " is not in 1..2^32-1");
        }
        out.writeInt((int) callId);
    }

    private static void writeDemand(ByteBuf out, long demand) {
        if (demand < 0 || demand > CallFrame.MAX_DEMAND) {
            throw CodecException.unencodable("demand " + demand + " is not in 0.." + CallFrame.MAX_DEMAND);
        }
        out.writeInt((int) demand);
    }

    private static int checkStatus(int status) {
        if (status < 0 || status > 0xFFFF) {
            throw CodecException.unencodable("status " + status + " does not fit 16 bits");
        }
        return status;
    }

    /** Messages longer than the 16-bit field are cut at a character boundary rather than refused. */
    private static void writeText(ByteBuf out, String message) {
        int at = out.writerIndex();
        out.writeShort(0);
        int written = ByteBufUtil.writeUtf8(out, message);
        if (written > MAX_MESSAGE_BYTES) {
            out.writerIndex(at + 2);
            String cut = message;
            while (ByteBufUtil.utf8Bytes(cut) > MAX_MESSAGE_BYTES) {
                cut = cut.substring(0, cut.length() * 3 / 4);
            }
            written = ByteBufUtil.writeUtf8(out, cut);
        }
        out.setShort(at, written);
    }
}
