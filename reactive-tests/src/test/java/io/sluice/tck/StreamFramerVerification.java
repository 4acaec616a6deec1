package io.sluice.tck;

import io.netty.buffer.ByteBuf;
import io.sluice.codec.Limits;
import io.sluice.codec.stream.StreamFramer;
import io.sluice.testing.PrefixedTextCodec;
import org.reactivestreams.Publisher;
import org.reactivestreams.tck.PublisherVerification;
import reactor.core.publisher.Flux;

/** The codec operator under the Reactive Streams TCK; inputs from {@link CodecStreams}. */
public class StreamFramerVerification extends PublisherVerification<ByteBuf> {
    public StreamFramerVerification() {
        super(TckEnvironment.create());
    }

    @Override
    public Publisher<ByteBuf> createPublisher(long elements) {
        return CodecStreams.chunks(elements).transform(StreamFramer.of(PrefixedTextCodec.FRAMING, Limits.defaults()).allocator(CodecStreams.UNTRACKED));
    }

    @Override
    public Publisher<ByteBuf> createFailedPublisher() {
        return Flux.<ByteBuf>error(new IllegalStateException("connection reset"))
                .transform(StreamFramer.of(PrefixedTextCodec.FRAMING, Limits.defaults()));
    }

    @Override
    public long maxElementsFromPublisher() {
        return TckEnvironment.MAX_ELEMENTS;
    }
}
