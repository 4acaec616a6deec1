package io.sluice.dtls.session;

import static io.sluice.dtls.session.DtlsPskTest.KEY;
import static io.sluice.dtls.session.DtlsPskTest.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

/** Configured cipher suites: negotiated as asked, including those the JDK lacks, and refused clearly when they cannot run. */
class DtlsCipherSuiteTest {

    private LiveDtlsServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.dispose();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLS_PSK_WITH_AES_128_CCM_8", "TLS_PSK_WITH_CHACHA20_POLY1305_SHA256", "TLS_PSK_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256"})
    void theConfiguredSuiteIsNegotiatedAndCarriesData(String suite) {
        server = DtlsServer.psk(null, id -> KEY).bind(new InetSocketAddress("127.0.0.1", 0)).block(TIMEOUT);
        DtlsPskTest.echo(server);
        DtlsSession session = DtlsClient.psk("suites", KEY).cipherSuites(suite).connect(server.localAddress()).block(TIMEOUT);
        assertThat(session.cipherSuite()).isEqualTo(suite);
        StepVerifier.create(session.receive().map(DtlsPskTest::text).take(2))
                .then(() -> session.send(Flux.just("x", "y").map(DtlsPskTest::utf8)).block(TIMEOUT))
                .expectNext("X", "Y")
                .expectComplete()
                .verify(TIMEOUT);
        session.close().block(TIMEOUT);
    }

    @Test
    void theServersPreferenceWinsAmongWhatTheClientOffers() {
        server = DtlsServer.psk(null, id -> KEY).cipherSuites("TLS_PSK_WITH_AES_128_CCM_8", "TLS_PSK_WITH_AES_128_GCM_SHA256")
                .bind(new InetSocketAddress("127.0.0.1", 0)).block(TIMEOUT);
        DtlsSession session = DtlsClient.psk("suites", KEY).cipherSuites("TLS_PSK_WITH_AES_128_GCM_SHA256", "TLS_PSK_WITH_AES_128_CCM_8")
                .connect(server.localAddress()).block(TIMEOUT);
        assertThat(session.cipherSuite()).isEqualTo("TLS_PSK_WITH_AES_128_CCM_8");
        session.close().block(TIMEOUT);
    }

    @Test
    void noSuiteInCommonFailsTheHandshakeClearly() {
        server = DtlsServer.psk(null, id -> KEY).cipherSuites("TLS_PSK_WITH_AES_128_CCM_8")
                .bind(new InetSocketAddress("127.0.0.1", 0)).block(TIMEOUT);
        StepVerifier.create(DtlsClient.psk("suites", KEY).cipherSuites("TLS_PSK_WITH_AES_256_GCM_SHA384").connect(server.localAddress()))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(DtlsException.class).hasMessageContaining("handshake_failure"))
                .verify(TIMEOUT);
    }

    @Test
    void suitesThatCannotRunAreRefusedWhenConfigured() throws Exception {
        DtlsClient psk = DtlsClient.psk("suites", KEY);
        assertThatThrownBy(() -> psk.cipherSuites("TLS_NO_SUCH_SUITE")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown cipher suite 'TLS_NO_SUCH_SUITE'");
        assertThatThrownBy(() -> psk.cipherSuites("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"))
                .hasMessageContaining("is not a pre-shared-key suite");
        assertThatThrownBy(() -> psk.cipherSuites("TLS_PSK_WITH_RC4_128_SHA")).hasMessageContaining("cannot be used with DTLS 1.2");
        assertThatThrownBy(() -> psk.cipherSuites()).hasMessageContaining("at least one");
        TestPki pki = new TestPki("Suites CA");
        assertThatThrownBy(() -> DtlsServer.certificate(pki.issue("ec-server", true)).cipherSuites("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"))
                .hasMessageContaining("can be served with the identity's EC key");
    }
}
