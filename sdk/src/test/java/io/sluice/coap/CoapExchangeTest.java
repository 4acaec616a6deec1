package io.sluice.coap;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.sluice.codec.Limits;
import io.sluice.codec.coap.CoapCode;
import io.sluice.codec.coap.CoapMessage;
import io.sluice.codec.coap.CoapMessageCodec;
import io.sluice.codec.coap.CoapOptions;
import io.sluice.codec.coap.CoapType;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;

class CoapExchangeTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    private final ConcurrentHashMap<String, byte[]> store = new ConcurrentHashMap<>();
    private final Sinks.Many<String> temperature = Sinks.many().replay().latest();
    private final AtomicInteger slowCalls = new AtomicInteger();
    private LiveCoapServer server;
    private CoapSession session;

    @BeforeEach
    void start() {
        temperature.tryEmitNext("20.0");
        server = CoapServer.create().port(0)
                .route(r -> r
                        .get("/hello", req -> Mono.just(CoapResponse.content("hello " + req.request().query())))
                        .put("/store/**", req -> {
                            store.put(req.remainder(), req.request().body());
                            return Mono.just(CoapResponse.of(CoapCode.CHANGED));
                        })
                        .get("/store/**", req -> Mono.justOrEmpty(store.get(req.remainder())).map(CoapResponse::content)
                                .defaultIfEmpty(CoapResponse.of(CoapCode.NOT_FOUND)))
                        .get("/slow", req -> Mono.delay(Duration.ofMillis(1500))
                                .map(i -> CoapResponse.content("slow " + slowCalls.incrementAndGet())))
                        .post("/fail", req -> Mono.error(new IllegalStateException("handler broke")))
                        .observable("/temp", req -> temperature.asFlux().map(CoapResponse::content)))
                .bind().block(WAIT);
        session = CoapClient.create().connect("coap://127.0.0.1:" + server.localAddress().getPort()).block(WAIT);
    }

    @AfterEach
    void stop() {
        if (session != null && session.state() != CoapSessionState.CLOSED) {
            session.release();
        }
        server.dispose();
    }

    @Test
    void aClientSessionNamesTheClientThatOpenedItAndAServerSessionItsServer() {
        // coap_session_get_context, both ways.
        CoapClient client = CoapClient.create().blockSize(256);
        CoapSession mine = client.connect("coap://127.0.0.1:" + server.localAddress().getPort()).block(WAIT);
        try {
            assertThat(mine.client()).containsSame(client);
            assertThat(mine.server()).isEmpty();
            assertThat(mine.request(CoapRequest.get("/hello")).block(WAIT).code()).isEqualTo(CoapCode.CONTENT);
            assertThat(server.sessions()).isNotEmpty().allSatisfy(s -> {
                assertThat(s.server()).containsSame(server);
                assertThat(s.client()).isEmpty();
            });
        } finally {
            mine.release();
        }
    }

    @Test
    void getPiggyBacked() {
        StepVerifier.create(session.request(CoapRequest.get("/hello?name=x")))
                .assertNext(r -> {
                    assertThat(r.code()).isEqualTo(CoapCode.CONTENT);
                    assertThat(r.bodyText()).isEqualTo("hello name=x");
                    assertThat(r.options().contentFormat()).isZero();
                })
                .verifyComplete();
        assertThat(session.type()).isEqualTo(CoapSessionType.CLIENT);
        assertThat(session.protocol()).isEqualTo(CoapProtocol.UDP);
        assertThat(session.state()).isEqualTo(CoapSessionState.ESTABLISHED);
        assertThat(session.refCount()).isEqualTo(1);
        assertThat(session.interfaceIndex()).isEqualTo(-1);
        assertThat(session.localAddress().getAddress().isLoopbackAddress()).isTrue();
        assertThat(server.sessions()).singleElement().satisfies(s -> {
            assertThat(s.type()).isEqualTo(CoapSessionType.SERVER);
            assertThat(s.refCount()).isZero();
            assertThat(s.remoteAddress()).isEqualTo(session.localAddress());
        });
        assertThat(server.idleSessions()).isEqualTo(1);
    }

    @Test
    void notFoundMethodNotAllowedAndHandlerErrors() {
        StepVerifier.create(session.request(CoapRequest.get("/nothing"))).assertNext(r -> assertThat(r.code()).isEqualTo(CoapCode.NOT_FOUND)).verifyComplete();
        StepVerifier.create(session.request(CoapRequest.delete("/hello"))).assertNext(r -> assertThat(r.code()).isEqualTo(CoapCode.METHOD_NOT_ALLOWED)).verifyComplete();
        StepVerifier.create(session.request(CoapRequest.post("/fail", new byte[0])))
                .assertNext(r -> {
                    assertThat(r.code()).isEqualTo(CoapCode.INTERNAL_SERVER_ERROR);
                    assertThat(r.bodyText()).isEqualTo("handler broke");
                }).verifyComplete();
    }

    @Test
    void nonConfirmableRequestGetsNonResponse() {
        StepVerifier.create(session.request(CoapRequest.get("/hello").nonConfirmable()))
                .assertNext(r -> assertThat(r.bodyText()).isEqualTo("hello ")).verifyComplete();
    }

    @Test
    void separateResponseAfterEmptyAck() {
        StepVerifier.create(session.request(CoapRequest.get("/slow")))
                .assertNext(r -> assertThat(r.bodyText()).isEqualTo("slow 1")).expectComplete().verify(WAIT);
    }

    @Test
    void blockwiseBothWaysWithAMegabyte() {
        byte[] body = new byte[1024 * 1024 + 17];
        new Random(1).nextBytes(body);
        StepVerifier.create(session.request(CoapRequest.put("/store/big", body)))
                .assertNext(r -> {
                    assertThat(r.code()).isEqualTo(CoapCode.CHANGED);
                    assertThat(r.options().block1()).hasValueSatisfying(b -> assertThat(b.more()).isFalse());
                }).expectComplete().verify(WAIT);
        assertThat(store.get("big")).isEqualTo(body);
        StepVerifier.create(session.request(CoapRequest.get("/store/big")))
                .assertNext(r -> assertThat(r.body()).isEqualTo(body)).expectComplete().verify(WAIT);
    }

    @Test
    void smallerClientBlockSizeIsNegotiated() {
        byte[] body = new byte[5000];
        new Random(2).nextBytes(body);
        CoapSession small = CoapClient.create().blockSize(64).connect("coap://127.0.0.1:" + server.localAddress().getPort()).block(WAIT);
        try {
            StepVerifier.create(small.request(CoapRequest.put("/store/s", body))).expectNextCount(1).expectComplete().verify(WAIT);
            StepVerifier.create(small.request(CoapRequest.get("/store/s"))).assertNext(r -> assertThat(r.body()).isEqualTo(body))
                    .expectComplete().verify(WAIT);
        } finally {
            small.release();
        }
    }

    @Test
    void observeEmitsNotificationsAndDeregistersOnCancel() {
        StepVerifier.create(session.observe(CoapRequest.get("/temp")))
                .assertNext(r -> {
                    assertThat(r.bodyText()).isEqualTo("20.0");
                    assertThat(r.observe()).isNotNegative();
                })
                .then(() -> temperature.tryEmitNext("20.5"))
                .assertNext(r -> assertThat(r.bodyText()).isEqualTo("20.5"))
                .then(() -> temperature.tryEmitNext("21.0"))
                .assertNext(r -> assertThat(r.bodyText()).isEqualTo("21.0"))
                .thenCancel()
                .verify(WAIT);
        // The deregistration (GET with Observe: 1) reaches the server and drops the observer.
        SessionImpl serverSide = (SessionImpl) server.sessions().get(0);
        StepVerifier.create(Flux.interval(Duration.ofMillis(20)).map(i -> serverSide.observerCount()).filter(n -> n == 0).next())
                .expectNext(0).expectComplete().verify(WAIT);
    }

    @Test
    void manyNotificationsReachASlowObserverAsTheLatestState() {
        StepVerifier.create(session.observe(CoapRequest.get("/temp")), 1)
                .expectNextCount(1)
                .then(() -> {
                    for (int i = 0; i < 200; i++) {
                        temperature.tryEmitNext("t" + i);
                    }
                })
                .thenRequest(Long.MAX_VALUE)
                .expectNextMatches(r -> r.bodyText().startsWith("t"))
                .thenConsumeWhile(r -> !r.bodyText().equals("t199"))
                .expectNoEvent(Duration.ZERO)
                .thenCancel()
                .verify(WAIT);
    }

    @Test
    void pingIsAnsweredWithReset() {
        StepVerifier.create(session.ping()).assertNext(rtt -> assertThat(rtt).isPositive()).verifyComplete();
    }

    @Test
    void duplicatesAreAnsweredFromTheCacheAndBadInputIsRejected() throws Exception {
        try (DatagramSocket raw = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            raw.setSoTimeout(5000);
            InetSocketAddress to = server.localAddress();
            CoapMessage get = CoapMessage.of(CoapType.CON, CoapCode.GET, 4711).withToken(new byte[] {1, 2})
                    .withOptions(CoapOptions.builder().uriPath("/slow").build());
            send(raw, get, to);
            send(raw, get, to); // a retransmission while the handler works: no second call
            CoapMessage first = receive(raw);
            assertThat(first.type()).isEqualTo(CoapType.ACK);
            assertThat(first.isEmpty()).isTrue();
            CoapMessage separate = receive(raw);
            assertThat(separate.type()).isEqualTo(CoapType.CON);
            assertThat(separate.payloadText()).isEqualTo("slow 1");
            send(raw, CoapMessage.emptyAck(separate.messageId()), to);
            send(raw, get, to); // a late duplicate gets the empty ACK again, never a new handler call
            assertThat(receive(raw).isEmpty()).isTrue();
            assertThat(slowCalls.get()).isEqualTo(1);
            assertThat(server.duplicateRequests()).isEqualTo(2);

            // Unknown critical option: 4.02. Unknown elective: ignored.
            send(raw, CoapMessage.of(CoapType.CON, CoapCode.GET, 1).withToken(new byte[] {9})
                    .withOptions(CoapOptions.builder().uriPath("/hello").add(2049, new byte[] {1}).build()), to);
            CoapMessage badOption = receive(raw);
            assertThat(badOption.code()).isEqualTo(CoapCode.BAD_OPTION);
            assertThat(badOption.payloadText()).contains("2049");
            send(raw, CoapMessage.of(CoapType.CON, CoapCode.GET, 2).withToken(new byte[] {9})
                    .withOptions(CoapOptions.builder().uriPath("/hello").add(2048, new byte[] {1}).build()), to);
            assertThat(receive(raw).code()).isEqualTo(CoapCode.CONTENT);

            // Malformed CON (token length 9): Reset. Malformed NON and garbage: dropped and counted.
            sendRaw(raw, new byte[] {0x49, 0x01, 0x00, 0x07, 1, 2, 3, 4, 5, 6, 7, 8, 9}, to);
            CoapMessage rst = receive(raw);
            assertThat(rst.type()).isEqualTo(CoapType.RST);
            assertThat(rst.messageId()).isEqualTo(7);
            sendRaw(raw, new byte[] {0x59, 0x01, 0x00, 0x08}, to);
            sendRaw(raw, new byte[] {(byte) 0xff}, to);
            sendRaw(raw, new byte[1600], to);
            // A ping still answers, so the endpoint survived all of it.
            send(raw, CoapMessage.of(CoapType.CON, CoapCode.EMPTY, 99), to);
            CoapMessage pong = receive(raw);
            assertThat(pong.type()).isEqualTo(CoapType.RST);
            assertThat(pong.messageId()).isEqualTo(99);
            assertThat(server.malformedDatagrams()).isEqualTo(4);
        }
    }

    @Test
    void aReusedMessageIdWithAnotherTokenIsANewRequest() throws Exception {
        try (DatagramSocket raw = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            raw.setSoTimeout(5000);
            InetSocketAddress to = server.localAddress();
            CoapMessage first = CoapMessage.of(CoapType.CON, CoapCode.GET, 777).withToken(new byte[] {1})
                    .withOptions(CoapOptions.builder().uriPath("/hello").uriQuery("n=1").build());
            send(raw, first, to);
            assertThat(receive(raw).payloadText()).isEqualTo("hello n=1");
            // A fast client wrapped its 16-bit IDs: same ID, new token, new request. Not a duplicate.
            send(raw, first.withToken(new byte[] {2}).withOptions(CoapOptions.builder().uriPath("/hello").uriQuery("n=2").build()), to);
            CoapMessage second = receive(raw);
            assertThat(second.payloadText()).isEqualTo("hello n=2");
            assertThat(second.token()).containsExactly(2);
            assertThat(server.duplicateRequests()).isZero();
        }
    }

    @Test
    void lateOlderNotificationsAreDropped() throws Exception {
        try (DatagramSocket fake = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            fake.setSoTimeout(5000);
            CoapSession s = CoapClient.create().connect("coap://127.0.0.1:" + fake.getLocalPort()).block(WAIT);
            try {
                StepVerifier.create(s.observe(CoapRequest.get("/obs")).map(CoapResponse::bodyText))
                        .then(() -> {
                            try {
                                DatagramPacket p = new DatagramPacket(new byte[1500], 1500);
                                fake.receive(p);
                                CoapMessage register = decode(p);
                                assertThat(register.options().observe()).isZero();
                                InetSocketAddress client = (InetSocketAddress) p.getSocketAddress();
                                CoapMessage base = CoapMessage.of(CoapType.NON, CoapCode.CONTENT, 0).withToken(register.token());
                                send(fake, base.withType(CoapType.ACK).withMessageId(register.messageId())
                                        .withOptions(CoapOptions.builder().observe(10).build()).withPayload("v10"), client);
                                send(fake, base.withMessageId(100).withOptions(CoapOptions.builder().observe(12).build()).withPayload("v12"), client);
                                // RFC 7641 §3.4: 11 after 12 is older and arrived late; it is not the current state.
                                send(fake, base.withMessageId(101).withOptions(CoapOptions.builder().observe(11).build()).withPayload("v11"), client);
                                // The sequence wraps at 2^24: 3 after 16,000,000 is newer.
                                send(fake, base.withMessageId(102).withOptions(CoapOptions.builder().observe(8_000_000).build()).withPayload("v8m"), client);
                                send(fake, base.withMessageId(103).withOptions(CoapOptions.builder().observe(16_000_000).build()).withPayload("v16m"), client);
                                send(fake, base.withMessageId(104).withOptions(CoapOptions.builder().observe(3).build()).withPayload("v3"), client);
                            } catch (java.io.IOException e) {
                                throw new IllegalStateException(e);
                            }
                        })
                        .expectNext("v10", "v12", "v8m", "v16m", "v3")
                        .thenCancel().verify(WAIT);
            } finally {
                s.release();
            }
        }
    }

    @Test
    void confirmableRequestsAreRetransmittedThenTimeOut() throws Exception {
        try (DatagramSocket silent = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            silent.setSoTimeout(5000);
            CoapSession toSilence = CoapClient.create()
                    .transmission(CoapTransmission.defaults().withAckTimeout(Duration.ofMillis(100)).withMaxRetransmit(2))
                    .connect("coap://127.0.0.1:" + silent.getLocalPort()).block(WAIT);
            try {
                StepVerifier.create(toSilence.request(CoapRequest.get("/x")))
                        .expectErrorSatisfies(e -> {
                            assertThat(e).isInstanceOf(CoapException.class);
                            assertThat(((CoapException) e).errorCode()).isEqualTo(CoapErrorCode.TIMEOUT);
                            assertThat(((CoapException) e).reason()).isEqualTo(CoapNackReason.TOO_MANY_RETRIES);
                        }).verify(WAIT);
                CoapMessage original = receive(silent);
                assertThat(receive(silent)).isEqualTo(original);
                assertThat(receive(silent)).isEqualTo(original);
            } finally {
                toSilence.release();
            }
        }
    }

    @Test
    void resetFailsTheExchange() throws Exception {
        try (DatagramSocket rude = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            rude.setSoTimeout(5000);
            CoapSession s = CoapClient.create().connect("coap://127.0.0.1:" + rude.getLocalPort()).block(WAIT);
            try {
                StepVerifier.create(s.request(CoapRequest.get("/x")))
                        .then(() -> {
                            try {
                                DatagramPacket p = new DatagramPacket(new byte[1500], 1500);
                                rude.receive(p);
                                CoapMessage m = decode(p);
                                send(rude, CoapMessage.reset(m.messageId()), (InetSocketAddress) p.getSocketAddress());
                            } catch (java.io.IOException e) {
                                throw new IllegalStateException(e);
                            }
                        })
                        .expectErrorSatisfies(e -> assertThat(((CoapException) e).reason()).isEqualTo(CoapNackReason.RST))
                        .verify(WAIT);
            } finally {
                s.release();
            }
        }
    }

    @Test
    void nstartQueuesRequestsInOrder() {
        Flux<String> answers = Flux.range(0, 20).flatMapSequential(i -> session.request(CoapRequest.get("/hello?i=" + i)))
                .map(CoapResponse::bodyText);
        StepVerifier.create(answers.collectList())
                .assertNext(list -> assertThat(list).hasSize(20).startsWith("hello i=0").endsWith("hello i=19"))
                .expectComplete().verify(WAIT);
    }

    @Test
    void disconnectFailsPendingExchangesWithTheReason() {
        StepVerifier.create(session.request(CoapRequest.get("/slow")))
                .then(() -> session.disconnect(CoapNackReason.APPLICATION))
                .expectErrorSatisfies(e -> {
                    assertThat(((CoapException) e).errorCode()).isEqualTo(CoapErrorCode.DISCONNECTED);
                    assertThat(((CoapException) e).reason()).isEqualTo(CoapNackReason.APPLICATION);
                }).verify(WAIT);
        assertThat(session.state()).isEqualTo(CoapSessionState.NONE);
        // A UDP session can be used again: the next request re-establishes it.
        StepVerifier.create(session.request(CoapRequest.get("/hello"))).expectNextCount(1).expectComplete().verify(WAIT);
        assertThat(session.state()).isEqualTo(CoapSessionState.ESTABLISHED);
    }

    @Test
    void releaseFreesAClientSessionAndUseAfterwardsFails() {
        CoapSession s = CoapClient.create().connect("coap://127.0.0.1:" + server.localAddress().getPort()).block(WAIT);
        StepVerifier.create(s.states()).expectNext(CoapSessionState.ESTABLISHED)
                .then(s::release)
                .expectNext(CoapSessionState.CLOSED).expectComplete().verify(WAIT);
        StepVerifier.create(s.request(CoapRequest.get("/hello")))
                .expectErrorSatisfies(e -> assertThat(((CoapException) e).errorCode()).isEqualTo(CoapErrorCode.CLOSED)).verify(WAIT);
        StepVerifier.create(s.onClose()).expectComplete().verify(WAIT);
        org.assertj.core.api.Assertions.assertThatThrownBy(s::retain).hasMessageContaining("released");
    }

    @Test
    void idleServerSessionsAreFreedAfterTheIdleTimeout() {
        LiveCoapServer shortLived = CoapServer.create().port(0).idleTimeout(Duration.ofMillis(300))
                .route(r -> r.get("/x", req -> Mono.just(CoapResponse.content("x")))).bind().block(WAIT);
        CoapSession s = CoapClient.create().connect("coap://127.0.0.1:" + shortLived.localAddress().getPort()).block(WAIT);
        try {
            s.request(CoapRequest.get("/x")).block(WAIT);
            CoapSession serverSession = shortLived.sessions().get(0);
            StepVerifier.create(serverSession.states())
                    .expectNext(CoapSessionState.ESTABLISHED).expectNext(CoapSessionState.CLOSED).expectComplete().verify(WAIT);
            assertThat(shortLived.sessions()).isEmpty();
            assertThat(shortLived.expiredSessions()).isEqualTo(1);
        } finally {
            s.release();
            shortLived.dispose();
        }
    }

    @Test
    void retainedServerSessionsStayAndCallHomeWorks() {
        LiveCoapServer shortLived = CoapServer.create().port(0).idleTimeout(Duration.ofMillis(200))
                .route(r -> r.post("/register", req -> {
                    req.session().becomeClient();
                    return Mono.just(CoapResponse.of(CoapCode.CREATED));
                })).bind().block(WAIT);
        CoapSession device = CoapClient.create()
                .route(r -> r.get("/status", req -> Mono.just(CoapResponse.content("device ok"))))
                .connect("coap://127.0.0.1:" + shortLived.localAddress().getPort()).block(WAIT);
        try {
            assertThat(device.request(CoapRequest.post("/register", new byte[0])).block(WAIT).code()).isEqualTo(CoapCode.CREATED);
            CoapSession home = shortLived.sessions().get(0);
            assertThat(home.type()).isEqualTo(CoapSessionType.CLIENT);
            assertThat(home.refCount()).isEqualTo(1);
            assertThat(home.becomeClient()).isFalse();
            StepVerifier.create(Mono.delay(Duration.ofMillis(500)).then(home.request(CoapRequest.get("/status"))))
                    .assertNext(r -> assertThat(r.bodyText()).isEqualTo("device ok")).expectComplete().verify(WAIT);
            assertThat(home.state()).isEqualTo(CoapSessionState.ESTABLISHED);
            home.release(); // a client session's last release frees it
            assertThat(home.state()).isIn(CoapSessionState.ESTABLISHED, CoapSessionState.CLOSED);
            StepVerifier.create(home.onClose()).expectComplete().verify(WAIT);
        } finally {
            device.release();
            shortLived.dispose();
        }
    }

    @Test
    void serverSessionCannotSendRequestsBeforeBecomingClient() {
        session.request(CoapRequest.get("/hello")).block(WAIT);
        CoapSession serverSide = server.sessions().get(0);
        StepVerifier.create(serverSide.request(CoapRequest.get("/x")))
                .expectErrorSatisfies(e -> assertThat(((CoapException) e).errorCode()).isEqualTo(CoapErrorCode.WRONG_TYPE)).verify(WAIT);
        serverSide.attributes().put(io.sluice.session.AttributeKey.of("n", Integer.class), 7);
        assertThat(serverSide.attributes().keys()).hasSize(1);
        assertThat(serverSide.multicastAddress()).isEmpty();
        assertThat(serverSide.server()).containsSame(server);
        assertThat(session.server()).isEmpty();
        assertThat(serverSide.tls()).isEmpty();
        assertThat(serverSide.pskKey()).isEmpty();
    }

    private static void send(DatagramSocket socket, CoapMessage message, InetSocketAddress to) throws java.io.IOException {
        ByteBuf buf = Unpooled.buffer();
        CoapMessageCodec.INSTANCE.encode(message, buf);
        byte[] bytes = new byte[buf.readableBytes()];
        buf.readBytes(bytes);
        buf.release();
        sendRaw(socket, bytes, to);
    }

    private static void sendRaw(DatagramSocket socket, byte[] bytes, InetSocketAddress to) throws java.io.IOException {
        socket.send(new DatagramPacket(bytes, bytes.length, to));
    }

    private static CoapMessage receive(DatagramSocket socket) throws java.io.IOException {
        DatagramPacket p = new DatagramPacket(new byte[2000], 2000);
        socket.receive(p);
        return decode(p);
    }

    private static CoapMessage decode(DatagramPacket p) {
        ByteBuf in = Unpooled.wrappedBuffer(Arrays.copyOf(p.getData(), p.getLength()));
        try {
            return CoapMessageCodec.INSTANCE.decode(in, Limits.defaults());
        } finally {
            in.release();
        }
    }
}
