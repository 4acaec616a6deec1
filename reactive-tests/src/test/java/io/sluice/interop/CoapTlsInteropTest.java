package io.sluice.interop;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.sluice.codec.coap.CoapCode;
import io.sluice.coap.CoapClient;
import io.sluice.coap.CoapErrorCode;
import io.sluice.coap.CoapException;
import io.sluice.coap.CoapProtocol;
import io.sluice.coap.CoapRequest;
import io.sluice.coap.CoapResponse;
import io.sluice.coap.CoapServer;
import io.sluice.coap.CoapSession;
import io.sluice.coap.CoapSessionState;
import io.sluice.coap.LiveCoapServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.KeyManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import reactor.util.retry.Retry;

/**
 * CoAP over TLS ({@code coaps+tcp}, RFC 8323 §3.4) and over secure WebSockets ({@code coaps+ws})
 * with X.509 certificates made by the openssl command line: Sluice to Sluice with mutual
 * authentication and a wrong trust anchor, and libcoap 4.3.5's {@code coap-client} and
 * {@code coap-server} both ways.
 */
class CoapTlsInteropTest {

    private static final Duration TIMEOUT = PeerProcess.TIMEOUT;

    @TempDir
    static Path dir;

    private static OpensslPki pki;
    private static Path server;
    private static Path client;

    private final ConcurrentHashMap<String, byte[]> store = new ConcurrentHashMap<>();
    private LiveCoapServer sluice;
    private LiveCoapServer sluiceWss;

    @BeforeAll
    static void makePki() throws Exception {
        pki = new OpensslPki(dir);
        server = pki.issue("server");
        client = pki.issue("client");
    }

    static KeyManagerFactory keys(Path identity) throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(Path.of(identity + ".p12"))) {
            store.load(in, "changeit".toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(store, "changeit".toCharArray());
        return kmf;
    }

    static SslContext serverContext() throws Exception {
        return serverContext(pki, server);
    }

    static SslContext serverContext(OpensslPki pki, Path server) throws Exception {
        return SslContextBuilder.forServer(keys(server)).trustManager(pki.caCert.toFile()).clientAuth(ClientAuth.OPTIONAL)
                .applicationProtocolConfig(CoapServer.ALPN).build();
    }

    static SslContext clientContext(Path trust) throws Exception {
        return clientContext(trust, client);
    }

    static SslContext clientContext(Path trust, Path client) throws Exception {
        // The test identities name no IP address, so the host-name check is off; the chain is checked.
        return SslContextBuilder.forClient().keyManager(keys(client)).trustManager(trust.toFile()).endpointIdentificationAlgorithm(null)
                .applicationProtocolConfig(CoapServer.ALPN).build();
    }

    @BeforeEach
    void startSluice() throws Exception {
        CoapServer spec = CoapServer.create().port(0).tls(serverContext()).route(r -> r
                        .get("/hello", req -> Mono.just(CoapResponse.content("hello from sluice over tls")))
                        .put("/data/**", req -> {
                            store.put(req.remainder(), req.request().body());
                            return Mono.just(CoapResponse.of(CoapCode.CHANGED));
                        })
                        .get("/data/**", req -> Mono.justOrEmpty(store.get(req.remainder())).map(CoapResponse::content)
                                .defaultIfEmpty(CoapResponse.of(CoapCode.NOT_FOUND)))
                        .observable("/ticks", req -> Flux.interval(Duration.ZERO, Duration.ofMillis(200))
                                .map(i -> CoapResponse.content("tick " + i + "\n"))));
        sluice = spec.bind().block(TIMEOUT);
        sluiceWss = spec.webSocket().bind().block(TIMEOUT);
    }

    @AfterEach
    void stopSluice() {
        sluice.dispose();
        sluiceWss.dispose();
    }

    private String wss(String path) {
        return "coaps+ws://127.0.0.1:" + sluiceWss.localAddress().getPort() + path;
    }

    @Test
    void coapClientOverSecureWebSockets() throws Exception {
        String[] auth = {"-c", client + ".pem", "-j", client + ".key", "-C", pki.caCert.toString()};
        assertThat(run(concat(auth, "-B", "10", wss("/hello")))).contains("hello from sluice over tls");
        byte[] body = new byte[100 * 1024];
        new Random(44).nextBytes(body);
        Path upload = Files.write(dir.resolve("wss-up.bin"), body);
        run(concat(auth, "-B", "20", "-m", "put", "-f", upload.toString(), wss("/data/wss")));
        assertThat(store.get("wss")).isEqualTo(body);
        String out = run(concat(auth, "-B", "10", "-s", "2", wss("/ticks")));
        assertThat(out.lines().filter(l -> l.startsWith("tick ")).count()).as(out).isGreaterThanOrEqualTo(5);
        assertThat(run(concat(auth, "-B", "10", wss("/.well-known/core")))).contains("</ticks>");
        assertThat(sluiceWss.sessions()).allSatisfy(s -> assertThat(s.protocol()).isEqualTo(CoapProtocol.WSS));
    }

    @Test
    void sluiceClientAgainstCoapServerOverSecureWebSockets() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        int plain;
        try (ServerSocket probe = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            plain = probe.getLocalPort();
        }
        PeerProcess coapServer = PeerProcess.exec(CoapLibcoapTcpInteropTest.Libcoap.server(), "-A", "127.0.0.1", "-p", String.valueOf(plain),
                "-w", plain + "," + port, "-c", server + ".pem", "-j", server + ".key", "-C", pki.caCert.toString());
        try {
            CoapClient tls = CoapClient.create().tls(clientContext(pki.caCert));
            CoapSession session = Mono.defer(() -> tls.connect("coaps+ws://127.0.0.1:" + port))
                    .retryWhen(Retry.backoff(30, Duration.ofMillis(50)).maxBackoff(Duration.ofMillis(200))
                            .filter(e -> !(e instanceof CoapException c) || c.errorCode() != CoapErrorCode.HANDSHAKE_FAILED))
                    .block(TIMEOUT);
            try {
                assertThat(session.protocol()).isEqualTo(CoapProtocol.WSS);
                CoapLibcoapTcpInteropTest.Libcoap.exerciseServer(session, 45);
            } finally {
                session.release();
            }
        } finally {
            coapServer.close();
        }
    }

    private String uri(String path) {
        return "coaps+tcp://127.0.0.1:" + sluice.localAddress().getPort() + path;
    }

    @Test
    void sluiceToSluiceWithMutualCertificates() throws Exception {
        List<CoapSessionState> seen = new CopyOnWriteArrayList<>();
        CoapSession session = CoapClient.create().tls(clientContext(pki.caCert)).doOnSession(s -> s.states().subscribe(seen::add))
                .connect(uri("")).block(TIMEOUT);
        try {
            assertThat(session.protocol()).isEqualTo(CoapProtocol.TLS);
            assertThat(seen).containsSubsequence(CoapSessionState.CONNECTING, CoapSessionState.HANDSHAKE, CoapSessionState.CSM,
                    CoapSessionState.ESTABLISHED);
            assertThat(session.tlsSession()).hasValueSatisfying(t -> assertThat(t.getProtocol()).startsWith("TLSv1."));
            StepVerifier.create(session.request(CoapRequest.get("/hello")))
                    .assertNext(r -> assertThat(r.bodyText()).isEqualTo("hello from sluice over tls")).verifyComplete();
            byte[] body = new byte[100 * 1024];
            new Random(3).nextBytes(body);
            assertThat(session.request(CoapRequest.put("/data/x", body)).block(TIMEOUT).code()).isEqualTo(CoapCode.CHANGED);
            assertThat(store.get("x")).isEqualTo(body);
            StepVerifier.create(session.observe(CoapRequest.get("/ticks")).take(5)).expectNextCount(5).verifyComplete();
            StepVerifier.create(session.ping()).expectNextCount(1).verifyComplete();
            assertThat(sluice.sessions()).singleElement().satisfies(s -> assertThat(s.tlsSession()).hasValueSatisfying(t -> {
                try {
                    assertThat(t.getPeerCertificates()[0].toString()).contains("CN=client");
                } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
                    throw new AssertionError(e);
                }
            }));
        } finally {
            session.release();
        }
    }

    @Test
    void anUntrustedServerCertificateIsAClearHandshakeError() throws Exception {
        OpensslPki other = new OpensslPki(Files.createDirectories(dir.resolve("other")));
        List<CoapSessionState> seen = new CopyOnWriteArrayList<>();
        StepVerifier.create(CoapClient.create().tls(clientContext(other.caCert)).doOnSession(s -> s.states().subscribe(seen::add))
                        .connect(uri("")))
                .expectErrorSatisfies(e -> {
                    assertThat(e).isInstanceOf(CoapException.class).hasMessageContaining("TLS handshake");
                    assertThat(((CoapException) e).errorCode()).isEqualTo(CoapErrorCode.HANDSHAKE_FAILED);
                })
                .verify(TIMEOUT);
        assertThat(seen).endsWith(CoapSessionState.CLOSED);
    }

    @Test
    void coapClientOverTlsWithCertificates() throws Exception {
        String[] auth = {"-c", client + ".pem", "-j", client + ".key", "-C", pki.caCert.toString()};
        assertThat(run(concat(auth, "-B", "10", uri("/hello")))).contains("hello from sluice over tls");
        byte[] body = new byte[100 * 1024];
        new Random(4).nextBytes(body);
        Path upload = Files.write(dir.resolve("tls-up.bin"), body);
        run(concat(auth, "-B", "20", "-m", "put", "-f", upload.toString(), uri("/data/up")));
        assertThat(store.get("up")).isEqualTo(body);
        String out = run(concat(auth, "-B", "10", "-s", "2", uri("/ticks")));
        assertThat(out.lines().filter(l -> l.startsWith("tick ")).count()).as(out).isGreaterThanOrEqualTo(5);
        assertThat(run(concat(auth, "-B", "10", uri("/.well-known/core")))).contains("</ticks>").contains("</hello>");
    }

    @Test
    void sluiceClientAgainstCoapServerOverTls() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        PeerProcess coapServer = PeerProcess.exec(CoapLibcoapTcpInteropTest.Libcoap.server(), "-A", "127.0.0.1", "-p", String.valueOf(port),
                "-c", server + ".pem", "-j", server + ".key", "-C", pki.caCert.toString());
        try {
            CoapClient tls = CoapClient.create().tls(clientContext(pki.caCert));
            // coap-server serves coaps+tcp on the port after its coap one, once it listens.
            CoapSession session = Mono.defer(() -> tls.connect("coaps+tcp://127.0.0.1:" + (port + 1)))
                    .retryWhen(Retry.backoff(30, Duration.ofMillis(50)).maxBackoff(Duration.ofMillis(200))
                            .filter(e -> !(e instanceof CoapException c) || c.errorCode() != CoapErrorCode.HANDSHAKE_FAILED))
                    .block(TIMEOUT);
            try {
                assertThat(session.protocol()).isEqualTo(CoapProtocol.TLS);
                CoapLibcoapTcpInteropTest.Libcoap.exerciseServer(session, 5);
            } finally {
                session.release();
            }
        } finally {
            coapServer.close();
        }
    }

    private static String[] concat(String[] head, String... tail) {
        String[] all = new String[1 + head.length + tail.length];
        all[0] = CoapLibcoapTcpInteropTest.Libcoap.client();
        System.arraycopy(head, 0, all, 1, head.length);
        System.arraycopy(tail, 0, all, 1 + head.length, tail.length);
        return all;
    }

    private static String run(String... command) throws IOException, InterruptedException {
        return PeerProcess.runToSuccess(command);
    }
}
