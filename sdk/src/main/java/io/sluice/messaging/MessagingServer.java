package io.sluice.messaging;

import io.netty.util.ReferenceCountUtil;
import io.sluice.error.ErrorCode;
import io.sluice.messaging.sasl.Authenticator;
import io.sluice.messaging.sasl.Nonces;
import io.sluice.messaging.sasl.SaslErrorCode;
import io.sluice.messaging.sasl.SaslException;
import io.sluice.messaging.sasl.SaslServerExchange;
import io.sluice.messaging.sasl.SaslStep;
import io.sluice.peer.CallType;
import io.sluice.peer.Dispatch;
import io.sluice.peer.IncomingCall;
import io.sluice.peer.Peer;
import io.sluice.peer.PeerEndpoint;
import io.sluice.peer.PeerException;
import io.sluice.metrics.Count;
import io.sluice.metrics.MeterGroup;
import io.sluice.metrics.SluiceMeters;
import io.sluice.wiretap.Wiretap;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A messaging server, as a spec: the server side of SOM sessions. Clients authenticate with SASL
 * (SCRAM-SHA-256, PLAIN, EXTERNAL from the verified TLS client certificate, ANONYMOUS when allowed,
 * CRAM-MD5 when configured), optionally over TLS; then call the facilities the server serves, each
 * call checked against the {@link FacilityAuthorization}. What facility handlers answer and
 * {@link FacilityCall#track track} are the session's subordinate objects, released on {@code clear},
 * on re-authentication and when the session ends. Built on a {@link Peer}.
 *
 * <pre>{@code
 * LiveMessagingServer server = MessagingServer.create()
 *         .port(0)
 *         .tls(SecurityEnvironment.fromDirectory(Path.of("server-env"), passphrase))
 *         .authenticator(Authenticator.of(accounts, Map.of()))
 *         .authorization(FacilityAuthorization.byRole(Map.of("operator", Set.of("switch"))))
 *         .facility(switchDispatch)
 *         .bind().block();
 * }</pre>
 *
 * <p>Immutable: every method returns a new spec. Thread-safe.
 */
public final class MessagingServer {

    /** The SASL service name SOM uses. */
    public static final String DEFAULT_SERVICE = "som";

    /** Connecting plus the peers' HELLO exchange, before SASL starts. */
    private static final Duration ESTABLISH_TIMEOUT = Duration.ofSeconds(10);

    private record Config(String host, int port, String service, String serverName, List<String> mechanisms, boolean anonymous,
                          boolean plaintextWithoutTls, Authenticator authenticator, FacilityAuthorization authorization,
                          Map<Facility, FacilityDispatch> facilities, SecurityEnvironment tls, Duration authenticationTimeout,
                          SluiceMeters meters, Wiretap wiretap, Duration idleTimeout) {
    }

    private final Config config;

    private MessagingServer(Config config) {
        this.config = config;
    }

    /**
     * A server on 127.0.0.1 with an ephemeral port, service {@code som}, mechanisms SCRAM-SHA-256,
     * PLAIN (over TLS only) and EXTERNAL, no anonymous access, no TLS, no facilities, an
     * authorization that grants nothing, 30 s to authenticate and no idle timeout.
     *
     * @return the spec
     */
    public static MessagingServer create() {
        return new MessagingServer(new Config("127.0.0.1", 0, DEFAULT_SERVICE, "localhost",
                List.of(SaslServerExchange.SCRAM_SHA_256, SaslServerExchange.PLAIN, SaslServerExchange.EXTERNAL), false, false,
                null, (who, facility) -> false, Map.of(), null, Duration.ofSeconds(30), SluiceMeters.none(), Wiretap.off(),
                Duration.ZERO));
    }

    private MessagingServer with(Config c) {
        return new MessagingServer(c);
    }

    /**
     * @param host the address to listen on
     * @return the new spec
     */
    public MessagingServer host(String host) {
        Config c = config;
        return with(new Config(Objects.requireNonNull(host, "host"), c.port, c.service, c.serverName, c.mechanisms, c.anonymous,
                c.plaintextWithoutTls, c.authenticator, c.authorization, c.facilities, c.tls, c.authenticationTimeout, c.meters, c.wiretap, c.idleTimeout));
    }

    /**
     * @param port the port; 0 for any free one
     * @return the new spec
     */
    public MessagingServer port(int port) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("ports are 0..65535, was " + port);
        }
        Config c = config;
        return with(new Config(c.host, port, c.service, c.serverName, c.mechanisms, c.anonymous, c.plaintextWithoutTls,
                c.authenticator, c.authorization, c.facilities, c.tls, c.authenticationTimeout, c.meters, c.wiretap, c.idleTimeout));
    }

    /**
     * @param service the SASL service name served (clients asking for another are refused)
     * @param serverName this server's host name, as CRAM-MD5 challenges name it
     * @return the new spec
     */
    public MessagingServer service(String service, String serverName) {
        Config c = config;
        return with(new Config(c.host, c.port, Objects.requireNonNull(service, "service"), Objects.requireNonNull(serverName, "serverName"),
                c.mechanisms, c.anonymous, c.plaintextWithoutTls, c.authenticator, c.authorization, c.facilities, c.tls, c.authenticationTimeout, c.meters, c.wiretap, c.idleTimeout));
    }

    /**
     * The SASL mechanisms, in order of preference: any of SCRAM-SHA-256, PLAIN, EXTERNAL and the
     * JDK's CRAM-MD5. PLAIN is offered only over TLS (see {@link #plaintextWithoutTls}), EXTERNAL
     * only to clients that presented a verified certificate.
     *
     * @param mechanisms the mechanisms
     * @return the new spec
     */
    public MessagingServer mechanisms(String... mechanisms) {
        List<String> known = List.of(SaslServerExchange.SCRAM_SHA_256, SaslServerExchange.PLAIN, SaslServerExchange.EXTERNAL,
                SaslServerExchange.CRAM_MD5);
        for (String m : mechanisms) {
            if (!known.contains(m)) {
                throw new IllegalArgumentException("unknown mechanism " + m + "; Sluice serves " + known
                        + (m.equals(SaslServerExchange.ANONYMOUS) ? " (and ANONYMOUS through anonymous(true))" : ""));
            }
        }
        Config c = config;
        return with(new Config(c.host, c.port, c.service, c.serverName, List.of(mechanisms), c.anonymous, c.plaintextWithoutTls,
                c.authenticator, c.authorization, c.facilities, c.tls, c.authenticationTimeout, c.meters, c.wiretap, c.idleTimeout));
    }

    /**
     * @param allowed whether ANONYMOUS is offered (anonymous sessions act as role {@code anonymous})
     * @return the new spec
     */
    public MessagingServer anonymous(boolean allowed) {
        Config c = config;
        return with(new Config(c.host, c.port, c.service, c.serverName, c.mechanisms, allowed, c.plaintextWithoutTls,
                c.authenticator, c.authorization, c.facilities, c.tls, c.authenticationTimeout, c.meters, c.wiretap, c.idleTimeout));
    }

    /**
     * @param allowed whether PLAIN may run on connections without TLS, where it sends the password
     *     in the clear; off by default
     * @return the new spec
     */
    public MessagingServer plaintextWithoutTls(boolean allowed) {
        Config c = config;
        return with(new Config(c.host, c.port, c.service, c.serverName, c.mechanisms, c.anonymous, allowed,
                c.authenticator, c.authorization, c.facilities, c.tls, c.authenticationTimeout, c.meters, c.wiretap, c.idleTimeout));
    }

    /**
     * @param authenticator the user store
     * @return the new spec
     */
    public MessagingServer authenticator(Authenticator authenticator) {
        Config c = config;
        return with(new Config(c.host, c.port, c.service, c.serverName, c.mechanisms, c.anonymous, c.plaintextWithoutTls,
                Objects.requireNonNull(authenticator, "authenticator"), c.authorization, c.facilities, c.tls, c.authenticationTimeout, c.meters, c.wiretap, c.idleTimeout));
    }

    /**
     * @param authorization which users may use which facilities
     * @return the new spec
     */
    public MessagingServer authorization(FacilityAuthorization authorization) {
        Config c = config;
        return with(new Config(c.host, c.port, c.service, c.serverName, c.mechanisms, c.anonymous, c.plaintextWithoutTls,
                c.authenticator, Objects.requireNonNull(authorization, "authorization"), c.facilities, c.tls, c.authenticationTimeout, c.meters, c.wiretap, c.idleTimeout));
    }

    /**
     * Serves a facility.
     *
     * @param dispatch the facility's handlers
     * @return the new spec
     */
    public MessagingServer facility(FacilityDispatch dispatch) {
        Map<Facility, FacilityDispatch> all = new LinkedHashMap<>(config.facilities);
        all.put(dispatch.facility(), dispatch);
        SessionProtocol.with(all.keySet());
        Config c = config;
        return with(new Config(c.host, c.port, c.service, c.serverName, c.mechanisms, c.anonymous, c.plaintextWithoutTls,
                c.authenticator, c.authorization, Map.copyOf(all), c.tls, c.authenticationTimeout, c.meters, c.wiretap, c.idleTimeout));
    }

    /**
     * Requires TLS on every connection, with the server's identity from {@code id.p12}; with
     * trusted CAs in the environment, client certificates are asked for and verified (and enable
     * EXTERNAL).
     *
     * @param environment holds at least {@code id.p12}
     * @return the new spec
     */
    public MessagingServer tls(SecurityEnvironment environment) {
        if (!environment.hasIdentity()) {
            throw new IllegalArgumentException("a TLS server needs an identity, and " + environment.directory() + " has no id.p12");
        }
        Config c = config;
        return with(new Config(c.host, c.port, c.service, c.serverName, c.mechanisms, c.anonymous, c.plaintextWithoutTls,
                c.authenticator, c.authorization, c.facilities, environment, c.authenticationTimeout, c.meters, c.wiretap, c.idleTimeout));
    }

    /**
     * How long a new connection may take to authenticate before the server closes it (30 s by
     * default). A session that authenticated once and then failed a re-authentication stays open.
     *
     * @param timeout the time allowed
     * @return the new spec
     */
    public MessagingServer authenticationTimeout(Duration timeout) {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("the authentication timeout must be positive, was " + timeout);
        }
        Config c = config;
        return with(new Config(c.host, c.port, c.service, c.serverName, c.mechanisms, c.anonymous, c.plaintextWithoutTls,
                c.authenticator, c.authorization, c.facilities, c.tls, timeout, c.meters, c.wiretap, c.idleTimeout));
    }

    /**
     * How long an authenticated session may go without a call before the server closes it; zero,
     * the default, never closes one for that. A stream or call in flight counts as use; keep-alive
     * pings do not (they only show the client is there, and a client that stops answering them is
     * disconnected either way). Sessions are capped by the peer's client slots, so this is a policy
     * for reclaiming quiet ones, not the only bound.
     *
     * @param timeout the time without a call, or {@link Duration#ZERO} for none
     * @return the new spec
     */
    public MessagingServer idleTimeout(Duration timeout) {
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("the idle timeout must not be negative, was " + timeout);
        }
        Config c = config;
        return with(new Config(c.host, c.port, c.service, c.serverName, c.mechanisms, c.anonymous, c.plaintextWithoutTls,
                c.authenticator, c.authorization, c.facilities, c.tls, c.authenticationTimeout, c.meters, c.wiretap, timeout));
    }

    /**
     * Records this server's meters in {@code registry}: SASL authentications by mechanism and
     * outcome, messaging sessions, and the peer meters of the connections underneath (calls by
     * facility operation and status, connections). Needs Micrometer on the class path.
     *
     * @param registry where to record
     * @return the new spec
     */
    public MessagingServer metrics(io.micrometer.core.instrument.MeterRegistry registry) {
        return metrics(SluiceMeters.of(registry));
    }

    /**
     * @param enable record meters in Micrometer's global registry (true), or nowhere (false, the default)
     * @return the new spec
     * @throws UnsupportedOperationException when enabling without Micrometer on the class path
     */
    public MessagingServer metrics(boolean enable) {
        return metrics(SluiceMeters.global(enable));
    }

    private MessagingServer metrics(SluiceMeters meters) {
        Config c = config;
        return with(new Config(c.host, c.port, c.service, c.serverName, c.mechanisms, c.anonymous, c.plaintextWithoutTls,
                c.authenticator, c.authorization, c.facilities, c.tls, c.authenticationTimeout, meters, c.wiretap, c.idleTimeout));
    }

    /**
     * @param enable log every session frame read and written at DEBUG under {@code io.sluice.wiretap.peer}
     *     (the messaging protocol runs on the peer protocol), or nothing (false, the default)
     * @return the new spec
     */
    public MessagingServer wiretap(boolean enable) {
        Config c = config;
        return with(new Config(c.host, c.port, c.service, c.serverName, c.mechanisms, c.anonymous, c.plaintextWithoutTls,
                c.authenticator, c.authorization, c.facilities, c.tls, c.authenticationTimeout, c.meters, Wiretap.of("peer", enable), c.idleTimeout));
    }

    /**
     * Listens. Nothing happens until subscription.
     *
     * @return the live server, once listening
     */
    public Mono<LiveMessagingServer> bind() {
        return Mono.defer(() -> {
            if (config.authenticator == null) {
                return Mono.error(new IllegalStateException("the server has no authenticator; set one with authenticator(...)"));
            }
            Set<ServerSession> sessions = ConcurrentHashMap.newKeySet();
            Peer peer = Peer.create(SessionProtocol.with(config.facilities.keySet()))
                    .dispatch(dispatch())
                    .listen(PeerEndpoint.tcp(config.host, config.port))
                    .timeouts(ESTABLISH_TIMEOUT, config.idleTimeout, Duration.ZERO)
                    .metrics(config.meters)
                    .wiretap(config.wiretap)
                    .sessionHooks(ps -> {
                        ServerSession s = new ServerSession(ps);
                        sessions.add(s);
                        // An unauthenticated connection is kept alive by pings; only this ends it.
                        Mono.delay(config.authenticationTimeout).filter(t -> !s.everAuthenticated)
                                .flatMap(t -> ps.disconnect()).subscribe(null, e -> { });
                        return s;
                    }, (ps, context) -> {
                        ServerSession s = (ServerSession) context;
                        sessions.remove(s);
                        s.releaseAll();
                    });
            if (config.tls != null) {
                peer = peer.secure(config.tls.serverContext());
            }
            MeterGroup meters = config.meters.group()
                    .gauge("sluice.messaging.sessions", "messaging sessions", () -> sessions.size(), "state", "connected")
                    .gauge("sluice.messaging.sessions", "messaging sessions", () -> authenticatedCount(sessions), "state", "authenticated");
            return Nonces.ready().then(peer.start()).map(live -> {
                live.onDispose().subscribe(null, e -> meters.dispose(), meters::dispose);
                return new LiveMessagingServer(live, sessions);
            }).doOnError(e -> meters.dispose());
        });
    }

    /**
     * @param timeout how long to wait
     * @return the live server
     */
    public LiveMessagingServer bindNow(Duration timeout) {
        return bind().block(timeout);
    }

    // ---- the session's own calls -----------------------------------------------------------

    private Dispatch dispatch() {
        Dispatch d = Dispatch.create()
                .handle(SessionProtocol.HELLO, (call, hello) -> Mono.fromSupplier(() -> hello(session(call), hello)))
                .handle(SessionProtocol.AUTH_START, (call, start) -> authStart(session(call), start))
                .handle(SessionProtocol.AUTH_STEP, (call, response) -> authStep(session(call), response))
                .handle(SessionProtocol.LOGOUT, (call, ignored) -> Mono.fromSupplier(() -> {
                    ServerSession s = session(call);
                    s.who = null;
                    s.exchange = null;
                    return s.releaseAll();
                }))
                .handle(SessionProtocol.CLEAR, (call, names) -> Mono.fromSupplier(() -> clear(session(call), names)));
        for (FacilityDispatch fd : config.facilities.values()) {
            for (Map.Entry<CallType<?, ?>, FacilityHandler<?, ?>> e : fd.handlers().entrySet()) {
                d = guarded(d, fd.facility(), e.getKey(), e.getValue());
            }
        }
        return d;
    }

    private static ServerSession session(IncomingCall call) {
        return (ServerSession) call.session().context();
    }

    static PeerException wire(ErrorCode code, String detail) {
        int number = code instanceof SaslErrorCode s ? s.number() : ((MessagingErrorCode) code).number();
        // The number carries the code; the text is the detail alone.
        return PeerException.application(number, detail);
    }

    private SessionProtocol.ServerHello hello(ServerSession s, SessionProtocol.Hello hello) {
        if (!hello.service().equals(config.service)) {
            throw wire(MessagingErrorCode.SERVICE_NOT_SERVED, "this server serves SASL service '" + config.service + "', not '"
                    + hello.service() + "'");
        }
        SSLSession tls = s.peer.tlsSession();
        s.tls = tls != null;
        s.clientCertificate = clientCertificate(tls);
        List<String> enabled = new ArrayList<>(config.mechanisms);
        if (config.anonymous) {
            enabled.add(SaslServerExchange.ANONYMOUS);
        }
        s.offered = SaslServerExchange.offered(enabled, s.tls, s.clientCertificate != null, config.plaintextWithoutTls);
        return new SessionProtocol.ServerHello(config.serverName, s.offered,
                config.facilities.keySet().stream().map(Facility::name).sorted().toList(), s.tls);
    }

    private static X509Certificate clientCertificate(SSLSession tls) {
        if (tls == null) {
            return null;
        }
        try {
            Certificate[] chain = tls.getPeerCertificates();
            return chain.length > 0 && chain[0] instanceof X509Certificate x ? x : null;
        } catch (SSLPeerUnverifiedException none) {
            return null;
        }
    }

    private Mono<SessionProtocol.AuthStep> authStart(ServerSession s, SessionProtocol.AuthStart start) {
        if (s.offered == null) {
            return Mono.error(wire(MessagingErrorCode.PROTOCOL, "authentication before HELLO"));
        }
        // Authenticating again ends the previous authentication and what it owned.
        s.who = null;
        s.releaseAll();
        SaslServerExchange exchange;
        try {
            exchange = SaslServerExchange.start(start.mechanism(), s.offered, config.service, config.authenticator, s.tls,
                    s.clientCertificate, config.plaintextWithoutTls);
        } catch (SaslException e) {
            return Mono.error(wire(e.errorCode(), e.detail()));
        }
        s.exchange = exchange;
        if (start.initial() != null) {
            return step(s, exchange, exchange.respond(start.initial()));
        }
        byte[] challenge = exchange.initialChallenge().orElse(new byte[0]);
        return Mono.just(new SessionProtocol.AuthStep(false, challenge, start.mechanism(), "", "", false));
    }

    private Mono<SessionProtocol.AuthStep> authStep(ServerSession s, byte[] response) {
        SaslServerExchange exchange = s.exchange;
        if (exchange == null) {
            return Mono.error(wire(SaslErrorCode.MALFORMED, "no SASL exchange is in progress"));
        }
        return step(s, exchange, exchange.respond(response));
    }

    /** Failed authentications one connection may make; the answer to the last is followed by the close. */
    static final int MAX_AUTHENTICATION_FAILURES = 5;
    /** The wait before answering a connection's second failed authentication; it doubles with each one after. */
    static final Duration FAILURE_BACKOFF = Duration.ofMillis(250);

    private static int authenticatedCount(Set<ServerSession> sessions) {
        int n = 0;
        for (ServerSession s : sessions) {
            if (s.who != null) {
                n++;
            }
        }
        return n;
    }

    /** SASL outcome counters by mechanism: the configured mechanisms, anything else a client names is {@code other}. */
    private final ConcurrentHashMap<String, Count> authentications = new ConcurrentHashMap<>();

    private void countAuthentication(String mechanism, boolean success) {
        String m = config.mechanisms.contains(mechanism) || (config.anonymous && "ANONYMOUS".equals(mechanism)) ? mechanism : "other";
        String outcome = success ? "success" : "failure";
        authentications.computeIfAbsent(m + ' ' + outcome, k -> config.meters.counter("sluice.sasl.authentications",
                "SASL authentications by mechanism and outcome", "mechanism", m, "outcome", outcome)).increment();
    }

    private Mono<SessionProtocol.AuthStep> step(ServerSession s, SaslServerExchange exchange, Mono<SaslStep> step) {
        return step.map(next -> {
            if (next instanceof SaslStep.Success ok) {
                countAuthentication(ok.who().mechanism(), true);
                s.exchange = null;
                s.who = ok.who();
                s.everAuthenticated = true;
                return new SessionProtocol.AuthStep(true, ok.additionalData(), ok.who().mechanism(), ok.who().user(), ok.who().role(),
                        ok.who().anonymous());
            }
            return new SessionProtocol.AuthStep(false, ((SaslStep.Challenge) next).data(), "", "", "", false);
        }).onErrorResume(SaslException.class, e -> {
            s.exchange = null;
            countAuthentication(exchange.mechanism(), false);
            Mono<SessionProtocol.AuthStep> refusal = Mono.error(wire(e.errorCode(), e.detail()));
            if (e.errorCode() != SaslErrorCode.AUTHENTICATION_FAILED && e.errorCode() != SaslErrorCode.NOT_AUTHORIZED) {
                return refusal;
            }
            // Password guessing gets slower with each try on a connection, then costs the connection.
            int failures = s.failedAuthentications.incrementAndGet();
            if (failures > 1) {
                refusal = Mono.delay(FAILURE_BACKOFF.multipliedBy(1L << Math.min(failures - 2, 4))).then(refusal);
            }
            if (failures >= MAX_AUTHENTICATION_FAILURES) {
                refusal = refusal.doFinally(signal -> s.peer.disconnect().subscribe(null, x -> { }));
            }
            return refusal;
        });
    }

    private int clear(ServerSession s, List<String> names) {
        if (s.who == null) {
            throw wire(MessagingErrorCode.NOT_AUTHENTICATED, "clear before authentication");
        }
        if (names.isEmpty()) {
            return s.releaseAll();
        }
        List<Facility> facilities = new ArrayList<>();
        for (String name : names) {
            Facility f = config.facilities.keySet().stream().filter(x -> x.name().equals(name)).findFirst()
                    .orElseThrow(() -> wire(MessagingErrorCode.UNKNOWN_FACILITY, "this server has no facility " + name));
            facilities.add(f);
        }
        return s.release(facilities);
    }

    // ---- facility calls: authorization and tracking ---------------------------------------

    @SuppressWarnings({"unchecked", "rawtypes"})
    private Dispatch guarded(Dispatch d, Facility facility, CallType<?, ?> type, FacilityHandler<?, ?> handler) {
        FacilityHandler<Object, Object> h = (FacilityHandler<Object, Object>) handler;
        return d.handle((CallType) type, (call, request) -> serve(facility, h, call, request));
    }

    private Publisher<Object> serve(Facility facility, FacilityHandler<Object, Object> handler, IncomingCall call, Object request) {
        ServerSession s = session(call);
        var who = s.who;
        if (who == null) {
            ReferenceCountUtil.release(request);
            return Mono.error(wire(MessagingErrorCode.NOT_AUTHENTICATED, call.type().name() + " needs an authenticated session"));
        }
        if (!config.authorization.permits(who, facility)) {
            ReferenceCountUtil.release(request);
            return Mono.error(wire(MessagingErrorCode.FACILITY_NOT_AUTHORIZED, "user " + who.user()
                    + (who.role().equals(who.user()) ? "" : " acting as " + who.role()) + " may not use " + facility));
        }
        Subordinate object = new Subordinate();
        s.track(facility, object);
        FacilityCall context = new FacilityCall() {
            @Override
            public Facility facility() {
                return facility;
            }

            @Override
            public io.sluice.messaging.sasl.Authenticated user() {
                return who;
            }

            @Override
            public java.net.SocketAddress remoteAddress() {
                return call.session().remoteAddress();
            }

            @Override
            public reactor.core.Disposable track(reactor.core.Disposable o) {
                return s.track(facility, o);
            }
        };
        Flux<Object> answer = Flux.defer(() -> handler.handle(context, request));
        return object.guard(answer)
                .onErrorMap(MessagingException.class, e -> e.errorCode() == MessagingErrorCode.CLEARED
                        ? wire(MessagingErrorCode.CLEARED, call.type().name() + " was cleared with " + facility) : e)
                .doFinally(signal -> s.forget(facility, object));
    }

    @Override
    public String toString() {
        return "MessagingServer[" + config.host + ":" + config.port + ", service " + config.service + ", " + config.mechanisms
                + (config.tls != null ? ", TLS" : "") + ", facilities " + config.facilities.keySet() + "]";
    }
}
