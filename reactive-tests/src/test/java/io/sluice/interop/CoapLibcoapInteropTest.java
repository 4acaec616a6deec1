package io.sluice.interop;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.codec.coap.CoapCode;
import io.sluice.coap.CoapClient;
import io.sluice.coap.CoapProtocol;
import io.sluice.coap.CoapRequest;
import io.sluice.coap.CoapResponse;
import io.sluice.coap.CoapServer;
import io.sluice.coap.CoapSession;
import io.sluice.coap.CoapSessionType;
import io.sluice.coap.CoapTransmission;
import io.sluice.coap.LiveCoapServer;
import io.sluice.coap.ResourceAttributes;
import io.sluice.dtls.session.DtlsClient;
import io.sluice.dtls.session.DtlsServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/**
 * Sluice's CoAP against libcoap 4.3 (Debian's {@code libcoap3-bin}, OpenSSL build), both ways,
 * over {@code coap://} and {@code coaps://} with a pre-shared key.
 */
class CoapLibcoapInteropTest {

    private static final Duration TIMEOUT = PeerProcess.TIMEOUT;
    private static final byte[] KEY = "sluice-libcoap-key".getBytes(StandardCharsets.UTF_8);
    private static final String CLIENT = "coap-client-openssl";
    private static final String SERVER = "coap-server-openssl";

    @TempDir
    Path dir;

    private final ConcurrentHashMap<String, byte[]> store = new ConcurrentHashMap<>();
    private final AtomicInteger ticks = new AtomicInteger();
    private LiveCoapServer coap;
    private LiveCoapServer coaps;

    @BeforeEach
    void startSluice() {
        CoapServer spec = CoapServer.create().port(0).route(r -> r
                .get("/hello", req -> Mono.just(CoapResponse.content("hello from sluice")))
                .put("/data/**", req -> {
                    store.put(req.remainder(), req.request().body());
                    return Mono.just(CoapResponse.of(CoapCode.CHANGED));
                })
                .post("/echo", req -> Mono.just(CoapResponse.of(CoapCode.CHANGED).body("echo " + req.request().bodyText())))
                .get("/data/**", req -> Mono.justOrEmpty(store.get(req.remainder())).map(CoapResponse::content)
                        .defaultIfEmpty(CoapResponse.of(CoapCode.NOT_FOUND)))
                .observable("/ticks", req -> Flux.interval(Duration.ZERO, Duration.ofMillis(300))
                        .map(i -> CoapResponse.content("tick " + ticks.incrementAndGet() + "\n")))
                .describe("/ticks", ResourceAttributes.create().resourceType("ticks").title("Ticks")));
        coap = spec.bind().block(TIMEOUT);
        // A handshake under the wrong key never completes (its records are dropped, RFC 6347 §4.1.2.7): a short timeout ends it.
        coaps = spec.dtls(DtlsServer.psk("sluice", id -> "libcoap".equals(new String(id, StandardCharsets.UTF_8)) ? KEY : null)
                        .handshakeTimeout(java.time.Duration.ofSeconds(4)))
                .port(0).bind().block(TIMEOUT);
    }

    @AfterEach
    void stopSluice() {
        coap.dispose();
        coaps.dispose();
    }

    private String coap(String path) {
        return "coap://127.0.0.1:" + coap.localAddress().getPort() + path;
    }

    private String coaps(String path) {
        return "coaps://127.0.0.1:" + coaps.localAddress().getPort() + path;
    }

    private static String run(String... command) throws IOException, InterruptedException {
        return PeerProcess.runToSuccess(command);
    }

    @Test
    void coapClientGetsPutsAndPostsToSluice() throws Exception {
        assertThat(run(CLIENT, "-B", "10", coap("/hello"))).contains("hello from sluice");
        run(CLIENT, "-B", "10", "-m", "put", "-e", "libcoap was here", coap("/data/note"));
        assertThat(store.get("note")).asString(StandardCharsets.UTF_8).isEqualTo("libcoap was here");
        assertThat(run(CLIENT, "-B", "10", "-m", "post", "-e", "ping", coap("/echo"))).contains("echo ping");
        assertThat(run(CLIENT, "-B", "10", "-N", coap("/data/note"))).contains("libcoap was here");
        assertThat(run(CLIENT, "-B", "10", coap("/missing"))).contains("4.04");
    }

    @Test
    void coapClientDiscoversSluicesResources() throws Exception {
        String all = run(CLIENT, "-B", "10", coap("/.well-known/core"));
        assertThat(all).contains("</hello>").contains("</ticks>;rt=\"ticks\";title=\"Ticks\";obs").contains("</data>");
        // libcoap passes the query through as Uri-Query; Sluice filters (RFC 6690 §4.1).
        String filtered = run(CLIENT, "-B", "10", coap("/.well-known/core?rt=tick*"));
        assertThat(filtered).contains("</ticks>").doesNotContain("</hello>");
    }

    @Test
    void blockwiseHundredKilobytesBothWaysWithCoapClient() throws Exception {
        byte[] body = new byte[100 * 1024];
        new Random(7959).nextBytes(body);
        Path upload = Files.write(dir.resolve("up.bin"), body);
        run(CLIENT, "-B", "20", "-b", "1024", "-m", "put", "-f", upload.toString(), coap("/data/big"));
        assertThat(store.get("big")).isEqualTo(body);
        Path download = dir.resolve("down.bin");
        run(CLIENT, "-B", "20", "-b", "512", "-o", download.toString(), coap("/data/big"));
        assertThat(Files.readAllBytes(download)).isEqualTo(body);
    }

    @Test
    void coapClientObservesASluiceResource() throws Exception {
        String out = run(CLIENT, "-B", "10", "-s", "2", coap("/ticks"));
        assertThat(out.lines().filter(l -> l.startsWith("tick ")).count()).as(out).isGreaterThanOrEqualTo(3);
    }

    @Test
    void coapClientOverDtlsWithPsk() throws Exception {
        assertThat(run(CLIENT, "-B", "10", "-u", "libcoap", "-k", new String(KEY, StandardCharsets.UTF_8), coaps("/hello")))
                .contains("hello from sluice");
        byte[] body = new byte[100 * 1024];
        new Random(9).nextBytes(body);
        Path upload = Files.write(dir.resolve("up.bin"), body);
        run(CLIENT, "-B", "20", "-u", "libcoap", "-k", new String(KEY, StandardCharsets.UTF_8), "-m", "put", "-f",
                upload.toString(), coaps("/data/secure"));
        assertThat(store.get("secure")).isEqualTo(body);
        String out = run(CLIENT, "-B", "10", "-s", "2", "-u", "libcoap", "-k", new String(KEY, StandardCharsets.UTF_8), coaps("/ticks"));
        assertThat(out.lines().filter(l -> l.startsWith("tick ")).count()).as(out).isGreaterThanOrEqualTo(3);
        assertThat(coaps.sessions()).allSatisfy(s -> {
            assertThat(s.protocol()).isEqualTo(CoapProtocol.DTLS);
            assertThat(s.pskHint()).hasValueSatisfying(h -> assertThat(new String(h, StandardCharsets.UTF_8)).isEqualTo("sluice"));
            assertThat(s.pskKey()).contains(KEY);
        });
    }

    @Test
    void wrongKeyFailsTheHandshake() throws Exception {
        PeerProcess p = PeerProcess.exec(CLIENT, "-B", "5", "-u", "libcoap", "-k", "not-the-key", coaps("/hello"));
        try {
            String out = p.awaitExit();
            assertThat(out).doesNotContain("hello from sluice");
        } finally {
            p.close();
        }
        // The server's session existed only as libcoap's HELLO, in HANDSHAKE, and ends with the handshake.
        assertThat(coaps.sessions()).allSatisfy(s -> {
            assertThat(s.type()).isEqualTo(io.sluice.coap.CoapSessionType.HELLO);
            assertThat(s.state()).isIn(io.sluice.coap.CoapSessionState.HANDSHAKE, io.sluice.coap.CoapSessionState.CLOSED);
        });
        io.sluice.testing.Await.until(() -> coaps.sessions().isEmpty(), PeerProcess.TIMEOUT);
    }

    @Test
    void sluiceClientAgainstCoapServer() throws Exception {
        int port = freePortPair();
        PeerProcess server = PeerProcess.exec(SERVER, "-A", "127.0.0.1", "-p", String.valueOf(port), "-k",
                new String(KEY, StandardCharsets.UTF_8), "-h", "libcoap-hint");
        // The server needs a moment to bind; CON retransmission (200 ms, 6 tries) covers it without sleeping.
        CoapClient client = CoapClient.create().transmission(CoapTransmission.defaults().withAckTimeout(Duration.ofMillis(200)).withMaxRetransmit(6));
        CoapSession session = client.connect("coap://127.0.0.1:" + port).block(TIMEOUT);
        try {
            StepVerifier.create(session.request(CoapRequest.get("/")))
                    .assertNext(r -> assertThat(r.bodyText()).contains("libcoap")).expectComplete().verify(TIMEOUT);
            byte[] body = new byte[100 * 1024];
            new Random(1).nextBytes(body);
            StepVerifier.create(session.request(CoapRequest.put("/example_data", body)))
                    .assertNext(r -> assertThat(r.code().codeClass()).isEqualTo(2)).expectComplete().verify(TIMEOUT);
            StepVerifier.create(session.request(CoapRequest.get("/example_data")))
                    .assertNext(r -> assertThat(r.body()).isEqualTo(body)).expectComplete().verify(TIMEOUT);
            // libcoap's own resource list, read by Sluice's link-format parser.
            StepVerifier.create(session.discover(""))
                    .assertNext(links -> {
                        assertThat(links).extracting(io.sluice.codec.coap.CoreLink::target).contains("/time", "/example_data");
                        assertThat(links.stream().filter(l -> l.target().equals("/time")).findFirst().orElseThrow().observable()).isTrue();
                    })
                    .expectComplete().verify(TIMEOUT);
            StepVerifier.create(session.observe(CoapRequest.get("/time")).take(2))
                    .expectNextMatches(r -> r.observe() >= 0 && !r.bodyText().isEmpty())
                    .expectNextMatches(r -> r.observe() >= 0)
                    .expectComplete().verify(TIMEOUT);

            CoapSession secure = client.dtls(DtlsClient.psk("sluice", KEY)).connect("coaps://127.0.0.1:" + (port + 1)).block(TIMEOUT);
            try {
                assertThat(secure.type()).isEqualTo(CoapSessionType.CLIENT);
                assertThat(secure.protocol()).isEqualTo(CoapProtocol.DTLS);
                assertThat(secure.tls()).hasValueSatisfying(t -> assertThat(t.cipherSuite()).contains("PSK"));
                assertThat(secure.pskKey()).contains(KEY);
                assertThat(secure.pskHint()).hasValueSatisfying(h -> assertThat(new String(h, StandardCharsets.UTF_8)).isEqualTo("libcoap-hint"));
                StepVerifier.create(secure.request(CoapRequest.get("/example_data")))
                        .assertNext(r -> assertThat(r.body()).isEqualTo(body)).expectComplete().verify(TIMEOUT);
            } finally {
                secure.release();
            }
        } finally {
            session.release();
            server.close();
        }
    }

    private static int freePortPair() throws IOException {
        for (int i = 0; i < 20; i++) {
            int port = PeerProcess.freeUdpPort();
            try {
                new java.net.DatagramSocket(port + 1, java.net.InetAddress.getLoopbackAddress()).close();
                return port;
            } catch (java.net.BindException taken) {
                // try another
            }
        }
        throw new IOException("no two adjacent free UDP ports on loopback");
    }
}
