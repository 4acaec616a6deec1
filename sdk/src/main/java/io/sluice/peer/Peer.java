package io.sluice.peer;

import io.netty.handler.ssl.SslContext;
import io.sluice.codec.Limits;
import io.sluice.metrics.SluiceMeters;
import io.sluice.wiretap.Wiretap;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.BiConsumer;
import java.util.function.Function;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.util.retry.Retry;

/**
 * A symmetric RPC peer, as a spec (lwmsg's {@code LWMsgPeer}): it speaks one {@link PeerProtocol},
 * serves incoming calls through a {@link Dispatch} table, listens on endpoints, and connects to
 * endpoints to make calls. Either side of a connection may call the other.
 *
 * <pre>{@code
 * LivePeer server = Peer.create(protocol)
 *         .dispatch(Dispatch.create().handle(ECHO, (call, text) -> Mono.just(text)))
 *         .listen(PeerEndpoint.tcp("127.0.0.1", 0), PeerEndpoint.unix(Path.of("/run/app.sock")))
 *         .maxClients(64).maxBacklog(16)
 *         .start().block();
 * PeerSession session = Peer.create(protocol).connectTo(PeerEndpoint.tcp("127.0.0.1", port))
 *         .start().block().connect();
 * session.call(ECHO, "hi").subscribe(System.out::println);
 * }</pre>
 *
 * <p>Immutable: every method returns a new spec; {@link #start()} makes a {@link LivePeer}.
 * Thread-safe.
 */
public final class Peer {

    private final PeerConfig config;

    private Peer(PeerConfig config) {
        this.config = config;
    }

    /**
     * A peer speaking {@code protocol}, with no handlers and no endpoints yet. Defaults: 1024 client
     * slots, a backlog of 128, 1024 concurrent incoming calls per connection, a 10 s establish
     * timeout, keep-alive pings every 15 s, idle connections closed after 60 s, no call timeout,
     * blocking handlers on {@link Schedulers#boundedElastic()}, frames up to 1 MiB, no reconnect
     * retries.
     *
     * @param protocol the call types
     * @return the spec
     */
    public static Peer create(PeerProtocol protocol) {
        return new Peer(new PeerConfig(Objects.requireNonNull(protocol, "protocol"), Dispatch.create(), null, List.of(),
                List.of(), 1024, 128, 1024, Duration.ofSeconds(10), Duration.ofSeconds(60), Duration.ofSeconds(15),
                Duration.ZERO, null, null, Schedulers.boundedElastic(), Limits.defaults().withMaxMessageBytes(1 << 20),
                Retry.max(0), PeerTls.NONE, PeerConfig.Outbound.DEFAULT,
                PeerConfig.Observing.NONE));
    }

    /**
     * Records this peer's meters in {@code registry}: calls by direction, call type and status with
     * their latency, connections by side (the README's "Observing Sluice" has the table). Needs
     * Micrometer on the class path.
     *
     * @param registry where to record
     * @return the new spec
     */
    public Peer metrics(io.micrometer.core.instrument.MeterRegistry registry) {
        return observing(config.observing().withMeters(SluiceMeters.of(registry)));
    }

    /**
     * @param enable record meters in Micrometer's global registry (true), or nowhere (false, the default)
     * @return the new spec
     * @throws UnsupportedOperationException when enabling without Micrometer on the class path
     */
    public Peer metrics(boolean enable) {
        return observing(config.observing().withMeters(SluiceMeters.global(enable)));
    }

    /**
     * @param enable log every call frame read and written at DEBUG under {@code io.sluice.wiretap.peer}
     *     (with a hex dump at TRACE), or nothing (false, the default)
     * @return the new spec
     */
    public Peer wiretap(boolean enable) {
        return observing(config.observing().withWiretap(Wiretap.of("peer", enable)));
    }

    /**
     * @param category the SLF4J logger to log frames to
     * @param level the level of the one-line frames (hex dumps at TRACE)
     * @return the new spec
     */
    public Peer wiretap(String category, org.slf4j.event.Level level) {
        return observing(config.observing().withWiretap(Wiretap.of(category, level)));
    }

    /**
     * The same as {@link #metrics(io.micrometer.core.instrument.MeterRegistry)} for a caller that
     * already holds {@link SluiceMeters} (a spec built on a peer passes its own on).
     *
     * @param meters where to record
     * @return the new spec
     */
    public Peer metrics(SluiceMeters meters) {
        return observing(config.observing().withMeters(java.util.Objects.requireNonNull(meters, "meters")));
    }

    /**
     * @param wiretap where and how to log frames (a spec built on a peer passes its own on)
     * @return the new spec
     */
    public Peer wiretap(Wiretap wiretap) {
        return observing(config.observing().withWiretap(java.util.Objects.requireNonNull(wiretap, "wiretap")));
    }

    /**
     * Observes every call, both ways, as a Micrometer Observation {@code sluice.peer.call}
     * (low-cardinality keys {@code direction}, {@code type}, {@code status}). With a tracing bridge
     * (Brave or OpenTelemetry) on the registry the caller's trace context travels in the REQUEST's
     * metadata as W3C {@code traceparent}/{@code tracestate} to peers that read it (PROTOCOL.md,
     * "Capabilities"), the callee's span continues it, and a handler's own calls (made in its
     * reactive chain) are children of its span. The observation is in the handler's Reactor
     * context under {@code ObservationThreadLocalAccessor.KEY}, so with
     * {@code io.micrometer:context-propagation} and {@code Hooks.enableAutomaticContextPropagation()}
     * it is also the current observation on the handler's threads.
     *
     * @param registry the registry (its handlers decide what an observation produces)
     * @return the new spec
     */
    public Peer observations(io.micrometer.observation.ObservationRegistry registry) {
        PeerConfig.Observing o = config.observing();
        return observing(new PeerConfig.Observing(o.meters(), o.wiretap(),
                new MicrometerPeerTracing(java.util.Objects.requireNonNull(registry, "registry"))));
    }

    private Peer observing(PeerConfig.Observing o) {
        PeerConfig c = config;
        return with(new PeerConfig(c.protocol(), c.dispatch(), c.dispatchData(), c.listenEndpoints(), c.connectEndpoints(),
                c.maxClients(), c.maxBacklog(), c.maxConcurrentCalls(), c.establishTimeout(), c.idleTimeout(), c.keepAlive(),
                c.callTimeout(), c.sessionConstructor(), c.sessionDestructor(), c.blockingScheduler(), c.limits(),
                c.reconnect(), c.tls(), c.outbound(), o));
    }

    private Peer with(PeerConfig c) {
        return new Peer(c);
    }

    /**
     * Adds handlers (lwmsg's {@code add_dispatch_spec}; may be called several times).
     *
     * @param dispatch handlers by call type
     * @return the new spec
     */
    public Peer dispatch(Dispatch dispatch) {
        for (Dispatch.Entry e : dispatch.entries().values()) {
            if (!config.protocol().contains(e.type())) {
                throw new IllegalArgumentException(e.type() + " is not part of this peer's protocol");
            }
        }
        PeerConfig c = config;
        return with(new PeerConfig(c.protocol(), c.dispatch().merge(dispatch), c.dispatchData(), c.listenEndpoints(),
                c.connectEndpoints(), c.maxClients(), c.maxBacklog(), c.maxConcurrentCalls(), c.establishTimeout(),
                c.idleTimeout(), c.keepAlive(), c.callTimeout(), c.sessionConstructor(), c.sessionDestructor(),
                c.blockingScheduler(), c.limits(), c.reconnect(), c.tls(), c.outbound(), c.observing()));
    }

    /**
     * @param data handed to handlers as {@link IncomingCall#dispatchData()}
     * @return the new spec
     */
    public Peer dispatchData(Object data) {
        PeerConfig c = config;
        return with(new PeerConfig(c.protocol(), c.dispatch(), data, c.listenEndpoints(), c.connectEndpoints(),
                c.maxClients(), c.maxBacklog(), c.maxConcurrentCalls(), c.establishTimeout(), c.idleTimeout(),
                c.keepAlive(), c.callTimeout(), c.sessionConstructor(), c.sessionDestructor(), c.blockingScheduler(),
                c.limits(), c.reconnect(), c.tls(), c.outbound(), c.observing()));
    }

    /**
     * Adds endpoints to listen on when started.
     *
     * @param endpoints TCP, UNIX or already-listening endpoints
     * @return the new spec
     */
    public Peer listen(PeerEndpoint... endpoints) {
        List<PeerEndpoint> all = new ArrayList<>(config.listenEndpoints());
        all.addAll(List.of(endpoints));
        PeerConfig c = config;
        return with(new PeerConfig(c.protocol(), c.dispatch(), c.dispatchData(), List.copyOf(all), c.connectEndpoints(),
                c.maxClients(), c.maxBacklog(), c.maxConcurrentCalls(), c.establishTimeout(), c.idleTimeout(),
                c.keepAlive(), c.callTimeout(), c.sessionConstructor(), c.sessionDestructor(), c.blockingScheduler(),
                c.limits(), c.reconnect(), c.tls(), c.outbound(), c.observing()));
    }

    /**
     * Adds endpoints to connect to, tried in order on each connection attempt.
     *
     * @param endpoints TCP or UNIX endpoints
     * @return the new spec
     */
    public Peer connectTo(PeerEndpoint... endpoints) {
        for (PeerEndpoint e : endpoints) {
            if (e instanceof PeerEndpoint.Listening) {
                throw new IllegalArgumentException("cannot connect to a listening channel; use LivePeer.connect(channel)");
            }
        }
        List<PeerEndpoint> all = new ArrayList<>(config.connectEndpoints());
        all.addAll(List.of(endpoints));
        PeerConfig c = config;
        return with(new PeerConfig(c.protocol(), c.dispatch(), c.dispatchData(), c.listenEndpoints(), List.copyOf(all),
                c.maxClients(), c.maxBacklog(), c.maxConcurrentCalls(), c.establishTimeout(), c.idleTimeout(),
                c.keepAlive(), c.callTimeout(), c.sessionConstructor(), c.sessionDestructor(), c.blockingScheduler(),
                c.limits(), c.reconnect(), c.tls(), c.outbound(), c.observing()));
    }

    /**
     * Caps simultaneous incoming associations; more wait, unread, in the backlog.
     *
     * @param maxClients at least 1
     * @return the new spec
     */
    public Peer maxClients(int maxClients) {
        requirePositive("maxClients", maxClients);
        PeerConfig c = config;
        return with(new PeerConfig(c.protocol(), c.dispatch(), c.dispatchData(), c.listenEndpoints(), c.connectEndpoints(),
                maxClients, c.maxBacklog(), c.maxConcurrentCalls(), c.establishTimeout(), c.idleTimeout(), c.keepAlive(),
                c.callTimeout(), c.sessionConstructor(), c.sessionDestructor(), c.blockingScheduler(), c.limits(),
                c.reconnect(), c.tls(), c.outbound(), c.observing()));
    }

    /**
     * Caps associations waiting for a client slot; beyond it, connections are refused with
     * {@link PeerStatus#BUSY}.
     *
     * @param maxBacklog zero or more
     * @return the new spec
     */
    public Peer maxBacklog(int maxBacklog) {
        if (maxBacklog < 0) {
            throw new IllegalArgumentException("maxBacklog must not be negative, was " + maxBacklog);
        }
        PeerConfig c = config;
        return with(new PeerConfig(c.protocol(), c.dispatch(), c.dispatchData(), c.listenEndpoints(), c.connectEndpoints(),
                c.maxClients(), maxBacklog, c.maxConcurrentCalls(), c.establishTimeout(), c.idleTimeout(), c.keepAlive(),
                c.callTimeout(), c.sessionConstructor(), c.sessionDestructor(), c.blockingScheduler(), c.limits(),
                c.reconnect(), c.tls(), c.outbound(), c.observing()));
    }

    /**
     * Caps concurrent incoming calls per connection. A call beyond the cap is refused at once with
     * {@link PeerStatus#BUSY}; the calls already running go on (their demand and cancellation keep
     * flowing), so callers should bound their own concurrency, for example with
     * {@code flatMap(..., concurrency)}.
     *
     * @param maxConcurrentCalls at least 1
     * @return the new spec
     */
    public Peer maxConcurrentCalls(int maxConcurrentCalls) {
        requirePositive("maxConcurrentCalls", maxConcurrentCalls);
        PeerConfig c = config;
        return with(new PeerConfig(c.protocol(), c.dispatch(), c.dispatchData(), c.listenEndpoints(), c.connectEndpoints(),
                c.maxClients(), c.maxBacklog(), maxConcurrentCalls, c.establishTimeout(), c.idleTimeout(), c.keepAlive(),
                c.callTimeout(), c.sessionConstructor(), c.sessionDestructor(), c.blockingScheduler(), c.limits(),
                c.reconnect(), c.tls(), c.outbound(), c.observing()));
    }

    /**
     * The timeouts (lwmsg's {@code set_timeout}); {@link Duration#ZERO} disables one.
     *
     * @param establish connecting plus the HELLO exchange
     * @param idle closing a connection on which nothing arrived
     * @param call a unary call's answer, or the gap between a stream's elements
     * @return the new spec
     */
    public Peer timeouts(Duration establish, Duration idle, Duration call) {
        PeerConfig c = config;
        return with(new PeerConfig(c.protocol(), c.dispatch(), c.dispatchData(), c.listenEndpoints(), c.connectEndpoints(),
                c.maxClients(), c.maxBacklog(), c.maxConcurrentCalls(), nonNegative(establish), nonNegative(idle),
                c.keepAlive(), nonNegative(call), c.sessionConstructor(), c.sessionDestructor(), c.blockingScheduler(),
                c.limits(), c.reconnect(), c.tls(), c.outbound(), c.observing()));
    }

    /**
     * @param interval how often to ping a connection this side has sent nothing on; zero for never
     * @return the new spec
     */
    public Peer keepAlive(Duration interval) {
        PeerConfig c = config;
        return with(new PeerConfig(c.protocol(), c.dispatch(), c.dispatchData(), c.listenEndpoints(), c.connectEndpoints(),
                c.maxClients(), c.maxBacklog(), c.maxConcurrentCalls(), c.establishTimeout(), c.idleTimeout(),
                nonNegative(interval), c.callTimeout(), c.sessionConstructor(), c.sessionDestructor(),
                c.blockingScheduler(), c.limits(), c.reconnect(), c.tls(), c.outbound(), c.observing()));
    }

    /**
     * Session hooks for accepted associations (lwmsg's listen session functions): the constructor
     * runs once the HELLO exchange is done, on the event loop, and returns the session's context; the
     * destructor gets it back when the session ends. Neither may block.
     *
     * @param constructor returns the context (or {@code null})
     * @param destructor cleans the context up
     * @return the new spec
     */
    public Peer sessionHooks(Function<? super PeerSession, ?> constructor, BiConsumer<? super PeerSession, Object> destructor) {
        PeerConfig c = config;
        return with(new PeerConfig(c.protocol(), c.dispatch(), c.dispatchData(), c.listenEndpoints(), c.connectEndpoints(),
                c.maxClients(), c.maxBacklog(), c.maxConcurrentCalls(), c.establishTimeout(), c.idleTimeout(),
                c.keepAlive(), c.callTimeout(), Objects.requireNonNull(constructor, "constructor"),
                Objects.requireNonNull(destructor, "destructor"), c.blockingScheduler(), c.limits(), c.reconnect(), c.tls(), c.outbound(), c.observing()));
    }

    /**
     * @param scheduler where blocking handlers run; must be bounded
     * @return the new spec
     */
    public Peer blockingScheduler(Scheduler scheduler) {
        PeerConfig c = config;
        return with(new PeerConfig(c.protocol(), c.dispatch(), c.dispatchData(), c.listenEndpoints(), c.connectEndpoints(),
                c.maxClients(), c.maxBacklog(), c.maxConcurrentCalls(), c.establishTimeout(), c.idleTimeout(),
                c.keepAlive(), c.callTimeout(), c.sessionConstructor(), c.sessionDestructor(),
                Objects.requireNonNull(scheduler, "scheduler"), c.limits(), c.reconnect(), c.tls(), c.outbound(), c.observing()));
    }

    /**
     * @param limits frame size (as {@code maxMessageBytes}) and payload limits for decoding
     * @return the new spec
     */
    public Peer limits(Limits limits) {
        PeerConfig c = config;
        return with(new PeerConfig(c.protocol(), c.dispatch(), c.dispatchData(), c.listenEndpoints(), c.connectEndpoints(),
                c.maxClients(), c.maxBacklog(), c.maxConcurrentCalls(), c.establishTimeout(), c.idleTimeout(),
                c.keepAlive(), c.callTimeout(), c.sessionConstructor(), c.sessionDestructor(), c.blockingScheduler(),
                Objects.requireNonNull(limits, "limits"), c.reconnect(), c.tls(), c.outbound(), c.observing()));
    }

    /**
     * How a client session retries a failed connection attempt (each attempt tries every connect
     * endpoint in order), for example {@code Retry.backoff(5, Duration.ofMillis(100))}.
     *
     * @param retry the retry policy
     * @return the new spec
     */
    public Peer reconnect(Retry retry) {
        PeerConfig c = config;
        return with(new PeerConfig(c.protocol(), c.dispatch(), c.dispatchData(), c.listenEndpoints(), c.connectEndpoints(),
                c.maxClients(), c.maxBacklog(), c.maxConcurrentCalls(), c.establishTimeout(), c.idleTimeout(),
                c.keepAlive(), c.callTimeout(), c.sessionConstructor(), c.sessionDestructor(), c.blockingScheduler(),
                c.limits(), Objects.requireNonNull(retry, "retry"), c.tls(), c.outbound(), c.observing()));
    }

    /**
     * Secures connections with TLS. A context built with {@code SslContextBuilder.forServer(...)}
     * secures the connections this peer accepts; one built with {@code forClient()} secures the
     * connections it makes, with the endpoint's host name for SNI and for the host-name check the
     * context does (Netty's client contexts check it by default). Give both for a peer that does
     * both. The handshake completes before HELLO; a failed handshake fails the connection with
     * {@link PeerStatus#TLS_FAILED}, and {@link PeerSession#tlsSession()} shows the outcome.
     *
     * @param context a server or client context
     * @return the new spec
     */
    public Peer secure(SslContext context) {
        Objects.requireNonNull(context, "context");
        PeerConfig c = config;
        PeerTls tls = context.isServer() ? new PeerTls(context, c.tls().client()) : new PeerTls(c.tls().server(), context);
        return with(new PeerConfig(c.protocol(), c.dispatch(), c.dispatchData(), c.listenEndpoints(), c.connectEndpoints(),
                c.maxClients(), c.maxBacklog(), c.maxConcurrentCalls(), c.establishTimeout(), c.idleTimeout(),
                c.keepAlive(), c.callTimeout(), c.sessionConstructor(), c.sessionDestructor(), c.blockingScheduler(),
                c.limits(), c.reconnect(), tls, c.outbound(), c.observing()));
    }

    /**
     * Caps the bytes a connection may have queued for a remote peer that does not read them (replies
     * to a flood of requests, stream elements): above {@code maxPendingBytes} this side stops
     * reading from that connection (so the remote's requests wait in its own socket buffers, not
     * here) and reads again once the queue has drained to half; a connection that stays above the cap
     * for {@code stallTimeout} is closed with {@link PeerStatus#TIMEOUT}, counted in
     * {@link LivePeer#stalledConnections()}. Defaults: 1 MiB and 30 seconds.
     *
     * @param maxPendingBytes at least 1024
     * @param stallTimeout positive
     * @return the new spec
     */
    public Peer outboundLimit(int maxPendingBytes, Duration stallTimeout) {
        if (maxPendingBytes < 1024) {
            throw new IllegalArgumentException("maxPendingBytes must be at least 1024, was " + maxPendingBytes);
        }
        if (stallTimeout.isNegative() || stallTimeout.isZero()) {
            throw new IllegalArgumentException("stallTimeout must be positive, was " + stallTimeout);
        }
        PeerConfig c = config;
        return with(new PeerConfig(c.protocol(), c.dispatch(), c.dispatchData(), c.listenEndpoints(), c.connectEndpoints(),
                c.maxClients(), c.maxBacklog(), c.maxConcurrentCalls(), c.establishTimeout(), c.idleTimeout(),
                c.keepAlive(), c.callTimeout(), c.sessionConstructor(), c.sessionDestructor(), c.blockingScheduler(),
                c.limits(), c.reconnect(), c.tls(), new PeerConfig.Outbound(maxPendingBytes, stallTimeout), c.observing()));
    }

    /**
     * Starts the peer: binds every listen endpoint (lwmsg's {@code start_listen}); completes once
     * all are ready. Nothing happens until subscription.
     *
     * @return the live peer
     */
    public Mono<LivePeer> start() {
        return Mono.defer(() -> {
            LivePeer peer = new LivePeer(config);
            return peer.startListening().thenReturn(peer).onErrorResume(e -> {
                peer.dispose();
                return Mono.error(e);
            });
        });
    }

    private static void requirePositive(String name, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be positive, was " + value);
        }
    }

    private static Duration nonNegative(Duration d) {
        if (Objects.requireNonNull(d, "duration").isNegative()) {
            throw new IllegalArgumentException("durations must not be negative, was " + d);
        }
        return d;
    }
}
