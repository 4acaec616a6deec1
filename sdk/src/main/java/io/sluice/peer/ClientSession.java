package io.sluice.peer;

import io.sluice.session.Attributes;
import io.sluice.session.StateMachine;
import io.sluice.session.Transitions;
import java.net.SocketAddress;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import reactor.core.Exceptions;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * The session {@link LivePeer#connect()} returns: it connects on the first call, trying the connect
 * endpoints in order (retried by the spec's reconnect policy), and connects again on the next call
 * after the connection is lost. Thread-safe; concurrent first calls share one connection attempt.
 */
final class ClientSession implements PeerSession {

    private static final Transitions<State> TRANSITIONS = Transitions.startingAt(State.IDLE)
            .allow(State.IDLE, State.CONNECTING, State.CLOSED)
            .allow(State.CONNECTING, State.ESTABLISHED, State.IDLE, State.CLOSED)
            .allow(State.ESTABLISHED, State.IDLE, State.CLOSED)
            .terminal(State.CLOSED)
            .build();

    private final LivePeer peer;
    private final StateMachine<State> state = StateMachine.create(this, TRANSITIONS);
    private final Attributes attributes = new Attributes();
    private final AtomicReference<Mono<Association>> attempt = new AtomicReference<>();
    private final Sinks.Empty<Void> closed = Sinks.empty();
    private volatile Association current;
    private volatile boolean disconnected;

    ClientSession(LivePeer peer) {
        this.peer = peer;
    }

    private Mono<Association> association() {
        return Mono.defer(() -> {
            if (disconnected) {
                return Mono.error(PeerException.of(PeerStatus.CANCELLED, this + " was disconnected; connect() a new session"));
            }
            Association a = current;
            if (a != null && a.state() == State.ESTABLISHED) {
                return Mono.just(a);
            }
            Mono<Association> pending = attempt.get();
            if (pending != null) {
                return pending;
            }
            // Attaching belongs to the attempt, not to whichever caller started it: the attempt is
            // subscribed here, so a first caller that cancels or times out mid-connect leaves it to
            // finish, attach (or fail and clear) for everyone after.
            @SuppressWarnings("unchecked")
            Mono<Association>[] self = new Mono[1];
            Mono<Association> fresh = connectInOrder().retryWhen(peer.config().reconnect())
                    .onErrorMap(Exceptions::isRetryExhausted, e -> e.getCause() != null ? e.getCause() : e)
                    .doOnNext(this::attached)
                    .doOnError(e -> {
                        attempt.compareAndSet(self[0], null);
                        state.compareAndTransition(State.CONNECTING, State.IDLE);
                    })
                    .cache();
            self[0] = fresh;
            if (!attempt.compareAndSet(null, fresh)) {
                return association();
            }
            state.compareAndTransition(State.IDLE, State.CONNECTING);
            fresh.subscribe(attachedAssociation -> { }, failure -> { });
            return fresh;
        });
    }

    private Mono<Association> connectInOrder() {
        List<PeerEndpoint> endpoints = peer.config().connectEndpoints();
        Mono<Association> chain = Mono.error(PeerException.of(PeerStatus.UNAVAILABLE, "no connect endpoints"));
        PeerException[] failure = new PeerException[1];
        for (int i = endpoints.size() - 1; i >= 0; i--) {
            PeerEndpoint endpoint = endpoints.get(i);
            Mono<Association> rest = chain;
            boolean last = i == endpoints.size() - 1;
            chain = Mono.defer(() -> peer.connectTo(endpoint)).onErrorResume(e -> {
                PeerException reason = e instanceof PeerException pe ? pe
                        : PeerException.of(PeerStatus.UNAVAILABLE, "could not connect to " + endpoint + ": " + e.getMessage(), e);
                if (endpoints.size() == 1) {
                    return Mono.error(reason);
                }
                if (failure[0] == null) {
                    failure[0] = PeerException.of(PeerStatus.UNAVAILABLE, "none of " + endpoints + " could be connected");
                }
                failure[0].addSuppressed(reason);
                return last ? Mono.error(failure[0]) : rest;
            });
        }
        return Mono.defer(() -> {
            failure[0] = null;
            return Mono.empty();
        }).then(chain);
    }

    private void attached(Association a) {
        if (disconnected) {
            a.disconnect().subscribe();
            return;
        }
        current = a;
        state.compareAndTransition(State.CONNECTING, State.ESTABLISHED);
        a.onClose().subscribe(null, null, () -> {
            current = null;
            attempt.set(null);
            state.compareAndTransition(State.ESTABLISHED, State.IDLE);
        });
        attempt.set(null);
    }

    @Override
    public <Q, R> Mono<R> call(CallType<Q, R> type, Q request) {
        peer.config().requireType(type, CallType.Kind.UNARY);
        return association().flatMap(a -> a.call(type, request));
    }

    @Override
    public <Q, R> Flux<R> stream(CallType<Q, R> type, Q request) {
        peer.config().requireType(type, CallType.Kind.STREAM);
        return association().flatMapMany(a -> a.stream(type, request));
    }

    @Override
    public State state() {
        return state.current();
    }

    @Override
    public Flux<State> states() {
        return state.states();
    }

    @Override
    public Object context() {
        return null;
    }

    @Override
    public Attributes attributes() {
        return attributes;
    }

    @Override
    public javax.net.ssl.SSLSession tlsSession() {
        Association a = current;
        return a == null ? null : a.tlsSession();
    }

    @Override
    public SocketAddress remoteAddress() {
        Association a = current;
        return a == null ? null : a.remoteAddress();
    }

    @Override
    public SocketAddress localAddress() {
        Association a = current;
        return a == null ? null : a.localAddress();
    }

    @Override
    public Mono<Void> disconnect() {
        return Mono.defer(() -> {
            disconnected = true;
            if (!state.isTerminal()) {
                state.transition(State.CLOSED);
            }
            peer.forget(this);
            Association a = current;
            current = null;
            Mono<Void> closing = a == null ? Mono.empty() : a.disconnect();
            return closing.then(Mono.fromRunnable(closed::tryEmitEmpty));
        });
    }

    @Override
    public Mono<Void> onClose() {
        return closed.asMono();
    }

    @Override
    public String toString() {
        return "client session to " + peer.config().connectEndpoints();
    }
}
