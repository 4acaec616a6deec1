package io.sluice.codec.call;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.sluice.codec.CodecErrorCode;
import io.sluice.codec.CodecException;
import io.sluice.codec.Framing;
import io.sluice.codec.Limits;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CallFrameCodecTest {

    private static final CallFrameCodec CODEC = CallFrameCodec.INSTANCE;
    private static final Limits LIMITS = Limits.defaults();

    private static ByteBuf payload(String text) {
        return Unpooled.copiedBuffer(text, StandardCharsets.UTF_8);
    }

    private static CallFrame roundTrip(CallFrame frame) {
        ByteBuf wire = CODEC.encode(frame, ByteBufAllocator.DEFAULT);
        try {
            assertThat(CallFrameCodec.FRAMING.frameLength(wire)).isEqualTo(wire.readableBytes());
            return CODEC.decode(wire, LIMITS);
        } finally {
            wire.release();
        }
    }

    @Test
    void everyFrameTypeRoundTrips() {
        List<CallFrame> simple = List.of(
                new CallFrame.Hello(1, 15_000, 1 << 20),
                new CallFrame.Complete(7),
                new CallFrame.Failure(9, 1042, "quota exceeded: ünïcode"),
                new CallFrame.Cancel(0xFFFF_FFFFL),
                new CallFrame.RequestN(3, CallFrame.MAX_DEMAND),
                new CallFrame.Ping(Long.MIN_VALUE),
                new CallFrame.Pong(42),
                new CallFrame.Goodbye(0, ""));
        for (CallFrame frame : simple) {
            assertThat(roundTrip(frame)).isEqualTo(frame);
        }
        CallFrame.Request request = new CallFrame.Request(5, 0xFFFF, true, 64, payload("hello"));
        CallFrame.Request decoded = (CallFrame.Request) roundTrip(request);
        assertThat(decoded.callId()).isEqualTo(5);
        assertThat(decoded.tag()).isEqualTo(0xFFFF);
        assertThat(decoded.stream()).isTrue();
        assertThat(decoded.initialDemand()).isEqualTo(64);
        assertThat(decoded.payload().toString(StandardCharsets.UTF_8)).isEqualTo("hello");
        assertThat(request.refCnt()).as("encoding leaves the payload to its owner").isEqualTo(1);
        decoded.release();
        request.release();
        CallFrame.Next next = (CallFrame.Next) roundTrip(new CallFrame.Next(8, Unpooled.EMPTY_BUFFER));
        assertThat(next.payload().readableBytes()).isZero();
        next.release();
        CallFrame.Response response = new CallFrame.Response(2, payload("r"));
        CallFrame.Response back = (CallFrame.Response) roundTrip(response);
        assertThat(back.payload().toString(StandardCharsets.UTF_8)).isEqualTo("r");
        back.release();
        response.release();
    }

    @Test
    void requestMetadataRoundTripsInOrderWithAFixedWireImage() {
        java.util.Map<String, String> metadata = new java.util.LinkedHashMap<>();
        metadata.put("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        metadata.put("tracestate", "congo=t61rcWkgMzE");
        CallFrame.Request request = new CallFrame.Request(3, 1, false, 1, payload("hi"), metadata);
        CallFrame.Request decoded = (CallFrame.Request) roundTrip(request);
        assertThat(decoded.metadata()).containsExactlyEntriesOf(metadata);
        assertThat(decoded.payload().toString(StandardCharsets.UTF_8)).isEqualTo("hi");
        decoded.release();
        CallFrame.Request small = new CallFrame.Request(1, 2, true, 4, payload("p"), java.util.Map.of("k", "v"));
        ByteBuf wire = CODEC.encode(small, ByteBufAllocator.DEFAULT);
        try {
            // flags 0x03 (STREAM | METADATA), then count 1, "k", "v", then the payload.
            assertThat(ByteBufUtil.hexDump(wire)).isEqualTo("00000014" + "02" + "00000001" + "0002" + "03" + "00000004"
                    + "01" + "00016b" + "000176" + "70");
        } finally {
            wire.release();
            small.release();
            request.release();
        }
        CallFrame.Request plain = (CallFrame.Request) roundTrip(new CallFrame.Request(1, 2, false, 1, Unpooled.EMPTY_BUFFER));
        assertThat(plain.metadata()).isEmpty();
        plain.release();
    }

    @Test
    void malformedMetadataIsRefusedWithItsReason() {
        String head = "02" + "00000001" + "0002" + "02" + "00000001";
        assertThat(decodeMetadataFails(head + "00")).hasMessageContaining("metadata of 0 entries");
        assertThat(decodeMetadataFails(head + "09")).hasMessageContaining("metadata of 9 entries");
        assertThat(decodeMetadataFails(head + "01" + "0041" + "00".repeat(65) + "0000"))
                .hasMessageContaining("metadata key of 65 bytes (at most 64)");
        assertThat(decodeMetadataFails(head + "01" + "00016b" + "0201" + "00".repeat(513)))
                .hasMessageContaining("metadata value of 513 bytes (at most 512)");
        assertThat(decodeMetadataFails(head + "02" + "00016b" + "000176" + "00016b" + "000177"))
                .hasMessageContaining("repeated");
        assertThat(decodeMetadataFails(head + "01" + "00056b"))
                .satisfies(e -> assertThat(e.errorCode()).isEqualTo(CodecErrorCode.TRUNCATED));
        assertThat(decodeMetadataFails(head)).satisfies(e -> assertThat(e.errorCode()).isEqualTo(CodecErrorCode.TRUNCATED));
        assertThatThrownBy(() -> CODEC.encode(new CallFrame.Request(1, 2, false, 1, Unpooled.EMPTY_BUFFER,
                java.util.Map.of("k", "x".repeat(513))), ByteBufAllocator.DEFAULT)).isInstanceOf(CodecException.class)
                .hasMessageContaining("metadata value of 513 bytes");
    }

    /** A REQUEST whose body (after the length) is {@code hexBody}, decoded with generous limits. */
    private static CodecException decodeMetadataFails(String hexBody) {
        byte[] body = ByteBufUtil.decodeHexDump(hexBody);
        ByteBuf wire = Unpooled.buffer().writeInt(body.length).writeBytes(body);
        try {
            CallFrame f = CODEC.decode(wire, LIMITS);
            throw new AssertionError("decoded " + f + " from " + hexBody);
        } catch (CodecException e) {
            return e;
        } finally {
            wire.release();
        }
    }

    @Test
    void helloHasAFixedWireImage() {
        ByteBuf wire = CODEC.encode(new CallFrame.Hello(1, 15_000, 65_536), ByteBufAllocator.DEFAULT);
        try {
            assertThat(ByteBufUtil.hexDump(wire)).isEqualTo("0000000f" + "01" + "534c4345" + "01" + "00"
                    + "00003a98" + "00010000");
        } finally {
            wire.release();
        }
    }

    private static CodecException decodeFails(String hex) {
        ByteBuf wire = Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump(hex));
        try {
            CallFrame f = CODEC.decode(wire, LIMITS.withMaxStringBytes(8).withMaxMessageBytes(64));
            throw new AssertionError("decoded " + f + " from " + hex);
        } catch (CodecException e) {
            return e;
        } finally {
            wire.release();
        }
    }

    @Test
    void malformedFramesNameTheOffsetAndReason() {
        assertThat(decodeFails("00000001")).satisfies(e -> assertThat(e.errorCode()).isEqualTo(CodecErrorCode.TRUNCATED));
        assertThat(decodeFails("0000000307" + "00")).hasMessageContaining("length field says 3 bytes follow, 2 do");
        assertThat(decodeFails("000000017f")).satisfies(e -> {
            assertThat(e.offset()).isEqualTo(4);
            assertThat(e).hasMessageContaining("unknown frame type 0x7f");
        });
        assertThat(decodeFails("0000000d01" + "deadbeef" + "0100" + "00000000" + "0000"))
                .hasMessageContaining("truncated").isInstanceOf(CodecException.class);
        assertThat(decodeFails("0000000f01" + "deadbeef" + "0100" + "00000000" + "00000000"))
                .hasMessageContaining("HELLO without the SLCE magic");
        assertThat(decodeFails("0000000505" + "00000000")).hasMessageContaining("call id 0 is reserved");
        assertThat(decodeFails("0000000908" + "00000001" + "00000000")).hasMessageContaining("REQUEST_N of 0");
        assertThat(decodeFails("0000000908" + "00000001" + "80000000")).hasMessageContaining("exceeds 2147483647");
        assertThat(decodeFails("0000000605" + "00000001" + "ff")).hasMessageContaining("1 trailing bytes");
        assertThat(decodeFails("0000000d02" + "00000001" + "0001" + "04" + "00000001" + "00"))
                .hasMessageContaining("unknown request flags 0x4");
        // FAILURE whose message claims 9 bytes against an 8-byte string limit.
        assertThat(decodeFails("0000000a06" + "00000001" + "0001" + "0009" + "41"))
                .satisfies(e -> assertThat(e.errorCode()).isEqualTo(CodecErrorCode.LIMIT_EXCEEDED));
        // FAILURE whose message claims 5 bytes but has 1.
        assertThat(decodeFails("0000000a06" + "00000001" + "0001" + "0005" + "41"))
                .satisfies(e -> assertThat(e.errorCode()).isEqualTo(CodecErrorCode.TRUNCATED));
        assertThat(decodeFails("00000041" + "09" + "00".repeat(64)))
                .satisfies(e -> assertThat(e.errorCode()).isEqualTo(CodecErrorCode.LIMIT_EXCEEDED));
    }

    @Test
    void framingFindsFrameBoundaries() {
        ByteBuf wire = Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump("000000050500000001"));
        try {
            assertThat(CallFrameCodec.FRAMING.frameLength(wire.slice(0, 3))).isEqualTo(Framing.NEED_MORE);
            assertThat(CallFrameCodec.FRAMING.frameLength(wire)).isEqualTo(9);
        } finally {
            wire.release();
        }
    }

    @Test
    void encoderRefusesValuesTheWireCannotCarry() {
        assertThatThrownBy(() -> CODEC.encode(new CallFrame.Cancel(0), ByteBufAllocator.DEFAULT))
                .hasMessageContaining("call id 0 is not in 1..2^32-1");
        assertThatThrownBy(() -> CODEC.encode(new CallFrame.RequestN(1, CallFrame.MAX_DEMAND + 1), ByteBufAllocator.DEFAULT))
                .hasMessageContaining("demand");
        assertThatThrownBy(() -> CODEC.encode(new CallFrame.Failure(1, 70_000, "x"), ByteBufAllocator.DEFAULT))
                .hasMessageContaining("status 70000");
        CallFrame.Goodbye longGoodbye = new CallFrame.Goodbye(7, "é".repeat(40_000));
        ByteBuf wire = CODEC.encode(longGoodbye, ByteBufAllocator.DEFAULT);
        try {
            CallFrame.Goodbye back = (CallFrame.Goodbye) CODEC.decode(wire, LIMITS.withMaxStringBytes(0xFFFF));
            assertThat(back.message().getBytes(StandardCharsets.UTF_8).length).isBetween(30_000, 0xFFFF);
            assertThat(back.message()).matches("é+");
        } finally {
            wire.release();
        }
    }

    @Test
    void randomBytesNeverCrashTheDecoder() {
        Random random = new Random(7);
        for (int i = 0; i < 20_000; i++) {
            byte[] bytes = new byte[5 + random.nextInt(40)];
            random.nextBytes(bytes);
            bytes[0] = 0;
            bytes[1] = 0;
            bytes[2] = 0;
            bytes[3] = (byte) (bytes.length - 4);
            bytes[4] = (byte) (1 + random.nextInt(12));
            ByteBuf wire = Unpooled.wrappedBuffer(bytes);
            try {
                CallFrame frame = CODEC.decode(wire, LIMITS);
                if (frame instanceof CallFrame.PayloadFrame p) {
                    p.release();
                }
            } catch (CodecException expected) {
                assertThat(expected.offset()).isBetween(0L, (long) bytes.length);
            } catch (IndexOutOfBoundsException e) {
                throw new AssertionError("decoder read past the frame for " + ByteBufUtil.hexDump(bytes), e);
            } finally {
                wire.release();
            }
        }
    }
}
