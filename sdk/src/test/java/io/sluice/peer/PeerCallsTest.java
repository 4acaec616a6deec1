package io.sluice.peer;

import static io.sluice.peer.TestProtocol.ASK_BACK;
import static io.sluice.peer.TestProtocol.BLOCKING;
import static io.sluice.peer.TestProtocol.BYTES;
import static io.sluice.peer.TestProtocol.CALLBACK;
import static io.sluice.peer.TestProtocol.COUNT;
import static io.sluice.peer.TestProtocol.ECHO;
import static io.sluice.peer.TestProtocol.FAIL;
import static io.sluice.peer.TestProtocol.HOLD;
import static io.sluice.peer.TestProtocol.LINES;
import static io.sluice.peer.TestProtocol.PROTOCOL;
import static io.sluice.peer.TestProtocol.UNHANDLED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.NonBlocking;
import reactor.test.StepVerifier;

class PeerCallsTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    private final List<LivePeer> peers = new CopyOnWriteArrayList<>();
    private final CountDownLatch holdCancelled = new CountDownLatch(1);
    private final AtomicLong countRequested = new AtomicLong();
    private final CountDownLatch countCancelled = new CountDownLatch(1);

    @AfterEach
    void stopPeers() {
        peers.forEach(p -> p.disposeNow(TIMEOUT));
    }

    private Dispatch serverDispatch() {
        return Dispatch.create()
                .handle(ECHO, (call, text) -> Mono.just(text))
                .handle(COUNT, (call, n) -> Flux.range(0, n)
                        .doOnRequest(countRequested::addAndGet)
                        .doOnCancel(countCancelled::countDown))
                .handle(HOLD, (call, text) -> Mono.<String>never().doOnCancel(holdCancelled::countDown))
                .handle(FAIL, (call, text) -> text.equals("app")
                        ? Mono.error(PeerException.application(1042, "quota exceeded"))
                        : Mono.error(new IllegalStateException("disk on fire")))
                .handle(ASK_BACK, (call, text) -> call.session().call(CALLBACK, text).map(answer -> "client said " + answer))
                .handleBlocking(BLOCKING, (call, text) -> {
                    assertThat(Thread.currentThread()).isNotInstanceOf(NonBlocking.class);
                    Thread.sleep(5);
                    return text + " after blocking on " + Thread.currentThread().getName().replaceAll("-\\d+$", "");
                })
                .handleBlockingStream(LINES, (call, n) -> IntStream.range(0, n).mapToObj(i -> "line " + i))
                .handle(BYTES, (call, buf) -> {
                    ByteBuf reply = Unpooled.buffer().writeBytes(buf).writeByte('!');
                    buf.release();
                    return Mono.just(reply);
                });
    }

    private LivePeer start(Peer spec) {
        LivePeer peer = spec.start().block(TIMEOUT);
        peers.add(peer);
        return peer;
    }

    private LivePeer server(PeerEndpoint... endpoints) {
        return start(Peer.create(PROTOCOL).dispatch(serverDispatch()).listen(endpoints));
    }

    private PeerSession client(PeerEndpoint... endpoints) {
        return start(Peer.create(PROTOCOL)
                .dispatch(Dispatch.create().handle(CALLBACK, (call, text) -> Mono.just(text.toUpperCase())))
                .connectTo(endpoints)).connect();
    }

    private static PeerEndpoint tcp(LivePeer server) {
        return PeerEndpoint.tcp((InetSocketAddress) server.listenAddresses().get(0));
    }

    @Test
    void unaryCallsRoundTripOverTcpAndUnixSockets() {
        Path socket = dir.resolve("peer.sock");
        LivePeer server = server(PeerEndpoint.tcp("127.0.0.1", 0), PeerEndpoint.unix(socket, "rw-rw----"));
        assertThat(server.listenAddresses()).hasSize(2);
        StepVerifier.create(client(tcp(server)).call(ECHO, "över tcp")).expectNext("över tcp").expectComplete().verify(TIMEOUT);
        StepVerifier.create(client(PeerEndpoint.unix(socket)).call(ECHO, "over unix")).expectNext("over unix")
                .expectComplete().verify(TIMEOUT);
    }

    @Test
    void unixSocketFileGetsItsPermissionsAndIsRemovedOnStop() throws Exception {
        Path socket = dir.resolve("perm.sock");
        LivePeer server = server(PeerEndpoint.unix(socket, "rw-r-----"));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket))).isEqualTo("rw-r-----");
        server.stopListening().block(TIMEOUT);
        assertThat(socket).doesNotExist();
    }

    @Test
    void aStaleSocketFileIsReplacedButALiveOneIsNot() throws Exception {
        Path socket = dir.resolve("stale.sock");
        server(PeerEndpoint.unix(socket));
        assertThatThrownBy(() -> server(PeerEndpoint.unix(socket)))
                .hasMessageContaining("another process is listening on " + socket);
        peers.get(0).disposeNow(TIMEOUT);
        try (var ignored = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)
                .bind(java.net.UnixDomainSocketAddress.of(socket))) {
            // bound and closed without unlinking: a stale file
        }
        LivePeer again = server(PeerEndpoint.unix(socket));
        StepVerifier.create(client(PeerEndpoint.unix(socket)).call(ECHO, "again")).expectNext("again").expectComplete().verify(TIMEOUT);
        assertThat(again.listenAddresses()).hasSize(1);
    }

    @Test
    void streamDemandTravelsOverTheWire() throws InterruptedException {
        LivePeer server = server(PeerEndpoint.tcp("127.0.0.1", 0));
        PeerSession session = client(tcp(server));
        StepVerifier.create(session.stream(COUNT, 1_000_000), 0)
                .thenRequest(3)
                .expectNext(0, 1, 2)
                .then(() -> assertThat(countRequested).hasValue(3))
                .thenRequest(2)
                .expectNext(3, 4)
                .thenCancel()
                .verify(TIMEOUT);
        assertThat(countCancelled.await(5, TimeUnit.SECONDS)).as("remote handler cancelled").isTrue();
        assertThat(countRequested.get()).isEqualTo(5);
    }

    @Test
    void unboundedDemandStreamsEverythingAndCompletes() {
        LivePeer server = server(PeerEndpoint.tcp("127.0.0.1", 0));
        // Generous: paranoid leak tracking records every buffer, and CI machines are loaded.
        StepVerifier.create(client(tcp(server)).stream(COUNT, 50_000).count())
                .expectNext(50_000L)
                .expectComplete().verify(Duration.ofSeconds(60));
    }

    @Test
    void cancellingACallCancelsTheRemoteHandler() throws InterruptedException {
        LivePeer server = server(PeerEndpoint.tcp("127.0.0.1", 0));
        StepVerifier.create(client(tcp(server)).call(HOLD, "wait"))
                .expectSubscription()
                .expectNoEvent(Duration.ofMillis(50))
                .thenCancel()
                .verify(TIMEOUT);
        assertThat(holdCancelled.await(5, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void failuresCarryTheirStatusToTheCaller() {
        LivePeer server = server(PeerEndpoint.tcp("127.0.0.1", 0));
        PeerSession session = client(tcp(server));
        StepVerifier.create(session.call(FAIL, "app"))
                .expectErrorSatisfies(e -> {
                    PeerException pe = (PeerException) e;
                    assertThat(pe.status()).isEqualTo(PeerStatus.APPLICATION);
                    assertThat(pe.wireStatus()).isEqualTo(1042);
                    assertThat(pe).hasMessageContaining("quota exceeded");
                })
                .verify(TIMEOUT);
        StepVerifier reported = StepVerifier.create(server.exceptions().next())
                .assertNext(e -> assertThat(e).hasMessageContaining("handler for fail failed"))
                .expectComplete()
                .verifyLater();
        StepVerifier.create(session.call(FAIL, "crash"))
                .expectErrorSatisfies(e -> {
                    assertThat(((PeerException) e).status()).isEqualTo(PeerStatus.HANDLER_FAILED);
                    assertThat(e).hasMessageContaining("disk on fire");
                })
                .verify(TIMEOUT);
        reported.verify(TIMEOUT);
        StepVerifier.create(session.call(UNHANDLED, "?"))
                .expectErrorSatisfies(e -> assertThat(((PeerException) e).status()).isEqualTo(PeerStatus.UNKNOWN_TAG))
                .verify(TIMEOUT);
        StepVerifier.create(session.call(ECHO, "still usable")).expectNext("still usable").expectComplete().verify(TIMEOUT);
    }

    @Test
    void theServerCanCallBackTheClientOnTheSameSession() {
        LivePeer server = server(PeerEndpoint.tcp("127.0.0.1", 0));
        StepVerifier.create(client(tcp(server)).call(ASK_BACK, "hello")).expectNext("client said HELLO").expectComplete().verify(TIMEOUT);
    }

    @Test
    void blockingHandlersRunOffTheEventLoop() {
        LivePeer server = server(PeerEndpoint.tcp("127.0.0.1", 0));
        PeerSession session = client(tcp(server));
        StepVerifier.create(session.call(BLOCKING, "done")).expectNext("done after blocking on boundedElastic")
                .expectComplete().verify(TIMEOUT);
        StepVerifier.create(session.stream(LINES, 3)).expectNext("line 0", "line 1", "line 2").expectComplete().verify(TIMEOUT);
    }

    @Test
    void byteBufPayloadsAreHandedOverWithoutLeaks() {
        LivePeer server = server(PeerEndpoint.tcp("127.0.0.1", 0));
        ByteBuf request = Unpooled.copiedBuffer("raw", StandardCharsets.US_ASCII);
        StepVerifier.create(client(tcp(server)).call(BYTES, request))
                .assertNext(reply -> {
                    assertThat(reply.toString(StandardCharsets.US_ASCII)).isEqualTo("raw!");
                    reply.release();
                })
                .expectComplete().verify(TIMEOUT);
        assertThat(request.refCnt()).as("the caller still owns its request").isEqualTo(1);
        request.release();
    }

    @Test
    void tracesShowEachCallBeginAndEndInBothDirections() {
        LivePeer server = server(PeerEndpoint.tcp("127.0.0.1", 0));
        LivePeer client = start(Peer.create(PROTOCOL)
                .dispatch(Dispatch.create().handle(CALLBACK, (call, text) -> Mono.just(text.toUpperCase())))
                .connectTo(tcp(server)));
        PeerSession session = client.connect();
        // A call the client makes, inside which the server calls the client back: each side sees
        // an incoming and an outgoing call begin and end, in this order.
        StepVerifier serverSide = StepVerifier.create(server.traces().take(4).map(PeerCallsTest::describe).collectList())
                .assertNext(l -> assertThat(l).containsExactly("INCOMING BEGIN ask-back OK", "OUTGOING BEGIN callback OK",
                        "OUTGOING END callback OK", "INCOMING END ask-back OK"))
                .expectComplete().verifyLater();
        StepVerifier clientSide = StepVerifier.create(client.traces().take(4).map(PeerCallsTest::describe).collectList())
                .assertNext(l -> assertThat(l).containsExactly("OUTGOING BEGIN ask-back OK", "INCOMING BEGIN callback OK",
                        "INCOMING END callback OK", "OUTGOING END ask-back OK"))
                .expectComplete().verifyLater();
        StepVerifier.create(session.call(ASK_BACK, "traced")).expectNext("client said TRACED").expectComplete().verify(TIMEOUT);
        serverSide.verify(TIMEOUT);
        clientSide.verify(TIMEOUT);
    }

    private static String describe(CallTrace t) {
        return t.direction() + " " + t.phase() + " " + t.type().name() + " " + t.status();
    }

    @Test
    void handlersSeeTheSpecsDispatchData() {
        Object data = new Object();
        LivePeer server = start(Peer.create(PROTOCOL).dispatchData(data)
                .dispatch(Dispatch.create().handle(ECHO, (call, text) -> Mono.just(call.dispatchData() == data ? "same" : "other")))
                .listen(PeerEndpoint.tcp("127.0.0.1", 0)));
        assertThat(server.dispatchData()).isSameAs(data);
        StepVerifier.create(client(tcp(server)).call(ECHO, "x")).expectNext("same").expectComplete().verify(TIMEOUT);
    }

    @Test
    void anInheritedUnixServerChannelServesCalls() throws Exception {
        java.nio.file.Path file = dir.resolve("inherited.sock");
        java.nio.channels.ServerSocketChannel inherited = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)
                .bind(java.net.UnixDomainSocketAddress.of(file));
        LivePeer server = server(PeerEndpoint.listening(inherited));
        assertThat(server.listenAddresses()).containsExactly(java.net.UnixDomainSocketAddress.of(file));
        StepVerifier.create(client(PeerEndpoint.unix(file)).call(ECHO, "over an inherited socket"))
                .expectNext("over an inherited socket").expectComplete().verify(TIMEOUT);
    }

    @Test
    void callsWithATypeOutsideTheProtocolAreRefusedAtOnce() {
        LivePeer server = server(PeerEndpoint.tcp("127.0.0.1", 0));
        CallType<String, String> stranger = CallType.unary(99, "stranger", PayloadCodecs.utf8(), PayloadCodecs.utf8());
        PeerSession session = client(tcp(server));
        assertThatThrownBy(() -> session.call(stranger, "x")).hasMessageContaining("not part of this peer's protocol");
        @SuppressWarnings({"unchecked", "rawtypes"})
        CallType<Object, Object> streamType = (CallType) COUNT;
        assertThatThrownBy(() -> session.call(streamType, 1)).hasMessageContaining("use stream(...)");
    }

    @Test
    void manyConcurrentCallsOnOneSession() {
        LivePeer server = server(PeerEndpoint.tcp("127.0.0.1", 0));
        PeerSession session = client(tcp(server));
        StepVerifier.create(Flux.range(0, 5_000).flatMap(i -> session.call(ECHO, "m" + i), 256).count())
                .expectNext(5_000L)
                .expectComplete().verify(TIMEOUT);
    }

    @Test
    void callsBeyondTheConcurrencyCapAreRefusedWhileRunningCallsKeepFlowing() {
        LivePeer server = start(Peer.create(PROTOCOL).dispatch(serverDispatch()).maxConcurrentCalls(2)
                .listen(PeerEndpoint.tcp("127.0.0.1", 0)));
        PeerSession session = client(tcp(server));
        List<reactor.core.Disposable> held = new CopyOnWriteArrayList<>();
        // One connection keeps frame order, so each step below reaches the server after the last.
        StepVerifier.create(session.stream(COUNT, 1_000), 1)
                .expectNext(0)
                .then(() -> held.add(session.call(HOLD, "second").subscribe()))
                .then(() -> StepVerifier.create(session.call(ECHO, "third"))
                        .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(PeerException.class)
                                .hasMessageContaining("at most 2 calls")
                                .extracting(x -> ((PeerException) x).status()).isEqualTo(PeerStatus.BUSY))
                        .verify(TIMEOUT))
                .thenRequest(2)
                .expectNext(1, 2)
                .thenCancel()
                .verify(TIMEOUT);
        StepVerifier.create(session.call(ECHO, "after a slot freed")).expectNext("after a slot freed").expectComplete()
                .verify(TIMEOUT);
        held.forEach(reactor.core.Disposable::dispose);
    }
}
