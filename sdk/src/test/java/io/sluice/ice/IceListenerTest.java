package io.sluice.ice;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.codec.ice.IceError;
import io.sluice.codec.ice.IceMessage;
import io.sluice.codec.ice.IceVersion;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/** Sluice's acceptor against Sluice's originator: setup, authentication, protocols, sharing, close. */
class IceListenerTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private final IceConnections registry = IceConnections.create();
    private LiveIceListener listener;

    private final IceProtocol echo = IceProtocol.of("ECHO", "Sluice-test", "2.0", new IceVersion(1, 1), new IceVersion(1, 0));
    private final IceProtocol other = IceProtocol.of("OTHER", "Sluice-test", "1.0", new IceVersion(1, 0));

    @AfterEach
    void close() {
        if (listener != null) {
            listener.dispose();
        }
        for (IceConnection c : registry.open()) {
            c.dispose();
        }
    }

    private IceListener base() {
        return IceListener.create().registry(registry).unix(dir.resolve("ice.sock")).tcp("127.0.0.1", 0);
    }

    private IceConnector connector() {
        return IceConnector.create().registry(registry).authority(IceAuthority.empty());
    }

    private static final java.util.function.Predicate<String> local = host -> host.startsWith("local/") || host.equals("tcp/127.0.0.1");

    @Test
    void hostBasedAcceptanceProtocolsBothWaysPingsAndNegotiatedClose() {
        // The listener registers OTHER first, so ECHO's opcodes differ on the two sides.
        listener = base().vendor("SluiceSM", "9.9").protocols(other, echo.withHostBasedAuth(local))
                .hostBasedAuth(local)
                .bind().block(WAIT);
        List<String> ids = listener.listenNetworkIds();
        assertThat(ids).hasSize(2);
        assertThat(ids.get(0)).startsWith("local/").endsWith(":" + dir.resolve("ice.sock"));
        assertThat(ids.get(1)).matches("tcp/127\\.0\\.0\\.1:\\d+");
        assertThat(listener.networkIds()).isEqualTo(ids.get(0) + "," + ids.get(1));

        Mono<IceConnection> accepted = listener.accept().cache();
        accepted.subscribe();
        IceConnection client = connector().protocols(echo).open(ids.get(1)).block(WAIT);
        IceConnection server = accepted.block(WAIT);
        assertThat(client.status()).isEqualTo(IceConnectStatus.ACCEPTED);
        assertThat(server.status()).isEqualTo(IceConnectStatus.ACCEPTED);
        assertThat(client.vendor()).isEqualTo("SluiceSM");
        assertThat(client.release()).isEqualTo("9.9");
        assertThat(server.vendor()).isEqualTo("Sluice");
        assertThat(server.connectionString()).isEqualTo(ids.get(1));
        assertThat(server.isOriginator()).isFalse();
        assertThat(client.swapping()).isFalse();

        IceProtocolSession clientEcho = client.setup(echo).block(WAIT);
        IceProtocolSession serverEcho = server.acceptedProtocols().blockFirst(WAIT);
        assertThat(clientEcho.version()).isEqualTo(new IceVersion(1, 1));
        assertThat(clientEcho.vendor()).isEqualTo("Sluice-test");
        assertThat(clientEcho.majorOpcode()).isEqualTo(1);
        assertThat(clientEcho.peerMajorOpcode()).isEqualTo(2);
        assertThat(serverEcho.majorOpcode()).isEqualTo(2);
        assertThat(serverEcho.peerMajorOpcode()).isEqualTo(1);
        assertThat(serverEcho.originated()).isFalse();
        StepVerifier.create(client.setup(echo))
                .expectErrorSatisfies(e -> assertThat(((IceException) e).errorCode()).isEqualTo(IceErrorCode.ALREADY_ACTIVE)).verify(WAIT);

        // The server answers minor 1 with minor 2 carrying the same body; the client waits by request.
        serverEcho.messages().filter(m -> m.minorOpcode() == 1)
                .concatMap(m -> serverEcho.send(2, m.data0(), m.data1(), m.body())).subscribe();
        byte[] body = {1, 2, 3, 4, 5, 6, 7, 8};
        StepVerifier.create(clientEcho.request(1, 7, 9, body, Set.of(2)))
                .assertNext(reply -> {
                    assertThat(reply.minorOpcode()).isEqualTo(2);
                    assertThat(reply.data0()).isEqualTo(7);
                    assertThat(reply.body()).isEqualTo(body);
                }).verifyComplete();
        // A message nobody handles on the server gets the protocol's... nothing; an unknown opcode gets BadMajor.
        StepVerifier.create(server.ping()).assertNext(rtt -> assertThat(rtt).isPositive()).verifyComplete();
        StepVerifier.create(client.ping()).assertNext(rtt -> assertThat(rtt).isPositive()).verifyComplete();

        assertThat(client.close().block(WAIT)).isEqualTo(IceCloseStatus.CONNECTION_IN_USE);
        clientEcho.shutdown();
        // The server still has ECHO active: it answers NoClose.
        assertThat(client.close().block(WAIT)).isEqualTo(IceCloseStatus.PEER_IN_USE);
        serverEcho.shutdown();
        // No protocol is active, but the server's application still holds the connection: as libICE
        // does, the server answers NoClose, and sends its own WantToClose when it closes in turn.
        assertThat(client.close().block(WAIT)).isEqualTo(IceCloseStatus.PEER_IN_USE);
        assertThat(client.openCount()).isZero();
        assertThat(server.close().block(WAIT)).isEqualTo(IceCloseStatus.CLOSED_NOW);
        StepVerifier.create(server.onClose()).verifyComplete();
        StepVerifier.create(client.onClose()).verifyComplete();
    }

    private IceConnection[] connectedPair(IceProtocol protocol) {
        listener = base().protocols(protocol.withHostBasedAuth(local)).hostBasedAuth(local).bind().block(WAIT);
        Mono<IceConnection> accepted = listener.accept().cache();
        accepted.subscribe();
        IceConnection client = connector().protocols(protocol).open(listener.listenNetworkIds().get(1)).block(WAIT);
        return new IceConnection[] {client, accepted.block(WAIT)};
    }

    @Test
    void aSlowSubscriberStopsTheReadingOfTheSocketAndLosesNoMessage() {
        IceConnection[] pair = connectedPair(echo);
        IceProtocolSession sender = pair[0].setup(echo).block(WAIT);
        IceProtocolSession receiver = pair[1].acceptedProtocols().blockFirst(WAIT);
        int count = 20_000;
        // Sent as fast as the socket takes them; each send completes once written, so a receiver that
        // stops reading stalls the sender in TCP instead of in anybody's memory.
        reactor.core.publisher.Flux.range(0, count)
                .concatMap(i -> sender.send(1, 0, 0, java.nio.ByteBuffer.allocate(8).putInt(i).array()), 64)
                .subscribe();
        // The receiver takes ten at a time, with pauses long enough for the sender to fill every buffer.
        StepVerifier.create(receiver.messages().map(m -> java.nio.ByteBuffer.wrap(m.body()).getInt()), 0)
                .thenRequest(10)
                .expectNext(0, 1, 2, 3, 4, 5, 6, 7, 8, 9)
                .thenAwait(Duration.ofMillis(300))
                .then(() -> assertThat(receiver.dropped()).isZero())
                .thenRequest(count - 10)
                .expectNextSequence(java.util.stream.IntStream.range(10, count).boxed().toList())
                .thenCancel()
                .verify(WAIT);
        assertThat(receiver.dropped()).isZero();
    }

    @Test
    void aProtocolSendsAnIceErrorWithItsClassAndSeverity() {
        IceConnection[] pair = connectedPair(echo);
        IceProtocolSession client = pair[0].setup(echo).block(WAIT);
        IceProtocolSession server = pair[1].acceptedProtocols().blockFirst(WAIT);
        StepVerifier errors = StepVerifier.create(pair[0].errors().next())
                .assertNext(e -> {
                    assertThat(e.majorOpcode()).isEqualTo(server.majorOpcode());
                    assertThat(e.offendingMinorOpcode()).isEqualTo(9);
                    assertThat(e.errorClass()).isEqualTo(IceError.BAD_MINOR);
                    assertThat(e.severity()).isEqualTo(IceError.CAN_CONTINUE);
                    assertThat(e.offendingSequenceNumber()).isEqualTo(pair[0].lastSentSequenceNumber());
                })
                .expectComplete().verifyLater();
        server.messages().filter(m -> m.minorOpcode() == 9)
                .concatMap(m -> server.sendError(m.minorOpcode(), server.connection().lastReceivedSequenceNumber(), IceError.BAD_MINOR,
                        IceError.CAN_CONTINUE, new byte[0]))
                .subscribe();
        client.send(9, 0, 0, new byte[0]).block(WAIT);
        errors.verify(WAIT);
        assertThat(client.isActive()).isTrue();
    }

    @Test
    void closeGivesUpOnAPeerThatDoesNotAnswerWantToClose() {
        IceConnection[] pair = connectedPair(echo);
        IceProtocolSession sender = pair[0].setup(echo).block(WAIT);
        IceProtocolSession unread = pair[1].acceptedProtocols().blockFirst(WAIT);
        // Nobody reads the server's ECHO messages: past the pause mark it stops reading its socket,
        // so it never sees the WantToClose that follows.
        reactor.core.publisher.Flux.range(0, IceProtocolSession.PAUSE_AT * 4)
                .concatMap(i -> sender.send(1, 0, 0, new byte[8])).blockLast(WAIT);
        sender.shutdown();
        assertThat(pair[0].close(Duration.ofMillis(300)).block(WAIT)).isEqualTo(IceCloseStatus.CLOSED_NOW);
        StepVerifier.create(pair[0].onClose()).verifyComplete();
        assertThat(unread.dropped()).isZero();
    }

    @Test
    void mitMagicCookieForTheConnectionAndTheProtocol() {
        IceProtocol secured = echo.withAuth(IceAuthMethod.mitMagicCookie1());
        listener = base().protocols(secured).bind().block(WAIT);
        // A session manager makes cookies for the network IDs it was given, then publishes them.
        IceAuthority cookies = IceAuthority.empty().withNewCookies(listener.listenNetworkIds(), List.of("ICE", "ECHO"));
        listener.authority(cookies);
        assertThat(cookies.entries()).hasSize(4);
        String unixId = listener.listenNetworkIds().get(0);

        Mono<IceConnection> accepted = listener.accept().cache();
        accepted.subscribe();
        IceConnection client = connector().protocols(secured).authority(cookies).mustAuthenticate(true).open(unixId).block(WAIT);
        IceConnection server = accepted.block(WAIT);
        assertThat(server.status()).isEqualTo(IceConnectStatus.ACCEPTED);
        IceProtocolSession session = client.setup(secured, true).block(WAIT);
        assertThat(session.version()).isEqualTo(new IceVersion(1, 1));
        client.dispose();
    }

    @Test
    void aWrongCookieIsRejectedOnBothSides() {
        listener = base().bind().block(WAIT);
        String unixId = listener.listenNetworkIds().get(0);
        listener.authority(IceAuthority.empty().withNewCookies(List.of(unixId), List.of("ICE")));
        IceAuthority clientCookies = IceAuthority.empty().withNewCookies(List.of(unixId), List.of("ICE"));
        Mono<IceConnection> accepted = listener.accept().cache();
        accepted.subscribe(c -> { }, e -> { });
        StepVerifier.create(connector().authority(clientCookies).open(unixId))
                .expectErrorSatisfies(e -> {
                    assertThat(((IceException) e).errorCode()).isEqualTo(IceErrorCode.AUTH_REJECTED);
                    assertThat(((IceException) e).peerError().errorClass()).isEqualTo(IceError.AUTH_REJECTED);
                    assertThat(e.getMessage()).contains("MIT-MAGIC-COOKIE-1 authentication rejected");
                }).verify(WAIT);
        StepVerifier.create(accepted)
                .expectErrorSatisfies(e -> assertThat(((IceException) e).errorCode()).isEqualTo(IceErrorCode.REJECTED)).verify(WAIT);
        assertThat(listener.rejected()).isEqualTo(1);
    }

    @Test
    void noUsableMethodAndNoHostBasedAuthIsNoAuth() {
        listener = base().bind().block(WAIT);
        listener.accept().subscribe(c -> { }, e -> { });
        StepVerifier.create(connector().open(listener.networkIds()))
                .expectErrorSatisfies(e -> {
                    assertThat(((IceException) e).errorCode()).isEqualTo(IceErrorCode.AUTH_REQUIRED);
                    assertThat(((IceException) e).peerError().errorClass()).isEqualTo(IceError.NO_AUTH);
                }).verify(WAIT);
    }

    @Test
    void mustAuthenticateOverridesHostBasedAuth() {
        listener = base().hostBasedAuth(host -> true).bind().block(WAIT);
        listener.accept().subscribe(c -> { }, e -> { });
        StepVerifier.create(connector().mustAuthenticate(true).open(listener.listenNetworkIds().get(0)))
                .expectErrorSatisfies(e -> assertThat(((IceException) e).errorCode()).isEqualTo(IceErrorCode.AUTH_REQUIRED)).verify(WAIT);
    }

    /** A two-phase method: the acceptor sends a number, the originator adds one, twice. */
    private static final IceAuthMethod COUNTING = new IceAuthMethod() {
        @Override
        public String name() {
            return "X-COUNTING";
        }

        @Override
        public Originator originator(Context context) {
            return challenge -> challenge.length == 1 ? IceAuthStep.reply(new byte[] {(byte) (challenge[0] + 1)})
                    : IceAuthStep.failed("bad challenge");
        }

        @Override
        public Acceptor acceptor(Context context) {
            return new Acceptor() {
                private int phase;

                @Override
                public IceAuthStep start() {
                    return IceAuthStep.next(new byte[] {10});
                }

                @Override
                public IceAuthStep judge(byte[] reply) {
                    phase++;
                    if (phase == 1 && reply[0] == 11) {
                        return IceAuthStep.next(new byte[] {20});
                    }
                    return phase == 2 && reply[0] == 21 ? IceAuthStep.accepted() : IceAuthStep.rejected("wrong count");
                }
            };
        }
    };

    @Test
    void aMultiPhaseMethodForAProtocolAndTheSetupHook() {
        IceProtocol counted = echo.withAuth(COUNTING).onSetup((c, v, vendor, release) -> release.equals("2.0") ? null : "release 2.0 only");
        IceProtocol refusedVersion = IceProtocol.of("OTHER", "Sluice-test", "1.0", new IceVersion(3, 0));
        listener = base().hostBasedAuth(h -> true).protocols(counted, other).bind().block(WAIT);
        Mono<IceConnection> accepted = listener.accept().cache();
        accepted.subscribe();
        IceConnection client = connector().protocols(counted, refusedVersion).open(listener.networkIds()).block(WAIT);
        IceProtocolSession session = client.setup(counted, true).block(WAIT);
        assertThat(session.peerMajorOpcode()).isEqualTo(1);
        StepVerifier.create(client.setup(refusedVersion))
                .expectErrorSatisfies(e -> assertThat(((IceException) e).peerError().errorClass()).isEqualTo(IceError.NO_VERSION))
                .verify(WAIT);
        IceConnection server = accepted.block(WAIT);
        assertThat(server.activeProtocolCount()).isEqualTo(1);

        // The hook sees the originator's release: 1.9 is refused after the method accepted.
        IceProtocol old = IceProtocol.of("ECHO", "x", "1.9", new IceVersion(1, 0)).withAuth(COUNTING);
        listener.accept().subscribe();
        IceConnection second = IceConnector.create().registry(IceConnections.create()).authority(IceAuthority.empty())
                .protocols(old).open(listener.networkIds()).block(WAIT);
        StepVerifier.create(second.setup(old))
                .expectErrorSatisfies(e -> assertThat(e.getMessage()).contains("release 2.0 only")).verify(WAIT);
        // A protocol this connector never registered is refused before anything is sent.
        StepVerifier.create(second.setup(other))
                .expectErrorSatisfies(e -> assertThat(((IceException) e).errorCode()).isEqualTo(IceErrorCode.NOT_REGISTERED)).verify(WAIT);
        second.dispose();
    }

    @Test
    void theSetupHookRefuses() {
        IceProtocol hooked = echo.withHostBasedAuth(h -> true).onSetup((c, v, vendor, release) -> "not today");
        listener = base().hostBasedAuth(h -> true).protocols(hooked).bind().block(WAIT);
        listener.accept().subscribe();
        IceConnection client = connector().protocols(echo).open(listener.networkIds()).block(WAIT);
        StepVerifier.create(client.setup(echo))
                .expectErrorSatisfies(e -> {
                    assertThat(((IceException) e).errorCode()).isEqualTo(IceErrorCode.PROTOCOL_REFUSED);
                    assertThat(((IceException) e).peerError().errorClass()).isEqualTo(IceError.SETUP_FAILED);
                    assertThat(e.getMessage()).contains("not today");
                }).verify(WAIT);
        client.dispose();
    }

    @Test
    void connectionsAreSharedByContextAndOpcodeCheck() {
        listener = base().hostBasedAuth(h -> true).protocols(echo.withHostBasedAuth(h -> true)).bind().block(WAIT);
        listener.connections().subscribe();
        IceConnector c = connector().protocols(echo);
        String id = listener.listenNetworkIds().get(0);
        IceConnection first = c.open(id).block(WAIT);
        IceConnection again = c.open("tcp/127.0.0.1:1," + id).block(WAIT);
        assertThat(again).isSameAs(first);
        assertThat(first.openCount()).isEqualTo(2);
        IceConnection other = c.open(id, "someone else", null).block(WAIT);
        assertThat(other).isSameAs(first); // the first opener gave no context: it shares with anyone
        assertThat(first.openCount()).isEqualTo(3);
        first.setup(echo).block(WAIT);
        IceConnection fresh = c.open(id, null, echo).block(WAIT);
        assertThat(fresh).isNotSameAs(first);
        IceConnection mine = c.open(id, "mine", echo).block(WAIT);
        assertThat(mine).isSameAs(fresh);
        IceConnection theirs = c.open(id, "theirs", echo).block(WAIT);
        assertThat(theirs).isSameAs(fresh); // fresh has no context either

        StepVerifier.create(registry.watch().take(3)).expectNextCount(3).verifyComplete();
        assertThat(first.close().block(WAIT)).isEqualTo(IceCloseStatus.CONNECTION_IN_USE);
        assertThat(first.openCount()).isEqualTo(2);
    }

    @Test
    void watchReplaysOpenConnectionsThenFollows() {
        listener = base().hostBasedAuth(h -> true).bind().block(WAIT);
        listener.connections().subscribe();
        IceConnection a = connector().open(listener.listenNetworkIds().get(0)).block(WAIT);
        StepVerifier.create(registry.watch())
                // a, and the listener's side of a
                .expectNextMatches(e -> e.opening())
                .expectNextMatches(e -> e.opening())
                .then(() -> a.shutdownNegotiation(false))
                .then(() -> a.close().subscribe())
                .expectNextMatches(e -> !e.opening())
                .expectNextMatches(e -> !e.opening())
                .thenCancel()
                .verify(WAIT);
    }

    @Test
    void aConnectionThatNeverSetsUpTimesOut() throws Exception {
        listener = base().acceptTimeout(Duration.ofMillis(300)).bind().block(WAIT);
        InetSocketAddress tcp = (InetSocketAddress) listener.addresses().get(1);
        try (Socket silent = new Socket(tcp.getAddress(), tcp.getPort())) {
            StepVerifier.create(listener.accept())
                    .expectErrorSatisfies(e -> assertThat(((IceException) e).errorCode()).isEqualTo(IceErrorCode.ACCEPT_TIMEOUT))
                    .verify(WAIT);
        }
    }

    @Test
    void aCancelledAcceptClosesTheConnectionNobodyWillReceive() {
        listener = base().hostBasedAuth(h -> true).bind().block(WAIT);
        // Subscribed without demand: the accept sets the socket up, then holds the connection.
        reactor.core.publisher.BaseSubscriber<IceConnection> undemanding = new reactor.core.publisher.BaseSubscriber<>() {
            @Override
            protected void hookOnSubscribe(org.reactivestreams.Subscription subscription) {
            }
        };
        listener.accept().subscribe(undemanding);
        IceConnection client = connector().open(listener.listenNetworkIds().get(0)).block(WAIT);
        undemanding.cancel();
        StepVerifier.create(client.onClose())
                .expectErrorSatisfies(e -> assertThat(((IceException) e).errorCode()).isEqualTo(IceErrorCode.IO_ERROR))
                .verify(WAIT);
        // The accepting end leaves the registry as its loop finishes closing it.
        io.sluice.testing.Await.until(() -> registry.open().isEmpty(), WAIT);
    }

    @Test
    void theBacklogIsBounded() throws Exception {
        listener = base().backlog(1).bind().block(WAIT);
        InetSocketAddress tcp = (InetSocketAddress) listener.addresses().get(1);
        try (Socket a = new Socket(tcp.getAddress(), tcp.getPort()); Socket b = new Socket(tcp.getAddress(), tcp.getPort())) {
            // One of the two waits for an accept; the other is closed at once. Which one is up to the
            // event loops: the children are registered on different threads.
            java.util.concurrent.CompletableFuture<Integer> readA = java.util.concurrent.CompletableFuture.supplyAsync(() -> readOne(a));
            java.util.concurrent.CompletableFuture<Integer> readB = java.util.concurrent.CompletableFuture.supplyAsync(() -> readOne(b));
            assertThat(java.util.concurrent.CompletableFuture.anyOf(readA, readB).get(10, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(-1);
            assertThat(listener.refused()).isEqualTo(1);
        }
    }

    private static int readOne(Socket s) {
        try {
            return s.getInputStream().read();
        } catch (java.io.IOException e) {
            return -2;
        }
    }

    @Test
    void peerErrorsAreStreamed() {
        listener = base().hostBasedAuth(h -> true).bind().block(WAIT);
        Mono<IceConnection> accepted = listener.accept().cache();
        accepted.subscribe();
        IceConnection client = connector().open(listener.networkIds()).block(WAIT);
        IceConnection server = accepted.block(WAIT);
        StepVerifier.create(client.errors().take(1))
                .then(() -> server.write(new IceMessage.Error(0, 9, IceError.CAN_CONTINUE, IceError.BAD_MINOR, 3, new byte[0])))
                .assertNext(e -> assertThat(e.errorClass()).isEqualTo(IceError.BAD_MINOR))
                .verifyComplete();
        client.dispose();
    }
}
