package io.sluice.codec.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.sluice.codec.CodecErrorCode;
import io.sluice.codec.CodecException;
import io.sluice.codec.Framing;
import io.sluice.codec.Limits;
import io.sluice.testing.PrefixedTextCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;

class StreamFramerTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final List<ByteBuf> inputs = new ArrayList<>();
    private final StreamFramer framer = StreamFramer.of(PrefixedTextCodec.FRAMING, Limits.defaults().withMaxMessageBytes(16));

    @AfterEach
    void everyInputIsReleased() {
        assertThat(inputs).allSatisfy(b -> assertThat(b.refCnt()).as("input chunk refCnt").isZero());
    }

    private ByteBuf chunk(int... bytes) {
        ByteBuf buf = Unpooled.buffer(bytes.length);
        for (int b : bytes) {
            buf.writeByte(b);
        }
        inputs.add(buf);
        return buf;
    }

    private ByteBuf text(String... messages) {
        ByteBuf buf = Unpooled.buffer();
        for (String m : messages) {
            byte[] bytes = m.getBytes(StandardCharsets.UTF_8);
            buf.writeShort(bytes.length).writeBytes(bytes);
        }
        inputs.add(buf);
        return buf;
    }

    private static String release(ByteBuf frame) {
        try {
            return frame.toString(frame.readerIndex() + 2, frame.readableBytes() - 2, StandardCharsets.UTF_8);
        } finally {
            frame.release();
        }
    }

    @Test
    void cutsSeveralFramesOutOfOneChunk() {
        StepVerifier.create(Flux.just(text("ab", "", "cde")).transform(framer).map(StreamFramerTest::release))
                .expectNext("ab", "", "cde")
                .expectComplete()
                .verify(TIMEOUT);
    }

    @Test
    void joinsAFrameSplitAcrossChunksAtEveryByte() {
        StepVerifier.create(Flux.just(chunk(0), chunk(3, 'x'), chunk('y'), chunk('z', 0, 1), chunk('w'))
                        .transform(framer).map(StreamFramerTest::release))
                .expectNext("xyz", "w")
                .expectComplete()
                .verify(TIMEOUT);
    }

    @Test
    void requestsOneChunkAtATimeAndOnlyOnDemand() {
        AtomicLong requestedUpstream = new AtomicLong();
        Flux<ByteBuf> chunks = Flux.just(text("a", "b"), text("c"), text("d"))
                .doOnRequest(requestedUpstream::addAndGet);
        StepVerifier.create(chunks.transform(framer).map(StreamFramerTest::release), 0)
                .then(() -> assertThat(requestedUpstream).hasValue(0))
                .thenRequest(1)
                .expectNext("a")
                .then(() -> assertThat(requestedUpstream).hasValue(1))
                .thenRequest(1)
                .expectNext("b")
                .then(() -> assertThat(requestedUpstream).as("b came from the held chunk").hasValue(1))
                .thenRequest(1)
                .expectNext("c")
                .then(() -> assertThat(requestedUpstream).hasValue(2))
                .thenRequest(10)
                .expectNext("d")
                .expectComplete()
                .verify(TIMEOUT);
    }

    @Test
    void oversizedFrameFailsWithOffsetAfterTheGoodFrames() {
        // Second frame declares 100 bytes against a 16-byte limit; it starts at stream offset 3.
        StepVerifier.create(Flux.just(text("a"), chunk(0, 100, 'z')).transform(framer).map(StreamFramerTest::release))
                .expectNext("a")
                .expectErrorSatisfies(e -> {
                    assertThat(e).isInstanceOf(CodecException.class);
                    CodecException ce = (CodecException) e;
                    assertThat(ce.errorCode()).isEqualTo(CodecErrorCode.LIMIT_EXCEEDED);
                    assertThat(ce.offset()).isEqualTo(3);
                    assertThat(ce.getMessage()).contains("frame of 102 bytes exceeds the 16-byte frame limit");
                })
                .verify(TIMEOUT);
    }

    @Test
    void frameWithoutBoundaryWithinTheLimitFails() {
        Framing neverEnds = buf -> Framing.NEED_MORE;
        StreamFramer bounded = StreamFramer.of(neverEnds, Limits.defaults().withMaxMessageBytes(4));
        StepVerifier.create(Flux.just(chunk(1, 2, 3), chunk(4, 5, 6)).transform(bounded))
                .expectErrorSatisfies(e -> assertThat(e).hasMessageContaining("no frame boundary within the 4-byte"))
                .verify(TIMEOUT);
    }

    @Test
    void malformedHeaderFailsWithStreamOffset() {
        Framing picky = buf -> {
            if (buf.getByte(buf.readerIndex()) == 0) {
                throw CodecException.malformed(0, "zero type byte");
            }
            return 1;
        };
        StepVerifier.create(Flux.just(chunk(1, 1, 0)).transform(StreamFramer.of(picky, Limits.defaults())))
                .consumeNextWith(ByteBuf::release)
                .consumeNextWith(ByteBuf::release)
                .expectErrorSatisfies(e -> {
                    assertThat(((CodecException) e).offset()).isEqualTo(2);
                    assertThat(e).hasMessageContaining("zero type byte");
                })
                .verify(TIMEOUT);
    }

    @Test
    void streamEndingInsideAFrameIsTruncation() {
        StepVerifier.create(Flux.just(text("ok"), chunk(0, 5, 'a')).transform(framer).map(StreamFramerTest::release))
                .expectNext("ok")
                .expectErrorSatisfies(e -> {
                    assertThat(((CodecException) e).errorCode()).isEqualTo(CodecErrorCode.TRUNCATED);
                    assertThat(e).hasMessageContaining("stream ended inside a frame, 3 bytes into it");
                })
                .verify(TIMEOUT);
    }

    @Test
    void upstreamErrorArrivesAfterFramesAlreadyCut() {
        IllegalStateException boom = new IllegalStateException("connection reset");
        StepVerifier.create(Flux.concat(Flux.just(text("a", "b")), Flux.error(boom))
                        .transform(framer).map(StreamFramerTest::release), 1)
                .expectNext("a")
                .thenRequest(1)
                .expectNext("b")
                .thenRequest(1)
                .expectErrorMatches(e -> e == boom)
                .verify(TIMEOUT);
    }

    @Test
    void cancellingReleasesWhatIsHeld() {
        Sinks.Many<ByteBuf> source = Sinks.many().unicast().onBackpressureBuffer();
        StepVerifier.create(source.asFlux().transform(framer).map(StreamFramerTest::release), 1)
                .then(() -> source.tryEmitNext(text("a", "b")))
                .expectNext("a")
                .then(() -> source.tryEmitNext(text("c")))
                .thenCancel()
                .verify(TIMEOUT);
        // "b" was held in the cumulation; "c" was queued by the unicast sink and discarded there.
        assertThat(inputs.get(0).refCnt()).isZero();
    }

    @Test
    void framesSpanningChunksAreCopiedOnceAndReleased() {
        ByteBuf first = text("abcd");
        ByteBuf partial = first.retainedSlice(0, 3);
        ByteBuf rest = first.retainedSlice(3, first.readableBytes() - 3);
        first.release();
        StepVerifier.create(Flux.just(partial, rest).transform(framer).map(StreamFramerTest::release))
                .expectNext("abcd")
                .expectComplete()
                .verify(TIMEOUT);
        assertThat(first.refCnt()).isZero();
    }

    @Test
    void decoderDecodesFramesAndFailsOnABadOne() {
        StreamDecoder<String> decoder = StreamDecoder.of(PrefixedTextCodec.FRAMING, new PrefixedTextCodec(),
                Limits.defaults().withMaxStringBytes(3));
        StepVerifier.create(Flux.just(text("one", "four", "six")).transform(decoder))
                .expectNext("one")
                .expectErrorSatisfies(e -> {
                    assertThat(((CodecException) e).errorCode()).isEqualTo(CodecErrorCode.LIMIT_EXCEEDED);
                    assertThat(e).hasMessageContaining("string of 4 bytes exceeds the limit of 3");
                })
                .verify(TIMEOUT);
    }

    @Test
    void manyRandomSplitsAlwaysYieldTheSameFrames() {
        java.util.Random random = new java.util.Random(42);
        StreamFramer roomy = StreamFramer.of(PrefixedTextCodec.FRAMING, Limits.defaults());
        for (int round = 0; round < 200; round++) {
            List<String> expected = new ArrayList<>();
            ByteBuf all = Unpooled.buffer();
            for (int i = 0, n = random.nextInt(20); i < n; i++) {
                String s = "m" + round + "-" + i + "x".repeat(random.nextInt(40));
                expected.add(s);
                byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
                all.writeShort(bytes.length).writeBytes(bytes);
            }
            List<ByteBuf> pieces = new ArrayList<>();
            while (all.isReadable()) {
                pieces.add(all.readRetainedSlice(Math.min(all.readableBytes(), 1 + random.nextInt(30))));
            }
            all.release();
            inputs.add(all);
            StepVerifier.create(Flux.fromIterable(pieces).transform(roomy).map(StreamFramerTest::release))
                    .expectNextSequence(expected)
                    .expectComplete()
                    .verify(TIMEOUT);
        }
    }
}
