package io.sluice.tck;

import io.sluice.ice.IceConnection;
import io.sluice.ice.LiveIceListener;
import org.reactivestreams.Publisher;
import org.reactivestreams.tck.PublisherVerification;
import org.testng.annotations.AfterClass;
import org.testng.annotations.AfterMethod;
import org.testng.annotations.BeforeClass;
import reactor.core.publisher.Flux;

/**
 * {@link LiveIceListener#connections()} under the Reactive Streams TCK: each publisher is a new
 * listener on its own UNIX socket; once subscribed, n Sluice originators connect to it one after
 * another and the listener is disposed after the last is accepted, which completes the stream.
 * Accepting follows demand, so an originator whose connection nobody has asked for yet waits in
 * the backlog; what a test leaves open is closed after it.
 */
public class IceListenerConnectionsVerification extends PublisherVerification<IceConnection> {

    private IceTckFixture ice;

    public IceListenerConnectionsVerification() {
        super(TckEnvironment.create());
    }

    @BeforeClass
    public void fixture() {
        ice = new IceTckFixture();
    }

    @AfterMethod
    public void closeLeftovers() {
        ice.closeAll();
    }

    @AfterClass
    public void close() {
        ice.close();
    }

    @Override
    public Publisher<IceConnection> createPublisher(long elements) {
        LiveIceListener listener = ice.listen();
        return subscriber -> {
            listener.connections().subscribe(subscriber);
            Flux.range(0, (int) elements).concatMap(i -> ice.open(listener))
                    .doFinally(s -> listener.dispose())
                    .subscribe(c -> { }, e -> { });
        };
    }

    @Override
    public Publisher<IceConnection> createFailedPublisher() {
        return null; // the stream skips failed accepts (counted) and completes when the listener goes
    }

    @Override
    public long maxElementsFromPublisher() {
        return 32;
    }
}
