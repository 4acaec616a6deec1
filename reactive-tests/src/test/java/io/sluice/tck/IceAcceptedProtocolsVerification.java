package io.sluice.tck;

import io.sluice.ice.IceConnection;
import io.sluice.ice.IceProtocol;
import io.sluice.ice.IceProtocolSession;
import io.sluice.ice.LiveIceListener;
import org.reactivestreams.Publisher;
import org.reactivestreams.tck.PublisherVerification;
import org.testng.annotations.AfterClass;
import org.testng.annotations.AfterMethod;
import org.testng.annotations.BeforeClass;
import reactor.core.publisher.Flux;

/**
 * {@link IceConnection#acceptedProtocols()} under the Reactive Streams TCK: for each publisher a
 * Sluice originator opens a connection to a Sluice listener and sets up n of {@link #PROTOCOLS}
 * registered protocols, then drops the connection, which completes the accepting end's stream.
 * At most {@link #PROTOCOLS}, the number the stream holds for a subscriber that has not asked yet.
 */
public class IceAcceptedProtocolsVerification extends PublisherVerification<IceProtocolSession> {

    private static final int PROTOCOLS = 16;
    private static final IceProtocol[] REGISTERED = new IceProtocol[PROTOCOLS];

    static {
        for (int i = 0; i < PROTOCOLS; i++) {
            REGISTERED[i] = IceTckFixture.protocol("TCK" + i);
        }
    }

    private IceTckFixture ice;
    private LiveIceListener listener;

    public IceAcceptedProtocolsVerification() {
        super(TckEnvironment.create());
    }

    @BeforeClass
    public void listen() {
        ice = new IceTckFixture();
        listener = ice.listen(REGISTERED);
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
    public Publisher<IceProtocolSession> createPublisher(long elements) {
        var accepted = listener.accept().cache();
        accepted.subscribe(c -> { }, e -> { });
        IceConnection client = ice.open(listener, REGISTERED).block(IceTckFixture.WAIT);
        IceConnection server = accepted.block(IceTckFixture.WAIT);
        Flux.range(0, (int) elements).concatMap(i -> client.setup(REGISTERED[i]))
                .doFinally(s -> client.dispose())
                .subscribe(p -> { }, e -> { });
        return server.acceptedProtocols();
    }

    @Override
    public Publisher<IceProtocolSession> createFailedPublisher() {
        return null; // it completes when the connection closes, however it closes
    }

    @Override
    public long maxElementsFromPublisher() {
        return PROTOCOLS;
    }
}
