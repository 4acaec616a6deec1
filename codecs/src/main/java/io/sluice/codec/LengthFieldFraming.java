package io.sluice.codec;

import io.netty.buffer.ByteBuf;
import java.nio.ByteOrder;

/**
 * A frame whose header holds an unsigned length field.
 *
 * <p>The frame length is {@code fieldOffset + fieldBytes + value * unitBytes + adjustment}, where
 * {@code value} is the field read in {@link #byteOrder()}. With the defaults (unit 1, adjustment 0)
 * the field counts the bytes that follow it. A field counting the whole frame takes
 * {@code adjustment(-(fieldOffset + fieldBytes))}; a field counting 8-byte units takes
 * {@code unitBytes(8)}.
 *
 * <p>Immutable and thread-safe; each {@code with…}-style method returns a new framing.
 */
public final class LengthFieldFraming implements Framing {

    private final int fieldOffset;
    private final int fieldBytes;
    private final ByteOrder byteOrder;
    private final int unitBytes;
    private final int adjustment;

    private LengthFieldFraming(int fieldOffset, int fieldBytes, ByteOrder byteOrder, int unitBytes,
                               int adjustment) {
        if (fieldOffset < 0) {
            throw new IllegalArgumentException("fieldOffset must not be negative, was " + fieldOffset);
        }
        if (fieldBytes != 1 && fieldBytes != 2 && fieldBytes != 3 && fieldBytes != 4) {
            throw new IllegalArgumentException("fieldBytes must be 1, 2, 3 or 4, was " + fieldBytes);
        }
        if (unitBytes <= 0) {
            throw new IllegalArgumentException("unitBytes must be positive, was " + unitBytes);
        }
        this.fieldOffset = fieldOffset;
        this.fieldBytes = fieldBytes;
        this.byteOrder = byteOrder;
        this.unitBytes = unitBytes;
        this.adjustment = adjustment;
    }

    /**
     * A big-endian field of {@code fieldBytes} bytes at the start of the frame, counting the bytes
     * after it.
     *
     * @param fieldBytes 1, 2, 3 or 4
     * @return the framing
     */
    public static LengthFieldFraming prefix(int fieldBytes) {
        return new LengthFieldFraming(0, fieldBytes, ByteOrder.BIG_ENDIAN, 1, 0);
    }

    /**
     * A big-endian field of {@code fieldBytes} bytes at {@code fieldOffset}, counting the bytes
     * after it.
     *
     * @param fieldOffset where the field starts in the frame
     * @param fieldBytes 1, 2, 3 or 4
     * @return the framing
     */
    public static LengthFieldFraming at(int fieldOffset, int fieldBytes) {
        return new LengthFieldFraming(fieldOffset, fieldBytes, ByteOrder.BIG_ENDIAN, 1, 0);
    }

    /**
     * @param order the byte order of the length field
     * @return a copy reading the field in {@code order}
     */
    public LengthFieldFraming byteOrder(ByteOrder order) {
        return new LengthFieldFraming(fieldOffset, fieldBytes, order, unitBytes, adjustment);
    }

    /**
     * @param bytes how many bytes one unit of the field stands for
     * @return a copy counting in units of {@code bytes}
     */
    public LengthFieldFraming unitBytes(int bytes) {
        return new LengthFieldFraming(fieldOffset, fieldBytes, byteOrder, bytes, adjustment);
    }

    /**
     * @param bytes added to the computed length (may be negative)
     * @return a copy with that adjustment
     */
    public LengthFieldFraming adjustment(int bytes) {
        return new LengthFieldFraming(fieldOffset, fieldBytes, byteOrder, unitBytes, bytes);
    }

    /** @return the byte order of the length field */
    public ByteOrder byteOrder() {
        return byteOrder;
    }

    /** @return the header length: the field's offset plus its size */
    public int headerBytes() {
        return fieldOffset + fieldBytes;
    }

    @Override
    public int frameLength(ByteBuf buffer) {
        int header = headerBytes();
        if (buffer.readableBytes() < header) {
            return NEED_MORE;
        }
        int at = buffer.readerIndex() + fieldOffset;
        boolean big = byteOrder == ByteOrder.BIG_ENDIAN;
        long value = switch (fieldBytes) {
            case 1 -> buffer.getUnsignedByte(at);
            case 2 -> big ? buffer.getUnsignedShort(at) : buffer.getUnsignedShortLE(at);
            case 3 -> big ? buffer.getUnsignedMedium(at) : buffer.getUnsignedMediumLE(at);
            default -> big ? buffer.getUnsignedInt(at) : buffer.getUnsignedIntLE(at);
        };
        long length = header + value * unitBytes + adjustment;
        if (length < header) {
            throw CodecException.malformed(fieldOffset,
                    "length field " + value + " gives a frame shorter than its " + header + "-byte header");
        }
        if (length > Integer.MAX_VALUE) {
            throw CodecException.limitExceeded(fieldOffset, "length field " + value + " gives a frame of "
                    + length + " bytes");
        }
        return (int) length;
    }

    @Override
    public String toString() {
        return "LengthFieldFraming{offset=" + fieldOffset + ", bytes=" + fieldBytes + ", order=" + byteOrder
                + ", unit=" + unitBytes + ", adjustment=" + adjustment + '}';
    }
}
