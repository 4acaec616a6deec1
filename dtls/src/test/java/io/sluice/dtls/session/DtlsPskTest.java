package io.sluice.dtls.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.sluice.testing.Await;
import io.sluice.testing.Utf8;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

class DtlsPskTest {

    static final Duration TIMEOUT = Duration.ofSeconds(20);
    static final byte[] KEY = "sluice-secret-16".getBytes(StandardCharsets.US_ASCII);

    private LiveDtlsServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.dispose();
        }
    }

    static String text(ByteBuf b) {
        return Utf8.read(b);
    }

    static ByteBuf utf8(String s) {
        return Utf8.buffer(s);
    }

    /** Echoes every record of every session, upper-cased. */
    static void echo(LiveDtlsServer server) {
        server.sessions().subscribe(session -> session.send(session.receive().map(b -> utf8(text(b).toUpperCase())))
                .subscribe(null, e -> { }));
    }

    @Test
    void aServerSessionIsHandedOutWhenItsHandshakeStartsAndReportsItsStates() throws Exception {
        server = DtlsServer.psk("sluice", id -> KEY).bind(new InetSocketAddress("127.0.0.1", 0)).block(TIMEOUT);
        java.util.concurrent.BlockingQueue<DtlsSession> handedOut = new java.util.concurrent.LinkedBlockingQueue<>();
        server.sessions().subscribe(handedOut::add);
        reactor.core.Disposable.Composite owned = reactor.core.Disposables.composite();
        try {
            reactor.core.publisher.Sinks.Empty<Void> gate = reactor.core.publisher.Sinks.empty();
            java.util.concurrent.BlockingQueue<DtlsSession> client = new java.util.concurrent.LinkedBlockingQueue<>();
            owned.add(HeldHandshake.connect(DtlsClient.psk("client-1", KEY), server.localAddress(), gate, owned).subscribe(client::add));

            DtlsSession session = handedOut.poll(TIMEOUT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
            assertThat(session).as("handed out before its handshake completed").isNotNull();
            assertThat(server.established()).isZero();
            assertThat(session.remoteAddress()).isNotNull();
            org.assertj.core.api.Assertions.assertThatThrownBy(session::cipherSuite)
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("has not completed");
            StepVerifier states = StepVerifier.create(session.states())
                    .expectNext(io.sluice.security.SecureSessionState.HANDSHAKE, io.sluice.security.SecureSessionState.ESTABLISHED,
                            io.sluice.security.SecureSessionState.CLOSED)
                    .expectComplete().verifyLater();
            // An echo subscribed now waits for the keys rather than failing.
            session.send(session.receive().map(b -> utf8(text(b).toUpperCase()))).subscribe(null, e -> { });

            gate.tryEmitEmpty();
            StepVerifier.create(session.established()).expectNext(session).expectComplete().verify(TIMEOUT);
            assertThat(session.cipherSuite()).isEqualTo("TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256");
            DtlsSession peer = client.poll(TIMEOUT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
            StepVerifier.create(peer.receive().map(DtlsPskTest::text).take(1))
                    .then(() -> peer.send(Flux.just("held").map(DtlsPskTest::utf8)).subscribe())
                    .expectNext("HELD").expectComplete().verify(TIMEOUT);
            peer.close().block(TIMEOUT);
            states.verify(TIMEOUT);
        } finally {
            owned.dispose();
        }
    }

    @Test
    void aServerSessionWhoseHandshakeFailsReportsTheFailure() throws Exception {
        // A record under the wrong key is dropped silently (RFC 6347 §4.1.2.7), so the server's side ends by its timeout.
        server = DtlsServer.psk("sluice", id -> KEY).handshakeTimeout(Duration.ofSeconds(2)).bind(new InetSocketAddress("127.0.0.1", 0)).block(TIMEOUT);
        java.util.concurrent.BlockingQueue<DtlsSession> handedOut = new java.util.concurrent.LinkedBlockingQueue<>();
        server.sessions().subscribe(handedOut::add);
        reactor.core.Disposable.Composite owned = reactor.core.Disposables.composite();
        try {
            reactor.core.publisher.Sinks.Empty<Void> gate = reactor.core.publisher.Sinks.empty();
            owned.add(HeldHandshake.connect(DtlsClient.psk("client-1", "the-wrong-key-16".getBytes(StandardCharsets.US_ASCII)),
                    server.localAddress(), gate, owned).subscribe(null, e -> { }));
            DtlsSession session = handedOut.poll(TIMEOUT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
            StepVerifier states = StepVerifier.create(session.states())
                    .expectNext(io.sluice.security.SecureSessionState.HANDSHAKE, io.sluice.security.SecureSessionState.CLOSED)
                    .expectComplete().verifyLater();
            StepVerifier records = StepVerifier.create(session.receive()).expectError(DtlsException.class).verifyLater();
            gate.tryEmitEmpty();
            StepVerifier.create(session.established()).expectError(DtlsException.class).verify(TIMEOUT);
            states.verify(TIMEOUT);
            records.verify(TIMEOUT);
            StepVerifier.create(session.send(Flux.just("late").map(DtlsPskTest::utf8))).expectError(DtlsException.class).verify(TIMEOUT);
            assertThat(server.failedHandshakes()).isEqualTo(1);
        } finally {
            owned.dispose();
        }
    }

    @Test
    void aClientThatLostItsStateStartsOverFromTheSameAddress() {
        server = DtlsServer.psk(null, id -> KEY).bind(new InetSocketAddress("127.0.0.1", 0)).block(TIMEOUT);
        java.util.concurrent.BlockingQueue<DtlsSession> accepted = new java.util.concurrent.LinkedBlockingQueue<>();
        server.sessions().doOnNext(accepted::add).subscribe(s -> s.send(s.receive().map(b -> utf8(text(b).toUpperCase())))
                .subscribe(null, e -> { }));
        io.sluice.dtls.packet.UdpSocket first = io.sluice.dtls.packet.UdpSocket.bind(new InetSocketAddress("127.0.0.1", 0)).block(TIMEOUT);
        InetSocketAddress address = first.localAddress();
        DtlsClient.psk("client-1", KEY).connect(first, server.localAddress()).block(TIMEOUT);
        // The client's process dies: its socket closes, no close_notify goes out.
        first.dispose();
        first.onDispose().block(TIMEOUT);
        io.sluice.dtls.packet.UdpSocket again = io.sluice.dtls.packet.UdpSocket.bind(address).block(TIMEOUT);
        try {
            DtlsSession restarted = DtlsClient.psk("client-1", KEY).handshakeTimeout(Duration.ofSeconds(5))
                    .connect(again, server.localAddress()).block(TIMEOUT);
            StepVerifier.create(restarted.receive().map(DtlsPskTest::text).take(1))
                    .then(() -> restarted.send(Flux.just("again").map(DtlsPskTest::utf8)).subscribe())
                    .expectNext("AGAIN").expectComplete().verify(TIMEOUT);
            DtlsSession old = accepted.poll();
            StepVerifier.create(old.onClose()).as("the old session made way").expectComplete().verify(TIMEOUT);
            assertThat(server.connections()).isEqualTo(1);
            assertThat(server.established()).isEqualTo(2);
        } finally {
            again.dispose();
        }
    }

    @Test
    void pskHandshakeAndEchoBothWays() {
        server = DtlsServer.psk("sluice", id -> new String(id, StandardCharsets.UTF_8).equals("client-1") ? KEY : null)
                .exportKeyingMaterial("EXTRACTOR-dtls_srtp", null, 60)
                .bind(new InetSocketAddress("127.0.0.1", 0)).block(TIMEOUT);
        java.util.List<DtlsSession> accepted = new java.util.concurrent.CopyOnWriteArrayList<>();
        server.establishedSessions().doOnNext(accepted::add)
                .subscribe(s -> s.send(s.receive().map(b -> utf8(text(b).toUpperCase()))).subscribe(null, e -> { }));
        DtlsSession session = DtlsClient.psk("client-1", KEY).exportKeyingMaterial("EXTRACTOR-dtls_srtp", null, 60)
                .connect(server.localAddress()).block(TIMEOUT);
        assertThat(session.cipherSuite()).isEqualTo("TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256");
        assertThat(session.pskIdentity()).hasValueSatisfying(id -> assertThat(new String(id, StandardCharsets.UTF_8)).isEqualTo("client-1"));
        StepVerifier.create(session.receive().map(DtlsPskTest::text).take(3))
                .then(() -> session.send(Flux.just("one", "two", "three").map(DtlsPskTest::utf8)).block(TIMEOUT))
                .expectNext("ONE", "TWO", "THREE")
                .expectComplete()
                .verify(TIMEOUT);
        byte[] srtpKeys = session.exportKeyingMaterial("EXTRACTOR-dtls_srtp", null, 60);
        assertThat(srtpKeys).hasSize(60);
        assertThat(accepted).singleElement().satisfies(s ->
                assertThat(s.exportKeyingMaterial("EXTRACTOR-dtls_srtp", null, 60)).as("both ends derive the same keys").isEqualTo(srtpKeys));
        assertThat(server.helloVerifyRequests()).isEqualTo(1);
        StepVerifier.create(session.close()).expectComplete().verify(TIMEOUT);
        assertThat(session.isDisposed()).isTrue();
    }

    @Test
    void aWrongKeyFailsTheHandshakeClearly() {
        server = DtlsServer.psk(null, id -> KEY).bind(new InetSocketAddress("127.0.0.1", 0)).block(TIMEOUT);
        echo(server);
        byte[] wrong = Arrays.copyOf(KEY, KEY.length);
        wrong[0] ^= 1;
        // A wrong key shows as records that fail authentication; DTLS discards those silently
        // (RFC 6347 §4.1.2.7), so the client ends with a timeout rather than an alert.
        StepVerifier.create(DtlsClient.psk("client-1", wrong).handshakeTimeout(Duration.ofSeconds(2)).connect(server.localAddress()))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(DtlsException.class)
                        .hasMessageContaining("handshake with /127.0.0.1:" + server.localAddress().getPort()))
                .verify(TIMEOUT);
    }

    @Test
    void noServerMeansAHandshakeTimeout() {
        StepVerifier.create(DtlsClient.psk("client-1", KEY).handshakeTimeout(Duration.ofMillis(1500))
                        .connect(new InetSocketAddress("127.0.0.1", 9)))
                .expectErrorSatisfies(e -> assertThat(((DtlsException) e).errorCode()).isEqualTo(DtlsErrorCode.HANDSHAKE_TIMEOUT))
                .verify(TIMEOUT);
    }

    @Test
    void garbageAndCookielessHellosAllocateNothing() throws Exception {
        server = DtlsServer.psk(null, id -> KEY).bind(new InetSocketAddress("127.0.0.1", 0)).block(TIMEOUT);
        try (java.nio.channels.DatagramChannel attacker = java.nio.channels.DatagramChannel.open()) {
            attacker.bind(new InetSocketAddress("127.0.0.1", 0));
            attacker.send(java.nio.ByteBuffer.wrap(new byte[] {1, 2, 3}), server.localAddress());
            attacker.send(java.nio.ByteBuffer.wrap(new byte[] {23, (byte) 0xFE, (byte) 0xFD, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0}), server.localAddress());
        }
        DtlsSession session = DtlsClient.psk("client-1", KEY).connect(server.localAddress()).block(TIMEOUT);
        assertThat(server.droppedDatagrams()).isGreaterThanOrEqualTo(2);
        assertThat(server.connections()).isEqualTo(1);
        session.close().block(TIMEOUT);
    }

    @Test
    void oneClientSpecHandshakesAgainAndAgainWithTheSameKeyArrays() {
        // Regression: BouncyCastle wipes the PSK array it is handed; the store's array must survive.
        byte[] storeKey = KEY.clone();
        server = DtlsServer.psk(null, id -> storeKey).bind(new InetSocketAddress("127.0.0.1", 0)).block(TIMEOUT);
        echo(server);
        DtlsClient client = DtlsClient.psk("client-1", KEY);
        for (int i = 0; i < 3; i++) {
            DtlsSession session = client.connect(server.localAddress()).block(TIMEOUT);
            session.close().block(TIMEOUT);
        }
        assertThat(storeKey).isEqualTo(KEY);
        // The client finishes on the server's Finished, which the server sends before it counts.
        io.sluice.testing.Await.until(() -> server.established() == 3, TIMEOUT);
    }

    @Test
    void sessionsBeyondTheCapAreNotAllocatedAndACookielessFloodCostsNothing() throws Exception {
        server = DtlsServer.psk(null, id -> KEY).maxSessions(2).bind(new InetSocketAddress("127.0.0.1", 0)).block(TIMEOUT);
        echo(server);
        DtlsSession first = DtlsClient.psk("a", KEY).connect(server.localAddress()).block(TIMEOUT);
        DtlsSession second = DtlsClient.psk("b", KEY).connect(server.localAddress()).block(TIMEOUT);
        StepVerifier.create(DtlsClient.psk("c", KEY).handshakeTimeout(Duration.ofSeconds(2)).connect(server.localAddress()))
                .expectErrorSatisfies(e -> assertThat(((DtlsException) e).errorCode()).isEqualTo(DtlsErrorCode.HANDSHAKE_TIMEOUT))
                .verify(TIMEOUT);
        assertThat(server.connections()).isEqualTo(2);
        long challengesBefore = server.helloVerifyRequests();
        // 200 ClientHellos without cookies from one sender: each is answered statelessly, none allocates.
        byte[] hello = new byte[13 + 12 + 40];
        hello[0] = 22;
        hello[1] = (byte) 0xFE;
        hello[2] = (byte) 0xFF;
        hello[12] = (byte) (hello.length - 13);
        hello[13] = 1;
        try (java.nio.channels.DatagramChannel flood = java.nio.channels.DatagramChannel.open()) {
            flood.bind(new InetSocketAddress("127.0.0.1", 0));
            for (int i = 0; i < 200; i++) {
                flood.send(java.nio.ByteBuffer.wrap(hello), server.localAddress());
            }
        }
        Await.until(() -> server.helloVerifyRequests() + server.droppedDatagrams() - challengesBefore >= 200, TIMEOUT);
        assertThat(server.connections()).isEqualTo(2);
        first.close().block(TIMEOUT);
        second.close().block(TIMEOUT);
    }

    @Test
    void useSrtpNegotiatesTheServersPreferredCommonProfile() {
        server = DtlsServer.psk(null, id -> KEY).srtpProfiles(SrtpProfile.AEAD_AES_128_GCM, SrtpProfile.AES128_CM_HMAC_SHA1_80)
                .bind(new InetSocketAddress("127.0.0.1", 0)).block(TIMEOUT);
        echo(server);
        DtlsSession both = DtlsClient.psk("client-1", KEY).srtpProfiles(SrtpProfile.AES128_CM_HMAC_SHA1_80, SrtpProfile.AEAD_AES_128_GCM)
                .connect(server.localAddress()).block(TIMEOUT);
        assertThat(both.srtpProfile()).contains(SrtpProfile.AEAD_AES_128_GCM);
        DtlsSession none = DtlsClient.psk("client-1", KEY).connect(server.localAddress()).block(TIMEOUT);
        assertThat(none.srtpProfile()).isEmpty();
        both.close().block(TIMEOUT);
        none.close().block(TIMEOUT);
    }
}
