package io.sluice.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.sluice.testing.PrefixedTextCodec;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class CodecContractTest {

    private final PrefixedTextCodec codec = new PrefixedTextCodec();

    @Test
    void encodeIntoANewBufferRoundTrips() {
        ByteBuf encoded = codec.encode("héllo", ByteBufAllocator.DEFAULT);
        try {
            assertThat(encoded.readableBytes()).isEqualTo(2 + "héllo".getBytes(StandardCharsets.UTF_8).length);
            assertThat(codec.decode(encoded, Limits.defaults())).isEqualTo("héllo");
        } finally {
            encoded.release();
        }
    }

    @Test
    void failedEncodeReleasesTheBufferItAllocated() {
        // LeakTracking fails this test if the partially written buffer is not released.
        assertThatThrownBy(() -> codec.encode("x".repeat(70_000), ByteBufAllocator.DEFAULT))
                .isInstanceOfSatisfying(CodecException.class, e -> {
                    assertThat(e.errorCode()).isEqualTo(CodecErrorCode.UNENCODABLE);
                    assertThat(e.offset()).isEqualTo(-1);
                });
    }

    @Test
    void exceptionNamesCodeOffsetAndReason() {
        CodecException e = CodecException.malformed(12, "option delta 15 is reserved");
        assertThat(e).hasMessage("[codec.malformed] at byte 12: option delta 15 is reserved");
        assertThat(e.offset()).isEqualTo(12);
        assertThat(e.reason()).isEqualTo("option delta 15 is reserved");
        assertThat(e.errorCode().description()).isNotBlank();
    }

    @Test
    void limitsAreCheckedWhereTheDecoderAsks() {
        Limits limits = Limits.defaults().withMaxMessageBytes(10).withMaxElements(2).withMaxStringBytes(3);
        limits.checkMessageBytes(10);
        assertThatThrownBy(() -> limits.checkMessageBytes(11)).hasMessageContaining("codec.limit-exceeded");
        assertThatThrownBy(() -> limits.checkElements(3, 7)).isInstanceOfSatisfying(CodecException.class,
                e -> assertThat(e.offset()).isEqualTo(7));
        assertThatThrownBy(() -> limits.checkStringBytes(4, 1)).hasMessageContaining("string of 4 bytes");
        assertThatThrownBy(() -> Limits.defaults().withMaxElements(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void decoderRejectsTrailingAndMissingBytesWithOffsets() {
        ByteBuf trailing = Unpooled.wrappedBuffer(new byte[] {0, 1, 'a', 'b'});
        ByteBuf truncated = Unpooled.wrappedBuffer(new byte[] {0, 5, 'a'});
        try {
            assertThatThrownBy(() -> codec.decode(trailing, Limits.defaults()))
                    .isInstanceOfSatisfying(CodecException.class, e -> assertThat(e.offset()).isEqualTo(3));
            assertThatThrownBy(() -> codec.decode(truncated, Limits.defaults()))
                    .isInstanceOfSatisfying(CodecException.class,
                            e -> assertThat(e.errorCode()).isEqualTo(CodecErrorCode.TRUNCATED));
        } finally {
            trailing.release();
            truncated.release();
        }
    }
}
