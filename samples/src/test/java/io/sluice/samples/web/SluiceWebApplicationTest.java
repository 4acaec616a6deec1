package io.sluice.samples.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

/** The WebFlux service end to end: real sockets from HTTP down to CoAP over DTLS, peers and messaging. */
class SluiceWebApplicationTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final ParameterizedTypeReference<ServerSentEvent<String>> SSE = new ParameterizedTypeReference<>() { };

    private static ConfigurableApplicationContext context;
    private static WebTestClient http;
    private static int port;

    @BeforeAll
    static void start() {
        context = SpringApplication.run(SluiceWebApplication.class, "--server.port=0", "--sluice.sensor-period=1ms",
                "--sluice.http-send-buffer=4096");
        port = Integer.parseInt(context.getEnvironment().getProperty("local.server.port"));
        http = WebTestClient.bindToServer().baseUrl("http://127.0.0.1:" + port).responseTimeout(WAIT).build();
    }

    @AfterAll
    static void stop() {
        context.close();
    }

    @Test
    void coapGetIsProxied() {
        http.get().uri("/coap/hello").exchange()
                .expectStatus().isOk()
                .expectHeader().valueEquals("CoAP-Code", "2.05 Content")
                .expectBody(String.class).isEqualTo("hello from the CoAP server");
        http.get().uri("/coap/nothing/here").exchange().expectStatus().isNotFound();
    }

    @Test
    void coapObservationStreamsAsServerSentEvents() {
        Flux<ServerSentEvent<String>> events = http.get().uri("/coap/sensors/temp/observe").accept(MediaType.TEXT_EVENT_STREAM)
                .exchange().expectStatus().isOk().returnResult(SSE).getResponseBody();
        StepVerifier.create(events.take(5))
                .thenConsumeWhile(e -> "2.05 Content".equals(e.event()) && e.data() != null && e.data().matches("\\d+\\.\\d\\d"))
                .expectComplete().verify(WAIT);
    }

    @Test
    void coapOverWebSocketsOnTheHttpPort() {
        // Sluice's own CoAP client, as any coap+ws client would: the upgrade at /.well-known/coap on the HTTP port.
        io.sluice.coap.CoapSession session = io.sluice.coap.CoapClient.create().connect("coap+ws://127.0.0.1:" + port).block(WAIT);
        try {
            assertThat(session.protocol()).isEqualTo(io.sluice.coap.CoapProtocol.WS);
            StepVerifier.create(session.request(io.sluice.coap.CoapRequest.get("/hello")).map(io.sluice.coap.CoapResponse::bodyText))
                    .expectNext("hello from the CoAP server").expectComplete().verify(WAIT);
            StepVerifier.create(session.observe(io.sluice.coap.CoapRequest.get("/sensors/temp")).take(3))
                    .thenConsumeWhile(r -> r.bodyText().matches("\\d+\\.\\d\\d"))
                    .expectComplete().verify(WAIT);
            StepVerifier.create(session.ping()).expectNextCount(1).expectComplete().verify(WAIT);
        } finally {
            session.release();
        }
        // Without the upgrade, the path is WebFlux's like any other (and the 404's body is read, not leaked).
        http.get().uri("/.well-known/coap").exchange().expectStatus().isNotFound().expectBody(String.class);
    }

    @Test
    void peerCallAndStream() {
        http.post().uri("/peer/echo").contentType(MediaType.TEXT_PLAIN).bodyValue("over http").exchange()
                .expectStatus().isOk().expectBody(String.class).isEqualTo("echo: over http");
        Flux<ServerSentEvent<String>> ticks = http.get().uri("/peer/ticks/stream?count=5").exchange()
                .expectStatus().isOk().returnResult(SSE).getResponseBody();
        StepVerifier.create(ticks.map(ServerSentEvent::data)).expectNext("tick 1", "tick 2", "tick 3", "tick 4", "tick 5")
                .expectComplete().verify(WAIT);
        http.post().uri("/peer/nope").bodyValue("x").exchange().expectStatus().isNotFound();
    }

    @Test
    void switchQueuesStream() {
        Flux<ServerSentEvent<String>> queues = http.get().uri("/switch/queues").exchange()
                .expectStatus().isOk().returnResult(SSE).getResponseBody();
        StepVerifier.create(queues.take(2)).expectNextMatches(e -> e.data().contains("queues")).expectNextCount(1)
                .expectComplete().verify(WAIT);
    }

    @Test
    void sessionsHealthAndMetrics() {
        http.get().uri("/sessions").exchange().expectStatus().isOk()
                .expectBody()
                .jsonPath("$.coapClientSession.type").isEqualTo("CLIENT")
                .jsonPath("$.coapClientSession.state").isEqualTo("ESTABLISHED")
                .jsonPath("$.coapClientSession.protocol").isEqualTo("DTLS")
                .jsonPath("$.coapServerSessions[0].type").isEqualTo("SERVER")
                .jsonPath("$.dtlsSessions[0].cipherSuite").value((java.util.function.Consumer<String>) v -> assertThat(v).contains("PSK"));
        http.get().uri("/actuator/health").exchange().expectStatus().isOk()
                .expectBody().jsonPath("$.status").isEqualTo("UP").jsonPath("$.components.sluice.status").isEqualTo("UP");
        http.get().uri("/actuator/metrics/sluice.coap.sessions").exchange().expectStatus().isOk()
                .expectBody().jsonPath("$.measurements[0].value")
                .value((java.util.function.Consumer<Number>) v -> assertThat(v.doubleValue()).isPositive());
        http.get().uri("/").exchange().expectStatus().isOk().expectBody(String.class)
                .value(page -> assertThat(page).contains("EventSource('/coap/sensors/temp/observe')").contains("EventSource('/dashboard/stream')"));
    }

    @Test
    void theSdkMetersAreScrapedAsPrometheusTextAndFeedTheDashboardStream() throws Exception {
        // The body is read: an unread response body is a buffer the client never releases.
        http.get().uri("/coap/hello").exchange().expectStatus().isOk().expectBody(String.class).isEqualTo("hello from the CoAP server");
        http.post().uri("/peer/echo").bodyValue("x").exchange().expectStatus().isOk().expectBody(String.class).isEqualTo("echo: x");
        java.net.http.HttpClient jdk = java.net.http.HttpClient.newHttpClient();
        String scraped = jdk.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + "/actuator/prometheus"))
                .timeout(WAIT).build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        assertThat(scraped)
                .contains("sluice_coap_requests_seconds_count{method=\"GET\",response_class=\"2.xx\",role=\"server\",transport=\"dtls\"}")
                .contains("sluice_dtls_handshakes_seconds_count{cipher_suite=\"TLS_")
                .contains("sluice_coap_sessions{role=\"server\",state=\"established\",transport=\"dtls\",type=\"server\"}")
                .contains("sluice_peer_connections{side=\"accepted\"}")
                .contains("sluice_sasl_authentications_total{mechanism=\"SCRAM-SHA-256\",outcome=\"success\"}")
                // Spring Boot's observation registry times the SDK's observations too.
                .contains("sluice_coap_server_request_seconds_count{")
                .contains("sluice_peer_call_seconds_count{")
                .doesNotContain("127.0.0.1");
        // The first frame of the endless stream, read with the JDK's client and then hung up on.
        java.net.http.HttpResponse<java.util.stream.Stream<String>> stream = jdk.send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + port + "/dashboard/stream")).header("Accept", "text/event-stream")
                .timeout(WAIT).build(), java.net.http.HttpResponse.BodyHandlers.ofLines());
        String frame;
        try (java.util.stream.Stream<String> lines = stream.body()) {
            frame = lines.filter(l -> l.startsWith("data:")).findFirst().orElseThrow();
        }
        assertThat(frame).contains("\"cipherSuite\":\"TLS_").contains("\"coapRequests\":").contains("\"state\":\"established\"");
    }

    /**
     * A browser that stops reading: HTTP backpressure reaches the CoAP observation, which drops
     * old notifications (counted) instead of buffering them; the stream is alive when reading resumes.
     */
    @Test
    void aSlowReaderDoesNotMakeTheServerBuffer() throws Exception {
        SluiceBackends backends = context.getBean(SluiceBackends.class);
        long droppedBefore = backends.droppedNotifications();
        try (Socket slow = new Socket()) {
            slow.setReceiveBufferSize(1024);
            slow.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            slow.setSoTimeout(5000);
            OutputStream out = slow.getOutputStream();
            out.write(("GET /coap/sensors/temp/observe HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            // Read nothing while the sensor changes every millisecond: the socket and Netty's outbound
            // buffer fill, writes stop, demand stops, and the observation starts dropping.
            long deadline = System.nanoTime() + WAIT.toNanos() * 3;
            while (backends.droppedNotifications() - droppedBefore < 100 && System.nanoTime() < deadline) {
                Thread.onSpinWait();
                Thread.yield();
            }
            assertThat(backends.droppedNotifications() - droppedBefore).as("notifications dropped while the reader stalled")
                    .isGreaterThanOrEqualTo(100);
            InputStream in = slow.getInputStream();
            byte[] buffer = new byte[8192];
            int n = in.read(buffer);
            assertThat(new String(buffer, 0, Math.max(n, 0), StandardCharsets.US_ASCII)).contains("200");
        }
    }
}
