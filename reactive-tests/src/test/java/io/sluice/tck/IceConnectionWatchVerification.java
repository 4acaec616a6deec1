package io.sluice.tck;

import io.sluice.ice.IceConnections;
import io.sluice.ice.IceWatchEvent;
import io.sluice.ice.LiveIceListener;
import java.time.Duration;
import org.reactivestreams.Publisher;
import org.reactivestreams.tck.PublisherVerification;
import org.testng.annotations.AfterClass;
import org.testng.annotations.BeforeClass;
import reactor.core.publisher.Flux;

/**
 * {@link IceConnections#watch()} under the Reactive Streams TCK. A watch never completes (like a
 * libICE watch procedure it lasts until removed), so each publisher is the watch limited with
 * {@code take(n)}, which adds the completion and caps the request; every other signal, the demand
 * accounting and the cancellation are the watch's own. The events are the replay of
 * {@link #OPEN} connections opened before the class runs (both ends of
 * {@code OPEN / 2} real ICE connections over a UNIX socket, all in the fixture's registry).
 */
public class IceConnectionWatchVerification extends PublisherVerification<IceWatchEvent> {

    private static final int OPEN = 16;

    private IceTckFixture ice;

    public IceConnectionWatchVerification() {
        super(TckEnvironment.create());
    }

    @BeforeClass
    public void openConnections() {
        ice = new IceTckFixture();
        LiveIceListener listener = ice.listen();
        listener.connections().subscribe();
        Flux.range(0, OPEN / 2).concatMap(i -> ice.open(listener)).blockLast(IceTckFixture.WAIT);
        // The accepting ends join the registry as their setups complete, a moment after the originators'.
        Flux.interval(Duration.ofMillis(5)).filter(i -> ice.registry().open().size() == OPEN).blockFirst(IceTckFixture.WAIT);
    }

    @AfterClass
    public void close() {
        ice.close();
    }

    @Override
    public Publisher<IceWatchEvent> createPublisher(long elements) {
        return ice.registry().watch().take(elements);
    }

    @Override
    public Publisher<IceWatchEvent> createFailedPublisher() {
        return null; // a watch never fails
    }

    @Override
    public long maxElementsFromPublisher() {
        return OPEN;
    }
}
