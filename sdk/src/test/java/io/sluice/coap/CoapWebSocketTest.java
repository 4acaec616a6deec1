package io.sluice.coap;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.sluice.codec.Limits;
import io.sluice.codec.coap.CoapCode;
import io.sluice.codec.coap.CoapMessage;
import io.sluice.codec.coap.CoapReliableCodec;
import io.sluice.codec.coap.CoapSignals;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedTransferQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/** CoAP over WebSockets (RFC 8323 §4) between Sluice client and server, and against the JDK's WebSocket client for what a peer may get wrong. */
class CoapWebSocketTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    private LiveCoapServer server;
    private String uri;
    private final List<byte[]> stored = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() {
        server = CoapServer.create().port(0).webSocket().route(r -> r
                        .get("/hello", req -> Mono.just(CoapResponse.content("hello over websockets")))
                        .put("/store", req -> {
                            stored.add(req.request().bodyArray());
                            return Mono.just(CoapResponse.of(CoapCode.CHANGED));
                        })
                        .observable("/count", req -> Flux.range(0, 5).map(i -> CoapResponse.content("n" + i))))
                .bind().block(WAIT);
        uri = "coap+ws://127.0.0.1:" + server.localAddress().getPort();
    }

    @AfterEach
    void stop() {
        server.dispose();
    }

    @Test
    void requestsObservationsBlocksAndPingsCrossAWebSocket() {
        List<CoapSessionState> seen = new CopyOnWriteArrayList<>();
        CoapSession session = CoapClient.create().doOnSession(s -> s.states().subscribe(seen::add)).connect(uri).block(WAIT);
        try {
            assertThat(session.protocol()).isEqualTo(CoapProtocol.WS);
            assertThat(server.protocol()).isEqualTo(CoapProtocol.WS);
            assertThat(seen).containsSubsequence(CoapSessionState.CONNECTING, CoapSessionState.CSM, CoapSessionState.ESTABLISHED);
            StepVerifier.create(session.request(CoapRequest.get("/hello")))
                    .assertNext(r -> assertThat(r.bodyText()).isEqualTo("hello over websockets")).verifyComplete();
            byte[] body = new byte[100 * 1024];
            for (int i = 0; i < body.length; i++) {
                body[i] = (byte) (i * 7);
            }
            assertThat(session.request(CoapRequest.put("/store", body)).block(WAIT).code()).isEqualTo(CoapCode.CHANGED);
            assertThat(stored).singleElement().isEqualTo(body);
            StepVerifier.create(session.observe(CoapRequest.get("/count")).map(CoapResponse::bodyText))
                    .expectNext("n0", "n1", "n2", "n3", "n4", "the observed resource ended").verifyComplete();
            StepVerifier.create(session.ping()).expectNextCount(1).verifyComplete();
        } finally {
            session.release();
        }
    }

    @Test
    void theUpgradeOffersSubprotocolCoapAndBinaryMessagesCarryCsm() throws Exception {
        Frames frames = new Frames();
        WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder().subprotocols("coap")
                .buildAsync(URI.create("ws://127.0.0.1:" + server.localAddress().getPort() + "/.well-known/coap"), frames)
                .get(20, TimeUnit.SECONDS);
        try {
            assertThat(ws.getSubprotocol()).isEqualTo("coap");
            CoapMessage csm = frames.next();
            assertThat(csm.code()).isEqualTo(CoapCode.CSM);
            assertThat(CoapSignals.readCsm(csm, new CoapSignals.Csm(1152, false)).blockWiseTransfer()).isTrue();
        } finally {
            ws.abort();
        }
    }

    @Test
    void aTextMessageIsAnsweredWithClose1003() throws Exception {
        Frames frames = new Frames();
        WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder().subprotocols("coap")
                .buildAsync(URI.create("ws://127.0.0.1:" + server.localAddress().getPort() + "/.well-known/coap"), frames)
                .get(20, TimeUnit.SECONDS);
        assertThat(frames.next().code()).isEqualTo(CoapCode.CSM);
        ws.sendText("GET /hello", true);
        assertThat(frames.closeCode.get(20, TimeUnit.SECONDS)).isEqualTo(1003);
    }

    @Test
    void anotherPathIsA404() throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.localAddress().getPort() + "/elsewhere")).timeout(WAIT).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(response.body()).contains("/.well-known/coap");
    }

    @Test
    void aClientThatNeverUpgradesIsDroppedAtTheCsmTimeout() throws Exception {
        LiveCoapServer strict = CoapServer.create().port(0).webSocket().csmTimeout(Duration.ofMillis(300)).bind().block(WAIT);
        try (java.net.Socket idle = new java.net.Socket("127.0.0.1", strict.localAddress().getPort())) {
            idle.setSoTimeout(10_000);
            assertThat(idle.getInputStream().read()).isEqualTo(-1);
        } finally {
            strict.dispose();
        }
    }

    /** Collects binary messages as CoAP messages and the close code. */
    static final class Frames implements WebSocket.Listener {
        final LinkedTransferQueue<CoapMessage> messages = new LinkedTransferQueue<>();
        final CompletableFuture<Integer> closeCode = new CompletableFuture<>();

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            ByteBuf frame = Unpooled.copiedBuffer(data);
            messages.add(CoapReliableCodec.WEBSOCKET.decode(frame, Limits.defaults()));
            frame.release();
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closeCode.complete(statusCode);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            closeCode.completeExceptionally(error);
        }

        CoapMessage next() throws InterruptedException {
            CoapMessage m = messages.poll(20, TimeUnit.SECONDS);
            assertThat(m).as("a message within 20 s").isNotNull();
            return m;
        }
    }
}
