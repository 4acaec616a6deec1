package io.sluice.interop;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.sluice.dtls.session.DtlsClient;
import io.sluice.dtls.session.DtlsServer;
import io.sluice.dtls.session.DtlsSession;
import io.sluice.dtls.session.LiveDtlsServer;
import io.sluice.testing.Await;
import io.sluice.testing.Utf8;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/** Sluice DTLS 1.2 with PSK against OpenSSL's s_client and s_server, both directions, on loopback. */
class OpensslDtlsPskInteropTest {

    private static final byte[] KEY = "sluice-secret-16".getBytes(StandardCharsets.US_ASCII);
    private static final String KEY_HEX = HexFormat.of().formatHex(KEY);

    private static String text(ByteBuf b) {
        return Utf8.read(b);
    }

    @Test
    void opensslClientTalksToASluiceServer() throws Exception {
        LiveDtlsServer server = DtlsServer.psk("sluice", id -> "openssl".equals(new String(id, StandardCharsets.UTF_8)) ? KEY : null)
                .bind(new InetSocketAddress("127.0.0.1", 0)).block(PeerProcess.TIMEOUT);
        server.sessions().subscribe(s -> s.send(s.receive().map(b -> Unpooled.copiedBuffer("echo: " + text(b), StandardCharsets.UTF_8)))
                .subscribe(null, e -> { }));
        try (PeerProcess client = PeerProcess.start("s_client", "-dtls1_2", "-connect",
                "127.0.0.1:" + server.localAddress().getPort(), "-psk_identity", "openssl", "-psk", KEY_HEX, "-quiet")) {
            client.println("hello from openssl");
            client.await("echo: hello from openssl");
        } finally {
            server.dispose();
        }
        assertThat(server.helloVerifyRequests()).as("the cookie exchange ran").isGreaterThanOrEqualTo(1);
    }

    @Test
    void aSluiceClientTalksToOpensslServer() throws Exception {
        int port = PeerProcess.freeUdpPort();
        try (PeerProcess server = PeerProcess.start("s_server", "-dtls1_2", "-accept", "127.0.0.1:" + port, "-nocert",
                "-psk_identity", "sluice", "-psk", KEY_HEX, "-psk_hint", "openssl-hint")) {
            server.await("ACCEPT");
            DtlsSession session = DtlsClient.psk("sluice", KEY).connect(new InetSocketAddress("127.0.0.1", port))
                    .block(PeerProcess.TIMEOUT);
            assertThat(session.cipherSuite()).contains("PSK");
            StepVerifier.create(session.receive().map(OpensslDtlsPskInteropTest::text).take(1))
                    .then(() -> {
                        session.send(Mono.fromSupplier(() -> Unpooled.copiedBuffer("hello from sluice\n", StandardCharsets.UTF_8)))
                                .block(PeerProcess.TIMEOUT);
                        try {
                            server.await("hello from sluice");
                            server.println("hello from openssl");
                        } catch (Exception e) {
                            throw new AssertionError(e);
                        }
                    })
                    .expectNext("hello from openssl\n")
                    .expectComplete()
                    .verify(PeerProcess.TIMEOUT);
            session.close().block(PeerProcess.TIMEOUT);
        }
    }

    /**
     * Records both ways in a chosen suite, from a byte to a kilobyte. CoAP's mandatory PSK suite
     * (RFC 7252 §9.1.3.1) comes from BouncyCastle (the JDK has no AES-CCM) and its records from
     * BouncyCastle's cipher; AES-GCM records are sealed and opened by Sluice's own record cipher on
     * the JDK, so OpenSSL must read what it seals and it what OpenSSL seals, with both key sizes.
     */
    @ParameterizedTest
    @CsvSource({"TLS_PSK_WITH_AES_128_CCM_8, PSK-AES128-CCM8", "TLS_PSK_WITH_AES_128_GCM_SHA256, PSK-AES128-GCM-SHA256",
            "TLS_PSK_WITH_AES_256_GCM_SHA384, PSK-AES256-GCM-SHA384"})
    void recordsGoBothWaysWithOpensslInTheChosenSuite(String suite, String opensslName) throws Exception {
        java.util.List<DtlsSession> accepted = new java.util.concurrent.CopyOnWriteArrayList<>();
        LiveDtlsServer server = DtlsServer.psk(null, id -> KEY).cipherSuites(suite)
                .bind(new InetSocketAddress("127.0.0.1", 0)).block(PeerProcess.TIMEOUT);
        server.establishedSessions().doOnNext(accepted::add)
                .subscribe(s -> s.send(s.receive().map(b -> Unpooled.copiedBuffer("echo: " + text(b), StandardCharsets.UTF_8)))
                .subscribe(null, e -> { }));
        try (PeerProcess client = PeerProcess.start("s_client", "-dtls1_2", "-connect",
                "127.0.0.1:" + server.localAddress().getPort(), "-psk_identity", "openssl", "-psk", KEY_HEX,
                "-cipher", opensslName, "-quiet")) {
            for (String line : new String[] {"x", "in " + suite, "k".repeat(1000)}) {
                client.println(line);
                client.await("echo: " + line);
            }
            assertThat(accepted.get(0).cipherSuite()).isEqualTo(suite);
        } finally {
            server.dispose();
        }
    }

    @Test
    void srtpProfileAndExportedKeysAgreeWithOpenssl() throws Exception {
        java.util.List<DtlsSession> accepted = new java.util.concurrent.CopyOnWriteArrayList<>();
        LiveDtlsServer server = DtlsServer.psk(null, id -> KEY)
                .srtpProfiles(io.sluice.dtls.session.SrtpProfile.AES128_CM_HMAC_SHA1_80)
                .exportKeyingMaterial("EXTRACTOR-dtls_srtp", null, 60)
                .bind(new InetSocketAddress("127.0.0.1", 0)).block(PeerProcess.TIMEOUT);
        server.establishedSessions().subscribe(accepted::add);
        try (PeerProcess client = PeerProcess.start("s_client", "-dtls1_2", "-connect", "127.0.0.1:" + server.localAddress().getPort(),
                "-psk_identity", "openssl", "-psk", KEY_HEX, "-use_srtp", "SRTP_AES128_CM_SHA1_80",
                "-keymatexport", "EXTRACTOR-dtls_srtp", "-keymatexportlen", "60")) {
            client.await("SRTP Extension negotiated, profile=SRTP_AES128_CM_SHA1_80");
            String keys = client.await("Keying material: ").replaceAll(".*Keying material: *", "").trim();
            Await.until(() -> !accepted.isEmpty(), PeerProcess.TIMEOUT);
            DtlsSession session = accepted.get(0);
            assertThat(session.srtpProfile()).contains(io.sluice.dtls.session.SrtpProfile.AES128_CM_HMAC_SHA1_80);
            assertThat(HexFormat.of().formatHex(session.exportKeyingMaterial("EXTRACTOR-dtls_srtp", null, 60)))
                    .isEqualToIgnoringCase(keys);
        } finally {
            server.dispose();
        }
    }
}
