package io.sluice.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.List;
import org.junit.jupiter.api.Test;

class FieldsTest {

    record Sample(String name, List<String> tags, byte[] blob, long id, boolean on) {
    }

    static final MessageCodec<Sample> CODEC = Fields.codec((m, out) -> {
        Fields.writeString(out, m.name());
        Fields.writeList(out, m.tags(), Fields::writeString);
        Fields.writeBytes(out, m.blob());
        Fields.writeInt64(out, m.id());
        Fields.writeBool(out, m.on());
    }, r -> new Sample(r.string("name"), r.list("tags", x -> x.string("tag")), r.bytes("blob"), r.int64("id"), r.bool("on")));

    private static Limits limits() {
        return new Limits(1024, 4, 16);
    }

    private static CodecException decodeFails(ByteBuf in) {
        try {
            CODEC.decode(in, limits());
            throw new AssertionError("decoded");
        } catch (CodecException e) {
            return e;
        } finally {
            in.release();
        }
    }

    @Test
    void aRecordRoundTrips() {
        ByteBuf buf = Unpooled.buffer();
        CODEC.encode(new Sample("zoë", List.of("a", "b"), new byte[] {1, 2}, 42, true), buf);
        Sample back = CODEC.decode(buf, limits());
        assertThat(back.name()).isEqualTo("zoë");
        assertThat(back.tags()).containsExactly("a", "b");
        assertThat(back.blob()).containsExactly(1, 2);
        assertThat(back.id()).isEqualTo(42);
        assertThat(back.on()).isTrue();
        buf.release();
    }

    @Test
    void malformedInputFailsWithTheFieldAndOffset() {
        // Truncated inside the string.
        CodecException e = decodeFails(Unpooled.buffer().writeInt(5).writeByte('a'));
        assertThat(e.errorCode()).isEqualTo(CodecErrorCode.TRUNCATED);
        assertThat(e.getMessage()).contains("name");
        // A string over the limit, refused before allocating.
        e = decodeFails(Unpooled.buffer().writeInt(17).writeZero(17));
        assertThat(e.errorCode()).isEqualTo(CodecErrorCode.LIMIT_EXCEEDED);
        assertThat(e.offset()).isZero();
        // A negative length.
        assertThat(decodeFails(Unpooled.buffer().writeInt(-1)).errorCode()).isEqualTo(CodecErrorCode.MALFORMED);
        // Invalid UTF-8.
        assertThat(decodeFails(Unpooled.buffer().writeInt(1).writeByte(0xff)).getMessage()).contains("not valid UTF-8");
        // Too many list elements (a huge count does not allocate).
        e = decodeFails(Unpooled.buffer().writeInt(1).writeByte('a').writeInt(Integer.MAX_VALUE));
        assertThat(e.errorCode()).isEqualTo(CodecErrorCode.LIMIT_EXCEEDED);
        assertThat(e.offset()).isEqualTo(5);
        // A boolean that is neither 0 nor 1, and trailing bytes.
        ByteBuf good = Unpooled.buffer();
        CODEC.encode(new Sample("n", List.of(), new byte[0], 1, false), good);
        ByteBuf bad = good.copy();
        bad.setByte(bad.writerIndex() - 1, 2);
        assertThat(decodeFails(bad).getMessage()).contains("on must be 0 or 1");
        assertThat(decodeFails(good.writeByte(0)).getMessage()).contains("1 trailing bytes");
    }

    @Test
    void everyTruncationOfAValidMessageIsRefused() {
        ByteBuf full = Unpooled.buffer();
        CODEC.encode(new Sample("name", List.of("x", "yz"), new byte[] {9, 9, 9}, 7, true), full);
        for (int i = 0; i < full.readableBytes(); i++) {
            ByteBuf cut = full.copy(0, i);
            assertThatThrownBy(() -> CODEC.decode(cut, limits())).isInstanceOf(CodecException.class);
            cut.release();
        }
        full.release();
    }
}
