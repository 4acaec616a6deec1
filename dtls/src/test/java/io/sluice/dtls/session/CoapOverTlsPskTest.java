package io.sluice.dtls.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.coap.CoapClient;
import io.sluice.codec.coap.CoapCode;
import io.sluice.coap.CoapErrorCode;
import io.sluice.coap.CoapException;
import io.sluice.coap.CoapProtocol;
import io.sluice.coap.CoapRequest;
import io.sluice.coap.CoapResponse;
import io.sluice.coap.CoapServer;
import io.sluice.coap.CoapSession;
import io.sluice.coap.CoapSessionState;
import io.sluice.coap.LiveCoapServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/** CoAP over TLS with pre-shared keys ({@code coaps+tcp}, {@code coaps+ws}): Sluice on both ends, on BouncyCastle's TLS. */
class CoapOverTlsPskTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final byte[] KEY = "coap-tls-psk-key".getBytes(StandardCharsets.US_ASCII);

    private static LiveCoapServer server(boolean webSocket, List<byte[]> stored) {
        CoapServer spec = CoapServer.create().port(0)
                .tls(TlsPsk.server("sluice", id -> new String(id, StandardCharsets.UTF_8).equals("sensor-7") ? KEY.clone() : null))
                .route(r -> r
                        .get("/hello", req -> Mono.just(CoapResponse.content("hello, "
                                + req.session().secureStream().flatMap(s -> s.pskIdentity()).map(String::new).orElse("?"))))
                        .put("/store", req -> {
                            stored.add(req.request().body());
                            return Mono.just(CoapResponse.of(CoapCode.CHANGED));
                        })
                        .observable("/count", req -> Flux.range(0, 5).map(i -> CoapResponse.content("n" + i))))
                .csmTimeout(Duration.ofSeconds(5));
        return (webSocket ? spec.webSocket() : spec).bind().block(WAIT);
    }

    @Test
    void aPskClientGetsPutsObservesAndPingsOverCoapsTcp() {
        List<byte[]> stored = new CopyOnWriteArrayList<>();
        LiveCoapServer server = server(false, stored);
        List<CoapSessionState> seen = new CopyOnWriteArrayList<>();
        CoapSession session = CoapClient.create().tls(TlsPsk.client("sensor-7", KEY)).doOnSession(s -> s.states().subscribe(seen::add))
                .connect("coaps+tcp://127.0.0.1:" + server.localAddress().getPort()).block(WAIT);
        try {
            assertThat(session.protocol()).isEqualTo(CoapProtocol.TLS);
            assertThat(seen).containsSubsequence(CoapSessionState.CONNECTING, CoapSessionState.HANDSHAKE, CoapSessionState.CSM,
                    CoapSessionState.ESTABLISHED);
            assertThat(session.secureStream()).hasValueSatisfying(s -> {
                assertThat(s.protocolVersion()).contains("TLSv1.2");
                assertThat(s.cipherSuite()).hasValueSatisfying(c -> assertThat(c).contains("PSK"));
            });
            assertThat(session.tlsSession()).isEmpty(); // not the JDK's TLS
            StepVerifier.create(session.request(CoapRequest.get("/hello")).map(CoapResponse::bodyText))
                    .expectNext("hello, sensor-7").verifyComplete();
            byte[] body = new byte[100 * 1024];
            for (int i = 0; i < body.length; i++) {
                body[i] = (byte) (i * 7);
            }
            assertThat(session.request(CoapRequest.put("/store", body)).block(WAIT).code()).isEqualTo(CoapCode.CHANGED);
            assertThat(stored).singleElement().isEqualTo(body);
            StepVerifier.create(session.observe(CoapRequest.get("/count")).map(CoapResponse::bodyText).take(5))
                    .expectNext("n0", "n1", "n2", "n3", "n4").verifyComplete();
            StepVerifier.create(session.ping()).assertNext(rtt -> assertThat(rtt).isPositive()).verifyComplete();
        } finally {
            session.release();
            server.dispose();
        }
    }

    @Test
    void aPskClientIsServedOverCoapsWs() {
        LiveCoapServer server = server(true, new CopyOnWriteArrayList<>());
        CoapSession session = CoapClient.create().tls(TlsPsk.client("sensor-7", KEY))
                .connect("coaps+ws://127.0.0.1:" + server.localAddress().getPort()).block(WAIT);
        try {
            assertThat(session.protocol()).isEqualTo(CoapProtocol.WSS);
            StepVerifier.create(session.request(CoapRequest.get("/hello")).map(CoapResponse::bodyText))
                    .expectNext("hello, sensor-7").verifyComplete();
        } finally {
            session.release();
            server.dispose();
        }
    }

    @Test
    void aWrongKeyFailsTheHandshakeAndTheSessionEndsClosed() {
        LiveCoapServer server = server(false, new CopyOnWriteArrayList<>());
        AtomicReference<CoapSession> attempt = new AtomicReference<>();
        try {
            StepVerifier.create(CoapClient.create().tls(TlsPsk.client("sensor-7", "not-the-right-key".getBytes(StandardCharsets.US_ASCII)))
                            .doOnSession(attempt::set)
                            .connect("coaps+tcp://127.0.0.1:" + server.localAddress().getPort()))
                    .expectErrorSatisfies(e -> {
                        assertThat(((CoapException) e).errorCode()).isEqualTo(CoapErrorCode.HANDSHAKE_FAILED);
                        assertThat(e).hasMessageContaining("TLS handshake");
                    })
                    .verify(WAIT);
            StepVerifier.create(attempt.get().onClose()).expectComplete().verify(WAIT);
            assertThat(attempt.get().state()).isEqualTo(CoapSessionState.CLOSED);
        } finally {
            server.dispose();
        }
    }

    @Test
    void anUnknownIdentityFailsTheHandshake() {
        LiveCoapServer server = server(false, new CopyOnWriteArrayList<>());
        try {
            StepVerifier.create(CoapClient.create().tls(TlsPsk.client("stranger", KEY))
                            .connect("coaps+tcp://127.0.0.1:" + server.localAddress().getPort()))
                    .expectErrorSatisfies(e -> assertThat(((CoapException) e).errorCode()).isEqualTo(CoapErrorCode.HANDSHAKE_FAILED))
                    .verify(WAIT);
        } finally {
            server.dispose();
        }
    }

    @Test
    void garbageInsteadOfAClientHelloGetsTheConnectionClosed() throws Exception {
        LiveCoapServer server = server(false, new CopyOnWriteArrayList<>());
        try (java.net.Socket raw = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), server.localAddress().getPort())) {
            raw.setSoTimeout((int) WAIT.toMillis());
            // A well-formed TLS record carrying a handshake message of a type that does not exist.
            byte[] junk = {0x16, 0x03, 0x01, 0x00, 0x04, (byte) 0xFF, 0x00, 0x00, 0x00};
            raw.getOutputStream().write(junk);
            raw.getOutputStream().flush();
            java.io.InputStream in = raw.getInputStream();
            byte[] buf = new byte[1024];
            int total = 0;
            for (int n; (n = in.read(buf)) >= 0; ) {
                total += n; // a fatal alert, then the end of the stream
            }
            assertThat(total).isLessThan(64);
        } finally {
            server.dispose();
        }
    }

    @Test
    void aClientSpecCannotServeAndAServerSpecCannotConnect() {
        assertThatThrownBy(() -> CoapServer.create().tls(TlsPsk.client("a", KEY))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CoapClient.create().tls(TlsPsk.server(null, id -> KEY))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TlsPsk.client("a", KEY).cipherSuites("TLS_NO_SUCH_SUITE")).isInstanceOf(IllegalArgumentException.class);
    }
}
