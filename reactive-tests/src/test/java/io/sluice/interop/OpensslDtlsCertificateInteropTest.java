package io.sluice.interop;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.sluice.dtls.session.DtlsClient;
import io.sluice.dtls.session.DtlsIdentity;
import io.sluice.dtls.session.DtlsServer;
import io.sluice.dtls.session.DtlsSession;
import io.sluice.dtls.session.DtlsTrust;
import io.sluice.dtls.session.LiveDtlsServer;
import io.sluice.testing.Utf8;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/**
 * Sluice DTLS 1.2 with ECDSA certificates made by openssl, against s_client (verifying Sluice's
 * chain) and s_server (requiring Sluice's client certificate), on loopback.
 */
class OpensslDtlsCertificateInteropTest {

    @TempDir
    Path dir;

    private static String text(ByteBuf b) {
        return Utf8.read(b);
    }

    @Test
    void opensslClientVerifiesASluiceServer() throws Exception {
        OpensslPki pki = new OpensslPki(dir);
        Path server = pki.issue("sluice-server");
        DtlsIdentity identity = DtlsIdentity.fromPem(Path.of(server + "-chain.pem"), Path.of(server + ".key"));
        LiveDtlsServer sluice = DtlsServer.certificate(identity).bind(new InetSocketAddress("127.0.0.1", 0)).block(PeerProcess.TIMEOUT);
        sluice.sessions().subscribe(s -> s.send(s.receive().map(b -> Unpooled.copiedBuffer("echo: " + text(b), StandardCharsets.UTF_8)))
                .subscribe(null, e -> { }));
        try (PeerProcess client = PeerProcess.start("s_client", "-dtls1_2", "-connect", "127.0.0.1:" + sluice.localAddress().getPort(),
                "-CAfile", pki.caCert.toString(), "-verify_return_error")) {
            client.await("Verify return code: 0 (ok)");
            client.println("hello with certificates");
            client.await("echo: hello with certificates");
        } finally {
            sluice.dispose();
        }
    }

    @Test
    void aSluiceClientWithAPkcs12IdentityTalksToOpensslServerRequiringIt() throws Exception {
        OpensslPki pki = new OpensslPki(dir);
        Path server = pki.issue("openssl-server");
        Path client = pki.issue("sluice-client");
        int port = PeerProcess.freeUdpPort();
        try (PeerProcess openssl = PeerProcess.start("s_server", "-dtls1_2", "-accept", "127.0.0.1:" + port,
                "-cert", server + ".pem", "-key", server + ".key", "-CAfile", pki.caCert.toString(), "-Verify", "2",
                "-verify_return_error")) {
            openssl.await("ACCEPT");
            DtlsSession session = DtlsClient.certificates(DtlsTrust.fromPem(pki.caCert))
                    .identity(DtlsIdentity.fromPkcs12(Path.of(client + ".p12"), "changeit".toCharArray()))
                    .connect(new InetSocketAddress("127.0.0.1", port)).block(PeerProcess.TIMEOUT);
            assertThat(session.cipherSuite()).startsWith("TLS_ECDHE_ECDSA_WITH");
            assertThat(session.peerCertificates().get(0).getSubjectX500Principal().getName()).isEqualTo("CN=openssl-server");
            StepVerifier.create(session.receive().map(OpensslDtlsCertificateInteropTest::text).take(1))
                    .then(() -> {
                        session.send(Mono.fromSupplier(() -> Unpooled.copiedBuffer("client-authenticated hello\n", StandardCharsets.UTF_8)))
                                .block(PeerProcess.TIMEOUT);
                        try {
                            openssl.await("client-authenticated hello");
                            openssl.println("welcome");
                        } catch (Exception e) {
                            throw new AssertionError(e);
                        }
                    })
                    .expectNext("welcome\n")
                    .expectComplete()
                    .verify(PeerProcess.TIMEOUT);
            session.close().block(PeerProcess.TIMEOUT);
        }
    }
}
