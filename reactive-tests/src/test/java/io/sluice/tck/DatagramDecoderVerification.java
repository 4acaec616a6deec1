package io.sluice.tck;

import io.netty.buffer.ByteBuf;
import io.sluice.codec.Limits;
import io.sluice.codec.stream.DatagramDecoder;
import org.reactivestreams.Publisher;
import org.reactivestreams.tck.PublisherVerification;
import reactor.core.publisher.Flux;

/** The codec operator under the Reactive Streams TCK; inputs from {@link CodecStreams}. */
public class DatagramDecoderVerification extends PublisherVerification<String> {
    public DatagramDecoderVerification() {
        super(TckEnvironment.create());
    }

    @Override
    public Publisher<String> createPublisher(long elements) {
        return CodecStreams.messages(elements).transform(DatagramDecoder.of(CodecStreams.CODEC, Limits.defaults()));
    }

    @Override
    public Publisher<String> createFailedPublisher() {
        return Flux.<ByteBuf>error(new IllegalStateException("socket failed"))
                .transform(DatagramDecoder.of(CodecStreams.CODEC, Limits.defaults()));
    }

    @Override
    public long maxElementsFromPublisher() {
        return TckEnvironment.MAX_ELEMENTS;
    }
}
