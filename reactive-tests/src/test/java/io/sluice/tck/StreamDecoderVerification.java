package io.sluice.tck;

import io.netty.buffer.ByteBuf;
import io.sluice.codec.Limits;
import io.sluice.codec.stream.StreamDecoder;
import io.sluice.testing.PrefixedTextCodec;
import org.reactivestreams.Publisher;
import org.reactivestreams.tck.PublisherVerification;
import reactor.core.publisher.Flux;

/** The codec operator under the Reactive Streams TCK; inputs from {@link CodecStreams}. */
public class StreamDecoderVerification extends PublisherVerification<String> {
    public StreamDecoderVerification() {
        super(TckEnvironment.create());
    }

    @Override
    public Publisher<String> createPublisher(long elements) {
        return CodecStreams.chunks(elements).transform(StreamDecoder.of(PrefixedTextCodec.FRAMING, CodecStreams.CODEC, Limits.defaults()));
    }

    @Override
    public Publisher<String> createFailedPublisher() {
        return Flux.<ByteBuf>error(new IllegalStateException("connection reset"))
                .transform(StreamDecoder.of(PrefixedTextCodec.FRAMING, CodecStreams.CODEC, Limits.defaults()));
    }

    @Override
    public long maxElementsFromPublisher() {
        return TckEnvironment.MAX_ELEMENTS;
    }
}
