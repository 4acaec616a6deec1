package io.sluice.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class LengthFieldFramingTest {

    private static int lengthOf(LengthFieldFraming framing, int... bytes) {
        ByteBuf buf = Unpooled.buffer();
        for (int b : bytes) {
            buf.writeByte(b);
        }
        try {
            int readerIndex = buf.readerIndex();
            int length = framing.frameLength(buf);
            assertThat(buf.readerIndex()).as("framing must not consume").isEqualTo(readerIndex);
            return length;
        } finally {
            buf.release();
        }
    }

    @Test
    void prefixCountsTheBytesAfterTheField() {
        assertThat(lengthOf(LengthFieldFraming.prefix(2), 0x01, 0x00)).isEqualTo(2 + 256);
        assertThat(lengthOf(LengthFieldFraming.prefix(1), 0)).isEqualTo(1);
        assertThat(lengthOf(LengthFieldFraming.prefix(3), 0, 0, 5)).isEqualTo(8);
        assertThat(lengthOf(LengthFieldFraming.prefix(4), 0, 0, 0, 7)).isEqualTo(11);
    }

    @Test
    void needsTheWholeFieldBeforeAnswering() {
        assertThat(lengthOf(LengthFieldFraming.prefix(4), 0, 0, 0)).isEqualTo(Framing.NEED_MORE);
        assertThat(lengthOf(LengthFieldFraming.at(4, 4), 1, 2, 3, 4, 0, 0)).isEqualTo(Framing.NEED_MORE);
    }

    @Test
    void readsLittleEndianUnitsAndAdjustment() {
        // ICE-like header: 4 bytes, a 4-byte little-endian length in 8-byte units after it.
        LengthFieldFraming ice = LengthFieldFraming.at(4, 4).byteOrder(ByteOrder.LITTLE_ENDIAN).unitBytes(8);
        assertThat(lengthOf(ice, 0, 1, 0, 0, 2, 0, 0, 0)).isEqualTo(8 + 16);
        // A field that counts the whole frame, itself included.
        LengthFieldFraming whole = LengthFieldFraming.prefix(2).adjustment(-2);
        assertThat(lengthOf(whole, 0, 10)).isEqualTo(10);
    }

    @Test
    void rejectsALengthShorterThanTheHeader() {
        LengthFieldFraming whole = LengthFieldFraming.prefix(2).adjustment(-2);
        assertThatThrownBy(() -> lengthOf(whole, 0, 1))
                .isInstanceOf(CodecException.class)
                .hasMessageContaining("codec.malformed")
                .hasMessageContaining("shorter than its 2-byte header");
    }

    @Test
    void rejectsAFrameBeyondIntRange() {
        LengthFieldFraming huge = LengthFieldFraming.prefix(4).unitBytes(8);
        assertThatThrownBy(() -> lengthOf(huge, 0xFF, 0xFF, 0xFF, 0xFF))
                .isInstanceOfSatisfying(CodecException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(CodecErrorCode.LIMIT_EXCEEDED));
    }

    @Test
    void rejectsBadConfiguration() {
        assertThatThrownBy(() -> LengthFieldFraming.prefix(5)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LengthFieldFraming.at(-1, 2)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LengthFieldFraming.prefix(2).unitBytes(0))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
