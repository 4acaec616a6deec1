package io.sluice.interop;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.codec.coap.CoapCode;
import io.sluice.coap.CoapClient;
import io.sluice.coap.CoapErrorCode;
import io.sluice.coap.CoapException;
import io.sluice.coap.CoapProtocol;
import io.sluice.coap.CoapResponse;
import io.sluice.coap.CoapServer;
import io.sluice.coap.CoapSession;
import io.sluice.coap.LiveCoapServer;
import io.sluice.dtls.session.TlsPsk;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

/**
 * CoAP over TLS with pre-shared keys ({@code coaps+tcp} and {@code coaps+ws}) against libcoap
 * 4.3.5 on OpenSSL, both ways: Sluice's TLS-PSK is BouncyCastle's ({@link TlsPsk}), libcoap's is
 * OpenSSL's {@code PSK:!NULL} suites, so this is two independent TLS stacks agreeing.
 */
class CoapTlsPskInteropTest {

    private static final Duration TIMEOUT = PeerProcess.TIMEOUT;
    private static final String IDENTITY = "sluice-interop";
    private static final String KEY = "psk-over-tls-key";

    @TempDir
    Path dir;

    private final ConcurrentHashMap<String, byte[]> store = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, String> identities = new ConcurrentHashMap<>();
    private LiveCoapServer tcp;
    private LiveCoapServer ws;

    @BeforeEach
    void startSluice() {
        TlsPsk psk = TlsPsk.server("sluice", id -> {
            identities.put("last", new String(id, StandardCharsets.UTF_8));
            return IDENTITY.equals(new String(id, StandardCharsets.UTF_8)) ? KEY.getBytes(StandardCharsets.UTF_8) : null;
        });
        CoapServer spec = CoapServer.create().port(0).tls(psk).route(r -> r
                .get("/hello", req -> Mono.just(CoapResponse.content("hello from sluice over tls-psk")))
                .put("/data/**", req -> {
                    store.put(req.remainder(), req.request().body());
                    return Mono.just(CoapResponse.of(CoapCode.CHANGED));
                })
                .observable("/ticks", req -> Flux.interval(Duration.ZERO, Duration.ofMillis(200))
                        .map(i -> CoapResponse.content("tick " + i + "\n"))));
        tcp = spec.bind().block(TIMEOUT);
        ws = spec.webSocket().bind().block(TIMEOUT);
    }

    @AfterEach
    void stopSluice() {
        tcp.dispose();
        ws.dispose();
    }

    private String uri(LiveCoapServer server, String path) {
        return (server == ws ? "coaps+ws" : "coaps+tcp") + "://127.0.0.1:" + server.localAddress().getPort() + path;
    }

    @Test
    void coapClientWithAPskOverTlsAndSecureWebSockets() throws Exception {
        for (LiveCoapServer server : new LiveCoapServer[] {tcp, ws}) {
            assertThat(client("-B", "10", uri(server, "/hello"))).contains("hello from sluice over tls-psk");
            assertThat(identities.get("last")).isEqualTo(IDENTITY);
            byte[] body = new byte[100 * 1024];
            new Random(server == ws ? 8 : 7).nextBytes(body);
            Path upload = Files.write(dir.resolve("up-" + server.localAddress().getPort() + ".bin"), body);
            client("-B", "20", "-m", "put", "-f", upload.toString(), uri(server, "/data/" + (server == ws ? "ws" : "tcp")));
            assertThat(store.get(server == ws ? "ws" : "tcp")).isEqualTo(body);
            String out = client("-B", "10", "-s", "2", uri(server, "/ticks"));
            assertThat(out.lines().filter(l -> l.startsWith("tick ")).count()).as(out).isGreaterThanOrEqualTo(5);
            assertThat(client("-B", "10", uri(server, "/.well-known/core"))).contains("</ticks>").contains("</hello>");
            assertThat(server.sessions()).allSatisfy(s -> assertThat(s.protocol()).isEqualTo(server == ws ? CoapProtocol.WSS : CoapProtocol.TLS));
        }
    }

    @Test
    void aCoapClientWithTheWrongKeyIsRefused() throws Exception {
        PeerProcess wrong = PeerProcess.exec(CoapLibcoapTcpInteropTest.Libcoap.client(), "-B", "5", "-u", IDENTITY,
                "-k", "not-the-key", uri(tcp, "/hello"));
        try {
            assertThat(wrong.awaitExit()).doesNotContain("hello from sluice");
        } finally {
            wrong.close();
        }
        assertThat(identities.get("last")).isEqualTo(IDENTITY); // the handshake got as far as the key lookup
    }

    @Test
    void sluiceClientAgainstCoapServerWithAPsk() throws Exception {
        int udp;
        try (java.net.DatagramSocket probe = new java.net.DatagramSocket(0, java.net.InetAddress.getLoopbackAddress())) {
            udp = probe.getLocalPort();
        }
        int wss;
        try (ServerSocket probe = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            wss = probe.getLocalPort();
        }
        // coap-server serves coaps+tcp on the port after its coap one, and coaps+ws on the second -w port.
        PeerProcess coapServer = PeerProcess.exec(CoapLibcoapTcpInteropTest.Libcoap.server(), "-A", "127.0.0.1", "-p", String.valueOf(udp),
                "-w", "," + wss, "-k", KEY, "-h", "libcoap-hint");
        try {
            CoapClient client = CoapClient.create().tls(TlsPsk.client(IDENTITY, KEY.getBytes(StandardCharsets.UTF_8)));
            for (String target : new String[] {"coaps+tcp://127.0.0.1:" + (udp + 1), "coaps+ws://127.0.0.1:" + wss}) {
                CoapSession session = Mono.defer(() -> client.connect(target))
                        .retryWhen(Retry.backoff(30, Duration.ofMillis(50)).maxBackoff(Duration.ofMillis(200))
                                .filter(e -> !(e instanceof CoapException c) || c.errorCode() != CoapErrorCode.HANDSHAKE_FAILED))
                        .block(TIMEOUT);
                try {
                    assertThat(session.secureStream()).hasValueSatisfying(s -> assertThat(s.cipherSuite()).hasValueSatisfying(
                            c -> assertThat(c).contains("PSK")));
                    CoapLibcoapTcpInteropTest.Libcoap.exerciseServer(session, 9);
                } finally {
                    session.release();
                }
            }
        } finally {
            coapServer.close();
        }
    }

    private static String client(String... args) throws IOException, InterruptedException {
        String[] all = new String[args.length + 5];
        all[0] = CoapLibcoapTcpInteropTest.Libcoap.client();
        all[1] = "-u";
        all[2] = IDENTITY;
        all[3] = "-k";
        all[4] = KEY;
        System.arraycopy(args, 0, all, 5, args.length);
        return PeerProcess.runToSuccess(all);
    }
}
