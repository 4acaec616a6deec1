package io.sluice.peer;

import static io.sluice.peer.TestProtocol.ECHO;
import static io.sluice.peer.TestProtocol.HOLD;
import static io.sluice.peer.TestProtocol.PROTOCOL;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.sluice.codec.call.CallFrame;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/** What a remote peer, careless or hostile, must not be able to do to a peer's sessions and slots. */
class PeerHardeningTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    private final List<LivePeer> peers = new CopyOnWriteArrayList<>();

    @AfterEach
    void stopPeers() {
        peers.forEach(p -> p.disposeNow(TIMEOUT));
    }

    private LivePeer start(Peer spec) {
        LivePeer peer = spec.start().block(TIMEOUT);
        peers.add(peer);
        return peer;
    }

    private static Peer serverSpec() {
        return Peer.create(PROTOCOL).dispatch(Dispatch.create()
                .handle(ECHO, (call, text) -> Mono.just(text))
                .handle(HOLD, (call, text) -> Mono.never()));
    }

    private static PeerEndpoint tcp(LivePeer server) {
        return PeerEndpoint.tcp((InetSocketAddress) server.listenAddresses().get(0));
    }

    /** Waits, without sleeping, for a condition another thread makes true. */
    private static void until(String what, BooleanSupplier condition) {
        StepVerifier.create(Flux.interval(Duration.ofMillis(10)).filter(i -> condition.getAsBoolean()).next())
                .as(what).expectNextCount(1).expectComplete().verify(TIMEOUT);
    }

    @Test
    void aCallerThatCancelsMidConnectLeavesTheSessionUsableAndClosable() throws IOException {
        CountDownLatch ended = new CountDownLatch(1);
        LivePeer server = start(serverSpec().maxClients(1).maxBacklog(4)
                .sessionHooks(s -> "ctx", (s, ctx) -> ended.countDown()).listen(PeerEndpoint.tcp("127.0.0.1", 0)));
        PeerSession session;
        try (RawPeerClient occupant = new RawPeerClient(server)) {
            occupant.hello(CallFrame.VERSION);
            until("the occupant holds the only slot", () -> server.activeClients() == 1);
            session = start(Peer.create(PROTOCOL).connectTo(tcp(server))).connect();
            Disposable first = session.call(ECHO, "given up").subscribe(v -> { }, e -> { });
            until("the session's connection waits in the backlog", () -> server.waitingClients() == 1);
            first.dispose(); // the first caller gives up while its connection is being made
        }
        // The occupant left: the waiting connection gets the slot and its HELLO exchange completes.
        StepVerifier.create(session.states().filter(s -> s == PeerSession.State.ESTABLISHED).next())
                .expectNextCount(1).expectComplete().verify(TIMEOUT);
        StepVerifier.create(session.call(ECHO, "after")).expectNext("after").expectComplete().verify(TIMEOUT);
        session.disconnect().block(TIMEOUT);
        await(ended, "the server saw the connection end");
        until("the slot is free", () -> server.activeClients() == 0);
    }

    @Test
    void disposingAPeerClosesSessionsOnChannelsHandedToConnect() throws IOException {
        LivePeer server = start(serverSpec());
        try (ServerSocketChannel rendezvous = ServerSocketChannel.open()
                .bind(new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0))) {
            SocketChannel clientEnd = SocketChannel.open(rendezvous.getLocalAddress());
            SocketChannel serverEnd = rendezvous.accept();
            LivePeer client = Peer.create(PROTOCOL).start().block(TIMEOUT);
            reactor.util.function.Tuple2<PeerSession, PeerSession> pair = Mono.zip(server.accept(serverEnd), client.connect(clientEnd))
                    .block(TIMEOUT);
            PeerSession served = pair.getT1();
            PeerSession session = pair.getT2();
            StepVerifier.create(session.call(ECHO, "x")).expectNext("x").expectComplete().verify(TIMEOUT);
            client.disposeNow(TIMEOUT);
            StepVerifier.create(session.onClose()).expectComplete().verify(TIMEOUT);
            StepVerifier.create(served.onClose()).expectComplete().verify(TIMEOUT);
            assertThat(session.state()).isEqualTo(PeerSession.State.CLOSED);
        }
    }

    @Test
    void aFailedSessionConstructorIsNotFollowedByTheDestructor() {
        AtomicInteger destructed = new AtomicInteger();
        LivePeer server = start(serverSpec().sessionHooks(s -> {
            throw new IllegalStateException("no context for you");
        }, (s, ctx) -> destructed.incrementAndGet()).listen(PeerEndpoint.tcp("127.0.0.1", 0)));
        StepVerifier exception = StepVerifier.create(server.exceptions().next())
                .assertNext(e -> assertThat(e).hasMessageContaining("session constructor failed")).expectComplete().verifyLater();
        PeerSession session = start(Peer.create(PROTOCOL).connectTo(tcp(server))).connect();
        StepVerifier.create(session.call(ECHO, "x"))
                .expectErrorSatisfies(e -> assertThat(((PeerException) e).status()).isEqualTo(PeerStatus.HANDLER_FAILED))
                .verify(TIMEOUT);
        exception.verify(TIMEOUT);
        until("the server let the connection go", () -> server.activeClients() == 0);
        assertThat(destructed).hasValue(0);
    }

    @Test
    void aRequestReadTogetherWithTheHelloThatFailedTheConstructorIsNotServed() throws IOException {
        AtomicInteger served = new AtomicInteger();
        LivePeer server = start(Peer.create(PROTOCOL).dispatch(Dispatch.create().handle(ECHO, (call, text) -> {
            served.incrementAndGet();
            return Mono.just(text);
        })).sessionHooks(s -> {
            throw new IllegalStateException("no");
        }, (s, ctx) -> { }).listen(PeerEndpoint.tcp("127.0.0.1", 0)));
        try (RawPeerClient raw = new RawPeerClient(server)) {
            // HELLO and a call in one write, so the server reads them in one batch.
            io.netty.buffer.ByteBuf both = io.netty.buffer.Unpooled.buffer();
            io.sluice.codec.call.CallFrameCodec.INSTANCE.encode(new CallFrame.Hello(CallFrame.VERSION, 0, 1 << 20), both);
            io.sluice.codec.call.CallFrameCodec.INSTANCE.encode(new CallFrame.Request(1, ECHO.tag(), false, 0,
                    Unpooled.wrappedBuffer("x".getBytes(java.nio.charset.StandardCharsets.UTF_8))), both);
            raw.send(io.netty.buffer.ByteBufUtil.hexDump(both));
            both.release();
            assertThat(raw.read()).isInstanceOf(CallFrame.Hello.class);
            assertThat(raw.read()).isInstanceOfSatisfying(CallFrame.Goodbye.class,
                    g -> assertThat(g.status()).isEqualTo(PeerStatus.HANDLER_FAILED.wireCode()));
            assertThat(raw.closed()).isTrue();
        }
        assertThat(served).hasValue(0);
    }

    @Test
    void keepAlivePingsDoNotHoldAConnectionWithNoCallsOpen() throws IOException {
        LivePeer server = start(serverSpec().timeouts(Duration.ofSeconds(5), Duration.ofMillis(400), Duration.ZERO)
                .listen(PeerEndpoint.tcp("127.0.0.1", 0)));
        try (RawPeerClient raw = new RawPeerClient(server)) {
            raw.hello(CallFrame.VERSION, 50);
            assertThat(raw.read()).isInstanceOf(CallFrame.Hello.class);
            int pongs = 0;
            for (long nonce = 1; ; nonce++) {
                assertThat(nonce).as("pings sent without an idle close (400 ms ago at 50 ms a ping)").isLessThan(100);
                raw.send(new CallFrame.Ping(nonce));
                CallFrame answer = raw.read();
                if (answer instanceof CallFrame.Goodbye g) {
                    assertThat(g.status()).isEqualTo(PeerStatus.TIMEOUT.wireCode());
                    assertThat(g.message()).isEqualTo("no call for 400 ms");
                    break;
                }
                assertThat(answer).isEqualTo(new CallFrame.Pong(nonce));
                pongs++;
                java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50)); // a pinger's pace
            }
            assertThat(pongs).as("pings answered before the idle close").isGreaterThanOrEqualTo(3);
        }
    }

    @Test
    void aCallInFlightKeepsAConnectionOpenPastTheIdleTimeout() {
        LivePeer server = start(serverSpec().timeouts(Duration.ofSeconds(5), Duration.ofMillis(300), Duration.ZERO)
                .listen(PeerEndpoint.tcp("127.0.0.1", 0)));
        PeerSession session = start(Peer.create(PROTOCOL).connectTo(tcp(server))
                .timeouts(Duration.ofSeconds(5), Duration.ZERO, Duration.ZERO)).connect();
        StepVerifier.create(session.call(ECHO, "up")).expectNext("up").expectComplete().verify(TIMEOUT);
        Disposable held = session.call(HOLD, "long").subscribe(v -> { }, e -> { });
        StepVerifier.create(session.states()).expectNext(PeerSession.State.ESTABLISHED)
                .expectNoEvent(Duration.ofMillis(1_000)).thenCancel().verify(TIMEOUT);
        held.dispose();
        // With the call cancelled the connection is idle, and goes after the timeout.
        StepVerifier.create(session.states().filter(s -> s == PeerSession.State.IDLE).next())
                .expectNextCount(1).expectComplete().verify(TIMEOUT);
    }

    @Test
    void aPeerSilentForThreeOfItsPromisedKeepAlivesIsTakenForGone() throws IOException {
        LivePeer server = start(serverSpec().timeouts(Duration.ofSeconds(5), Duration.ZERO, Duration.ZERO)
                .listen(PeerEndpoint.tcp("127.0.0.1", 0)));
        try (RawPeerClient raw = new RawPeerClient(server)) {
            raw.hello(CallFrame.VERSION, 100); // promises a ping every 100 ms, then sends nothing
            assertThat(raw.read()).isInstanceOf(CallFrame.Hello.class);
            assertThat(raw.readUntilGoodbye()).isInstanceOfSatisfying(CallFrame.Goodbye.class, g -> {
                assertThat(g.status()).isEqualTo(PeerStatus.TIMEOUT.wireCode());
                assertThat(g.message()).contains("from a peer that pings every 100 ms");
            });
        }
    }

    @Test
    void aWaitingClientThatGivesUpLeavesTheBacklog() throws IOException {
        LivePeer server = start(serverSpec().maxClients(1).maxBacklog(1).listen(PeerEndpoint.tcp("127.0.0.1", 0)));
        try (RawPeerClient active = new RawPeerClient(server)) {
            active.hello(CallFrame.VERSION);
            assertThat(active.read()).isInstanceOf(CallFrame.Hello.class);
            try (RawPeerClient quitter = new RawPeerClient(server)) {
                quitter.hello(CallFrame.VERSION);
                until("the second connection waits", () -> server.waitingClients() == 1);
            }
            until("the one that gave up left the backlog", () -> server.waitingClients() == 0);
            try (RawPeerClient next = new RawPeerClient(server)) {
                next.hello(CallFrame.VERSION);
                until("a new connection gets the freed backlog place", () -> server.waitingClients() == 1);
                active.close();
                // What it sent while waiting is replayed when the slot comes: its HELLO is answered.
                assertThat(next.read()).isInstanceOf(CallFrame.Hello.class);
            }
        }
    }

    @Test
    void aSlotHandedToAConnectionThatClosedBeforeStartingIsFreedAgain() {
        LivePeer peer = start(Peer.create(PROTOCOL));
        Admission admission = new Admission(1, 2);
        Association first = new Association(peer, new EmbeddedChannel(), false, admission);
        Association second = new Association(peer, new EmbeddedChannel(), false, admission);
        assertThat(admission.admit(first)).isEqualTo(Admission.Outcome.ACTIVE);
        assertThat(admission.admit(second)).isEqualTo(Admission.Outcome.WAITING);
        assertThat(admission.release(first)).isSameAs(second); // the slot passes to the waiting one
        // ... whose connection ends before it could start: the slot must not stay taken.
        assertThat(admission.release(second)).isNull();
        assertThat(admission.active()).isZero();
        assertThat(admission.waiting()).isZero();
    }

    @Test
    void aPeerThatFloodsRequestsAndNeverReadsIsPausedThenClosed() throws Exception {
        LivePeer server = start(serverSpec().outboundLimit(64 * 1024, Duration.ofMillis(500))
                .listen(PeerEndpoint.tcp("127.0.0.1", 0)));
        try (RawPeerClient flooder = new RawPeerClient(server, 4096)) {
            flooder.hello(CallFrame.VERSION);
            byte[] text = new byte[4096];
            java.util.Arrays.fill(text, (byte) 'x');
            Thread writer = new Thread(() -> {
                try {
                    for (long id = 1; ; id += 2) {
                        flooder.send(new CallFrame.Request(id, ECHO.tag(), false, 0, Unpooled.wrappedBuffer(text)));
                    }
                } catch (IOException closed) {
                    // the server closed the connection: what the test waits for
                }
            }, "flooder");
            writer.setDaemon(true);
            writer.start();
            until("the server closed the flooder", () -> server.stalledConnections() == 1);
            writer.join(TIMEOUT.toMillis());
            assertThat(writer.isAlive()).as("the flooder's writes fail once it is closed").isFalse();
        }
        // The server still serves everyone else.
        PeerSession session = start(Peer.create(PROTOCOL).connectTo(tcp(server))).connect();
        StepVerifier.create(session.call(ECHO, "still here")).expectNext("still here").expectComplete().verify(TIMEOUT);
    }

    private static void await(CountDownLatch latch, String what) {
        try {
            assertThat(latch.await(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).as(what).isTrue();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
