package io.sluice.tck;

import io.sluice.event.EventStream;
import org.reactivestreams.Publisher;
import org.reactivestreams.tck.PublisherVerification;

/**
 * {@link EventStream#events()} under the Reactive Streams TCK. The stream is hot, so each
 * publisher subscribes the TCK's subscriber first and then emits; the buffer is as large as the
 * element count so the TCK sees every element.
 */
public class EventStreamVerification extends PublisherVerification<Long> {

    public EventStreamVerification() {
        super(TckEnvironment.create());
    }

    @Override
    public Publisher<Long> createPublisher(long elements) {
        return subscriber -> {
            EventStream<Long> stream = EventStream.create((int) Math.max(1, elements));
            stream.events().subscribe(subscriber);
            for (long i = 0; i < elements; i++) {
                stream.emit(i);
            }
            stream.complete();
        };
    }

    @Override
    public Publisher<Long> createFailedPublisher() {
        EventStream<Long> stream = EventStream.create(1);
        stream.error(new IllegalStateException("failed for the TCK"));
        return stream.events();
    }

    @Override
    public long maxElementsFromPublisher() {
        return TckEnvironment.MAX_ELEMENTS;
    }
}
