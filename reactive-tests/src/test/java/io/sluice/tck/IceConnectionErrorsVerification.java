package io.sluice.tck;

import io.sluice.codec.ice.IceMessage;
import io.sluice.ice.IceConnection;
import io.sluice.ice.IceProtocol;
import io.sluice.ice.IceProtocolSession;
import io.sluice.ice.LiveIceListener;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedTransferQueue;
import java.util.concurrent.TimeUnit;
import org.reactivestreams.Publisher;
import org.reactivestreams.tck.PublisherVerification;
import org.testng.annotations.AfterClass;
import org.testng.annotations.AfterMethod;
import org.testng.annotations.BeforeClass;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * {@link IceConnection#errors()} under the Reactive Streams TCK, with errors a real peer sends: a
 * Sluice originator sets up a protocol with a Sluice listener, whose end then shuts it down;
 * once subscribed, the originator sends n messages of that protocol, each of which the listener's
 * end answers with an ICE BadMajor error; a ping proves they have all arrived, and dropping the
 * connection completes the stream. The stream is hot, so the messages go out only after the
 * subscription; at most {@link IceConnection#ERROR_BUFFER}, what it holds for a slow subscriber.
 */
public class IceConnectionErrorsVerification extends PublisherVerification<IceMessage.Error> {

    private static final IceProtocol GONE = IceTckFixture.protocol("GONE");

    // Filled on the ICE event loop: a lock-free queue, since a LinkedBlockingQueue's lock taken there
    // can park, BlockHound then throws out of the lock's acquisition, and the lock is left unusable,
    // hanging this test's poll for good (seen in a fresh-clone CI run).
    private final BlockingQueue<IceProtocolSession> activated = new LinkedTransferQueue<>();
    private IceTckFixture ice;
    private LiveIceListener listener;

    public IceConnectionErrorsVerification() {
        super(TckEnvironment.create());
    }

    @BeforeClass
    public void listen() {
        ice = new IceTckFixture();
        listener = ice.listen(GONE.onActivate(activated::add));
        listener.connections().subscribe();
    }

    @AfterMethod
    public void closeLeftovers() {
        ice.closeConnections();
    }

    @AfterClass
    public void close() {
        ice.close();
    }

    @Override
    public Publisher<IceMessage.Error> createPublisher(long elements) {
        IceConnection client = ice.open(listener, GONE).block(IceTckFixture.WAIT);
        IceProtocolSession session = client.setup(GONE).block(IceTckFixture.WAIT);
        IceProtocolSession serverEnd;
        try {
            serverEnd = activated.poll(IceTckFixture.WAIT.toSeconds(), TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        if (serverEnd == null) {
            throw new IllegalStateException("the listener did not activate GONE");
        }
        serverEnd.shutdown();
        return subscriber -> {
            client.errors().subscribe(subscriber);
            Flux.range(0, (int) elements).concatMap(i -> session.send(1, i & 0xff, 0, new byte[0]))
                    .then(Mono.defer(client::ping))
                    .doFinally(s -> client.dispose())
                    .subscribe(v -> { }, e -> { });
        };
    }

    @Override
    public Publisher<IceMessage.Error> createFailedPublisher() {
        return null; // the error stream completes when the connection closes, however it closes
    }

    @Override
    public long maxElementsFromPublisher() {
        return IceConnection.ERROR_BUFFER;
    }
}
