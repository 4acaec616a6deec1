package io.sluice.dtls.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.codec.coap.CoapCode;
import io.sluice.coap.CoapClient;
import io.sluice.coap.CoapErrorCode;
import io.sluice.coap.CoapException;
import io.sluice.coap.CoapRequest;
import io.sluice.coap.CoapResponse;
import io.sluice.coap.CoapServer;
import io.sluice.coap.CoapSession;
import io.sluice.coap.CoapTransmission;
import io.sluice.coap.LiveCoapServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;

/**
 * CoAP over UDP and over DTLS through a relay that loses 20%, duplicates 10% and reorders 10% of the
 * datagrams in each direction (RFC 7252 §4 on a bad network). The timing is CoAP's, scaled down so
 * the tests take seconds: ACK_TIMEOUT 10 ms, and enough retransmissions (16) that a transfer of a
 * thousand exchanges cannot fail by chance (each attempt gets through with 0.8 x 0.8; sixteen
 * retransmissions all failing is 0.36^17, about 3e-8).
 */
class CoapLossyNetworkTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final byte[] KEY = "coap-lossy-key!!".getBytes(StandardCharsets.US_ASCII);
    private static final CoapTransmission LOSSY = CoapTransmission.defaults().withAckTimeout(Duration.ofMillis(10)).withMaxRetransmit(16);

    private final Map<String, Integer> handled = new ConcurrentHashMap<>();
    private final AtomicReference<byte[]> blob = new AtomicReference<>(new byte[0]);
    private final Sinks.Many<Integer> state = Sinks.many().replay().latest();

    private LiveCoapServer server(boolean dtls) {
        CoapServer spec = CoapServer.create().port(0).transmission(LOSSY).maxBodySize(2 << 20).route(r -> r
                .post("/once", req -> {
                    handled.merge(req.request().bodyText(), 1, Integer::sum);
                    return Mono.just(CoapResponse.content("ok " + req.request().bodyText()));
                })
                .put("/blob", req -> {
                    blob.set(req.request().body());
                    return Mono.just(CoapResponse.of(CoapCode.CHANGED));
                })
                .get("/blob", req -> Mono.just(CoapResponse.content(blob.get())))
                // Fresh for one second: a client that heard nothing newer by then registers again.
                .observable("/state", req -> state.asFlux().map(i -> CoapResponse.content("state " + i).maxAge(1))));
        if (dtls) {
            spec = spec.dtls(DtlsServer.psk(null, id -> KEY.clone()).handshakeTimeout(WAIT));
        }
        return spec.bind().block(WAIT);
    }

    private static CoapSession connect(boolean dtls, LossyRelay relay) {
        CoapClient client = CoapClient.create().transmission(LOSSY.withNstart(8)).maxBodySize(2 << 20);
        if (dtls) {
            return client.dtls(DtlsClient.psk("lossy", KEY).handshakeTimeout(WAIT)).connect("coaps://127.0.0.1:" + relay.address().getPort()).block(WAIT);
        }
        return client.connect("coap://127.0.0.1:" + relay.address().getPort()).block(WAIT);
    }

    /** Runs {@code body} with a session to a fresh server through a lossy relay (20% loss, 10% duplication, 10% reordering). */
    private void throughLossyRelay(boolean dtls, long seed, java.util.function.BiConsumer<CoapSession, LossyRelay> body) {
        LiveCoapServer server = server(dtls);
        try (LossyRelay relay = new LossyRelay(server.localAddress(), 0.2, 0.1, 0.1, seed)) {
            CoapSession session = connect(dtls, relay);
            try {
                body.accept(session, relay);
            } finally {
                session.release();
            }
        } finally {
            server.dispose();
        }
    }

    @ParameterizedTest(name = "dtls={0}")
    @ValueSource(booleans = {false, true})
    void everyConfirmableRequestIsAnsweredAndItsHandlerRunsOnce(boolean dtls) {
        throughLossyRelay(dtls, 17, (session, relay) -> {
            List<String> answers = Flux.range(0, 300)
                    .flatMap(i -> session.request(CoapRequest.post("/once", ("r" + i).getBytes(StandardCharsets.UTF_8)))
                            .map(CoapResponse::bodyText), 8)
                    .collectList().block(WAIT);
            assertThat(answers).hasSize(300);
            assertThat(handled).hasSize(300).allSatisfy((id, times) -> assertThat(times).as(id).isEqualTo(1));
            assertThat(relay.dropped()).isPositive();
            assertThat(relay.duplicated()).isPositive();
            assertThat(relay.reordered()).isPositive();
        });
    }

    @ParameterizedTest(name = "dtls={0}")
    @ValueSource(booleans = {false, true})
    void aMegabyteTravelsBlockWiseIntactBothWays(boolean dtls) {
        throughLossyRelay(dtls, 23, (session, relay) -> {
            byte[] body = new byte[1 << 20];
            new Random(5).nextBytes(body);
            assertThat(session.request(CoapRequest.put("/blob", body)).block(WAIT).code()).isEqualTo(CoapCode.CHANGED);
            assertThat(blob.get()).isEqualTo(body);
            assertThat(session.request(CoapRequest.get("/blob")).block(WAIT).body()).isEqualTo(body);
        });
    }

    @ParameterizedTest(name = "dtls={0}")
    @ValueSource(booleans = {false, true})
    void anObserverConvergesOnTheNewestState(boolean dtls) {
        throughLossyRelay(dtls, 29, (session, relay) -> {
            state.tryEmitNext(0);
            StepVerifier.create(session.observe(CoapRequest.get("/state")).map(CoapResponse::bodyText))
                    .expectNext("state 0")
                    .then(() -> {
                        for (int i = 1; i <= 100; i++) {
                            state.tryEmitNext(i); // a burst: most notifications are NON, some are lost
                        }
                    })
                    .thenConsumeWhile(s -> !s.equals("state 100"))
                    .expectNext("state 100")
                    .thenCancel()
                    .verify(WAIT);
        });
    }

    @Test
    void aRequestThatNeverGetsThroughTimesOutAfterItsRetransmissionsAndNotBefore() {
        LiveCoapServer server = server(false);
        try (LossyRelay relay = new LossyRelay(server.localAddress(), 1.0, 0, 0, 31)) {
            CoapTransmission rfc = CoapTransmission.defaults().withAckTimeout(Duration.ofMillis(20)).withAckRandomFactor(1.0);
            CoapSession session = CoapClient.create().transmission(rfc).connect("coap://127.0.0.1:" + relay.address().getPort()).block(WAIT);
            try {
                long started = System.nanoTime();
                StepVerifier.create(session.request(CoapRequest.post("/once", "lost".getBytes(StandardCharsets.UTF_8))))
                        .expectErrorSatisfies(e -> assertThat(((CoapException) e).errorCode()).isEqualTo(CoapErrorCode.TIMEOUT))
                        .verify(WAIT);
                long elapsedMs = (System.nanoTime() - started) / 1_000_000;
                // RFC 7252 §4.8.2: the first transmission and MAX_RETRANSMIT (4) more, ACK_TIMEOUT doubling
                // each time, so the exchange gives up no sooner than ACK_TIMEOUT x (2^5 - 1) = 620 ms.
                assertThat(relay.dropped()).isEqualTo(1 + rfc.maxRetransmit());
                assertThat(elapsedMs).isGreaterThanOrEqualTo(rfc.ackTimeout().toMillis() * ((1L << (rfc.maxRetransmit() + 1)) - 1));
                assertThat(handled).isEmpty();
            } finally {
                session.release();
            }
        } finally {
            server.dispose();
        }
    }
}
