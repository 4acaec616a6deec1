package io.sluice.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.sluice.dtls.session.DtlsClient;
import io.sluice.dtls.session.DtlsServer;
import io.sluice.testing.Utf8;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/**
 * A protocol written against the datagram-security SPI alone — {@link #echoOver} imports nothing
 * from the DTLS module — runs over the BouncyCastle DTLS implementation.
 */
class SecureDatagramSpiTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final byte[] KEY = "spi-key-0123456789".getBytes(StandardCharsets.US_ASCII);

    /** An upper-case echo over any security layer, checked from the client. */
    private static void echoOver(SecureDatagramServer serverSpec, SecureDatagramClient clientSpec) {
        SecureDatagramListener listener = serverSpec.bind(new InetSocketAddress("127.0.0.1", 0)).block(TIMEOUT);
        try {
            listener.sessions().subscribe(s -> s.send(s.receive().map(b -> Unpooled.copiedBuffer(Utf8.read(b).toUpperCase(),
                    StandardCharsets.UTF_8))).subscribe(null, e -> { }));
            SecureDatagramSession client = clientSpec.connect(listener.localAddress()).block(TIMEOUT);
            assertThat(client.remoteAddress()).isEqualTo(listener.localAddress());
            assertThat(client.cipherSuite()).startsWith("TLS_");
            StepVerifier.create(client.receive().map(Utf8::read).take(3))
                    .then(() -> client.send(Flux.just("a", "b", "c").map(t -> Unpooled.copiedBuffer(t, StandardCharsets.UTF_8)))
                            .block(TIMEOUT))
                    .expectNext("A", "B", "C")
                    .expectComplete()
                    .verify(TIMEOUT);
            client.close().block(TIMEOUT);
            StepVerifier.create(client.onClose()).expectComplete().verify(TIMEOUT);
            assertThat(client.isDisposed()).isTrue();
        } finally {
            listener.dispose();
            StepVerifier.create(listener.onDispose()).expectComplete().verify(TIMEOUT);
        }
    }

    @Test
    void dtlsWithPskImplementsTheSpi() {
        echoOver(DtlsServer.psk("hint", id -> KEY), DtlsClient.psk("spi", KEY));
    }

    @Test
    void aServerSessionIsHandedOutInHandshakeThenEstablished() {
        SecureDatagramListener listener = DtlsServer.psk(null, id -> KEY).bind(new InetSocketAddress("127.0.0.1", 0)).block(TIMEOUT);
        try {
            StepVerifier.create(listener.sessions().next().flatMapMany(SecureDatagramSession::states).take(2))
                    .then(() -> DtlsClient.psk("states", KEY).connect(listener.localAddress()).subscribe())
                    .expectNext(SecureSessionState.HANDSHAKE, SecureSessionState.ESTABLISHED)
                    .expectComplete()
                    .verify(TIMEOUT);
        } finally {
            listener.dispose();
        }
    }

    @Test
    void theServerSideSessionEndsWhenTheClientCloses() {
        SecureDatagramListener listener = DtlsServer.psk(null, id -> KEY).bind(new InetSocketAddress("127.0.0.1", 0)).block(TIMEOUT);
        try {
            StepVerifier.create(listener.sessions().next().flatMap(s -> s.onClose().then(Mono.fromCallable(() -> s.pskIdentity().orElseThrow()))))
                    .then(() -> DtlsClient.psk("closing", KEY).connect(listener.localAddress())
                            .flatMap(SecureDatagramSession::close).block(TIMEOUT))
                    .assertNext(identity -> assertThat(new String(identity, StandardCharsets.UTF_8)).isEqualTo("closing"))
                    .expectComplete()
                    .verify(TIMEOUT);
        } finally {
            listener.dispose();
        }
    }
}
