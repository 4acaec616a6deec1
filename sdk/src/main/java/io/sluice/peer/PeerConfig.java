package io.sluice.peer;

import io.sluice.codec.Limits;
import io.sluice.metrics.SluiceMeters;
import io.sluice.wiretap.Wiretap;
import java.time.Duration;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Function;
import reactor.core.scheduler.Scheduler;
import reactor.util.retry.Retry;

/** Everything a {@link Peer} spec holds; immutable. */
record PeerConfig(
        PeerProtocol protocol,
        Dispatch dispatch,
        Object dispatchData,
        List<PeerEndpoint> listenEndpoints,
        List<PeerEndpoint> connectEndpoints,
        int maxClients,
        int maxBacklog,
        int maxConcurrentCalls,
        Duration establishTimeout,
        Duration idleTimeout,
        Duration keepAlive,
        Duration callTimeout,
        Function<? super PeerSession, ?> sessionConstructor,
        BiConsumer<? super PeerSession, Object> sessionDestructor,
        Scheduler blockingScheduler,
        Limits limits,
        Retry reconnect,
        PeerTls tls,
        Outbound outbound,
        Observing observing) {

    /** Where the peer records meters and logs frames (see {@link Peer#metrics} and {@link Peer#wiretap}). */
    record Observing(SluiceMeters meters, Wiretap wiretap, PeerTracing tracing) {
        static final Observing NONE = new Observing(SluiceMeters.none(), Wiretap.off(), PeerTracing.NONE);

        Observing withMeters(SluiceMeters m) {
            return new Observing(m, wiretap, tracing);
        }

        Observing withWiretap(Wiretap w) {
            return new Observing(meters, w, tracing);
        }
    }

    /** What a connection may queue for a remote that does not read, and for how long (see {@link Peer#outboundLimit}). */
    record Outbound(int maxPendingBytes, Duration stallTimeout) {
        static final Outbound DEFAULT = new Outbound(1 << 20, Duration.ofSeconds(30));
    }

    void requireType(CallType<?, ?> type, CallType.Kind kind) {
        if (!protocol.contains(type)) {
            throw new IllegalArgumentException(type + " is not part of this peer's protocol");
        }
        if (type.kind() != kind) {
            throw new IllegalArgumentException(type + " is " + type.kind() + "; use "
                    + (kind == CallType.Kind.UNARY ? "stream(...)" : "call(...)"));
        }
    }
}
