package io.sluice.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads and writes the fields of small structured messages, for {@link MessageCodec}s that carry
 * records rather than raw bytes: 32- and 64-bit integers, booleans, UTF-8 strings and byte arrays
 * with a 32-bit length, and lists with a 32-bit count. Big-endian throughout.
 *
 * <p>Every read checks what is left in the buffer and the {@link Limits} it is given before it
 * allocates, and fails with a {@link CodecException} whose offset counts from {@code start} (the
 * reader index the message began at). Stateless; the buffers stay owned by the caller.
 */
public final class Fields {

    private Fields() {
    }

    /** A reader over one message; not thread-safe, use it for one decode. */
    public static final class Reader {

        private final ByteBuf in;
        private final int start;
        private final Limits limits;

        private Reader(ByteBuf in, Limits limits) {
            this.in = in;
            this.start = in.readerIndex();
            this.limits = limits;
        }

        private long offset() {
            return in.readerIndex() - start;
        }

        private void need(int bytes, String what) {
            if (in.readableBytes() < bytes) {
                throw CodecException.truncated(offset(), what + " needs " + bytes + " bytes, " + in.readableBytes() + " left");
            }
        }

        /**
         * @param what the field's name, for errors
         * @return a 32-bit integer
         */
        public int int32(String what) {
            need(4, what);
            return in.readInt();
        }

        /**
         * @param what the field's name, for errors
         * @return a 64-bit integer
         */
        public long int64(String what) {
            need(8, what);
            return in.readLong();
        }

        /**
         * @param what the field's name, for errors
         * @return a boolean (one byte, 0 or 1)
         */
        public boolean bool(String what) {
            need(1, what);
            int b = in.readUnsignedByte();
            if (b > 1) {
                throw CodecException.malformed(offset() - 1, what + " must be 0 or 1, was " + b);
            }
            return b == 1;
        }

        private int length(String what, int max) {
            need(4, what + " length");
            int length = in.readInt();
            if (length < 0) {
                throw CodecException.malformed(offset() - 4, what + " has a negative length " + length);
            }
            if (length > max) {
                throw CodecException.limitExceeded(offset() - 4, what + " is " + length + " bytes, the limit is " + max);
            }
            need(length, what);
            return length;
        }

        /**
         * @param what the field's name, for errors
         * @return a UTF-8 string within {@link Limits#maxStringBytes()}
         */
        public String string(String what) {
            int length = length(what, limits.maxStringBytes());
            try {
                String s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(in.nioBuffer(in.readerIndex(), length)).toString();
                in.skipBytes(length);
                return s;
            } catch (CharacterCodingException e) {
                throw CodecException.malformed(offset(), what + " is not valid UTF-8");
            }
        }

        /**
         * @param what the field's name, for errors
         * @return a copy of a byte array within {@link Limits#maxMessageBytes()}
         */
        public byte[] bytes(String what) {
            int length = length(what, limits.maxMessageBytes());
            byte[] out = new byte[length];
            in.readBytes(out);
            return out;
        }

        /**
         * @param what the list's name, for errors
         * @param element reads one element
         * @param <T> the element type
         * @return the elements, at most {@link Limits#maxElements()}
         */
        public <T> List<T> list(String what, java.util.function.Function<Reader, T> element) {
            need(4, what + " count");
            int count = in.readInt();
            if (count < 0 || count > limits.maxElements()) {
                throw CodecException.limitExceeded(offset() - 4, what + " has " + count + " elements, the limit is "
                        + limits.maxElements());
            }
            List<T> out = new ArrayList<>(Math.min(count, 64));
            for (int i = 0; i < count; i++) {
                out.add(element.apply(this));
            }
            return List.copyOf(out);
        }

        /** @throws CodecException when bytes are left after the message */
        public void end() {
            if (in.isReadable()) {
                throw CodecException.malformed(offset(), in.readableBytes() + " trailing bytes after the message");
            }
        }
    }

    /**
     * A codec for a record type from a writer and a reader of its fields; decoding fails on bytes
     * left over.
     *
     * @param write writes a message's fields
     * @param read reads them back
     * @param <T> the message type
     * @return the codec, stateless and thread-safe when the two functions are
     */
    public static <T> MessageCodec<T> codec(java.util.function.BiConsumer<T, ByteBuf> write, java.util.function.Function<Reader, T> read) {
        return new MessageCodec<>() {
            @Override
            public T decode(ByteBuf in, Limits limits) {
                Reader reader = new Reader(in, limits);
                T message = read.apply(reader);
                reader.end();
                return message;
            }

            @Override
            public void encode(T message, ByteBuf out) {
                write.accept(message, out);
            }
        };
    }

    /**
     * @param in one message, from its reader index; owned by the caller
     * @param limits the limits reads must stay within
     * @return a reader
     */
    public static Reader reader(ByteBuf in, Limits limits) {
        return new Reader(in, limits);
    }

    /**
     * @param out where to write
     * @param value the value
     */
    public static void writeInt32(ByteBuf out, int value) {
        out.writeInt(value);
    }

    /**
     * @param out where to write
     * @param value the value
     */
    public static void writeInt64(ByteBuf out, long value) {
        out.writeLong(value);
    }

    /**
     * @param out where to write
     * @param value the value
     */
    public static void writeBool(ByteBuf out, boolean value) {
        out.writeByte(value ? 1 : 0);
    }

    /**
     * @param out where to write
     * @param value the string, written as UTF-8 with its length
     */
    public static void writeString(ByteBuf out, String value) {
        int lengthAt = out.writerIndex();
        out.writeInt(0);
        int written = ByteBufUtil.writeUtf8(out, value);
        out.setInt(lengthAt, written);
    }

    /**
     * @param out where to write
     * @param value the bytes, written with their length
     */
    public static void writeBytes(ByteBuf out, byte[] value) {
        out.writeInt(value.length);
        out.writeBytes(value);
    }

    /**
     * @param out where to write
     * @param values the elements, written after their count
     * @param element writes one element
     * @param <T> the element type
     */
    public static <T> void writeList(ByteBuf out, List<T> values, java.util.function.BiConsumer<ByteBuf, T> element) {
        out.writeInt(values.size());
        for (T v : values) {
            element.accept(out, v);
        }
    }
}
