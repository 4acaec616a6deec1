package io.sluice.tck;

import io.sluice.messaging.Credentials;
import io.sluice.messaging.Facility;
import io.sluice.messaging.FacilityAuthorization;
import io.sluice.messaging.FacilityDispatch;
import io.sluice.messaging.LiveMessagingServer;
import io.sluice.messaging.MessagingClient;
import io.sluice.messaging.MessagingServer;
import io.sluice.messaging.MessagingSession;
import io.sluice.messaging.sasl.Account;
import io.sluice.messaging.sasl.Authenticator;
import io.sluice.messaging.sasl.ScramCredential;
import io.sluice.peer.CallType;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.reactivestreams.Publisher;
import org.reactivestreams.tck.PublisherVerification;
import org.testng.annotations.AfterClass;
import org.testng.annotations.BeforeClass;
import reactor.core.publisher.Flux;

/**
 * {@code MessagingSession.stream(...)} under the Reactive Streams TCK: a facility stream through
 * authorization and subordinate-object tracking, against a live messaging server on loopback.
 */
public class MessagingStreamVerification extends PublisherVerification<Long> {

    static final CallType<Long, Long> RANGE = CallType.stream(100, "tck.range", PeerFixture.LONG, PeerFixture.LONG);
    static final Facility TCK = Facility.of("tck", RANGE);

    private LiveMessagingServer server;
    private MessagingSession session;
    private MessagingSession closed;

    public MessagingStreamVerification() {
        super(TckEnvironment.create());
    }

    @BeforeClass
    public void start() {
        server = MessagingServer.create()
                .authenticator(Authenticator.of(List.of(new Account("tck", ScramCredential.fromPassword("tck".toCharArray(), 4096),
                        Set.of(), null)), Map.of()))
                .authorization(FacilityAuthorization.byRole(Map.of("tck", Set.of("tck"))))
                .facility(FacilityDispatch.of(TCK).handle(RANGE, (call, n) -> Flux.range(0, n.intValue()).map(Integer::longValue)))
                .bindNow(Duration.ofSeconds(10));
        MessagingClient client = MessagingClient.create(TCK);
        session = client.open("127.0.0.1", server.port(), Credentials.password("tck", "tck".toCharArray())).block(Duration.ofSeconds(10));
        closed = client.open("127.0.0.1", server.port(), Credentials.password("tck", "tck".toCharArray())).block(Duration.ofSeconds(10));
        closed.close().block(Duration.ofSeconds(10));
    }

    @AfterClass
    public void stop() {
        session.close().block(Duration.ofSeconds(10));
        server.disposeNow(Duration.ofSeconds(10));
    }

    @Override
    public Publisher<Long> createPublisher(long elements) {
        return session.stream(RANGE, elements);
    }

    @Override
    public Publisher<Long> createFailedPublisher() {
        return closed.stream(RANGE, 1L);
    }

    @Override
    public long maxElementsFromPublisher() {
        return TckEnvironment.MAX_ELEMENTS;
    }
}
