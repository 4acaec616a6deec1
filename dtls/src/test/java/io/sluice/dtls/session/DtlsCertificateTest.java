package io.sluice.dtls.session;

import static io.sluice.dtls.session.DtlsPskTest.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

class DtlsCertificateTest {

    private static final InetSocketAddress LOOPBACK = new InetSocketAddress("127.0.0.1", 0);
    private LiveDtlsServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.dispose();
        }
    }

    private void roundTrip(DtlsSession session) {
        StepVerifier.create(session.receive().map(DtlsPskTest::text).take(1))
                .then(() -> session.send(Flux.just("ping").map(DtlsPskTest::utf8)).block(TIMEOUT))
                .expectNext("PING")
                .expectComplete()
                .verify(TIMEOUT);
    }

    @Test
    void ecdsaServerCertificate() throws Exception {
        TestPki pki = new TestPki("Sluice Test CA");
        server = DtlsServer.certificate(pki.issue("server", true)).bind(LOOPBACK).block(TIMEOUT);
        DtlsPskTest.echo(server);
        DtlsSession session = DtlsClient.certificates(pki.trust()).connect(server.localAddress()).block(TIMEOUT);
        assertThat(session.cipherSuite()).startsWith("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
        assertThat(session.peerCertificates()).first().satisfies(c -> assertThat(c.getSubjectX500Principal().getName()).isEqualTo("CN=server"));
        roundTrip(session);
        session.close().block(TIMEOUT);
    }

    @Test
    void rsaServerCertificateAndRequiredClientAuth() throws Exception {
        TestPki pki = new TestPki("Sluice Test CA");
        server = DtlsServer.certificate(pki.issue("rsa-server", false)).clientAuth(ClientAuth.REQUIRED, pki.trust())
                .bind(LOOPBACK).block(TIMEOUT);
        java.util.List<DtlsSession> accepted = new java.util.concurrent.CopyOnWriteArrayList<>();
        server.establishedSessions().doOnNext(accepted::add).subscribe(s -> s.send(s.receive().map(b -> DtlsPskTest.utf8(DtlsPskTest.text(b).toUpperCase())))
                .subscribe(null, e -> { }));
        DtlsSession session = DtlsClient.certificates(pki.trust()).identity(pki.issue("client-7", true)).connect(server.localAddress())
                .block(TIMEOUT);
        assertThat(session.cipherSuite()).startsWith("TLS_ECDHE_RSA_WITH");
        roundTrip(session);
        assertThat(accepted).singleElement().satisfies(s -> assertThat(s.peerCertificates().get(0).getSubjectX500Principal().getName())
                .isEqualTo("CN=client-7"));
        session.close().block(TIMEOUT);
    }

    @Test
    void requiredClientAuthRefusesAClientWithoutACertificate() throws Exception {
        TestPki pki = new TestPki("Sluice Test CA");
        server = DtlsServer.certificate(pki.issue("server", true)).clientAuth(ClientAuth.REQUIRED, pki.trust()).bind(LOOPBACK).block(TIMEOUT);
        DtlsPskTest.echo(server);
        StepVerifier.create(DtlsClient.certificates(pki.trust()).handshakeTimeout(Duration.ofSeconds(5)).connect(server.localAddress()))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(DtlsException.class).hasMessageContaining("handshake_failure"))
                .verify(TIMEOUT);
    }

    @Test
    void untrustedAndExpiredServerCertificatesAreRefusedWithTheReason() throws Exception {
        TestPki pki = new TestPki("Sluice Test CA");
        TestPki other = new TestPki("Someone Else");
        server = DtlsServer.certificate(other.issue("server", true)).bind(LOOPBACK).block(TIMEOUT);
        StepVerifier.create(DtlsClient.certificates(pki.trust()).connect(server.localAddress()))
                .expectErrorSatisfies(e -> assertThat(e).hasMessageContaining("bad_certificate").hasMessageContaining("not trusted"))
                .verify(TIMEOUT);
        server.dispose();
        server = DtlsServer.certificate(pki.issue("server", true, Instant.now().minus(Duration.ofDays(10)), Duration.ofDays(1)))
                .bind(LOOPBACK).block(TIMEOUT);
        StepVerifier.create(DtlsClient.certificates(pki.trust()).connect(server.localAddress()))
                .expectErrorSatisfies(e -> assertThat(e).hasMessageContaining("outside its validity"))
                .verify(TIMEOUT);
    }

    @Test
    void optionalClientAuthLetsAClientWithoutACertificateIn() throws Exception {
        TestPki pki = new TestPki("Sluice Test CA");
        server = DtlsServer.certificate(pki.issue("server", true)).clientAuth(ClientAuth.OPTIONAL, pki.trust()).bind(LOOPBACK).block(TIMEOUT);
        java.util.List<DtlsSession> accepted = new java.util.concurrent.CopyOnWriteArrayList<>();
        server.establishedSessions().doOnNext(accepted::add).subscribe(s -> s.send(s.receive().map(b -> DtlsPskTest.utf8(DtlsPskTest.text(b).toUpperCase())))
                .subscribe(null, e -> { }));
        DtlsSession anonymous = DtlsClient.certificates(pki.trust()).connect(server.localAddress()).block(TIMEOUT);
        roundTrip(anonymous);
        DtlsSession known = DtlsClient.certificates(pki.trust()).identity(pki.issue("client-9", false)).connect(server.localAddress())
                .block(TIMEOUT);
        roundTrip(known);
        assertThat(accepted).hasSize(2);
        assertThat(accepted.get(0).peerCertificates()).isEmpty();
        assertThat(accepted.get(1).peerCertificates().get(0).getSubjectX500Principal().getName()).isEqualTo("CN=client-9");
        anonymous.close().block(TIMEOUT);
        known.close().block(TIMEOUT);
    }
}
