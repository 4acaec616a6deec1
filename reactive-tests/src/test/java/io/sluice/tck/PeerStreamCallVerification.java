package io.sluice.tck;

import org.reactivestreams.Publisher;
import org.reactivestreams.tck.PublisherVerification;
import org.testng.annotations.AfterClass;
import org.testng.annotations.BeforeClass;

/** {@code PeerSession.stream(...)} under the Reactive Streams TCK, against a live peer on loopback. */
public class PeerStreamCallVerification extends PublisherVerification<Long> {

    private PeerFixture fixture;

    public PeerStreamCallVerification() {
        super(TckEnvironment.create());
    }

    @BeforeClass
    public void startPeers() {
        fixture = new PeerFixture();
    }

    @AfterClass
    public void stopPeers() {
        fixture.close();
    }

    @Override
    public Publisher<Long> createPublisher(long elements) {
        return fixture.session.stream(PeerFixture.RANGE, elements);
    }

    @Override
    public Publisher<Long> createFailedPublisher() {
        return fixture.disconnected.stream(PeerFixture.RANGE, 1L);
    }

    @Override
    public long maxElementsFromPublisher() {
        return TckEnvironment.MAX_ELEMENTS;
    }
}
