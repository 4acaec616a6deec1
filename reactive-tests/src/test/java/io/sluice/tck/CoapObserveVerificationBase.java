package io.sluice.tck;

import io.sluice.coap.CoapClient;
import io.sluice.coap.CoapRequest;
import io.sluice.coap.CoapResponse;
import io.sluice.coap.CoapServer;
import io.sluice.coap.CoapSession;
import io.sluice.coap.LiveCoapServer;
import java.time.Duration;
import java.util.function.UnaryOperator;
import org.reactivestreams.Publisher;
import org.reactivestreams.tck.PublisherVerification;
import org.reactivestreams.tck.TestEnvironment;
import org.testng.SkipException;
import org.testng.annotations.AfterClass;
import org.testng.annotations.BeforeClass;
import reactor.core.publisher.Flux;

/**
 * {@code CoapSession.observe(...)} under the Reactive Streams TCK, against a live CoAP server on
 * loopback over one transport: the resource {@code /tck?n} emits n-1 states and ends, which ends
 * the observation with a final 4.04, so the flux carries exactly n responses.
 */
abstract class CoapObserveVerificationBase extends PublisherVerification<CoapResponse> {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private final UnaryOperator<CoapServer> transport;
    private final String scheme;
    private LiveCoapServer server;
    private CoapSession session;
    private CoapSession released;

    /**
     * @param env the TCK environment
     * @param transport what makes the plain UDP server spec serve the transport under test
     * @param scheme the URI scheme clients connect with
     */
    CoapObserveVerificationBase(TestEnvironment env, UnaryOperator<CoapServer> transport, String scheme) {
        super(env);
        this.transport = transport;
        this.scheme = scheme;
    }

    @BeforeClass
    public void start() {
        server = transport.apply(CoapServer.create().port(0))
                .route(r -> r.observable("/tck", req -> Flux.range(0, Integer.parseInt(req.request().query()))
                        .map(i -> CoapResponse.content("state " + i))))
                .bind().block(WAIT);
        String uri = scheme + "://127.0.0.1:" + server.localAddress().getPort();
        session = CoapClient.create().connect(uri).block(WAIT);
        released = CoapClient.create().connect(uri).block(WAIT);
        released.release();
    }

    @AfterClass
    public void stop() {
        session.release();
        server.dispose();
    }

    @Override
    public Publisher<CoapResponse> createPublisher(long elements) {
        if (elements == 0) {
            throw new SkipException("an observation always carries its first response, so it cannot be empty");
        }
        return session.observe(CoapRequest.get("/tck?" + (elements - 1)));
    }

    @Override
    public Publisher<CoapResponse> createFailedPublisher() {
        return released.observe(CoapRequest.get("/tck?1"));
    }

    @Override
    public long maxElementsFromPublisher() {
        // A slow observer keeps the newest 32 notifications; every one must reach the TCK's subscriber.
        return 32;
    }
}
