package io.sluice.soak;

import io.sluice.peer.CallType;
import io.sluice.peer.Dispatch;
import io.sluice.peer.LivePeer;
import io.sluice.peer.PayloadCodecs;
import io.sluice.peer.Peer;
import io.sluice.peer.PeerEndpoint;
import io.sluice.peer.PeerProtocol;
import io.sluice.peer.PeerSession;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Sluice peers over TCP: {@code connections} client sessions, each its own connection, make unary
 * echo calls and streamed calls that they cancel after a few elements (the server's stream is
 * endless and follows demand, so the cancellation is what ends it). A wrong echo, a short stream or a failed call
 * is an error. Every second one session is disconnected and a new one takes its place, connecting on
 * its first call.
 */
final class PeerLoad extends SoakLoad {

    private static final CallType<String, String> ECHO = CallType.unary(1, "soak.echo", PayloadCodecs.utf8(), PayloadCodecs.utf8());
    private static final CallType<String, String> TICKS = CallType.stream(2, "soak.ticks", PayloadCodecs.utf8(), PayloadCodecs.utf8());
    private static final int TAKEN = 8;

    private final int connections;
    private final AtomicReferenceArray<PeerSession> sessions;
    /** The tick at which each session was last disconnected here, -1 for never. */
    private final AtomicLongArray disconnectedAt;
    private LivePeer server;
    private LivePeer client;

    PeerLoad(int connections) {
        super("peers");
        this.connections = connections;
        this.disconnectedAt = new AtomicLongArray(connections);
        this.sessions = new AtomicReferenceArray<>(connections);
        for (int i = 0; i < connections; i++) {
            disconnectedAt.set(i, -1);
        }
    }

    /** A call that fails because this load disconnected its session after the call began is not an error. */
    private <T> Mono<T> unlessDisconnected(int i, long n, Mono<T> call) {
        return call.onErrorResume(e -> disconnectedAt.get(i) >= n ? Mono.empty() : Mono.error(e));
    }

    @Override
    void start() {
        PeerProtocol protocol = PeerProtocol.of(ECHO, TICKS);
        server = Peer.create(protocol).maxClients(connections * 2)
                .dispatch(Dispatch.create()
                        .handle(ECHO, (call, text) -> Mono.just(text))
                        .handle(TICKS, (call, prefix) -> Flux.<String, Long>generate(() -> 0L, (i, sink) -> {
                            sink.next(prefix + i);
                            return i + 1;
                        })))
                .listen(PeerEndpoint.tcp("127.0.0.1", 0)).start().block(TIMEOUT);
        client = Peer.create(protocol).connectTo(PeerEndpoint.tcp((InetSocketAddress) server.listenAddresses().get(0))).start().block(TIMEOUT);
        for (int i = 0; i < connections; i++) {
            sessions.set(i, client.connect());
        }
        Flux.range(0, connections).flatMap(i -> sessions.get(i).call(ECHO, "hello"), 32).then().block(TIMEOUT);
    }

    @Override
    void slice(long n) {
        for (int k = 0; k < 20; k++) {
            int i = (int) ((n * 20 + k) % connections);
            String text = "echo-" + n + "-" + k;
            track(unlessDisconnected(i, n, sessions.get(i).call(ECHO, text).doOnNext(echo -> {
                if (!echo.equals(text)) {
                    throw new IllegalStateException("echo of " + text + " came back as " + echo);
                }
            })));
        }
        for (int k = 0; k < 5; k++) {
            int i = (int) ((n * 5 + k) * 31L % connections);
            track(unlessDisconnected(i, n, sessions.get(i).stream(TICKS, "t").take(TAKEN).count().doOnNext(count -> {
                if (count != TAKEN) {
                    throw new IllegalStateException("a stream ended after " + count + " of " + TAKEN + " elements");
                }
            })));
        }
        if (n % 10 == 0) {
            // One connection a second goes away; its session reconnects on its next call.
            // A disconnected client session stays so (lwmsg's peer_disconnect): a new one takes its place.
            int i = (int) (n / 10 % connections);
            disconnectedAt.set(i, n);
            track(sessions.getAndSet(i, client.connect()).disconnect());
        }
    }

    @Override
    int live() {
        return server.activeClients();
    }

    @Override
    java.util.Map<String, Long> counters() {
        return java.util.Map.of("stalled", server.stalledConnections());
    }

    @Override
    void stop() {
        client.dispose();
        server.dispose();
    }
}
