package io.sluice.codec.coap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.sluice.codec.CodecErrorCode;
import io.sluice.codec.CodecException;
import io.sluice.codec.Framing;
import io.sluice.codec.Limits;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** RFC 8323 §3.2 (TCP, TLS) and §4 (WebSockets) framing, and the §5 signalling messages. */
class CoapReliableCodecTest {

    private static final Limits ROOMY = Limits.defaults().withMaxMessageBytes(1 << 20).withMaxStringBytes(1 << 20);

    private static CoapMessage decode(CoapReliableCodec codec, String hex, Limits limits) {
        ByteBuf in = Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump(hex));
        try {
            return codec.decode(in, limits);
        } finally {
            in.release();
        }
    }

    private static byte[] encode(CoapReliableCodec codec, CoapMessage message) {
        ByteBuf out = Unpooled.buffer();
        try {
            codec.encode(message, out);
            return ByteBufUtil.getBytes(out);
        } finally {
            out.release();
        }
    }

    @Test
    void aGetOverTcpIsLenTklCodeTokenOptions() {
        CoapMessage get = CoapMessage.of(CoapType.CON, CoapCode.GET, 77).withToken(new byte[] {1, 2})
                .withOptions(CoapOptions.builder().uriPath("a").build());
        // Len 2 (one option byte and its value), TKL 2; no type and no message ID on the wire.
        assertThat(ByteBufUtil.hexDump(encode(CoapReliableCodec.TCP, get))).isEqualTo("22010102b161");
        assertThat(ByteBufUtil.hexDump(encode(CoapReliableCodec.WEBSOCKET, get))).isEqualTo("02010102b161");
        CoapMessage back = decode(CoapReliableCodec.TCP, "22010102b161", Limits.defaults());
        assertThat(back.code()).isEqualTo(CoapCode.GET);
        assertThat(back.token()).containsExactly(1, 2);
        assertThat(back.options().uriPath()).isEqualTo("a");
        assertThat(back.type()).isEqualTo(CoapType.NON);
        assertThat(back.messageId()).isZero();
        assertThat(decode(CoapReliableCodec.WEBSOCKET, "02010102b161", Limits.defaults()).options().uriPath()).isEqualTo("a");
    }

    @Test
    void everyLengthClassRoundTripsAndFramesFromItsHeader() {
        // Body lengths at the edges of Len 0-12, 13 (1 byte), 14 (2 bytes), 15 (4 bytes); the payload
        // marker is one of the body's bytes.
        int[] bodies = {0, 12, 13, 268, 269, 65804, 65805, 300_000};
        int[] extensions = {0, 0, 1, 1, 2, 2, 4, 4};
        Random random = new Random(8323);
        for (int i = 0; i < bodies.length; i++) {
            byte[] payload = new byte[Math.max(0, bodies[i] - 1)];
            random.nextBytes(payload);
            CoapMessage m = CoapMessage.of(CoapType.NON, CoapCode.CONTENT, 0).withToken(new byte[] {9, 8, 7}).withPayload(payload);
            for (CoapReliableCodec codec : List.of(CoapReliableCodec.TCP, CoapReliableCodec.WEBSOCKET)) {
                byte[] wire = encode(codec, m);
                int extension = codec == CoapReliableCodec.TCP ? extensions[i] : 0;
                assertThat(wire).as("%s, body %d", codec, bodies[i]).hasSize(1 + extension + 1 + 3 + payload.length + (payload.length > 0 ? 1 : 0));
                assertThat(codec.encodedSize(m)).isEqualTo(wire.length);
                ByteBuf in = Unpooled.wrappedBuffer(wire);
                try {
                    if (codec == CoapReliableCodec.TCP) {
                        assertThat(CoapReliableCodec.TCP_FRAMING.frameLength(in)).isEqualTo(wire.length);
                        assertThat(CoapReliableCodec.TCP_FRAMING.frameLength(in.slice(0, extension))).isEqualTo(Framing.NEED_MORE);
                    }
                    CoapMessage back = codec.decode(in, ROOMY);
                    assertThat(back.payload()).isEqualTo(payload);
                    assertThat(back.token()).containsExactly(9, 8, 7);
                } finally {
                    in.release();
                }
            }
        }
    }

    @Test
    void malformedAndTruncatedFramesAreRefusedWithTheirOffset() {
        assertThatThrownBy(() -> decode(CoapReliableCodec.TCP, "0901", Limits.defaults()))
                .isInstanceOfSatisfying(CodecException.class, e -> {
                    assertThat(e.errorCode()).isEqualTo(CodecErrorCode.MALFORMED);
                    assertThat(e.getMessage()).contains("token length 9");
                });
        // Len says 3 bytes of options, 1 is there.
        assertThatThrownBy(() -> decode(CoapReliableCodec.TCP, "3001b1", Limits.defaults()))
                .isInstanceOfSatisfying(CodecException.class, e -> assertThat(e.errorCode()).isEqualTo(CodecErrorCode.TRUNCATED));
        // Len says 0, but bytes follow: two messages given as one.
        assertThatThrownBy(() -> decode(CoapReliableCodec.TCP, "0001b161", Limits.defaults()))
                .isInstanceOfSatisfying(CodecException.class, e -> assertThat(e.getMessage()).contains("declares 2 bytes"));
        // The extended length's byte is missing.
        assertThatThrownBy(() -> decode(CoapReliableCodec.TCP, "d0", Limits.defaults()))
                .isInstanceOfSatisfying(CodecException.class, e -> assertThat(e.errorCode()).isEqualTo(CodecErrorCode.TRUNCATED));
        // A WebSocket message with a length nibble.
        assertThatThrownBy(() -> decode(CoapReliableCodec.WEBSOCKET, "2201b161", Limits.defaults()))
                .isInstanceOfSatisfying(CodecException.class, e -> assertThat(e.getMessage()).contains("length nibble 0"));
        // Option delta nibble 15 outside a payload marker; a payload marker with nothing after it.
        assertThatThrownBy(() -> decode(CoapReliableCodec.TCP, "1001f0", Limits.defaults()))
                .isInstanceOfSatisfying(CodecException.class, e -> assertThat(e.getMessage()).contains("nibble 15").contains("at byte 2"));
        assertThatThrownBy(() -> decode(CoapReliableCodec.WEBSOCKET, "0045ff", Limits.defaults()))
                .isInstanceOfSatisfying(CodecException.class, e -> assertThat(e.getMessage()).contains("payload marker"));
        // Over the limit before anything is read.
        assertThatThrownBy(() -> decode(CoapReliableCodec.TCP, "d0ff45" + "00".repeat(268), Limits.defaults().withMaxMessageBytes(64)))
                .isInstanceOfSatisfying(CodecException.class, e -> assertThat(e.errorCode()).isEqualTo(CodecErrorCode.LIMIT_EXCEEDED));
        // A header claiming 4 GB frames as such, never as a negative or wrapped length.
        ByteBuf huge = Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump("f0ffffffff"));
        try {
            assertThatThrownBy(() -> CoapReliableCodec.TCP_FRAMING.frameLength(huge))
                    .isInstanceOfSatisfying(CodecException.class, e -> assertThat(e.errorCode()).isEqualTo(CodecErrorCode.LIMIT_EXCEEDED));
        } finally {
            huge.release();
        }
    }

    @Test
    void randomBytesDecodeOrFailWithACodecException() {
        Random random = new Random(5);
        for (int i = 0; i < 20_000; i++) {
            byte[] bytes = new byte[random.nextInt(40)];
            random.nextBytes(bytes);
            for (CoapReliableCodec codec : List.of(CoapReliableCodec.TCP, CoapReliableCodec.WEBSOCKET)) {
                ByteBuf in = Unpooled.wrappedBuffer(bytes);
                try {
                    CoapMessage m = codec.decode(in, Limits.defaults());
                    // What decodes re-encodes to the same bytes.
                    assertThat(encode(codec, m)).isEqualTo(bytes);
                } catch (CodecException expected) {
                    // the only failure allowed
                } finally {
                    in.release();
                }
            }
        }
    }

    @Test
    void aCsmRoundTripsAndEachCsmUpdatesOnlyWhatItNames() {
        CoapMessage csm = CoapSignals.csm(8 * 1024 * 1024, true);
        CoapMessage back = CoapReliableCodec.TCP.decode(Unpooled.wrappedBuffer(encode(CoapReliableCodec.TCP, csm)), Limits.defaults());
        assertThat(back.code()).isEqualTo(CoapCode.CSM);
        assertThat(back.code().isSignal()).isTrue();
        CoapSignals.Csm base = new CoapSignals.Csm(CoapSignals.BASE_MAX_MESSAGE_SIZE, false);
        CoapSignals.Csm read = CoapSignals.readCsm(back, base);
        assertThat(read).isEqualTo(new CoapSignals.Csm(8 * 1024 * 1024, true));
        // An empty CSM changes nothing; an unknown elective option is ignored.
        CoapMessage elective = CoapMessage.of(CoapType.NON, CoapCode.CSM, 0).withOptions(CoapOptions.builder().add(6, new byte[] {1}).build());
        assertThat(CoapSignals.readCsm(elective, read)).isEqualTo(read);
    }

    @Test
    void aCsmWithAnUnknownCriticalOrMalformedOptionNamesItForTheAbort() {
        CoapMessage critical = CoapMessage.of(CoapType.NON, CoapCode.CSM, 0).withOptions(CoapOptions.builder().add(3, new byte[0]).build());
        CoapSignals.Csm base = new CoapSignals.Csm(CoapSignals.BASE_MAX_MESSAGE_SIZE, false);
        assertThatThrownBy(() -> CoapSignals.readCsm(critical, base))
                .isInstanceOfSatisfying(CoapSignals.BadSignalOption.class, e -> assertThat(e.option()).isEqualTo(3));
        CoapMessage tooLong = CoapMessage.of(CoapType.NON, CoapCode.CSM, 0)
                .withOptions(CoapOptions.builder().add(CoapSignals.MAX_MESSAGE_SIZE, new byte[5]).build());
        assertThatThrownBy(() -> CoapSignals.readCsm(tooLong, base))
                .isInstanceOfSatisfying(CoapSignals.BadSignalOption.class, e -> assertThat(e.option()).isEqualTo(2));
        CoapMessage abort = CoapSignals.abort(3, "unknown critical CSM option 3");
        assertThat(CoapSignals.badCsmOption(abort)).contains(3);
        assertThat(abort.payloadText()).isEqualTo("unknown critical CSM option 3");
        assertThat(CoapSignals.badCsmOption(CoapSignals.abort(-1, ""))).isEmpty();
    }

    @Test
    void pingPongAndRelease() {
        CoapMessage ping = CoapSignals.ping(true).withToken(new byte[] {4, 2});
        CoapMessage pong = CoapSignals.pong(ping, true);
        assertThat(pong.code()).isEqualTo(CoapCode.PONG);
        assertThat(pong.token()).containsExactly(4, 2);
        assertThat(CoapSignals.custody(ping)).isTrue();
        assertThat(CoapSignals.custody(CoapSignals.ping(false))).isFalse();

        CoapMessage release = CoapSignals.release(List.of("coap+tcp://[::1]:5683", "coap+tcp://127.0.0.1:5684"), 30L, "moving");
        CoapMessage back = CoapReliableCodec.WEBSOCKET.decode(Unpooled.wrappedBuffer(encode(CoapReliableCodec.WEBSOCKET, release)),
                Limits.defaults());
        CoapSignals.Release read = CoapSignals.readRelease(back);
        assertThat(read.alternativeAddresses()).containsExactly("coap+tcp://[::1]:5683", "coap+tcp://127.0.0.1:5684");
        assertThat(read.holdOffSeconds()).contains(30L);
        assertThat(read.diagnostic()).isEqualTo("moving");
        assertThatThrownBy(() -> CoapSignals.release(List.of(""), null, "")).hasMessageContaining("1-255 bytes");
    }
}
