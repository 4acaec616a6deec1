package io.sluice.tck;

import io.sluice.codec.ice.IceMessage;
import io.sluice.ice.IceConnection;
import io.sluice.ice.IceProtocol;
import io.sluice.ice.IceProtocolSession;
import io.sluice.ice.LiveIceListener;
import java.time.Duration;
import org.reactivestreams.Publisher;
import org.reactivestreams.tck.PublisherVerification;
import org.testng.annotations.AfterClass;
import org.testng.annotations.BeforeClass;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * {@link IceProtocolSession#messages()} under the Reactive Streams TCK, over real ICE connections
 * on a UNIX socket: for each publisher a Sluice originator sets up a protocol with a Sluice
 * listener, which sends the elements; a ping round trip then proves they have all arrived (one
 * connection, in order) and the originator shuts its side of the protocol down, which completes
 * the stream. At most {@link IceProtocolSession#BUFFER} elements: the stream buffers that many for
 * a slow subscriber and drops (with a count) beyond.
 */
public class IceProtocolMessagesVerification extends PublisherVerification<IceMessage.Generic> {

    private static final Duration WAIT = IceTckFixture.WAIT;
    private static final IceProtocol TCK = IceTckFixture.protocol("TCK");

    private final java.util.concurrent.BlockingQueue<IceProtocolSession> accepted = new java.util.concurrent.LinkedTransferQueue<>();
    private IceTckFixture ice;
    private LiveIceListener listener;

    public IceProtocolMessagesVerification() {
        super(TckEnvironment.create());
    }

    @BeforeClass
    public void listen() {
        ice = new IceTckFixture();
        listener = ice.listen(TCK.onActivate(accepted::add));
        listener.connections().subscribe();
    }

    @AfterClass
    public void close() {
        ice.close();
    }

    @Override
    public Publisher<IceMessage.Generic> createPublisher(long elements) {
        try {
            return publisher(elements);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private Publisher<IceMessage.Generic> publisher(long elements) throws InterruptedException {
        IceConnection client = ice.open(listener, TCK).block(WAIT);
        IceProtocolSession session = client.setup(TCK).block(WAIT);
        IceProtocolSession server = accepted.poll(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
        if (server == null) {
            throw new IllegalStateException("the listener did not activate TCK");
        }
        Flux.range(0, (int) elements).concatMap(i -> server.send(1, i & 0xff, 0, new byte[0]))
                .then(Mono.defer(client::ping))
                .doFinally(s -> {
                    session.shutdown();
                    server.shutdown();
                    client.shutdownNegotiation(false);
                    client.dispose();
                }).subscribe(v -> { }, e -> { });
        return session.messages();
    }

    @Override
    public Publisher<IceMessage.Generic> createFailedPublisher() {
        return null; // a protocol session only fails when its connection breaks; covered by the sdk's tests
    }

    @Override
    public long maxElementsFromPublisher() {
        // Nothing is dropped any more (reading pauses instead), so the bound is only the test's patience.
        return 4096;
    }
}
