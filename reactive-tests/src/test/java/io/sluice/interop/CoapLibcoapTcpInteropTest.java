package io.sluice.interop;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.codec.coap.CoapCode;
import io.sluice.codec.coap.CoreLink;
import io.sluice.coap.CoapClient;
import io.sluice.coap.CoapProtocol;
import io.sluice.coap.CoapRequest;
import io.sluice.coap.CoapResponse;
import io.sluice.coap.CoapServer;
import io.sluice.coap.CoapSession;
import io.sluice.coap.CoapSessionState;
import io.sluice.coap.LiveCoapServer;
import io.sluice.coap.ResourceAttributes;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import reactor.util.retry.Retry;

/**
 * Sluice's CoAP over TCP and over WebSockets (RFC 8323) against libcoap 4.3.5's
 * {@code coap-client} and {@code coap-server}, both ways: GET, PUT of 100 KB block-wise, observe,
 * discovery, Ping.
 * The binaries come from {@code ../shared/peers/build-libcoap.sh}, which {@code .ci/run} runs.
 */
class CoapLibcoapTcpInteropTest {

    private static final Duration TIMEOUT = PeerProcess.TIMEOUT;

    @TempDir
    Path dir;

    private final ConcurrentHashMap<String, byte[]> store = new ConcurrentHashMap<>();
    private final AtomicInteger ticks = new AtomicInteger();
    private LiveCoapServer server;
    private LiveCoapServer ws;

    @BeforeEach
    void startSluice() {
        CoapServer spec = CoapServer.create().port(0).route(r -> r
                        .get("/hello", req -> Mono.just(CoapResponse.content("hello from sluice over tcp")))
                        .put("/data/**", req -> {
                            store.put(req.remainder(), req.request().body());
                            return Mono.just(CoapResponse.of(CoapCode.CHANGED));
                        })
                        .get("/data/**", req -> Mono.justOrEmpty(store.get(req.remainder())).map(CoapResponse::content)
                                .defaultIfEmpty(CoapResponse.of(CoapCode.NOT_FOUND)))
                        .observable("/ticks", req -> Flux.interval(Duration.ZERO, Duration.ofMillis(200))
                                .map(i -> CoapResponse.content("tick " + ticks.incrementAndGet() + "\n")))
                        .describe("/ticks", ResourceAttributes.create().resourceType("ticks").title("Ticks")));
        server = spec.tcp().bind().block(TIMEOUT);
        ws = spec.webSocket().bind().block(TIMEOUT);
    }

    @AfterEach
    void stopSluice() {
        server.dispose();
        ws.dispose();
    }

    private String ws(String path) {
        return "coap+ws://127.0.0.1:" + ws.localAddress().getPort() + path;
    }

    private String uri(String path) {
        return "coap+tcp://127.0.0.1:" + server.localAddress().getPort() + path;
    }

    private static String run(String... command) throws IOException, InterruptedException {
        return PeerProcess.runToSuccess(command);
    }

    @Test
    void coapClientGetsAndDiscoversOverTcp() throws Exception {
        assertThat(run(Libcoap.client(), "-B", "10", uri("/hello"))).contains("hello from sluice over tcp");
        assertThat(run(Libcoap.client(), "-B", "10", uri("/missing"))).contains("4.04");
        String links = run(Libcoap.client(), "-B", "10", uri("/.well-known/core"));
        assertThat(links).contains("</hello>").contains("</ticks>;rt=\"ticks\";title=\"Ticks\";obs");
        assertThat(server.sessions()).allSatisfy(s -> assertThat(s.protocol()).isEqualTo(CoapProtocol.TCP));
    }

    @Test
    void coapClientPutsAndGetsHundredKilobytesOverTcpWithAndWithoutBert() throws Exception {
        byte[] body = new byte[100 * 1024];
        new Random(8323).nextBytes(body);
        Path upload = Files.write(dir.resolve("up.bin"), body);
        run(Libcoap.client(), "-B", "20", "-b", "1024", "-m", "put", "-f", upload.toString(), uri("/data/big"));
        assertThat(store.get("big")).isEqualTo(body);
        // Without -b, libcoap sends BERT blocks (SZX 7, several KiB each) since Sluice's CSM allows them.
        run(Libcoap.client(), "-B", "20", "-m", "put", "-f", upload.toString(), uri("/data/bert"));
        assertThat(store.get("bert")).isEqualTo(body);
        Path download = dir.resolve("down.bin");
        run(Libcoap.client(), "-B", "20", "-o", download.toString(), uri("/data/big"));
        assertThat(Files.readAllBytes(download)).isEqualTo(body);
    }

    @Test
    void coapClientObservesOverTcp() throws Exception {
        String out = run(Libcoap.client(), "-B", "10", "-s", "2", uri("/ticks"));
        assertThat(out.lines().filter(l -> l.startsWith("tick ")).count()).as(out).isGreaterThanOrEqualTo(5);
    }

    @Test
    void coapClientOverWebSockets() throws Exception {
        assertThat(run(Libcoap.client(), "-B", "10", ws("/hello"))).contains("hello from sluice over tcp");
        byte[] body = new byte[100 * 1024];
        new Random(84).nextBytes(body);
        Path upload = Files.write(dir.resolve("ws-up.bin"), body);
        run(Libcoap.client(), "-B", "20", "-m", "put", "-f", upload.toString(), ws("/data/ws"));
        assertThat(store.get("ws")).isEqualTo(body);
        Path download = dir.resolve("ws-down.bin");
        run(Libcoap.client(), "-B", "20", "-o", download.toString(), ws("/data/ws"));
        assertThat(Files.readAllBytes(download)).isEqualTo(body);
        String out = run(Libcoap.client(), "-B", "10", "-s", "2", ws("/ticks"));
        assertThat(out.lines().filter(l -> l.startsWith("tick ")).count()).as(out).isGreaterThanOrEqualTo(5);
        assertThat(run(Libcoap.client(), "-B", "10", ws("/.well-known/core"))).contains("</ticks>");
        assertThat(ws.sessions()).allSatisfy(s -> assertThat(s.protocol()).isEqualTo(CoapProtocol.WS));
    }

    @Test
    void sluiceClientAgainstCoapServerOverWebSockets() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        int udp;
        try (java.net.DatagramSocket probe = new java.net.DatagramSocket(0, java.net.InetAddress.getLoopbackAddress())) {
            udp = probe.getLocalPort();
        }
        PeerProcess coapServer = PeerProcess.exec(Libcoap.server(), "-A", "127.0.0.1", "-p", String.valueOf(udp), "-w", String.valueOf(port));
        try {
            CoapSession session = Mono.defer(() -> CoapClient.create().connect("coap+ws://127.0.0.1:" + port))
                    .retryWhen(Retry.backoff(30, Duration.ofMillis(50)).maxBackoff(Duration.ofMillis(200)))
                    .block(TIMEOUT);
            try {
                assertThat(session.protocol()).isEqualTo(CoapProtocol.WS);
                Libcoap.exerciseServer(session, 6);
            } finally {
                session.release();
            }
        } finally {
            coapServer.close();
        }
    }

    @Test
    void sluiceClientAgainstCoapServerOverTcp() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        PeerProcess coapServer = PeerProcess.exec(Libcoap.server(), "-A", "127.0.0.1", "-p", String.valueOf(port));
        try {
            // The server needs a moment to listen: connection refusals are retried, briefly.
            CoapSession session = Mono.defer(() -> CoapClient.create().connect("coap+tcp://127.0.0.1:" + port))
                    .retryWhen(Retry.backoff(30, Duration.ofMillis(50)).maxBackoff(Duration.ofMillis(200)))
                    .block(TIMEOUT);
            try {
                assertThat(session.protocol()).isEqualTo(CoapProtocol.TCP);
                assertThat(session.state()).isEqualTo(CoapSessionState.ESTABLISHED);
                assertThat(session.peerCsm()).isPresent();
                Libcoap.exerciseServer(session, 2);
            } finally {
                session.release();
            }
        } finally {
            coapServer.close();
        }
    }

    /** Where libcoap 4.3.5's programs are: {@code -Dlibcoap.bin}, {@code $SLUICE_LIBCOAP_BIN}, or the build script's default. */
    static final class Libcoap {
        private Libcoap() {
        }

        static Path bin() {
            String dir = System.getProperty("libcoap.bin", System.getenv("SLUICE_LIBCOAP_BIN"));
            Path path = dir != null ? Path.of(dir) : Path.of(System.getProperty("user.home"), ".cache", "sluice-peers", "libcoap-4.3.5", "bin");
            // Loud, not silent: the skip names what to run.
            Assumptions.assumeTrue(Files.isExecutable(path.resolve("coap-client")), "libcoap 4.3.5 is not built at " + path
                    + ": run ../shared/peers/build-libcoap.sh (.ci/run does) or point -Dlibcoap.bin at its output");
            return path;
        }

        static String client() {
            return bin().resolve("coap-client").toString();
        }

        static String server() {
            return bin().resolve("coap-server").toString();
        }

        /**
         * What every test of a Sluice client against {@code coap-server} checks, on any transport: GET
         * of the index, PUT and GET of 100 KB, discovery, Ping, and five notifications of its
         * {@code /time}, which notifies once a second.
         */
        static void exerciseServer(CoapSession session, long seed) {
            StepVerifier.create(session.request(CoapRequest.get("/")))
                    .assertNext(r -> assertThat(r.bodyText()).contains("libcoap")).expectComplete().verify(TIMEOUT);
            byte[] body = new byte[100 * 1024];
            new Random(seed).nextBytes(body);
            StepVerifier.create(session.request(CoapRequest.put("/example_data", body)))
                    .assertNext(r -> assertThat(r.code().codeClass()).isEqualTo(2)).expectComplete().verify(TIMEOUT);
            StepVerifier.create(session.request(CoapRequest.get("/example_data")))
                    .assertNext(r -> assertThat(r.body()).isEqualTo(body)).expectComplete().verify(TIMEOUT);
            StepVerifier.create(session.discover(""))
                    .assertNext(links -> assertThat(links).extracting(CoreLink::target).contains("/time", "/example_data"))
                    .expectComplete().verify(TIMEOUT);
            StepVerifier.create(session.ping()).assertNext(rtt -> assertThat(rtt).isPositive()).expectComplete().verify(TIMEOUT);
            StepVerifier.create(session.observe(CoapRequest.get("/time")).take(5)).expectNextCount(5)
                    .expectComplete().verify(Duration.ofSeconds(30));
        }
    }
}
