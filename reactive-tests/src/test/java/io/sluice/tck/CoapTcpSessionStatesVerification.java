package io.sluice.tck;

import io.sluice.coap.CoapClient;
import io.sluice.coap.CoapServer;
import io.sluice.coap.CoapSession;
import io.sluice.coap.CoapSessionState;
import io.sluice.coap.LiveCoapServer;
import java.time.Duration;
import org.reactivestreams.Publisher;
import org.reactivestreams.tck.PublisherVerification;
import org.testng.SkipException;
import org.testng.annotations.AfterClass;
import org.testng.annotations.BeforeClass;

/**
 * {@code CoapSession.states()} of a CoAP-over-TCP client session under the Reactive Streams TCK: a
 * session watched from its creation ({@code doOnSession}) goes CONNECTING, CSM, ESTABLISHED and,
 * released, CLOSED, where the flux completes; a publisher of n states is the first n of them (n at
 * most 4).
 */
public class CoapTcpSessionStatesVerification extends PublisherVerification<CoapSessionState> {

    private final java.util.function.UnaryOperator<CoapServer> transport;
    private final String scheme;

    private static final Duration WAIT = Duration.ofSeconds(10);
    private LiveCoapServer server;
    private String uri;

    public CoapTcpSessionStatesVerification() {
        this(CoapServer::tcp, "coap+tcp");
    }

    /**
     * @param transport what makes the plain server spec serve the transport under test
     * @param scheme the URI scheme clients connect with
     */
    protected CoapTcpSessionStatesVerification(java.util.function.UnaryOperator<CoapServer> transport, String scheme) {
        super(TckEnvironment.create());
        this.transport = transport;
        this.scheme = scheme;
    }

    @BeforeClass
    public void start() {
        server = transport.apply(CoapServer.create().port(0)).bind().block(WAIT);
        uri = scheme + "://127.0.0.1:" + server.localAddress().getPort();
    }

    @AfterClass
    public void stop() {
        server.dispose();
    }

    @Override
    public Publisher<CoapSessionState> createPublisher(long elements) {
        if (elements == 0) {
            throw new SkipException("a state flux always carries the current state, so it cannot be empty");
        }
        return subscriber -> CoapClient.create()
                .doOnSession(s -> (elements == 4 ? s.states() : s.states().take(elements)).subscribe(subscriber))
                .connect(uri)
                .subscribe(CoapSession::release, e -> { });
    }

    @Override
    public Publisher<CoapSessionState> createFailedPublisher() {
        // A state flux never fails: a session ends in CLOSED, not with an error.
        return null;
    }

    @Override
    public long maxElementsFromPublisher() {
        return 4;
    }
}
