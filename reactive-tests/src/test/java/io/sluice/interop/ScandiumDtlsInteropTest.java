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
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.eclipse.californium.elements.AddressEndpointContext;
import org.eclipse.californium.elements.RawData;
import org.eclipse.californium.elements.config.CertificateAuthenticationMode;
import org.eclipse.californium.elements.config.Configuration;
import org.eclipse.californium.scandium.DTLSConnector;
import org.eclipse.californium.scandium.config.DtlsConfig;
import org.eclipse.californium.scandium.config.DtlsConnectorConfig;
import org.eclipse.californium.scandium.dtls.CertificateType;
import org.eclipse.californium.scandium.dtls.pskstore.AdvancedMultiPskStore;
import org.eclipse.californium.scandium.dtls.pskstore.AdvancedSinglePskStore;
import org.eclipse.californium.scandium.dtls.x509.SingleCertificateProvider;
import org.eclipse.californium.scandium.dtls.x509.StaticNewAdvancedCertificateVerifier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/** Sluice DTLS 1.2 against Eclipse Californium Scandium, both directions, PSK and ECDSA certificates, on loopback. */
class ScandiumDtlsInteropTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final byte[] KEY = "scandium-key-016".getBytes(StandardCharsets.US_ASCII);
    private static final InetSocketAddress LOOPBACK = new InetSocketAddress("127.0.0.1", 0);

    @TempDir
    Path dir;

    @BeforeAll
    static void registerScandiumConfig() {
        DtlsConfig.register();
    }

    private static String text(ByteBuf b) {
        return Utf8.read(b);
    }

    private static DTLSConnector scandium(DtlsConfig.DtlsRole role, Consumer<DtlsConnectorConfig.Builder> setup) throws Exception {
        DtlsConnectorConfig.Builder builder = DtlsConnectorConfig.builder(new Configuration())
                .setAddress(LOOPBACK)
                .set(DtlsConfig.DTLS_ROLE, role)
                .set(DtlsConfig.DTLS_VERIFY_SERVER_CERTIFICATES_SUBJECT, false);
        setup.accept(builder);
        DTLSConnector connector = new DTLSConnector(builder.build());
        return connector;
    }

    /** Makes a Scandium connector echo "echo: " + each message back to its sender. */
    private static void echo(DTLSConnector connector) throws Exception {
        connector.setRawDataReceiver(raw -> connector.send(RawData.outbound(
                ("echo: " + new String(raw.getBytes(), StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8),
                raw.getEndpointContext(), null, false)));
        connector.start();
    }

    private static void roundTrip(DtlsSession session, String message) {
        StepVerifier.create(session.receive().map(ScandiumDtlsInteropTest::text).take(1))
                .then(() -> session.send(Mono.fromSupplier(() -> Unpooled.copiedBuffer(message, StandardCharsets.UTF_8))).block(TIMEOUT))
                .expectNext("echo: " + message)
                .expectComplete()
                .verify(TIMEOUT);
    }

    /** Sends one message from a Scandium client and waits for the echo. */
    private static String scandiumClientRoundTrip(DTLSConnector client, InetSocketAddress server, String message) throws Exception {
        CompletableFuture<String> reply = new CompletableFuture<>();
        client.setRawDataReceiver(raw -> reply.complete(new String(raw.getBytes(), StandardCharsets.UTF_8)));
        client.start();
        client.send(RawData.outbound(message.getBytes(StandardCharsets.UTF_8), new AddressEndpointContext(server), null, false));
        return reply.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    }

    private static LiveDtlsServer sluiceEchoServer(DtlsServer spec) {
        LiveDtlsServer server = spec.bind(LOOPBACK).block(TIMEOUT);
        server.sessions().subscribe(s -> s.send(s.receive().map(b -> Unpooled.copiedBuffer("echo: " + text(b), StandardCharsets.UTF_8)))
                .subscribe(null, e -> { }));
        return server;
    }

    @Test
    void sluiceClientToScandiumServerWithPsk() throws Exception {
        AdvancedMultiPskStore store = new AdvancedMultiPskStore();
        store.setKey("sluice", KEY);
        DTLSConnector server = scandium(DtlsConfig.DtlsRole.SERVER_ONLY, b -> b.setAdvancedPskStore(store));
        echo(server);
        try {
            DtlsSession session = DtlsClient.psk("sluice", KEY).connect(server.getAddress()).block(TIMEOUT);
            assertThat(session.cipherSuite()).contains("PSK");
            roundTrip(session, "psk to scandium");
            session.close().block(TIMEOUT);
        } finally {
            server.destroy();
        }
    }

    @Test
    void scandiumClientToSluiceServerWithPsk() throws Exception {
        LiveDtlsServer server = sluiceEchoServer(DtlsServer.psk(null, id -> "scandium".equals(new String(id, StandardCharsets.UTF_8)) ? KEY : null));
        DTLSConnector client = scandium(DtlsConfig.DtlsRole.CLIENT_ONLY, b -> b.setAdvancedPskStore(new AdvancedSinglePskStore("scandium", KEY)));
        try {
            assertThat(scandiumClientRoundTrip(client, server.localAddress(), "psk from scandium")).isEqualTo("echo: psk from scandium");
            assertThat(server.helloVerifyRequests()).isGreaterThanOrEqualTo(1);
        } finally {
            client.destroy();
            server.dispose();
        }
    }

    @Test
    void sluiceClientToScandiumServerWithEcdsaCertificates() throws Exception {
        OpensslPki pki = new OpensslPki(dir);
        Path serverFiles = pki.issue("scandium-server");
        KeyStore p12 = load(Path.of(serverFiles + ".p12"));
        PrivateKey key = key(p12);
        Certificate[] chain = chain(p12);
        DTLSConnector server = scandium(DtlsConfig.DtlsRole.SERVER_ONLY, b -> b
                .set(DtlsConfig.DTLS_CLIENT_AUTHENTICATION_MODE, CertificateAuthenticationMode.NONE)
                .setCertificateIdentityProvider(new SingleCertificateProvider(key, chain, CertificateType.X_509)));
        echo(server);
        try {
            DtlsSession session = DtlsClient.certificates(DtlsTrust.fromPem(pki.caCert)).connect(server.getAddress()).block(TIMEOUT);
            assertThat(session.cipherSuite()).startsWith("TLS_ECDHE_ECDSA");
            assertThat(session.peerCertificates().get(0).getSubjectX500Principal().getName()).isEqualTo("CN=scandium-server");
            roundTrip(session, "certificates to scandium");
            session.close().block(TIMEOUT);
        } finally {
            server.destroy();
        }
    }

    @Test
    void scandiumClientToSluiceServerWithEcdsaCertificates() throws Exception {
        OpensslPki pki = new OpensslPki(dir);
        Path serverFiles = pki.issue("sluice-server");
        LiveDtlsServer server = sluiceEchoServer(DtlsServer.certificate(DtlsIdentity.fromPkcs12(Path.of(serverFiles + ".p12"),
                "changeit".toCharArray())));
        X509Certificate ca = DtlsTrust.fromPem(pki.caCert).authorities().get(0);
        DTLSConnector client = scandium(DtlsConfig.DtlsRole.CLIENT_ONLY, b -> b
                .setAdvancedCertificateVerifier(StaticNewAdvancedCertificateVerifier.builder().setTrustedCertificates(ca).build()));
        try {
            assertThat(scandiumClientRoundTrip(client, server.localAddress(), "certificates from scandium"))
                    .isEqualTo("echo: certificates from scandium");
        } finally {
            client.destroy();
            server.dispose();
        }
    }

    private static KeyStore load(Path p12) throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(p12)) {
            store.load(in, "changeit".toCharArray());
        }
        return store;
    }

    private static PrivateKey key(KeyStore store) throws Exception {
        String alias = store.aliases().nextElement();
        return (PrivateKey) store.getKey(alias, "changeit".toCharArray());
    }

    private static Certificate[] chain(KeyStore store) throws Exception {
        return store.getCertificateChain(store.aliases().nextElement());
    }
}
