package io.sluice.tck;

import org.reactivestreams.Publisher;
import org.reactivestreams.tck.PublisherVerification;
import org.testng.SkipException;
import org.testng.annotations.AfterClass;
import org.testng.annotations.BeforeClass;

/** {@code PeerSession.call(...)} under the Reactive Streams TCK: a unary call answers exactly once. */
public class PeerUnaryCallVerification extends PublisherVerification<String> {

    private PeerFixture fixture;

    public PeerUnaryCallVerification() {
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
    public Publisher<String> createPublisher(long elements) {
        if (elements != 1) {
            throw new SkipException("a unary call answers with exactly one response");
        }
        return fixture.session.call(PeerFixture.ECHO, "tck");
    }

    @Override
    public Publisher<String> createFailedPublisher() {
        return fixture.disconnected.call(PeerFixture.ECHO, "too late");
    }

    @Override
    public long maxElementsFromPublisher() {
        return 1;
    }
}
