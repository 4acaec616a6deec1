package io.sluice.codec.ice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.sluice.codec.CodecErrorCode;
import io.sluice.codec.CodecException;
import io.sluice.codec.Limits;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class IceMessageCodecTest {

    private static final List<ByteOrder> ORDERS = List.of(ByteOrder.BIG_ENDIAN, ByteOrder.LITTLE_ENDIAN);

    static String hex(IceMessage m, ByteOrder order) {
        ByteBuf out = Unpooled.buffer();
        try {
            IceMessageCodec.encode(m, order, out);
            assertThat(out.readableBytes() % 8).isZero();
            assertThat(IceMessageCodec.frameLength(out, order)).isEqualTo(out.readableBytes());
            return ByteBufUtil.hexDump(out);
        } finally {
            out.release();
        }
    }

    static IceMessage decode(String hex, ByteOrder order) {
        return decode(hex, order, Limits.defaults());
    }

    static IceMessage decode(String hex, ByteOrder order, Limits limits) {
        ByteBuf in = Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump(hex.replace(" ", "")));
        try {
            return IceMessageCodec.decode(in, order, limits);
        } finally {
            in.release();
        }
    }

    @Test
    void headerOnlyMessages() {
        assertThat(hex(new IceMessage.Ping(), ByteOrder.BIG_ENDIAN)).isEqualTo("0009000000000000");
        assertThat(hex(new IceMessage.PingReply(), ByteOrder.LITTLE_ENDIAN)).isEqualTo("000a000000000000");
        assertThat(hex(new IceMessage.WantToClose(), ByteOrder.BIG_ENDIAN)).isEqualTo("000b000000000000");
        assertThat(hex(new IceMessage.NoClose(), ByteOrder.BIG_ENDIAN)).isEqualTo("000c000000000000");
        assertThat(hex(new IceMessage.ByteOrderMessage(ByteOrder.BIG_ENDIAN), ByteOrder.BIG_ENDIAN)).isEqualTo("0001010000000000");
        assertThat(hex(new IceMessage.ByteOrderMessage(ByteOrder.LITTLE_ENDIAN), ByteOrder.LITTLE_ENDIAN)).isEqualTo("0001000000000000");
    }

    @Test
    void connectionSetupLayoutInBothOrders() {
        IceMessage setup = new IceMessage.ConnectionSetup(false, "Sluice", "0.1", List.of("MIT-MAGIC-COOKIE-1"), List.of(new IceVersion(1, 0)));
        // header: 0 2 versionCount=1 authCount=1, length; mustAuthenticate + 7 unused;
        // STRING "Sluice" (2+6=8), STRING "0.1" (2+3 padded to 8), STRING cookie (2+18=20), VERSION 1.0; pad to 8.
        String be = hex(setup, ByteOrder.BIG_ENDIAN);
        assertThat(be).startsWith("00020101" + "00000006" + "0000000000000000" + "0006" + "536c75696365" + "0003" + "302e31" + "000000"
                + "0012");
        assertThat(be).endsWith("4d49542d4d414749432d434f4f4b49452d31" + "00010000"); // 48 bytes of body: no padding
        String le = hex(setup, ByteOrder.LITTLE_ENDIAN);
        assertThat(le).startsWith("00020101" + "06000000" + "0000000000000000" + "0600" + "536c75696365" + "0300");
        assertThat(decode(be, ByteOrder.BIG_ENDIAN)).isEqualTo(setup);
        assertThat(decode(le, ByteOrder.LITTLE_ENDIAN)).isEqualTo(setup);
    }

    @Test
    void everyMessageRoundTripsInBothOrders() {
        List<IceMessage> all = List.of(
                new IceMessage.ByteOrderMessage(ByteOrder.LITTLE_ENDIAN),
                new IceMessage.ConnectionSetup(true, "", "r", List.of(), List.of(new IceVersion(1, 0), new IceVersion(65535, 7))),
                new IceMessage.AuthRequired(2, new byte[] {1, 2, 3}),
                new IceMessage.AuthReply(new byte[16]),
                new IceMessage.AuthNextPhase(new byte[0]),
                new IceMessage.ConnectionReply(1, "X.Org", "1.1.1"),
                new IceMessage.ProtocolSetup(7, true, "XSMP", "SAMPLE-SM", "1.0", List.of("MIT-MAGIC-COOKIE-1", "X"), List.of(new IceVersion(1, 0))),
                new IceMessage.ProtocolReply(0, 3, "Sluice", "0.1"),
                new IceMessage.Ping(), new IceMessage.PingReply(), new IceMessage.WantToClose(), new IceMessage.NoClose(),
                new IceMessage.Error(0, 7, IceError.FATAL_TO_PROTOCOL, IceError.UNKNOWN_PROTOCOL, 4, new byte[] {0, 4, 'X', 'S', 'M', 'P', 0, 0}),
                new IceMessage.Generic(3, 5, 1, 2, new byte[24]));
        for (ByteOrder order : ORDERS) {
            for (IceMessage m : all) {
                assertThat(decode(hex(m, order), order)).as("%s in %s", m, order).isEqualTo(m);
            }
        }
    }

    @Test
    void errorClassIsACard16InTheSendersOrder() {
        IceMessage.Error e = new IceMessage.Error(0, 99, IceError.CAN_CONTINUE, IceError.BAD_MINOR, 5, new byte[0]);
        assertThat(hex(e, ByteOrder.BIG_ENDIAN)).isEqualTo("0000" + "8000" + "00000001" + "63" + "00" + "0000" + "00000005");
        assertThat(hex(e, ByteOrder.LITTLE_ENDIAN)).isEqualTo("0000" + "0080" + "01000000" + "63" + "00" + "0000" + "05000000");
        assertThat(new IceMessage.Error(0, 7, 1, IceError.UNKNOWN_PROTOCOL, 1, new byte[] {0, 4, 'X', 'S', 'M', 'P', 0, 0}).valueText())
                .isEqualTo("XSMP");
    }

    @Test
    void malformedFramesAndTheErrorsTheyEarn() {
        // Length field disagrees with the frame.
        assertFails("0009000001000000", ByteOrder.LITTLE_ENDIAN, CodecErrorCode.MALFORMED);
        // A Ping with a body.
        assertFails("000900000100000000000000" + "00000000", ByteOrder.LITTLE_ENDIAN, CodecErrorCode.MALFORMED);
        // Unknown ICE minor opcode: BadMinor, CanContinue.
        ByteBuf bad = Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump("0063000000000000"));
        try {
            CodecException e = org.junit.jupiter.api.Assertions.assertThrows(CodecException.class,
                    () -> IceMessageCodec.decode(bad.duplicate(), ByteOrder.BIG_ENDIAN, Limits.defaults()));
            IceMessage.Error reply = IceMessageCodec.errorFor(bad, ByteOrder.BIG_ENDIAN, 9, e);
            assertThat(reply.errorClass()).isEqualTo(IceError.BAD_MINOR);
            assertThat(reply.offendingMinorOpcode()).isEqualTo(0x63);
            assertThat(reply.severity()).isEqualTo(IceError.CAN_CONTINUE);
            assertThat(reply.offendingSequenceNumber()).isEqualTo(9);
        } finally {
            bad.release();
        }
        // A STRING that runs past the end: BadLength, fatal to the connection for ICE's own messages.
        String overrun = "00060000" + "01000000" + "ff00" + "616263646566";
        ByteBuf frame = Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump(overrun));
        try {
            CodecException e = org.junit.jupiter.api.Assertions.assertThrows(CodecException.class,
                    () -> IceMessageCodec.decode(frame.duplicate(), ByteOrder.LITTLE_ENDIAN, Limits.defaults()));
            assertThat(e.errorCode()).isIn(CodecErrorCode.TRUNCATED, CodecErrorCode.LIMIT_EXCEEDED);
            IceMessage.Error reply = IceMessageCodec.errorFor(frame, ByteOrder.LITTLE_ENDIAN, 2, e);
            assertThat(reply.errorClass()).isEqualTo(IceError.BAD_LENGTH);
            assertThat(reply.severity()).isEqualTo(IceError.FATAL_TO_CONNECTION);
        } finally {
            frame.release();
        }
        // A bad byte-order value: BadValue with the offset.
        ByteBuf order = Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump("0001070000000000"));
        try {
            CodecException e = org.junit.jupiter.api.Assertions.assertThrows(CodecException.class,
                    () -> IceMessageCodec.decode(order.duplicate(), ByteOrder.BIG_ENDIAN, Limits.defaults()));
            IceMessage.Error reply = IceMessageCodec.errorFor(order, ByteOrder.BIG_ENDIAN, 1, e);
            assertThat(reply.errorClass()).isEqualTo(IceError.BAD_VALUE);
            assertThat(reply.values()).hasSize(8);
        } finally {
            order.release();
        }
        // Too many bytes of padding.
        assertFails("000600000200000000000000" + "0000000000000000" + "00000000", ByteOrder.LITTLE_ENDIAN, CodecErrorCode.MALFORMED);
        assertFails("0009", ByteOrder.BIG_ENDIAN, CodecErrorCode.TRUNCATED);
    }

    @Test
    void limits() {
        String setup = hex(new IceMessage.ConnectionSetup(false, "v".repeat(300), "r", List.of("a", "b", "c"), List.of()), ByteOrder.BIG_ENDIAN);
        assertThatThrownBy(() -> decode(setup, ByteOrder.BIG_ENDIAN, Limits.defaults().withMaxStringBytes(255)))
                .isInstanceOfSatisfying(CodecException.class, e -> assertThat(e.errorCode()).isEqualTo(CodecErrorCode.LIMIT_EXCEEDED));
        String many = hex(new IceMessage.ConnectionSetup(false, "v", "r", List.of("a", "b", "c"), List.of()), ByteOrder.BIG_ENDIAN);
        assertThatThrownBy(() -> decode(many, ByteOrder.BIG_ENDIAN, Limits.defaults().withMaxElements(2)))
                .isInstanceOfSatisfying(CodecException.class, e -> assertThat(e.errorCode()).isEqualTo(CodecErrorCode.LIMIT_EXCEEDED));
        assertThatThrownBy(() -> decode(many, ByteOrder.BIG_ENDIAN, Limits.defaults().withMaxMessageBytes(16)))
                .isInstanceOfSatisfying(CodecException.class, e -> assertThat(e.errorCode()).isEqualTo(CodecErrorCode.LIMIT_EXCEEDED));
    }

    @Test
    void randomBytesFailOnlyWithCodecExceptions() {
        Random random = new Random(1994);
        for (int i = 0; i < 20_000; i++) {
            int units = random.nextInt(4);
            byte[] bytes = new byte[8 + units * 8];
            random.nextBytes(bytes);
            bytes[0] = (byte) (random.nextInt(3) == 0 ? random.nextInt(4) : 0);
            bytes[1] = (byte) random.nextInt(14);
            bytes[4] = (byte) units;
            bytes[5] = bytes[6] = bytes[7] = 0;
            ByteBuf in = Unpooled.wrappedBuffer(bytes);
            try {
                IceMessageCodec.decode(in, ByteOrder.LITTLE_ENDIAN, Limits.defaults());
            } catch (CodecException expected) {
                assertThat(IceMessageCodec.errorFor(Unpooled.wrappedBuffer(bytes), ByteOrder.LITTLE_ENDIAN, i, expected)).isNotNull();
            } finally {
                in.release();
            }
        }
    }

    private static void assertFails(String hex, ByteOrder order, CodecErrorCode code) {
        assertThatThrownBy(() -> decode(hex, order)).isInstanceOfSatisfying(CodecException.class, e -> assertThat(e.errorCode()).isEqualTo(code));
    }
}
