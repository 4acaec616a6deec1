package io.sluice.dtls.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.coap.CoapClient;
import io.sluice.coap.CoapErrorCode;
import io.sluice.coap.CoapException;
import io.sluice.coap.CoapResponse;
import io.sluice.coap.CoapServer;
import io.sluice.coap.CoapSession;
import io.sluice.coap.CoapSessionState;
import io.sluice.coap.CoapSessionType;
import io.sluice.coap.LiveCoapServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/** A CoAP client session through its DTLS handshake, seen from its start (libcoap's HELLO session). */
class CoapOverDtlsSessionTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final byte[] KEY = "coap-dtls-key-16".getBytes(StandardCharsets.US_ASCII);

    @Test
    void aFailedClientHandshakeEndsTheSessionClosed() {
        LiveCoapServer server = CoapServer.create().port(0)
                .route(r -> r.get("/hello", req -> Mono.just(CoapResponse.content("hi"))))
                .dtls(DtlsServer.psk("hint", id -> KEY.clone()).handshakeTimeout(Duration.ofSeconds(5)))
                .bind().block(WAIT);
        AtomicReference<CoapSession> seen = new AtomicReference<>();
        try {
            CoapClient client = CoapClient.create().doOnSession(seen::set)
                    .dtls(DtlsClient.psk("someone", "not-the-right-key".getBytes(StandardCharsets.US_ASCII)).handshakeTimeout(Duration.ofSeconds(5)));
            StepVerifier.create(client.connect("coaps://127.0.0.1:" + server.localAddress().getPort()))
                    .expectErrorSatisfies(e -> assertThat(((CoapException) e).errorCode()).isEqualTo(CoapErrorCode.HANDSHAKE_FAILED))
                    .verify(WAIT);
            CoapSession hello = seen.get();
            assertThat(hello.type()).isEqualTo(CoapSessionType.HELLO);
            StepVerifier.create(hello.onClose()).expectComplete().verify(WAIT);
            assertThat(hello.state()).isEqualTo(CoapSessionState.CLOSED);
            assertThat(hello.server()).isEmpty();

            // With the right key the same spec's session is established, and the server's side knows its server.
            CoapSession ok = CoapClient.create().dtls(DtlsClient.psk("someone", KEY))
                    .connect("coaps://127.0.0.1:" + server.localAddress().getPort()).block(WAIT);
            try {
                StepVerifier.create(ok.request(io.sluice.coap.CoapRequest.get("/hello")))
                        .assertNext(r -> assertThat(r.bodyText()).isEqualTo("hi")).verifyComplete();
                assertThat(server.sessions()).hasSize(1).allSatisfy(s -> assertThat(s.server()).containsSame(server));
            } finally {
                ok.release();
            }
        } finally {
            server.dispose();
        }
    }
}
