package io.sluice.codec.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.sluice.codec.CodecErrorCode;
import io.sluice.codec.CodecException;
import io.sluice.codec.Limits;
import io.sluice.codec.MessageCodec;
import io.sluice.testing.PrefixedTextCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

class DatagramDecoderTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final List<ByteBuf> inputs = new ArrayList<>();

    @AfterEach
    void everyDatagramIsReleased() {
        assertThat(inputs).allSatisfy(b -> assertThat(b.refCnt()).isZero());
    }

    private ByteBuf datagram(int... bytes) {
        ByteBuf buf = Unpooled.buffer();
        for (int b : bytes) {
            buf.writeByte(b);
        }
        inputs.add(buf);
        return buf;
    }

    private ByteBuf text(String s) {
        ByteBuf buf = Unpooled.buffer();
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        buf.writeShort(bytes.length).writeBytes(bytes);
        inputs.add(buf);
        return buf;
    }

    @Test
    void badDatagramsAreDroppedCountedAndReported() {
        List<CodecException> reasons = new ArrayList<>();
        DatagramDecoder<String> decoder = DatagramDecoder.of(new PrefixedTextCodec(), Limits.defaults().withMaxMessageBytes(8))
                .onDrop(reasons::add);
        Flux<ByteBuf> datagrams = Flux.just(
                text("one"),
                datagram(0, 9, 'a'),                 // truncated
                text("two"),
                datagram(0, 1, 'a', 'b'),            // trailing byte
                datagram(0, 7, 1, 2, 3, 4, 5, 6, 7), // 9 bytes > 8-byte limit
                datagram(),                          // empty
                text("three"));
        StepVerifier.create(datagrams.transform(decoder))
                .expectNext("one", "two", "three")
                .expectComplete()
                .verify(TIMEOUT);
        assertThat(decoder.decoded()).isEqualTo(3);
        assertThat(decoder.dropped()).isEqualTo(4);
        assertThat(reasons).extracting(CodecException::errorCode).containsExactly(
                CodecErrorCode.TRUNCATED, CodecErrorCode.MALFORMED, CodecErrorCode.LIMIT_EXCEEDED,
                CodecErrorCode.TRUNCATED);
    }

    @Test
    void aCodecThatTripsOverItsInputDoesNotEndTheStream() {
        MessageCodec<Integer> careless = new MessageCodec<>() {
            @Override
            public Integer decode(ByteBuf in, Limits limits) {
                return in.readInt();
            }

            @Override
            public void encode(Integer message, ByteBuf out) {
                out.writeInt(message);
            }
        };
        DatagramDecoder<Integer> decoder = DatagramDecoder.of(careless, Limits.defaults());
        StepVerifier.create(Flux.just(datagram(1), datagram(0, 0, 0, 7)).transform(decoder))
                .expectNext(7)
                .expectComplete()
                .verify(TIMEOUT);
        assertThat(decoder.dropped()).isEqualTo(1);
    }

    @Test
    void demandPassesThroughAndDropsAskForMore() {
        DatagramDecoder<String> decoder = DatagramDecoder.of(new PrefixedTextCodec(), Limits.defaults());
        StepVerifier.create(Flux.just(datagram(9), text("a"), datagram(9), text("b")).transform(decoder), 1)
                .expectNext("a")
                .expectNoEvent(Duration.ofMillis(20))
                .thenRequest(1)
                .expectNext("b")
                .expectComplete()
                .verify(TIMEOUT);
    }

    @Test
    void countersAreSharedByCopiesWithAListener() {
        DatagramDecoder<String> decoder = DatagramDecoder.of(new PrefixedTextCodec(), Limits.defaults());
        DatagramDecoder<String> listening = decoder.onDrop(e -> { });
        StepVerifier.create(Flux.just(datagram(1)).transform(listening)).expectComplete().verify(TIMEOUT);
        assertThat(decoder.dropped()).isEqualTo(1);
    }
}
