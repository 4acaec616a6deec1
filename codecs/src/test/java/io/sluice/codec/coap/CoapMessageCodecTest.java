package io.sluice.codec.coap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.sluice.codec.CodecErrorCode;
import io.sluice.codec.CodecException;
import io.sluice.codec.Limits;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CoapMessageCodecTest {

    private static final CoapMessageCodec CODEC = CoapMessageCodec.INSTANCE;

    private static CoapMessage decode(String hex) {
        return decode(hex, Limits.defaults());
    }

    private static CoapMessage decode(String hex, Limits limits) {
        ByteBuf in = Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump(hex.replace(" ", "")));
        try {
            return CODEC.decode(in, limits);
        } finally {
            in.release();
        }
    }

    private static String encode(CoapMessage message) {
        ByteBuf out = Unpooled.buffer();
        try {
            CODEC.encode(message, out);
            assertThat(out.readableBytes()).isEqualTo(CODEC.encodedSize(message));
            return ByteBufUtil.hexDump(out);
        } finally {
            out.release();
        }
    }

    @Test
    void rfc7252ExampleGetWithUriPath() {
        // RFC 7252 Appendix A style: CON GET mid 0x7d34, Uri-Path "temperature" (delta 11, length 11).
        CoapMessage get = CoapMessage.of(CoapType.CON, CoapCode.GET, 0x7d34)
                .withOptions(CoapOptions.builder().uriPath("/temperature").build());
        String hex = "40017d34" + "bb" + ByteBufUtil.hexDump("temperature".getBytes(StandardCharsets.US_ASCII));
        assertThat(encode(get)).isEqualTo(hex);
        assertThat(decode(hex)).isEqualTo(get);
        assertThat(decode(hex).options().uriPath()).isEqualTo("temperature");
    }

    @Test
    void piggyBackedResponseWithTokenAndPayload() {
        CoapMessage ack = CoapMessage.of(CoapType.ACK, CoapCode.CONTENT, 0x7d34)
                .withToken(new byte[] {0x20}).withPayload("22.3 C");
        String hex = "6145" + "7d34" + "20" + "ff" + ByteBufUtil.hexDump("22.3 C".getBytes(StandardCharsets.US_ASCII));
        assertThat(encode(ack)).isEqualTo(hex);
        assertThat(decode(hex)).isEqualTo(ack);
        assertThat(decode(hex).payloadText()).isEqualTo("22.3 C");
    }

    @Test
    void extendedDeltasAndLengths() {
        byte[] len13 = new byte[13];
        byte[] len300 = new byte[300];
        new Random(1).nextBytes(len300);
        CoapMessage m = CoapMessage.of(CoapType.NON, CoapCode.POST, 1).withOptions(CoapOptions.builder()
                .add(13, len13)            // delta 13 -> nibble 13 + 0x00; length 13 -> nibble 13 + 0x00
                .add(13 + 269, len300)     // delta 269 -> nibble 14 + 0x0000; length 300 -> nibble 14 + 0x001f
                .addUint(CoapOptions.NO_RESPONSE + 1000, 7)
                .build());
        String hex = encode(m);
        assertThat(hex).startsWith("5002" + "0001" + "dd0000" + ByteBufUtil.hexDump(len13) + "ee0000001f");
        assertThat(decode(hex)).isEqualTo(m);
    }

    @Test
    void optionNumberAtTheTopOfTheRange() {
        CoapMessage m = CoapMessage.of(CoapType.CON, CoapCode.GET, 9)
                .withOptions(CoapOptions.builder().add(65535, new byte[] {1}).build());
        assertThat(decode(encode(m))).isEqualTo(m);
        // delta 14 with 0xFFFF extension overflows 65535
        assertMalformed("40010009" + "e1fffe" + "01", "exceeds 65535");
    }

    @Test
    void registeredOptionsAndAccessors() {
        CoapOptions options = CoapOptions.builder()
                .uriPath("/a/b").uriQuery("x=1&y=2").contentFormat(50).observe(0)
                .block2(new BlockOption(3, true, BlockOption.szxOf(256)))
                .block1(new BlockOption(0, false, 6))
                .addUint(CoapOptions.SIZE2, 100_000).addUint(CoapOptions.NO_RESPONSE, 26)
                .add(CoapOptions.ETAG, new byte[] {1, 2}).add(CoapOptions.IF_NONE_MATCH, new byte[0])
                .build();
        CoapMessage m = CoapMessage.of(CoapType.CON, CoapCode.FETCH, 77).withToken(new byte[8]).withOptions(options);
        CoapOptions back = decode(encode(m)).options();
        assertThat(back.uriPath()).isEqualTo("a/b");
        assertThat(back.uriQuery()).isEqualTo("x=1&y=2");
        assertThat(back.contentFormat()).isEqualTo(50);
        assertThat(back.observe()).isZero();
        assertThat(back.block2()).contains(new BlockOption(3, true, 4));
        assertThat(back.block2().orElseThrow().offset()).isEqualTo(768);
        assertThat(back.block1()).contains(new BlockOption(0, false, 6));
        assertThat(back.size2()).isEqualTo(100_000);
        assertThat(back.noResponse()).isEqualTo(26);
        assertThat(back.etags()).hasSize(1);
        assertThat(back.has(CoapOptions.IF_NONE_MATCH)).isTrue();
        assertThat(back.maxAge()).isEqualTo(60);
        // An observe value of 0 is the empty uint: option present with no value bytes.
        assertThat(back.first(CoapOptions.OBSERVE).orElseThrow().value()).isEmpty();
    }

    @Test
    void optionDefinitions() {
        assertThat(CoapOptions.isCritical(CoapOptions.URI_PATH)).isTrue();
        assertThat(CoapOptions.isCritical(CoapOptions.ETAG)).isFalse();
        assertThat(CoapOptions.isUnsafe(CoapOptions.URI_HOST)).isTrue();
        assertThat(CoapOptions.isNoCacheKey(CoapOptions.SIZE1)).isTrue();
        assertThat(CoapOptions.isNoCacheKey(CoapOptions.SIZE2)).isTrue();
        assertThat(CoapOptions.format(CoapOptions.OBSERVE)).isEqualTo(OptionFormat.UINT);
        assertThat(CoapOptions.format(CoapOptions.URI_QUERY)).isEqualTo(OptionFormat.STRING);
        assertThat(CoapOptions.format(CoapOptions.IF_NONE_MATCH)).isEqualTo(OptionFormat.EMPTY);
        assertThat(CoapOptions.isLengthValid(CoapOptions.URI_HOST, 0)).isFalse();
        assertThat(CoapOptions.isLengthValid(CoapOptions.BLOCK2, 4)).isFalse();
        assertThat(CoapOptions.isLengthValid(9999, 4000)).isTrue();
        assertThat(CoapOptions.isRepeatable(CoapOptions.URI_PATH)).isTrue();
        assertThat(CoapOptions.name(CoapOptions.NO_RESPONSE)).isEqualTo("No-Response");
        assertThat(CoapCode.BAD_OPTION).hasToString("4.02 Bad Option");
        assertThat(CoapCode.of(2, 5)).isEqualTo(CoapCode.CONTENT);
        assertThat(BlockOption.decode(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xfe}))
                .isEqualTo(new BlockOption(BlockOption.MAX_NUM, true, 6));
    }

    @Test
    void emptyMessagesAndPings() {
        assertThat(encode(CoapMessage.emptyAck(0x1234))).isEqualTo("60001234");
        assertThat(encode(CoapMessage.reset(1))).isEqualTo("70000001");
        assertThat(decode("40000001").type()).isEqualTo(CoapType.CON); // CoAP ping
        assertMalformed("40000001ff00", "empty message");
        assertMalformed("41000001aa", "empty message");
        assertThatThrownBy(() -> encode(CoapMessage.of(CoapType.ACK, CoapCode.EMPTY, 1).withToken(new byte[] {1})))
                .isInstanceOf(CodecException.class);
    }

    @Test
    void formatErrors() {
        assertMalformed("80010001", "version 2");
        assertMalformed("00010001", "version 0");
        for (int tkl = 9; tkl <= 15; tkl++) {
            assertMalformed(String.format("4%x010001", tkl) + "00".repeat(15), "token length " + tkl);
        }
        assertMalformed("40010001ff", "payload marker followed by no payload");
        assertMalformed("40010001f0", "delta nibble 15");
        assertMalformed("400100010f", "length nibble 15");
        assertTruncated("400100");
        assertTruncated("4801000101020304");           // token of 8, 4 present
        assertTruncated("40010001b3616263".substring(0, 12)); // option value cut short
        assertTruncated("40010001d0");                 // delta 13 without extension byte
        assertTruncated("40010001e000");               // delta 14 with one extension byte
        assertTruncated("400100010d");                 // length 13 without extension byte
    }

    @Test
    void limits() {
        String big = "40010001ff" + "00".repeat(2000);
        assertLimit(big, Limits.defaults().withMaxMessageBytes(1024));
        String tenOptions = "40010001b0" + "00".repeat(9); // Uri-Path (delta 11) then nine more (delta 0), all empty
        assertThat(decode(tenOptions).options().size()).isEqualTo(10);
        assertLimit(tenOptions, Limits.defaults().withMaxElements(9));
        String longValue = "40010001" + "be0014" + "61".repeat(289);
        assertThat(decode(longValue).options().uriPath()).hasSize(289);
        assertLimit(longValue, Limits.defaults().withMaxStringBytes(255));
    }

    @Test
    void randomMessagesRoundTrip() {
        Random random = new Random(7252);
        int[] numbers = {1, 3, 4, 5, 6, 7, 8, 11, 12, 14, 15, 17, 20, 23, 27, 28, 35, 39, 60, 258, 292, 2048, 65000};
        for (int i = 0; i < 5000; i++) {
            CoapOptions.Builder options = CoapOptions.builder();
            int count = random.nextInt(12);
            for (int k = 0; k < count; k++) {
                int number = numbers[random.nextInt(numbers.length)];
                byte[] value = new byte[random.nextInt(random.nextBoolean() ? 13 : 400)];
                random.nextBytes(value);
                options.add(number, value);
            }
            byte[] token = new byte[random.nextInt(9)];
            random.nextBytes(token);
            byte[] payload = new byte[random.nextInt(4) == 0 ? 0 : random.nextInt(1500)];
            random.nextBytes(payload);
            CoapCode code = new CoapCode(1 + random.nextInt(255));
            CoapMessage m = CoapMessage.of(CoapType.of(random.nextInt(4)), code, random.nextInt(65536))
                    .withToken(token).withOptions(options.build()).withPayload(payload);
            CoapMessage back = decode(encode(m));
            assertThat(back).isEqualTo(m);
            assertThat(back.options().all()).containsExactlyElementsOf(m.options().all());
        }
    }

    @Test
    void randomBytesNeverEscapeAsAnythingButCodecExceptions() {
        Random random = new Random(42);
        int decoded = 0;
        for (int i = 0; i < 20000; i++) {
            byte[] bytes = new byte[random.nextInt(40)];
            random.nextBytes(bytes);
            if (bytes.length > 0 && random.nextBoolean()) {
                bytes[0] = (byte) (0x40 | (bytes[0] & 0x37)); // version 1, token length 0-7
            }
            ByteBuf in = Unpooled.wrappedBuffer(bytes);
            try {
                CODEC.decode(in, Limits.defaults());
                decoded++;
            } catch (CodecException expected) {
                assertThat(expected.offset()).isBetween(0L, (long) bytes.length + 2);
            } finally {
                in.release();
            }
        }
        assertThat(decoded).isPositive();
    }

    private static void assertMalformed(String hex, String reason) {
        assertThatThrownBy(() -> decode(hex)).isInstanceOfSatisfying(CodecException.class, e -> {
            assertThat(e.errorCode()).isEqualTo(CodecErrorCode.MALFORMED);
            assertThat(e.reason()).contains(reason);
        });
    }

    private static void assertTruncated(String hex) {
        assertThatThrownBy(() -> decode(hex)).isInstanceOfSatisfying(CodecException.class,
                e -> assertThat(e.errorCode()).isEqualTo(CodecErrorCode.TRUNCATED));
    }

    private static void assertLimit(String hex, Limits limits) {
        assertThatThrownBy(() -> decode(hex, limits)).isInstanceOfSatisfying(CodecException.class,
                e -> assertThat(e.errorCode()).isEqualTo(CodecErrorCode.LIMIT_EXCEEDED));
    }
}
