package io.sluice.messaging;

import io.sluice.error.SluiceException;
import io.sluice.event.EventStream;
import io.sluice.messaging.sasl.Authenticated;
import io.sluice.messaging.sasl.SaslClientExchange;
import io.sluice.messaging.sasl.SaslErrorCode;
import io.sluice.messaging.sasl.SaslException;
import io.sluice.messaging.sasl.SaslServerExchange;
import io.sluice.peer.CallType;
import io.sluice.peer.LivePeer;
import io.sluice.peer.PeerException;
import io.sluice.peer.PeerSession;
import io.sluice.peer.PeerStatus;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLSession;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * An open messaging session (SOM's {@code SOMSession} after {@code SOMSessionOpen}): authenticated
 * to a server, calling the facilities it was created for.
 *
 * <p>Facility calls are subordinate objects of the session: {@link #clear} of their facility ends
 * them (with {@link MessagingErrorCode#CLEARED}) here and releases what the server holds for them.
 * {@link #close()} logs out and closes the connection; {@link #dispose()} is clear-all plus close.
 * A lost connection closes the session. As SOM allows, a session can be opened again after it
 * closed, and moved to another host, port or TLS environment ({@link #reopen(MessagingClient,
 * String, int, Credentials)}). Thread-safe; calls may be made from any thread.
 */
public final class MessagingSession implements Disposable {

    private static final int MAX_SASL_STEPS = 8;

    private final List<Facility> facilities;
    private final Map<Facility, Set<Subordinate>> objects = new ConcurrentHashMap<>();
    private volatile EventStream<MessagingEvent> events = EventStream.create(256);
    private volatile Link link;
    private volatile Authenticated who;
    private volatile boolean closed;

    /** One connection to one server, made with one client spec: what a move replaces whole. */
    private static final class Link {
        final MessagingClient client;
        final String host;
        final int port;
        final LivePeer peer;
        final PeerSession connection;
        volatile SessionProtocol.ServerHello server;

        Link(MessagingClient client, String host, int port, LivePeer peer) {
            this.client = client;
            this.host = host;
            this.port = port;
            this.peer = peer;
            this.connection = peer.connect();
        }
    }

    MessagingSession(MessagingClient client, String host, int port, LivePeer peer) {
        this.facilities = client.facilities();
        this.link = new Link(client, host, port, peer);
    }

    // ---- opening and authentication --------------------------------------------------------

    Mono<Authenticated> authenticate(Credentials credentials) {
        return authenticateOn(link, credentials).doOnNext(a -> who = a);
    }

    private Mono<Authenticated> authenticateOn(Link l, Credentials credentials) {
        String host = l.host;
        Mono<SessionProtocol.ServerHello> hello = l.server != null ? Mono.just(l.server)
                : sessionCall(l, SessionProtocol.HELLO, new SessionProtocol.Hello(l.client.service())).doOnNext(h -> {
                    l.server = h;
                    watchConnection(l);
                });
        return hello.flatMap(h -> {
            List<String> missing = facilities.stream().map(Facility::name).filter(n -> !h.facilities().contains(n)).toList();
            if (!missing.isEmpty()) {
                return Mono.error(new MessagingException(MessagingErrorCode.UNKNOWN_FACILITY, "server " + host + " does not provide "
                        + missing + "; it provides " + h.facilities()));
            }
            String mechanism = choose(l, credentials, h.mechanisms());
            return Mono.fromCallable(() -> SaslClientExchange.start(mechanism, l.client.service(), h.serverName(),
                            credentials.user().orElse(""), credentials.password(), credentials.role()))
                    .subscribeOn(Schedulers.parallel())
                    .flatMap(exchange -> sessionCall(l, SessionProtocol.AUTH_START, new SessionProtocol.AuthStart(mechanism,
                                    exchange.initialResponse()))
                            .flatMap(first -> steps(l, exchange, first, 1)));
        }).map(done -> new Authenticated(done.mechanism(), done.user(), done.role(), done.anonymous()));
    }

    private Mono<SessionProtocol.AuthStep> steps(Link l, SaslClientExchange exchange, SessionProtocol.AuthStep step, int count) {
        if (step.done()) {
            return Mono.fromCallable(() -> {
                exchange.complete(step.data());
                return step;
            }).subscribeOn(Schedulers.parallel());
        }
        if (count >= MAX_SASL_STEPS) {
            return Mono.error(new MessagingException(MessagingErrorCode.PROTOCOL, exchange.mechanism() + " took more than "
                    + MAX_SASL_STEPS + " steps"));
        }
        return Mono.fromCallable(() -> exchange.evaluate(step.data())).subscribeOn(Schedulers.parallel())
                .flatMap(response -> sessionCall(l, SessionProtocol.AUTH_STEP, response))
                .flatMap(next -> steps(l, exchange, next, count + 1));
    }

    private String choose(Link l, Credentials credentials, List<String> offered) {
        String host = l.host;
        Optional<String> asked = credentials.mechanism();
        if (asked.isEmpty() && credentials.kind() == Credentials.Kind.ANONYMOUS) {
            asked = Optional.of(SaslServerExchange.ANONYMOUS);
        }
        if (asked.isPresent()) {
            if (!offered.contains(asked.get())) {
                String hint = asked.get().equals(SaslServerExchange.EXTERNAL)
                        ? " (EXTERNAL needs TLS with a client identity the server trusts)"
                        : asked.get().equals(SaslServerExchange.PLAIN) && !l.server.tls() ? " (PLAIN is offered only over TLS)" : "";
                throw new SaslException(SaslErrorCode.MECHANISM_NOT_OFFERED, "server " + host + " does not offer " + asked.get()
                        + hint + "; it offers " + offered);
            }
            return asked.get();
        }
        for (String m : SaslClientExchange.PREFERENCE) {
            if (offered.contains(m)) {
                return m;
            }
        }
        throw new SaslException(SaslErrorCode.MECHANISM_NOT_OFFERED, "server " + host + " offers none of the password mechanisms "
                + SaslClientExchange.PREFERENCE + "; it offers " + offered);
    }

    private void watchConnection(Link l) {
        l.connection.states().filter(s -> s == PeerSession.State.IDLE || s == PeerSession.State.CLOSED).next().subscribe(s -> {
            synchronized (this) {
                if (closed || link != l) {
                    return; // closed on purpose, or a link the session moved away from
                }
                closed = true;
                who = null;
            }
            MessagingException lost = new MessagingException(MessagingErrorCode.CONNECTION_LOST, "the connection to " + l.host
                    + " was lost; reopen the session or open a new one");
            endAll(List.copyOf(objects.keySet()), lost);
            EventStream<MessagingEvent> e = events;
            e.emit(new MessagingEvent.ConnectionLost(lost));
            e.complete();
            l.peer.dispose();
        });
    }

    // ---- the seed's functions --------------------------------------------------------------

    /** @return whether the session is authenticated ({@code SOMSessionAuthenticated}) */
    public boolean authenticated() {
        return who != null && !closed;
    }

    /** @return who the session is authenticated as, if it is */
    public Optional<Authenticated> who() {
        return closed ? Optional.empty() : Optional.ofNullable(who);
    }

    /** @return the mechanisms the server offered on this connection */
    public List<String> offeredMechanisms() {
        SessionProtocol.ServerHello h = link.server;
        return h == null ? List.of() : h.mechanisms();
    }

    /** @return the host the session is opened to */
    public String host() {
        return link.host;
    }

    /** @return the port the session is opened to */
    public int port() {
        return link.port;
    }

    /** @return the facilities this session was created for */
    public List<Facility> facilities() {
        return facilities;
    }

    /** @return the TLS session, or empty without TLS */
    public Optional<SSLSession> tlsSession() {
        return Optional.ofNullable(link.connection.tlsSession());
    }

    /** @return the server's address while connected, else null */
    public SocketAddress remoteAddress() {
        return link.connection.remoteAddress();
    }

    /**
     * Authenticates again with new credentials (SOM's open on an open session). On an open session
     * this happens on the same connection: the previous authentication ends first, and with it the
     * session's subordinate objects on both sides; on failure the session stays connected but
     * unauthenticated, and {@code reopen} may be tried again. On a closed session (closed on
     * purpose or by a lost connection) it connects again to the same host and port with the same
     * client spec, and the session is open again; its {@link #events()} are a new stream then.
     *
     * @param credentials the new credentials
     * @return who the session is now authenticated as
     */
    public Mono<Authenticated> reopen(Credentials credentials) {
        return Mono.defer(() -> {
            Link l = link;
            if (closed) {
                return moveTo(l.client, l.host, l.port, credentials);
            }
            who = null;
            endAll(List.copyOf(objects.keySet()), new MessagingException(MessagingErrorCode.CLEARED, "the session re-authenticated"));
            return sessionCall(l, SessionProtocol.LOGOUT, new byte[0]).then(authenticate(credentials))
                    .doOnNext(a -> events.emit(new MessagingEvent.Reauthenticated(a)))
                    .doOnError(SluiceException.class, e -> events.emit(new MessagingEvent.AuthenticationFailed(e)));
        });
    }

    /**
     * Moves the session to another server, port or TLS environment (SOM's open on an open session
     * with another host, or after {@code SOMSessionSetTLS}): connects with {@code client}'s TLS,
     * authenticates there, and only then ends the session's subordinate objects (CLEARED), logs out
     * of the old server and closes that connection. If the new server cannot be reached or refuses
     * the credentials, the session stays as it was. Works on a closed session too, which is then
     * open again.
     *
     * @param client the spec to connect with: its TLS and service; it must include the session's facilities
     * @param host the server's host
     * @param port the server's port
     * @param credentials who to authenticate as there
     * @return who the session is now authenticated as
     */
    public Mono<Authenticated> reopen(MessagingClient client, String host, int port, Credentials credentials) {
        return Mono.defer(() -> {
            if (!client.facilities().containsAll(facilities)) {
                return Mono.error(new MessagingException(MessagingErrorCode.FACILITY_NOT_REQUESTED, "the session uses "
                        + facilities.stream().map(Facility::name).toList() + ", and " + client + " does not"));
            }
            return moveTo(client, host, port, credentials);
        });
    }

    private Mono<Authenticated> moveTo(MessagingClient client, String host, int port, Credentials credentials) {
        return client.connect(host, port).flatMap(peer -> {
            Link fresh = new Link(client, host, port, peer);
            return authenticateOn(fresh, credentials)
                    .doOnCancel(peer::dispose)
                    .onErrorResume(e -> {
                        peer.dispose();
                        return Mono.error(e);
                    })
                    .map(a -> {
                        moved(fresh, a);
                        return a;
                    });
        }).doOnNext(a -> events.emit(new MessagingEvent.Reauthenticated(a)))
                .doOnError(SluiceException.class, e -> events.emit(new MessagingEvent.AuthenticationFailed(e)));
    }

    private void moved(Link fresh, Authenticated a) {
        Link old;
        boolean wasClosed;
        synchronized (this) {
            old = link;
            wasClosed = closed;
            link = fresh;
            who = a;
            closed = false;
            if (wasClosed) {
                events = EventStream.create(256);
            }
        }
        if (!wasClosed) {
            endAll(List.copyOf(objects.keySet()), new MessagingException(MessagingErrorCode.CLEARED, "the session moved to "
                    + fresh.host + ":" + fresh.port));
            retire(old);
        }
    }

    /** Logs out of a link the session left and closes it, in the background. */
    private static void retire(Link old) {
        leave(old).subscribe(null, e -> { });
    }

    /** Logs out (the server releases what it held for the session), disconnects and disposes the link's peer; never fails. */
    private static Mono<Void> leave(Link l) {
        return l.connection.call(SessionProtocol.LOGOUT, new byte[0]).timeout(l.client.timeout()).onErrorResume(e -> Mono.empty())
                .then(l.connection.disconnect()).onErrorResume(e -> Mono.empty())
                .doFinally(s -> l.peer.dispose());
    }

    /**
     * Makes a unary facility call.
     *
     * @param type a call type of one of the session's facilities
     * @param request the request; a {@code ByteBuf} stays owned by the caller
     * @param <Q> the request type
     * @param <R> the response type
     * @return the response; fails with {@link MessagingException} (not authenticated, not
     *     authorized, cleared, closed) or the facility's own {@link PeerException}
     */
    public <Q, R> Mono<R> call(CallType<Q, R> type, Q request) {
        return facilityCall(type, request).next();
    }

    /**
     * Makes a stream facility call; the subscriber's demand reaches the server's handler.
     *
     * @param type a stream call type of one of the session's facilities
     * @param request the request
     * @param <Q> the request type
     * @param <R> the element type
     * @return the elements
     */
    public <Q, R> Flux<R> stream(CallType<Q, R> type, Q request) {
        return facilityCall(type, request);
    }

    private <Q, R> Flux<R> facilityCall(CallType<Q, R> type, Q request) {
        return Flux.defer(() -> {
            Facility facility = facilities.stream().filter(f -> f.contains(type)).findFirst().orElse(null);
            if (facility == null) {
                return Flux.error(new MessagingException(MessagingErrorCode.FACILITY_NOT_REQUESTED, type + " belongs to none of "
                        + facilities.stream().map(Facility::name).toList() + ", the facilities this session was created for"));
            }
            if (closed) {
                return Flux.error(closedError());
            }
            Subordinate object = new Subordinate();
            Set<Subordinate> set = objects.computeIfAbsent(facility, f -> ConcurrentHashMap.newKeySet());
            set.add(object);
            PeerSession connection = link.connection;
            Flux<R> answer = type.kind() == CallType.Kind.UNARY ? connection.call(type, request).flux() : connection.stream(type, request);
            return object.guard(answer.onErrorMap(MessagingSession::translate)).doFinally(s -> set.remove(object));
        });
    }

    /**
     * Clears subordinate objects ({@code SOMSessionClear}): calls in progress of those facilities
     * end with {@link MessagingErrorCode#CLEARED}, and the server releases what it holds for them.
     *
     * @param facilities the facilities, or {@link Facility#ALL}
     * @return how many live objects the server released
     */
    public Mono<Integer> clear(Facility... facilities) {
        return Mono.defer(() -> {
            if (closed) {
                return Mono.error(closedError());
            }
            List<Facility> chosen = new ArrayList<>();
            boolean all = false;
            for (Facility f : facilities) {
                if (f == Facility.ALL) {
                    all = true;
                } else if (!this.facilities.contains(f)) {
                    return Mono.error(new MessagingException(MessagingErrorCode.FACILITY_NOT_REQUESTED, "cannot clear " + f
                            + ": the session was created for " + this.facilities.stream().map(Facility::name).toList()));
                } else {
                    chosen.add(f);
                }
            }
            if (all || facilities.length == 0) {
                chosen = this.facilities;
            }
            List<String> names = chosen.stream().map(Facility::name).toList();
            List<Facility> which = chosen;
            // The server first: its objects end with CLEARED on the wire, not with a local cancel it never sees.
            return sessionCall(link, SessionProtocol.CLEAR, all ? List.<String>of() : names).doOnNext(released -> {
                int local = endAll(which, new MessagingException(MessagingErrorCode.CLEARED, "cleared with " + names));
                events.emit(new MessagingEvent.Cleared(names, released, local));
            });
        });
    }

    private int endAll(List<Facility> which, MessagingException why) {
        int count = 0;
        for (Facility f : which) {
            Set<Subordinate> set = objects.get(f);
            if (set != null) {
                for (Subordinate s : set) {
                    if (!s.isDisposed()) {
                        count++;
                        s.end(why);
                    }
                }
            }
        }
        return count;
    }

    /**
     * Events after opening: re-authentication, clears, the end of the session. Hot; a slow
     * subscriber loses the oldest (256 are kept).
     *
     * @return the events; completes when the session is closed
     */
    public Flux<MessagingEvent> events() {
        return events.events();
    }

    /**
     * Logs out (the server releases the session's objects) and closes the connection
     * ({@code SOMSessionClose}). Calls in progress end with {@link MessagingErrorCode#CLOSED}.
     *
     * @return completes when the connection is closed
     */
    public Mono<Void> close() {
        return Mono.defer(() -> {
            Link l;
            synchronized (this) {
                l = link;
                if (closed) {
                    return l.peer.onDispose();
                }
                closed = true;
                who = null;
            }
            endAll(List.copyOf(objects.keySet()), closedError());
            EventStream<MessagingEvent> e = events;
            return leave(l)
                    .doFinally(s -> {
                        e.emit(new MessagingEvent.Closed());
                        e.complete();
                    })
                    .then(l.peer.onDispose());
        });
    }

    /**
     * Clear-all and close ({@code SOMSessionDelete}), without waiting: the server is asked to clear
     * every facility's objects first (the {@link MessagingEvent.Cleared} event follows), then the
     * session closes as with {@link #close()}. An unauthenticated session has nothing to clear and
     * just closes.
     */
    @Override
    public void dispose() {
        Mono<Integer> clearAll = authenticated() ? clear(Facility.ALL).onErrorResume(e -> Mono.empty()) : Mono.empty();
        clearAll.then(close()).subscribe(null, e -> { });
    }

    @Override
    public boolean isDisposed() {
        return closed;
    }

    private MessagingException closedError() {
        return new MessagingException(MessagingErrorCode.CLOSED, "the session with " + link.host + " is closed");
    }

    // ---- calls and errors ------------------------------------------------------------------

    private static <Q, R> Mono<R> sessionCall(Link l, CallType<Q, R> type, Q request) {
        Duration timeout = l.client.timeout();
        return l.connection.call(type, request).timeout(timeout)
                .onErrorMap(TimeoutException.class, e -> new MessagingException(MessagingErrorCode.TIMEOUT, "no answer from " + l.host
                        + " within " + timeout.toMillis() + " ms", e))
                .onErrorMap(MessagingSession::translate);
    }

    /** Errors from the wire become the codes they carry; connection failures become messaging codes. */
    static Throwable translate(Throwable e) {
        if (!(e instanceof PeerException p)) {
            return e;
        }
        if (p.status() == PeerStatus.APPLICATION) {
            var code = MessagingErrorCode.of(p.wireStatus());
            if (code.isPresent()) {
                String detail = p.detail();
                return code.get() instanceof SaslErrorCode s ? new SaslException(s, detail)
                        : new MessagingException((MessagingErrorCode) code.get(), detail);
            }
            return e;
        }
        return switch (p.status()) {
            case TLS_FAILED -> new MessagingException(MessagingErrorCode.TLS_FAILED, p.detail(), p);
            case UNAVAILABLE -> new MessagingException(MessagingErrorCode.CONNECT_FAILED, p.detail(), p);
            case TIMEOUT -> new MessagingException(MessagingErrorCode.TIMEOUT, p.detail(), p);
            case CONNECTION_LOST, SHUTDOWN -> new MessagingException(MessagingErrorCode.CONNECTION_LOST, p.detail(), p);
            case PROTOCOL, UNSUPPORTED_VERSION, UNKNOWN_TAG -> new MessagingException(MessagingErrorCode.PROTOCOL, p.detail(), p);
            default -> e;
        };
    }

    @Override
    public String toString() {
        Authenticated a = who;
        return "MessagingSession[" + link.host + ":" + link.port + (a == null ? ", not authenticated" : ", " + a.user() + " as " + a.role() + " by " + a.mechanism())
                + (closed ? ", closed" : "") + "]";
    }
}
