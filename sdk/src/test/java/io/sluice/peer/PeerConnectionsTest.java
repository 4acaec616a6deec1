package io.sluice.peer;

import static io.sluice.peer.TestProtocol.ECHO;
import static io.sluice.peer.TestProtocol.HOLD;
import static io.sluice.peer.TestProtocol.PROTOCOL;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.sluice.codec.Limits;
import io.sluice.codec.call.CallFrame;
import io.sluice.codec.call.CallFrameCodec;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import reactor.util.retry.Retry;

class PeerConnectionsTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private final List<LivePeer> peers = new CopyOnWriteArrayList<>();
    private final CountDownLatch holdCancelled = new CountDownLatch(1);

    @AfterEach
    void stopPeers() {
        peers.forEach(p -> p.disposeNow(TIMEOUT));
    }

    private LivePeer start(Peer spec) {
        LivePeer peer = spec.start().block(TIMEOUT);
        peers.add(peer);
        return peer;
    }

    private Peer serverSpec() {
        return Peer.create(PROTOCOL).dispatch(Dispatch.create()
                .handle(ECHO, (call, text) -> Mono.just(text))
                .handle(HOLD, (call, text) -> Mono.<String>never().doOnCancel(holdCancelled::countDown)));
    }

    private static PeerEndpoint tcp(LivePeer server) {
        return PeerEndpoint.tcp((InetSocketAddress) server.listenAddresses().get(0));
    }

    @Test
    void clientSlotsBacklogAndRefusalWithHundredsOfConnections() {
        LivePeer server = start(serverSpec().maxClients(10).maxBacklog(40).listen(PeerEndpoint.tcp("127.0.0.1", 0)));
        LivePeer clients = start(Peer.create(PROTOCOL).connectTo(tcp(server)).timeouts(Duration.ofSeconds(60),
                Duration.ZERO, Duration.ZERO));
        List<PeerSession> sessions = new ArrayList<>();
        ConcurrentHashMap<String, AtomicInteger> outcomes = new ConcurrentHashMap<>();
        CountDownLatch settled = new CountDownLatch(160);
        CountDownLatch twentyAnswered = new CountDownLatch(20);
        List<PeerSession> waiting = new CopyOnWriteArrayList<>();
        for (int i = 0; i < 200; i++) {
            PeerSession s = clients.connect();
            sessions.add(s);
            s.call(ECHO, "hi " + i).subscribe(
                    ok -> {
                        outcomes.computeIfAbsent("answered", k -> new AtomicInteger()).incrementAndGet();
                        settled.countDown();
                        twentyAnswered.countDown();
                    },
                    e -> {
                        outcomes.computeIfAbsent(((PeerException) e).status().name(), k -> new AtomicInteger())
                                .incrementAndGet();
                        settled.countDown();
                    });
        }
        // 10 take a slot and are answered, 40 wait unread, 150 are refused outright.
        try {
            assertThat(settled.await(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).as("outcomes %s", outcomes).isTrue();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        assertThat(outcomes.get("answered")).hasValue(10);
        assertThat(outcomes.get("BUSY")).hasValue(150);
        assertThat(server.activeClients()).isEqualTo(10);
        assertThat(server.waitingClients()).isEqualTo(40);

        // Each freed slot lets one waiting connection in, and its queued first call is answered.
        CountDownLatch secondWave = new CountDownLatch(10);
        for (PeerSession s : sessions) {
            if (s.state() == PeerSession.State.CONNECTING) {
                waiting.add(s);
                s.states().filter(st -> st == PeerSession.State.ESTABLISHED).subscribe(st -> secondWave.countDown());
            }
        }
        assertThat(waiting).hasSize(40);
        List<PeerSession> established = sessions.stream().filter(s -> s.state() == PeerSession.State.ESTABLISHED).toList();
        assertThat(established).hasSize(10);
        Flux.fromIterable(established).flatMap(PeerSession::disconnect).blockLast(TIMEOUT);
        await(secondWave);
        await(twentyAnswered);
        assertThat(outcomes.get("answered")).hasValue(20);
        assertThat(server.activeClients()).isEqualTo(10);
        assertThat(server.waitingClients()).isEqualTo(30);
    }

    private static void await(CountDownLatch latch) {
        try {
            assertThat(latch.await(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).as("latch released").isTrue();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void sessionHooksGiveEachAcceptedSessionAContextAndCleanItUp() {
        List<String> destroyed = new CopyOnWriteArrayList<>();
        CountDownLatch destructed = new CountDownLatch(1);
        AtomicInteger next = new AtomicInteger();
        LivePeer server = start(Peer.create(PROTOCOL)
                .dispatch(Dispatch.create().handle(ECHO, (call, text) -> Mono.just(text + " from " + call.session().context())))
                .sessionHooks(s -> "ctx-" + next.incrementAndGet(), (s, ctx) -> {
                    destroyed.add((String) ctx);
                    destructed.countDown();
                })
                .listen(PeerEndpoint.tcp("127.0.0.1", 0)));
        PeerSession session = start(Peer.create(PROTOCOL).connectTo(tcp(server))).connect();
        StepVerifier.create(session.call(ECHO, "hello")).expectNext("hello from ctx-1").expectComplete().verify(TIMEOUT);
        session.disconnect().block(TIMEOUT);
        await(destructed);
        assertThat(destroyed).containsExactly("ctx-1");
    }

    @Test
    void stopListeningCancelsIncomingCallsAndCallersSeeShutdown() throws InterruptedException {
        LivePeer server = start(serverSpec().listen(PeerEndpoint.tcp("127.0.0.1", 0)));
        PeerSession session = start(Peer.create(PROTOCOL).connectTo(tcp(server))).connect();
        StepVerifier.create(session.call(HOLD, "x"))
                .then(() -> StepVerifier.create(session.call(ECHO, "up")).expectNext("up").verifyComplete())
                .then(() -> server.stopListening().block(TIMEOUT))
                .expectErrorSatisfies(e -> {
                    assertThat(((PeerException) e).status()).isEqualTo(PeerStatus.SHUTDOWN);
                    assertThat(e).hasMessageContaining("the peer stopped listening");
                })
                .verify(TIMEOUT);
        assertThat(holdCancelled.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(server.listenAddresses()).isEmpty();
        server.startListening().block(TIMEOUT);
        assertThat(server.listenAddresses()).hasSize(1);
    }

    @Test
    void disconnectCancelsOutstandingCallsAndEndsTheSession() throws InterruptedException {
        LivePeer server = start(serverSpec().listen(PeerEndpoint.tcp("127.0.0.1", 0)));
        PeerSession session = start(Peer.create(PROTOCOL).connectTo(tcp(server))).connect();
        StepVerifier.create(session.call(HOLD, "x"))
                .then(() -> StepVerifier.create(session.call(ECHO, "up")).expectNext("up").verifyComplete())
                .then(() -> session.disconnect().block(TIMEOUT))
                .expectErrorSatisfies(e -> assertThat(((PeerException) e).status()).isEqualTo(PeerStatus.CANCELLED))
                .verify(TIMEOUT);
        assertThat(holdCancelled.await(5, TimeUnit.SECONDS)).as("remote handler cancelled").isTrue();
        assertThat(session.state()).isEqualTo(PeerSession.State.CLOSED);
        StepVerifier.create(session.call(ECHO, "again"))
                .expectErrorSatisfies(e -> assertThat(e).hasMessageContaining("was disconnected"))
                .verify(TIMEOUT);
    }

    @Test
    void connectEndpointsAreTriedInOrderAndTheSessionReconnectsLazily() throws IOException {
        LivePeer first = start(named("first").listen(PeerEndpoint.tcp("127.0.0.1", 0)));
        LivePeer second = start(named("second").listen(PeerEndpoint.tcp("127.0.0.1", 0)));
        int deadPort;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            deadPort = s.getLocalPort();
        }
        PeerSession session = start(Peer.create(PROTOCOL).connectTo(PeerEndpoint.unix(dir.resolve("nobody.sock")),
                PeerEndpoint.tcp("127.0.0.1", deadPort), tcp(first), tcp(second))).connect();
        assertThat(session.state()).isEqualTo(PeerSession.State.IDLE);
        assertThat(first.activeClients()).isZero();
        // Two dead endpoints, then the first live one in the list answers, not the one after it.
        StepVerifier.create(session.call(ECHO, "x")).expectNext("first: x").expectComplete().verify(TIMEOUT);
        assertThat(session.state()).isEqualTo(PeerSession.State.ESTABLISHED);
        assertThat(second.activeClients()).isZero();

        // The first server drops its connections and comes back on another port: the same session
        // falls back to IDLE, and its next call connects again, down the list, to the second.
        StepVerifier states = StepVerifier.create(session.states().skip(1).take(3))
                .expectNext(PeerSession.State.IDLE, PeerSession.State.CONNECTING, PeerSession.State.ESTABLISHED)
                .expectComplete().verifyLater();
        first.stopListening().then(first.startListening()).block(TIMEOUT);
        StepVerifier.create(session.states().filter(s -> s == PeerSession.State.IDLE).next()).expectNextCount(1)
                .expectComplete().verify(TIMEOUT);
        StepVerifier.create(session.call(ECHO, "y")).expectNext("second: y").expectComplete().verify(TIMEOUT);
        states.verify(TIMEOUT);
    }

    private static Peer named(String name) {
        return Peer.create(PROTOCOL).dispatch(Dispatch.create().handle(ECHO, (call, text) -> Mono.just(name + ": " + text)));
    }

    @Test
    void noReachableEndpointIsUnavailableNamingEachFailure() {
        PeerSession session = start(Peer.create(PROTOCOL).connectTo(PeerEndpoint.unix(dir.resolve("a.sock")),
                PeerEndpoint.unix(dir.resolve("b.sock"))).reconnect(Retry.max(1))).connect();
        StepVerifier.create(session.call(ECHO, "x"))
                .expectErrorSatisfies(e -> {
                    assertThat(e).isInstanceOf(PeerException.class).hasMessageContaining("none of [local/");
                    assertThat(e.getSuppressed()).hasSize(2);
                })
                .verify(TIMEOUT);
        assertThat(session.state()).isEqualTo(PeerSession.State.IDLE);
    }

    @Test
    void callTimeoutFailsTheCallAndCancelsTheHandler() throws InterruptedException {
        LivePeer server = start(serverSpec().listen(PeerEndpoint.tcp("127.0.0.1", 0)));
        PeerSession session = start(Peer.create(PROTOCOL).connectTo(tcp(server))
                .timeouts(Duration.ofSeconds(10), Duration.ZERO, Duration.ofMillis(200))).connect();
        StepVerifier.create(session.call(HOLD, "slow"))
                .expectErrorSatisfies(e -> {
                    assertThat(((PeerException) e).status()).isEqualTo(PeerStatus.TIMEOUT);
                    assertThat(e).hasMessageContaining("hold did not answer within 200 ms");
                })
                .verify(TIMEOUT);
        assertThat(holdCancelled.await(5, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void establishTimeoutEndsAConnectionThatNeverSaysHello() throws IOException {
        try (ServerSocket silent = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            PeerSession session = start(Peer.create(PROTOCOL)
                    .connectTo(PeerEndpoint.tcp("127.0.0.1", silent.getLocalPort()))
                    .timeouts(Duration.ofMillis(300), Duration.ZERO, Duration.ZERO)).connect();
            StepVerifier.create(session.call(ECHO, "anyone?"))
                    .expectErrorSatisfies(e -> {
                        assertThat(((PeerException) e).status()).isEqualTo(PeerStatus.TIMEOUT);
                        assertThat(e).hasMessageContaining("no HELLO");
                    })
                    .verify(TIMEOUT);
        }
    }

    @Test
    void idleTimeoutClosesAConnectionWithNoCalls() throws IOException {
        LivePeer server = start(serverSpec().timeouts(Duration.ofSeconds(5), Duration.ofMillis(300), Duration.ZERO)
                .listen(PeerEndpoint.tcp("127.0.0.1", 0)));
        try (RawPeerClient raw = new RawPeerClient(server)) {
            raw.hello(CallFrame.VERSION);
            assertThat(raw.read()).isInstanceOf(CallFrame.Hello.class);
            CallFrame last = raw.readUntilGoodbye();
            assertThat(last).isInstanceOfSatisfying(CallFrame.Goodbye.class, g -> {
                assertThat(g.status()).isEqualTo(PeerStatus.TIMEOUT.wireCode());
                assertThat(g.message()).contains("no call for 300 ms");
            });
        }
    }

    @Test
    void malformedFramesGetAProtocolGoodbyeAndAnException() throws IOException {
        LivePeer server = start(serverSpec().listen(PeerEndpoint.tcp("127.0.0.1", 0)));
        StepVerifier exceptions = StepVerifier.create(server.exceptions().next())
                .assertNext(e -> assertThat(e).hasMessageContaining("unknown frame type 0x7f"))
                .expectComplete()
                .verifyLater();
        try (RawPeerClient raw = new RawPeerClient(server)) {
            raw.hello(CallFrame.VERSION);
            raw.read();
            raw.send("000000017f");
            assertThat(raw.readUntilGoodbye()).isInstanceOfSatisfying(CallFrame.Goodbye.class, g -> {
                assertThat(g.status()).isEqualTo(PeerStatus.PROTOCOL.wireCode());
                assertThat(g.message()).contains("at byte 23").contains("unknown frame type 0x7f");
            });
            assertThat(raw.closed()).isTrue();
        }
        exceptions.verify(TIMEOUT);
    }

    @Test
    void anOversizedFrameIsRefusedFromItsHeader() throws IOException {
        LivePeer server = start(serverSpec().limits(Limits.defaults().withMaxMessageBytes(1024))
                .listen(PeerEndpoint.tcp("127.0.0.1", 0)));
        try (RawPeerClient raw = new RawPeerClient(server)) {
            raw.hello(CallFrame.VERSION);
            raw.read();
            raw.send("0010000002");
            assertThat(raw.readUntilGoodbye()).isInstanceOfSatisfying(CallFrame.Goodbye.class,
                    g -> assertThat(g.message()).contains("exceeds the 1024-byte limit"));
        }
    }

    @Test
    void framesBeforeHelloAndOtherVersionsAreRefused() throws IOException {
        LivePeer server = start(serverSpec().listen(PeerEndpoint.tcp("127.0.0.1", 0)));
        try (RawPeerClient raw = new RawPeerClient(server)) {
            raw.send("000000090900000000000000" + "01");
            assertThat(raw.readUntilGoodbye()).isInstanceOfSatisfying(CallFrame.Goodbye.class,
                    g -> assertThat(g.message()).contains("expected HELLO first"));
        }
        try (RawPeerClient raw = new RawPeerClient(server)) {
            raw.hello(2);
            assertThat(raw.readUntilGoodbye()).isInstanceOfSatisfying(CallFrame.Goodbye.class, g -> {
                assertThat(g.status()).isEqualTo(PeerStatus.UNSUPPORTED_VERSION.wireCode());
                assertThat(g.message()).contains("this peer speaks version 1");
            });
        }
    }

    @Test
    void anAlreadyListeningChannelAndAlreadyConnectedChannelsServeCalls() throws IOException {
        ServerSocketChannel inherited = ServerSocketChannel.open()
                .bind(new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0));
        LivePeer server = start(serverSpec().listen(PeerEndpoint.listening(inherited)));
        InetSocketAddress address = (InetSocketAddress) server.listenAddresses().get(0);
        PeerSession viaInherited = start(Peer.create(PROTOCOL).connectTo(PeerEndpoint.tcp(address))).connect();
        StepVerifier.create(viaInherited.call(ECHO, "inherited")).expectNext("inherited").expectComplete().verify(TIMEOUT);

        // A connected pair of channels: one end accepted by the server peer, the other connected by a client peer.
        try (ServerSocketChannel rendezvous = ServerSocketChannel.open()
                .bind(new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0))) {
            SocketChannel clientEnd = SocketChannel.open(rendezvous.getLocalAddress());
            SocketChannel serverEnd = rendezvous.accept();
            LivePeer client = start(Peer.create(PROTOCOL));
            Mono<PeerSession> accepted = server.accept(serverEnd);
            Mono<PeerSession> connected = client.connect(clientEnd);
            StepVerifier.create(Mono.zip(accepted, connected).flatMap(t -> t.getT2().call(ECHO, "adopted")))
                    .expectNext("adopted")
                    .expectComplete().verify(TIMEOUT);
        }
    }
}
