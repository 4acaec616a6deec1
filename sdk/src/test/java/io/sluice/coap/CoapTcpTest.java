package io.sluice.coap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.sluice.codec.Limits;
import io.sluice.codec.coap.CoapCode;
import io.sluice.codec.coap.CoapMessage;
import io.sluice.codec.coap.CoapOptions;
import io.sluice.codec.coap.CoapReliableCodec;
import io.sluice.codec.coap.CoapSignals;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/** CoAP over TCP (RFC 8323) between a Sluice client and a Sluice server, and against raw sockets for what a peer may get wrong. */
class CoapTcpTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    private LiveCoapServer server;
    private String uri;
    private final List<byte[]> stored = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() {
        server = CoapServer.create().port(0).tcp().route(r -> r
                        .get("/hello", req -> Mono.just(CoapResponse.content("hello over tcp")))
                        .put("/store", req -> {
                            stored.add(req.request().bodyArray());
                            return Mono.just(CoapResponse.of(CoapCode.CHANGED));
                        })
                        .get("/big", req -> Mono.just(CoapResponse.content("x".repeat(50_000))))
                        .observable("/count", req -> Flux.range(0, 6).map(i -> CoapResponse.content("n" + i))))
                .bind().block(WAIT);
        uri = "coap+tcp://127.0.0.1:" + server.localAddress().getPort();
    }

    @AfterEach
    void stop() {
        server.dispose();
    }

    @Test
    void aGetIsAnsweredAndTheSessionWentThroughConnectingAndCsm() {
        List<CoapSessionState> seen = new CopyOnWriteArrayList<>();
        CoapSession session = CoapClient.create().doOnSession(s -> s.states().subscribe(seen::add)).connect(uri).block(WAIT);
        try {
            assertThat(session.protocol()).isEqualTo(CoapProtocol.TCP);
            assertThat(session.state()).isEqualTo(CoapSessionState.ESTABLISHED);
            assertThat(seen).containsSubsequence(CoapSessionState.CONNECTING, CoapSessionState.CSM, CoapSessionState.ESTABLISHED);
            assertThat(session.peerCsm()).hasValueSatisfying(csm -> {
                assertThat(csm.blockWiseTransfer()).isTrue();
                assertThat(csm.maxMessageSize()).isGreaterThanOrEqualTo(CoapSignals.BASE_MAX_MESSAGE_SIZE);
            });
            StepVerifier.create(session.request(CoapRequest.get("/hello")))
                    .assertNext(r -> assertThat(r.bodyText()).isEqualTo("hello over tcp"))
                    .verifyComplete();
        } finally {
            session.release();
        }
    }

    @Test
    void largeBodiesTravelBlockWiseBothWays() {
        CoapSession session = CoapClient.create().connect(uri).block(WAIT);
        try {
            byte[] body = new byte[100 * 1024];
            for (int i = 0; i < body.length; i++) {
                body[i] = (byte) (i * 31);
            }
            assertThat(session.request(CoapRequest.put("/store", body)).block(WAIT).code()).isEqualTo(CoapCode.CHANGED);
            assertThat(stored).singleElement().isEqualTo(body);
            assertThat(session.request(CoapRequest.get("/big")).block(WAIT).bodyArray()).hasSize(50_000);
        } finally {
            session.release();
        }
    }

    @Test
    void anObservationCarriesEveryStateAndEnds() {
        CoapSession session = CoapClient.create().connect(uri).block(WAIT);
        try {
            StepVerifier.create(session.observe(CoapRequest.get("/count")).map(CoapResponse::bodyText))
                    .expectNext("n0", "n1", "n2", "n3", "n4", "n5", "the observed resource ended")
                    .expectComplete()
                    .verify(WAIT);
        } finally {
            session.release();
        }
    }

    @Test
    void aPingIsAnsweredWithAPong() {
        CoapSession session = CoapClient.create().connect(uri).block(WAIT);
        try {
            StepVerifier.create(session.ping()).assertNext(rtt -> assertThat(rtt).isPositive()).verifyComplete();
        } finally {
            session.release();
        }
    }

    @Test
    void manyRequestsInFlightOnOneConnectionAllComeBack() {
        CoapSession session = CoapClient.create().connect(uri).block(WAIT);
        try {
            StepVerifier.create(Flux.range(0, 500).flatMap(i -> session.request(CoapRequest.get("/hello")), 64).count())
                    .expectNext(500L)
                    .verifyComplete();
        } finally {
            session.release();
        }
    }

    @Test
    void releasingTheClientSessionClosesTheServerSession() {
        CoapSession session = CoapClient.create().connect(uri).block(WAIT);
        assertThat(server.sessions()).hasSize(1);
        CoapSession serverSide = server.sessions().get(0);
        session.release();
        StepVerifier.create(serverSide.onClose()).expectComplete().verify(WAIT);
        assertThat(server.sessions()).isEmpty();
        assertThat(session.state()).isEqualTo(CoapSessionState.CLOSED);
    }

    @Test
    void disconnectingAServerSessionSendsReleaseThenCloses() throws IOException {
        try (RawTcpPeer peer = RawTcpPeer.connect(server.localAddress())) {
            peer.send(CoapSignals.csm(1152, false));
            assertThat(peer.read().code()).isEqualTo(CoapCode.CSM);
            assertThat(server.sessions()).hasSize(1);
            CoapSession serverSide = server.sessions().get(0);
            serverSide.disconnect(CoapNackReason.NOT_DELIVERABLE);
            assertThat(peer.read().code()).isEqualTo(CoapCode.RELEASE);
            assertThat(peer.readEnd()).isTrue();
            StepVerifier.create(serverSide.onClose()).expectComplete().verify(WAIT);
        }
        assertThat(server.sessions()).isEmpty();
    }

    @Test
    void aFirstMessageThatIsNotACsmIsAborted() throws IOException {
        try (RawTcpPeer peer = RawTcpPeer.connect(server.localAddress())) {
            peer.send(CoapMessage.of(io.sluice.codec.coap.CoapType.NON, CoapCode.GET, 0).withToken(new byte[] {1})
                    .withOptions(CoapOptions.builder().uriPath("hello").build()));
            assertThat(peer.read().code()).isEqualTo(CoapCode.CSM);
            CoapMessage abort = peer.read();
            assertThat(abort.code()).isEqualTo(CoapCode.ABORT);
            assertThat(abort.payloadText()).contains("first message must be a CSM");
            assertThat(peer.readEnd()).isTrue();
        }
    }

    @Test
    void aClientThatPipelinesRequestsButNeverReadsCannotMakeTheServerQueueWithoutBound() throws Exception {
        java.util.concurrent.atomic.AtomicInteger handled = new java.util.concurrent.atomic.AtomicInteger();
        LiveCoapServer flooded = CoapServer.create().port(0).tcp()
                .route(r -> r.get("/kb", req -> {
                    handled.incrementAndGet();
                    return Mono.just(CoapResponse.content("k".repeat(1000)));
                })).bind().block(WAIT);
        int requests = 200_000;
        try (RawTcpPeer peer = RawTcpPeer.connect(flooded.localAddress())) {
            peer.send(CoapSignals.csm(1152, false));
            assertThat(peer.read().code()).isEqualTo(CoapCode.CSM);
            // Each request carries about 1 KB of Uri-Query, each answer 1 KB: 200 MB each way if nothing pushed back.
            ByteBuf one = Unpooled.buffer();
            CoapOptions.Builder options = CoapOptions.builder().uriPath("kb");
            for (int q = 0; q < 4; q++) {
                options.add(CoapOptions.URI_QUERY, ("q" + q + "=" + "x".repeat(240)).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            }
            CoapReliableCodec.TCP.encode(CoapMessage.of(io.sluice.codec.coap.CoapType.NON, CoapCode.GET, 0).withToken(new byte[] {1})
                    .withOptions(options.build()), one);
            byte[] request = new byte[one.readableBytes()];
            one.readBytes(request);
            java.util.concurrent.atomic.AtomicInteger written = new java.util.concurrent.atomic.AtomicInteger();
            Thread writer = new Thread(() -> {
                try {
                    for (int i = 0; i < requests; i++) {
                        peer.sendRaw(request);
                        written.incrementAndGet();
                    }
                } catch (IOException closed) {
                    // the socket closed under the writer at the end of the test
                }
            }, "pipelining-writer");
            writer.setDaemon(true);
            writer.start();
            // The writer must end up blocked: the server stopped reading once its answers stopped leaving.
            writer.join(5_000);
            assertThat(writer.isAlive()).as("the writer is held back by TCP, after %d requests", written.get()).isTrue();
            assertThat(written.get()).isLessThan(requests);
            assertThat(handled.get()).as("requests the server took on").isLessThan(requests / 4);
        } finally {
            flooded.dispose();
        }
    }

    @Test
    void aServerThatAcceptsAMissingCsmServesARequestSentFirst() throws IOException {
        LiveCoapServer lenient = CoapServer.create().port(0).tcp().acceptMissingCsm(true)
                .route(r -> r.get("/hello", req -> Mono.just(CoapResponse.content("hi")))).bind().block(WAIT);
        try (RawTcpPeer peer = RawTcpPeer.connect(lenient.localAddress())) {
            peer.send(CoapMessage.of(io.sluice.codec.coap.CoapType.NON, CoapCode.GET, 0).withToken(new byte[] {7})
                    .withOptions(CoapOptions.builder().uriPath("hello").build()));
            assertThat(peer.read().code()).isEqualTo(CoapCode.CSM);
            CoapMessage answer = peer.read();
            assertThat(answer.code()).isEqualTo(CoapCode.CONTENT);
            assertThat(answer.payloadText()).isEqualTo("hi");
        } finally {
            lenient.dispose();
        }
    }

    @Test
    void aClientThatAcceptsAMissingCsmIsEstablishedOnceItsOwnCsmIsOut() throws IOException {
        try (ServerSocket old = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            var pending = CoapClient.create().acceptMissingCsm(true).connect("coap+tcp://127.0.0.1:" + old.getLocalPort()).toFuture();
            try (Socket accepted = old.accept(); RawTcpPeer peer = new RawTcpPeer(accepted)) {
                assertThat(peer.read().code()).isEqualTo(CoapCode.CSM);
                CoapSession session = pending.join();
                assertThat(session.state()).isEqualTo(CoapSessionState.ESTABLISHED);
                assertThat(session.peerCsm()).hasValueSatisfying(c -> assertThat(c.maxMessageSize()).isEqualTo(CoapSignals.BASE_MAX_MESSAGE_SIZE));
                session.release();
            }
        }
    }

    @Test
    void anUnknownCriticalCsmOptionIsAbortedNamingIt() throws IOException {
        try (RawTcpPeer peer = RawTcpPeer.connect(server.localAddress())) {
            peer.send(CoapMessage.of(io.sluice.codec.coap.CoapType.NON, CoapCode.CSM, 0)
                    .withOptions(CoapOptions.builder().add(9, new byte[0]).build()));
            assertThat(peer.read().code()).isEqualTo(CoapCode.CSM);
            CoapMessage abort = peer.read();
            assertThat(abort.code()).isEqualTo(CoapCode.ABORT);
            assertThat(CoapSignals.badCsmOption(abort)).contains(9);
            assertThat(peer.readEnd()).isTrue();
        }
    }

    @Test
    void aMalformedFrameIsAbortedWithItsOffset() throws IOException {
        try (RawTcpPeer peer = RawTcpPeer.connect(server.localAddress())) {
            peer.send(CoapSignals.csm(1152, false));
            assertThat(peer.read().code()).isEqualTo(CoapCode.CSM);
            peer.sendRaw(new byte[] {(byte) 0x09, 0x01}); // token length 9 is reserved
            CoapMessage abort = peer.read();
            assertThat(abort.code()).isEqualTo(CoapCode.ABORT);
            assertThat(abort.payloadText()).contains("offset 0").contains("token length 9");
            assertThat(peer.readEnd()).isTrue();
        }
        assertThat(server.malformedDatagrams()).isEqualTo(1);
    }

    @Test
    void aFrameOverOurMaxMessageSizeIsAbortedBeforeItIsRead() throws IOException {
        try (RawTcpPeer peer = RawTcpPeer.connect(server.localAddress())) {
            peer.send(CoapSignals.csm(1152, false));
            CoapSignals.Csm ours = CoapSignals.readCsm(peer.read(), new CoapSignals.Csm(1152, false));
            // Len nibble 14: a 2-byte extension plus 269, announcing one byte more than the server takes.
            int length = (int) ours.maxMessageSize() + 1 - 269;
            peer.sendRaw(new byte[] {(byte) 0xE0, (byte) (length >>> 8), (byte) length, 0x01});
            CoapMessage abort = peer.read();
            assertThat(abort.code()).isEqualTo(CoapCode.ABORT);
            assertThat(abort.payloadText()).contains("Max-Message-Size");
            assertThat(peer.readEnd()).isTrue();
        }
    }

    @Test
    void aPeerSilentAfterConnectIsAbortedAtTheCsmTimeout() throws IOException {
        LiveCoapServer strict = CoapServer.create().port(0).tcp().csmTimeout(Duration.ofMillis(300)).bind().block(WAIT);
        try (RawTcpPeer peer = RawTcpPeer.connect(strict.localAddress())) {
            assertThat(peer.read().code()).isEqualTo(CoapCode.CSM);
            CoapMessage abort = peer.read();
            assertThat(abort.code()).isEqualTo(CoapCode.ABORT);
            assertThat(abort.payloadText()).contains("no CSM");
            assertThat(peer.readEnd()).isTrue();
        } finally {
            strict.dispose();
        }
    }

    @Test
    void aClientWhoseServerNeverSendsACsmFailsWithATimeout() throws IOException {
        try (ServerSocket silent = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            StepVerifier.create(CoapClient.create().csmTimeout(Duration.ofMillis(300))
                            .connect("coap+tcp://127.0.0.1:" + silent.getLocalPort()))
                    .expectErrorSatisfies(e -> {
                        assertThat(e).isInstanceOf(CoapException.class);
                        assertThat(((CoapException) e).errorCode()).isEqualTo(CoapErrorCode.TIMEOUT);
                        assertThat(e).hasMessageContaining("no CSM");
                    })
                    .verify(WAIT);
        }
    }

    @Test
    void aReleaseWithHoldOffEndsTheSessionAndHoldsOffReconnecting() throws Exception {
        try (ServerSocket fake = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            String fakeUri = "coap+tcp://127.0.0.1:" + fake.getLocalPort();
            Mono<CoapSession> connecting = CoapClient.create().connect(fakeUri);
            var pending = connecting.toFuture();
            try (Socket accepted = fake.accept(); RawTcpPeer peer = new RawTcpPeer(accepted)) {
                assertThat(peer.read().code()).isEqualTo(CoapCode.CSM);
                peer.send(CoapSignals.csm(1152, true));
                CoapSession session = pending.get(20, java.util.concurrent.TimeUnit.SECONDS);
                peer.send(CoapSignals.release(List.of("coap+tcp://127.0.0.2:5683"), 60L, "maintenance"));
                StepVerifier.create(session.onClose()).verifyComplete();
                assertThat(session.state()).isEqualTo(CoapSessionState.CLOSED);
                assertThat(session.peerRelease()).hasValueSatisfying(r -> {
                    assertThat(r.alternativeAddresses()).containsExactly("coap+tcp://127.0.0.2:5683");
                    assertThat(r.holdOffSeconds()).contains(60L);
                    assertThat(r.diagnostic()).isEqualTo("maintenance");
                });
            }
            assertThatThrownBy(() -> CoapClient.create().connect(fakeUri).block(WAIT))
                    .isInstanceOf(CoapException.class).hasMessageContaining("Hold-Off");
        }
    }

    @Test
    void connectionsPastMaxSessionsAreClosedAndCountedWhenAllAreInUse() throws IOException {
        LiveCoapServer small = CoapServer.create().port(0).tcp().maxSessions(2)
                .route(r -> r.observable("/ticks", req -> Flux.concat(Mono.just(CoapResponse.content("t")), Flux.never())))
                .bind().block(WAIT);
        try (RawTcpPeer a = RawTcpPeer.connect(small.localAddress()); RawTcpPeer b = RawTcpPeer.connect(small.localAddress())) {
            for (RawTcpPeer p : List.of(a, b)) {
                assertThat(p.read().code()).isEqualTo(CoapCode.CSM);
                p.send(CoapSignals.csm(1152, false));
                // An observation answered: the session is established and in use.
                p.send(CoapMessage.of(io.sluice.codec.coap.CoapType.NON, CoapCode.GET, 0).withToken(new byte[] {3})
                        .withOptions(CoapOptions.builder().uriPath("ticks").observe(0).build()));
                assertThat(p.read().code()).isEqualTo(CoapCode.CONTENT);
            }
            try (RawTcpPeer c = RawTcpPeer.connect(small.localAddress())) {
                assertThat(c.readEnd()).isTrue();
            }
            assertThat(small.refusedSessions()).isEqualTo(1);
            assertThat(small.evictedSessions()).isZero();
        } finally {
            small.dispose();
        }
    }

    @Test
    void theLeastRecentlyActiveIdleSessionGivesWayToANewConnectionWithARelease() throws IOException {
        LiveCoapServer small = CoapServer.create().port(0).tcp().maxSessions(2)
                .route(r -> r.get("/hello", req -> Mono.just(CoapResponse.content("hi")))).bind().block(WAIT);
        CoapMessage hello = CoapMessage.of(io.sluice.codec.coap.CoapType.NON, CoapCode.GET, 0).withToken(new byte[] {3})
                .withOptions(CoapOptions.builder().uriPath("hello").build());
        try (RawTcpPeer a = RawTcpPeer.connect(small.localAddress()); RawTcpPeer b = RawTcpPeer.connect(small.localAddress())) {
            for (RawTcpPeer p : List.of(a, b)) {
                assertThat(p.read().code()).isEqualTo(CoapCode.CSM);
                p.send(CoapSignals.csm(1152, false));
                p.send(hello);
                assertThat(p.read().code()).isEqualTo(CoapCode.CONTENT);
            }
            a.send(hello); // a talks again: b is now the least recently active
            assertThat(a.read().code()).isEqualTo(CoapCode.CONTENT);
            try (RawTcpPeer c = RawTcpPeer.connect(small.localAddress())) {
                assertThat(c.read().code()).isEqualTo(CoapCode.CSM);
                assertThat(b.read().code()).isEqualTo(CoapCode.RELEASE);
                assertThat(b.readEnd()).isTrue();
                c.send(CoapSignals.csm(1152, false));
                c.send(hello);
                assertThat(c.read().code()).isEqualTo(CoapCode.CONTENT);
                a.send(hello);
                assertThat(a.read().code()).isEqualTo(CoapCode.CONTENT);
            }
            assertThat(small.evictedSessions()).isEqualTo(1);
            assertThat(small.refusedSessions()).isZero();
        } finally {
            small.dispose();
        }
    }

    @Test
    void silentConnectionsAtTheCapGiveWayToANewClient() throws IOException {
        LiveCoapServer small = CoapServer.create().port(0).tcp().maxSessions(5).csmTimeout(Duration.ofMinutes(1))
                .route(r -> r.get("/hello", req -> Mono.just(CoapResponse.content("hi")))).bind().block(WAIT);
        List<RawTcpPeer> silent = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < 5; i++) {
                RawTcpPeer p = RawTcpPeer.connect(small.localAddress());
                silent.add(p);
                assertThat(p.read().code()).isEqualTo(CoapCode.CSM); // accepted; it never answers with its own
            }
            CoapSession session = CoapClient.create().connect("coap+tcp://127.0.0.1:" + small.localAddress().getPort()).block(WAIT);
            try {
                assertThat(session.request(CoapRequest.get("/hello")).block(WAIT).bodyText()).isEqualTo("hi");
            } finally {
                session.release();
            }
            assertThat(small.evictedSessions()).isEqualTo(1);
            assertThat(small.refusedSessions()).isZero();
        } finally {
            for (RawTcpPeer p : silent) {
                p.close();
            }
            small.dispose();
        }
    }

    /** A blocking TCP peer that speaks RFC 8323 framing by hand. */
    static final class RawTcpPeer implements AutoCloseable {
        private final Socket socket;
        private final DataInputStream in;

        RawTcpPeer(Socket socket) throws IOException {
            this.socket = socket;
            socket.setSoTimeout(10_000);
            this.in = new DataInputStream(socket.getInputStream());
        }

        static RawTcpPeer connect(InetSocketAddress to) throws IOException {
            return new RawTcpPeer(new Socket(to.getAddress(), to.getPort()));
        }

        void send(CoapMessage message) throws IOException {
            ByteBuf out = Unpooled.buffer();
            CoapReliableCodec.TCP.encode(message, out);
            byte[] bytes = new byte[out.readableBytes()];
            out.readBytes(bytes);
            sendRaw(bytes);
        }

        void sendRaw(byte[] bytes) throws IOException {
            socket.getOutputStream().write(bytes);
            socket.getOutputStream().flush();
        }

        CoapMessage read() throws IOException {
            int first = in.readUnsignedByte();
            int nibble = first >>> 4;
            int tkl = first & 0x0F;
            long length = switch (nibble) {
                case 13 -> in.readUnsignedByte() + 13L;
                case 14 -> in.readUnsignedShort() + 269L;
                case 15 -> (in.readInt() & 0xFFFF_FFFFL) + 65805L;
                default -> nibble;
            };
            byte[] header = switch (nibble) {
                case 13 -> new byte[] {(byte) first, (byte) (length - 13)};
                case 14 -> new byte[] {(byte) first, (byte) ((length - 269) >>> 8), (byte) (length - 269)};
                case 15 -> new byte[] {(byte) first, (byte) ((length - 65805) >>> 24), (byte) ((length - 65805) >>> 16),
                        (byte) ((length - 65805) >>> 8), (byte) (length - 65805)};
                default -> new byte[] {(byte) first};
            };
            byte[] rest = new byte[1 + tkl + (int) length];
            in.readFully(rest);
            ByteBuf frame = Unpooled.wrappedBuffer(header, rest);
            return CoapReliableCodec.TCP.decode(frame, Limits.defaults());
        }

        /** @return true when the server closed the connection (after whatever was still to read) */
        boolean readEnd() throws IOException {
            InputStream raw = socket.getInputStream();
            try {
                return raw.read() == -1;
            } catch (SocketTimeoutException e) {
                return false;
            } catch (IOException e) {
                return true; // reset counts as closed
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
