package io.sluice.dtls.session;

import static io.sluice.dtls.session.DtlsPskTest.KEY;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

/** Handshakes through a relay that loses 20% of datagrams and reorders others: RFC 6347 §4.2.4 retransmission at work. */
class DtlsLossTest {

    /**
     * Retransmission timers start at 1 s and double (RFC 6347 §4.2.4.1), so a flight that is
     * lost several times in a row takes a while; the timeout leaves room for that.
     */
    private static final Duration LONG = Duration.ofSeconds(150);

    @Test
    void handshakesCompleteDespiteLossAndReordering() throws Exception {
        TestPki pki = new TestPki("Lossy CA");
        LiveDtlsServer pskServer = DtlsServer.psk(null, id -> KEY).handshakeTimeout(LONG).bind(new InetSocketAddress("127.0.0.1", 0))
                .block(DtlsPskTest.TIMEOUT);
        LiveDtlsServer certServer = DtlsServer.certificate(pki.issue("server", true)).handshakeTimeout(LONG)
                .bind(new InetSocketAddress("127.0.0.1", 0)).block(DtlsPskTest.TIMEOUT);
        DtlsPskTest.echo(pskServer);
        DtlsPskTest.echo(certServer);
        long lost = 0;
        try (LossyRelay toPsk = new LossyRelay(pskServer.localAddress(), 0.2, 0.2, 7);
             LossyRelay toCert = new LossyRelay(certServer.localAddress(), 0.2, 0.2, 11)) {
            for (int round = 0; round < 1; round++) {
                DtlsSession psk = DtlsClient.psk("client-1", KEY).handshakeTimeout(LONG).connect(toPsk.address()).block(LONG);
                DtlsSession cert = DtlsClient.certificates(pki.trust()).handshakeTimeout(LONG).connect(toCert.address()).block(LONG);
                for (DtlsSession s : new DtlsSession[] {psk, cert}) {
                    // Application data is not retransmitted: send until one echo makes it through.
                    StepVerifier.create(s.receive().map(DtlsPskTest::text).next())
                            .then(() -> s.send(Flux.range(0, 30).map(i -> DtlsPskTest.utf8("m" + i))).block(DtlsPskTest.TIMEOUT))
                            .assertNext(echo -> assertThat(echo).startsWith("M"))
                            .expectComplete()
                            .verify(DtlsPskTest.TIMEOUT);
                    s.close().block(DtlsPskTest.TIMEOUT);
                }
            }
            lost = toPsk.dropped() + toCert.dropped();
            assertThat(toPsk.reordered() + toCert.reordered()).isPositive();
        } finally {
            pskServer.dispose();
            certServer.dispose();
        }
        assertThat(lost).as("the relay really lost datagrams").isPositive();
    }
}
