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
import io.sluice.testing.Await;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;

/** CoAP sessions through their DTLS handshakes, seen from their start (libcoap's HELLO sessions), on both sides. */
class CoapOverDtlsSessionTest {

    private static LiveCoapServer pskServer() {
        return CoapServer.create().port(0)
                .route(r -> r.get("/hello", req -> Mono.just(CoapResponse.content("hi"))))
                .dtls(DtlsServer.psk("hint", id -> KEY.clone()))
                .bind().block(WAIT);
    }

    @Test
    void aServerSessionIsHelloInHandshakeWhileItsDtlsHandshakeRunsThenServerEstablished() {
        LiveCoapServer server = pskServer();
        Disposable.Composite owned = Disposables.composite();
        try {
            InetSocketAddress address = new InetSocketAddress("127.0.0.1", server.localAddress().getPort());
            Sinks.Empty<Void> gate = Sinks.empty();
            BlockingQueue<DtlsSession> client = new LinkedBlockingQueue<>();
            owned.add(HeldHandshake.connect(DtlsClient.psk("held", KEY), address, gate, owned).subscribe(client::add));

            Await.until(() -> !server.sessions().isEmpty(), WAIT);
            CoapSession hello = server.sessions().get(0);
            assertThat(hello.type()).isEqualTo(CoapSessionType.HELLO);
            assertThat(hello.state()).isEqualTo(CoapSessionState.HANDSHAKE);
            StepVerifier states = StepVerifier.create(hello.states().take(2))
                    .expectNext(CoapSessionState.HANDSHAKE, CoapSessionState.ESTABLISHED).expectComplete().verifyLater();

            gate.tryEmitEmpty();
            states.verify(WAIT);
            assertThat(hello.type()).isEqualTo(CoapSessionType.SERVER);
            assertThat(hello.pskKey()).hasValueSatisfying(k -> assertThat(k).isEqualTo(KEY));
            assertThat(hello.pskHint()).hasValueSatisfying(h -> assertThat(new String(h, StandardCharsets.UTF_8)).isEqualTo("hint"));
            DtlsSession dtls = client.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(dtls).isNotNull();
            owned.add(dtls);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        } finally {
            owned.dispose();
            server.dispose();
        }
    }

    @Test
    void aServerSessionWhoseHandshakeFailsEndsClosedWithoutEverServing() {
        LiveCoapServer server = pskServer();
        Disposable.Composite owned = Disposables.composite();
        try {
            InetSocketAddress address = new InetSocketAddress("127.0.0.1", server.localAddress().getPort());
            Sinks.Empty<Void> gate = Sinks.empty();
            BlockingQueue<Throwable> failed = new LinkedBlockingQueue<>();
            owned.add(HeldHandshake.connect(DtlsClient.psk("wrong", "not-the-right-key".getBytes(StandardCharsets.US_ASCII)), address, gate, owned)
                    .subscribe(null, failed::add));
            Await.until(() -> !server.sessions().isEmpty(), WAIT);
            CoapSession hello = server.sessions().get(0);
            assertThat(hello.type()).isEqualTo(CoapSessionType.HELLO);
            StepVerifier states = StepVerifier.create(hello.states())
                    .expectNext(CoapSessionState.HANDSHAKE, CoapSessionState.CLOSED).expectComplete().verifyLater();
            gate.tryEmitEmpty();
            states.verify(WAIT);
            assertThat(hello.type()).isEqualTo(CoapSessionType.HELLO);
            assertThat(failed.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isInstanceOf(DtlsException.class);
            Await.until(() -> server.sessions().isEmpty(), WAIT);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        } finally {
            owned.dispose();
            server.dispose();
        }
    }

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
