package io.sluice.coap;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.sluice.codec.Limits;
import io.sluice.security.SecureDatagramClient;
import java.net.Inet6Address;
import java.net.InetAddress;
import io.sluice.metrics.SluiceMeters;
import io.sluice.wiretap.Wiretap;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import java.util.List;
import java.util.function.Consumer;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * A CoAP client spec: opens {@link CoapSession}s of type CLIENT to servers.
 *
 * <pre>{@code
 * CoapClient.create().connect("coap://127.0.0.1:5683")
 *         .flatMap(session -> session.request(CoapRequest.get("/hello")).doFinally(s -> session.release()))
 * }</pre>
 *
 * <p>Each session binds its own UDP socket (on the loopback interface when the server is on
 * loopback, else the wildcard address, unless {@link #bindAddress} says otherwise). A
 * {@code coaps://} URI runs a DTLS handshake through the {@link #dtls} security client; the
 * session exists from the first datagram as type HELLO in state HANDSHAKE, and
 * {@link #doOnSession} sees it then. A multicast group address gives a multicast session for
 * {@link CoapSession#multicast}.
 *
 * <p>Immutable: every method returns a new spec. {@code connect} is cold.
 */
public final class CoapClient {

    private final EndpointConfig config;
    private final InetSocketAddress bindAddress;
    private final SecureDatagramClient dtls;
    private final NetworkInterface multicastInterface;
    private final Consumer<? super CoapSession> onSession;
    private final ReliableLink.Settings reliable;

    private CoapClient(EndpointConfig config, InetSocketAddress bindAddress, SecureDatagramClient dtls,
            NetworkInterface multicastInterface, Consumer<? super CoapSession> onSession, ReliableLink.Settings reliable) {
        this.reliable = reliable;
        this.config = config;
        this.bindAddress = bindAddress;
        this.dtls = dtls;
        this.multicastInterface = multicastInterface;
        this.onSession = onSession;
    }

    /** @return a client with RFC 7252 defaults, block size 1024 and an 8 MiB body limit */
    public static CoapClient create() {
        return new CoapClient(EndpointConfig.defaults(), null, null, null, s -> { }, ReliableLink.Settings.defaults());
    }

    /**
     * @param transmission RFC 7252 §4.8 parameters, NSTART included
     * @return a copy
     */
    public CoapClient transmission(CoapTransmission transmission) {
        return new CoapClient(config.withTransmission(transmission), bindAddress, dtls, multicastInterface, onSession, reliable);
    }

    /**
     * @param size the block size: 16–1024, a power of two; smaller sizes are asked of the server early (RFC 7959 §2.4)
     * @return a copy
     */
    public CoapClient blockSize(int size) {
        io.sluice.codec.coap.BlockOption.szxOf(size);
        return new CoapClient(config.withBlockSize(size), bindAddress, dtls, multicastInterface, onSession, reliable);
    }

    /**
     * @param bytes the largest body sent or reassembled (default 8 MiB)
     * @return a copy
     */
    public CoapClient maxBodySize(int bytes) {
        return new CoapClient(config.withMaxBodyBytes(bytes), bindAddress, dtls, multicastInterface, onSession, reliable);
    }

    /**
     * @param limits decoder limits per datagram
     * @return a copy
     */
    public CoapClient limits(Limits limits) {
        return new CoapClient(config.withLimits(limits), bindAddress, dtls, multicastInterface, onSession, reliable);
    }

    /**
     * @param timeout how long to wait for a response after the request was acknowledged or sent NON (default MAX_TRANSMIT_WAIT, 93 s)
     * @return a copy
     */
    public CoapClient responseTimeout(Duration timeout) {
        return new CoapClient(config.withResponseTimeout(timeout), bindAddress, dtls, multicastInterface, onSession, reliable);
    }

    /**
     * @param max how many requests may wait behind NSTART per session (default 1024); beyond, requests fail with {@code coap.queue-full}
     * @return a copy
     */
    public CoapClient maxQueuedRequests(int max) {
        return new CoapClient(config.withMaxQueuedRequests(max), bindAddress, dtls, multicastInterface, onSession, reliable);
    }

    /**
     * Serves requests the server sends back over a session (call-home, after the server side's
     * {@link CoapSession#becomeClient()}).
     *
     * @param routes the handlers
     * @return a copy
     */
    public CoapClient route(Consumer<CoapRoutes> routes) {
        CoapRoutes copy = config.routes() == null ? new CoapRoutes() : config.routes().copy();
        routes.accept(copy);
        return new CoapClient(config.withRoutes(copy), bindAddress, dtls, multicastInterface, onSession, reliable);
    }

    /**
     * @param local the address sessions bind (port 0 for any)
     * @return a copy
     */
    public CoapClient bindAddress(InetSocketAddress local) {
        return new CoapClient(config, Objects.requireNonNull(local, "local"), dtls, multicastInterface, onSession, reliable);
    }

    /**
     * @param client the DTLS client spec (the {@code dtls} module's {@code DtlsClient}) for {@code coaps://}
     * @return a copy
     */
    public CoapClient dtls(SecureDatagramClient client) {
        return new CoapClient(config, bindAddress, Objects.requireNonNull(client, "client"), multicastInterface, onSession, reliable);
    }

    /**
     * @param networkInterface the interface multicast requests leave from
     * @return a copy
     */
    public CoapClient multicastInterface(NetworkInterface networkInterface) {
        return new CoapClient(config, bindAddress, dtls, Objects.requireNonNull(networkInterface, "networkInterface"), onSession, reliable);
    }

    /**
     * @param timeout how long a reliable session ({@code coap+tcp}) waits for the server's CSM after
     *     sending its own (RFC 8323 §5.3; default 10 s); past it the session is aborted and
     *     {@code connect} fails with {@link CoapErrorCode#TIMEOUT}
     * @return a copy
     */
    public CoapClient csmTimeout(Duration timeout) {
        requirePositive(timeout, "csmTimeout");
        return new CoapClient(config, bindAddress, dtls, multicastInterface, onSession, reliable.withCsmTimeout(timeout));
    }

    /**
     * @param interval over a reliable transport, a Ping (7.02) goes out after this long without
     *     traffic from the server, and the session is aborted after twice this long (default: off)
     * @return a copy
     */
    public CoapClient keepAlive(Duration interval) {
        requirePositive(interval, "keepAlive");
        return new CoapClient(config, bindAddress, dtls, multicastInterface, onSession, reliable.withKeepAlive(interval));
    }

    /**
     * Secures {@code coaps+tcp://} and {@code coaps+ws://} sessions with TLS (RFC 8323 §3.4) from a Netty client context,
     * e.g. {@code SslContextBuilder.forClient().trustManager(caPem)
     * .applicationProtocolConfig(CoapServer.ALPN).build()}: certificates as the JDK's TLS takes them
     * (PEM, PKCS#12 through a {@code KeyManagerFactory}). The server's host name goes to SNI and to
     * the host-name check the context does. The session is in HANDSHAKE until the handshake is
     * done; a failed one ends it in CLOSED and fails {@code connect} with
     * {@link CoapErrorCode#HANDSHAKE_FAILED} naming the cause. For TLS-PSK, which the JDK's TLS does not
     * have, see {@link #tls(io.sluice.security.SecureStreamProvider)}.
     *
     * @param context a client context
     * @return a copy
     */
    public CoapClient tls(io.netty.handler.ssl.SslContext context) {
        if (!Objects.requireNonNull(context, "context").isClient()) {
            throw new IllegalArgumentException("a CoAP client needs a client TLS context (SslContextBuilder.forClient())");
        }
        return new CoapClient(config, bindAddress, dtls, multicastInterface, onSession, reliable.withTls(StreamTls.of(context)));
    }

    /**
     * Secures {@code coaps+tcp://} and {@code coaps+ws://} sessions through a stream-security
     * provider instead of the JDK's TLS: the {@code dtls} module's {@code TlsPsk.client(identity, key)}
     * gives TLS 1.2 with a pre-shared key, as libcoap's {@code coaps+tcp} speaks it. Handshake states
     * and failures are as for {@link #tls(io.netty.handler.ssl.SslContext)}.
     *
     * @param provider a client-side provider
     * @return a copy
     */
    public CoapClient tls(io.sluice.security.SecureStreamProvider provider) {
        if (!Objects.requireNonNull(provider, "provider").isClient()) {
            throw new IllegalArgumentException("a CoAP client needs a client-side provider, not " + provider);
        }
        return new CoapClient(config, bindAddress, dtls, multicastInterface, onSession,
                reliable.withTls(StreamTls.of(Objects.requireNonNull(provider, "provider"))));
    }

    /**
     * Over {@code coap+tcp} and the other reliable transports, goes on without the server's CSM:
     * {@code connect} completes once this side's CSM is sent, at RFC 8323's base values (1152-byte
     * messages), and a CSM that comes later updates them. RFC 8323 §5.3 makes a missing CSM a
     * connection error, so this is off by default; it is for servers that predate CSM, such as
     * Eclipse Californium's TCP connector, which also does not answer Ping.
     *
     * @param accept whether to accept a server that sends no CSM
     * @return a copy
     */
    public CoapClient acceptMissingCsm(boolean accept) {
        return new CoapClient(config, bindAddress, dtls, multicastInterface, onSession, reliable.withAcceptMissingCsm(accept));
    }

    static void requirePositive(Duration d, String what) {
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(what + " must be positive, was " + d);
        }
    }

    /**
     * Records the meters of every session this client opens in {@code registry}: sessions by type
     * and state, messages and bytes each way, drops by reason, request latency by method and
     * response class. Needs Micrometer on the class path.
     *
     * @param registry where to record
     * @return a copy
     */
    public CoapClient metrics(io.micrometer.core.instrument.MeterRegistry registry) {
        return new CoapClient(config.withMeters(SluiceMeters.of(registry)), bindAddress, dtls, multicastInterface, onSession, reliable);
    }

    /**
     * @param enable record meters in Micrometer's global registry (true), or nowhere (false, the default)
     * @return a copy
     * @throws UnsupportedOperationException when enabling without Micrometer on the class path
     */
    public CoapClient metrics(boolean enable) {
        return new CoapClient(config.withMeters(SluiceMeters.global(enable)), bindAddress, dtls,
                multicastInterface, onSession, reliable);
    }

    /**
     * Observes every request this client's sessions send as a Micrometer Observation {@code sluice.coap.client.request} (low-cardinality keys
     * {@code method}, {@code transport}, {@code response.class}), so a tracing bridge on the
     * registry makes a span of each, a child of the observation in the subscriber's Reactor context (or the current one).
     *
     * @param registry the registry (its handlers decide what an observation produces)
     * @return a copy
     */
    public CoapClient observations(io.micrometer.observation.ObservationRegistry registry) {
        return new CoapClient(config.withTracing(new MicrometerCoapTracing(Objects.requireNonNull(registry, "registry"))), bindAddress, dtls,
                multicastInterface, onSession, reliable);
    }

    /**
     * @param enable log every message decoded and sent at DEBUG under {@code io.sluice.wiretap.coap}
     *     (with a hex dump at TRACE), or nothing (false, the default)
     * @return a copy
     */
    public CoapClient wiretap(boolean enable) {
        return new CoapClient(config.withWiretap(Wiretap.of("coap", enable)), bindAddress, dtls, multicastInterface, onSession, reliable);
    }

    /**
     * @param category the SLF4J logger to log messages to
     * @param level the level of the one-line messages (hex dumps at TRACE)
     * @return a copy
     */
    public CoapClient wiretap(String category, org.slf4j.event.Level level) {
        return new CoapClient(config.withWiretap(Wiretap.of(category, level)), bindAddress, dtls, multicastInterface, onSession, reliable);
    }

    /**
     * Sees each session as soon as it exists, before a DTLS handshake: for example to follow its
     * {@link CoapSession#states()} from HANDSHAKE on. Runs on the session's loop; must not block.
     *
     * @param hook the observer
     * @return a copy
     */
    public CoapClient doOnSession(Consumer<? super CoapSession> hook) {
        return new CoapClient(config, bindAddress, dtls, multicastInterface, Objects.requireNonNull(hook, "hook"), reliable);
    }

    /**
     * @param uri {@code coap://host[:port]} or {@code coaps://host[:port]}; a path is ignored (requests carry theirs)
     * @return the session, once usable (after the handshake for {@code coaps})
     */
    public Mono<CoapSession> connect(String uri) {
        return Mono.defer(() -> connect(URI.create(uri)));
    }

    /**
     * @param uri {@code coap://host[:port]} or {@code coaps://host[:port]}
     * @return the session, once usable
     */
    public Mono<CoapSession> connect(URI uri) {
        CoapProtocol protocol;
        try {
            protocol = CoapProtocol.ofScheme(String.valueOf(uri.getScheme()));
        } catch (IllegalArgumentException e) {
            return Mono.error(new CoapException(CoapErrorCode.BAD_URI, null, e.getMessage() + " in " + uri));
        }
        if (uri.getHost() == null) {
            return Mono.error(new CoapException(CoapErrorCode.BAD_URI, null, "no host in " + uri));
        }
        int port = uri.getPort() < 0 ? protocol.defaultPort() : uri.getPort();
        String host = uri.getHost().startsWith("[") ? uri.getHost().substring(1, uri.getHost().length() - 1) : uri.getHost();
        // Resolving a name may block on DNS; a literal address does not, and stays on the caller's thread.
        Mono<InetSocketAddress> resolved = Mono.fromCallable(() -> new InetSocketAddress(host, port));
        if (!isLiteral(host)) {
            resolved = resolved.subscribeOn(Schedulers.boundedElastic());
        }
        return resolved.flatMap(address -> address.isUnresolved()
                ? Mono.error(new CoapException(CoapErrorCode.BAD_URI, null, "cannot resolve " + host))
                : connect(protocol, address));
    }

    private static boolean isLiteral(String host) {
        return host.indexOf(':') >= 0 || host.chars().allMatch(c -> c == '.' || Character.isDigit(c));
    }

    /**
     * @param protocol any of the six
     * @param remote the server (or multicast group) address
     * @return the session, once usable
     */
    public Mono<CoapSession> connect(CoapProtocol protocol, InetSocketAddress remote) {
        return switch (protocol) {
            case UDP -> connectUdp(remote);
            case DTLS -> dtls == null
                    ? Mono.error(new CoapException(CoapErrorCode.BAD_URI, null, "coaps needs a DTLS client: CoapClient.dtls(DtlsClient...)"))
                    : connectSecure(remote);
            case TCP -> connectReliable(remote, reliable.withTls(null).withWebSocket(false));
            case WS -> connectReliable(remote, reliable.withTls(null).withWebSocket(true));
            case TLS, WSS -> reliable.tls() == null
                    ? Mono.error(new CoapException(CoapErrorCode.BAD_URI, null, protocol.scheme() + " needs TLS: CoapClient.tls(SslContext) or CoapClient.tls(SecureStreamProvider)"))
                    : connectReliable(remote, reliable.withWebSocket(protocol == CoapProtocol.WSS));
        };
    }

    private static final CoapEndpoint.SessionHost CLIENT_HOST = new CoapEndpoint.SessionHost() {
        @Override
        public void sessionCreated(SessionImpl session) {
        }

        @Override
        public void sessionFreed(SessionImpl session) {
            session.endpoint.traffic.close();
        }

        @Override
        public void idle(SessionImpl session) {
        }

        @Override
        public void revived(SessionImpl session) {
        }
    };

    /** A client endpoint of one session, counting and tapping into that session's own meters. */
    private CoapEndpoint clientEndpoint(EventLoop loop, CoapProtocol protocol) {
        return new CoapEndpoint(loop, config, protocol, false, CLIENT_HOST, new CoapTraffic(config.meters(), config.wiretap(), protocol, false));
    }

    /** The session's gauges, in its endpoint's meter group (gone when the session is freed). */
    private static void gauges(SessionImpl session) {
        session.endpoint.traffic.sessionGauges(List.of(session), CoapSessionType.CLIENT, CoapSessionType.HELLO);
    }

    private Mono<CoapSession> connectUdp(InetSocketAddress remote) {
        return Mono.create(sink -> {
            EventLoopGroup group = CoapLoops.LOOPS.onClient(true);
            EventLoop loop = group.next();
            CoapEndpoint endpoint = clientEndpoint(loop, CoapProtocol.UDP);
            boolean multicast = remote.getAddress().isMulticastAddress();
            InetSocketAddress local = bindAddress != null ? bindAddress : localFor(remote.getAddress());
            var bootstrap = CoapServer.datagramBootstrap(loop, group, endpoint, false);
            if (multicast && multicastInterface != null) {
                bootstrap.option(ChannelOption.IP_MULTICAST_IF, multicastInterface);
            }
            ChannelFuture bound = bootstrap.bind(local);
            bound.addListener(f -> {
                if (!f.isSuccess()) {
                    sink.error(new CoapException(CoapErrorCode.BIND_FAILED, "cannot bind " + local + ": " + f.cause().getMessage(), f.cause()));
                    return;
                }
                Channel channel = bound.channel();
                endpoint.link = new UdpLink(channel, true, endpoint.traffic);
                SessionImpl session = new SessionImpl(endpoint, CoapSessionType.CLIENT, remote, multicast ? remote : null, 1);
                session.openedBy(this);
                if (multicast && multicastInterface != null) {
                    session.setInterfaceIndex(multicastInterface.getIndex());
                }
                endpoint.attach(session);
                gauges(session);
                session.establish();
                channel.closeFuture().addListener(c -> endpoint.onLoop(() -> session.free(
                        new CoapException(CoapErrorCode.CLOSED, CoapNackReason.NOT_DELIVERABLE, "the session's socket closed"))));
                onSession.accept(session);
                sink.success(session);
            });
            sink.onCancel(() -> bound.addListener(f -> bound.channel().close()));
        });
    }

    private Mono<CoapSession> connectSecure(InetSocketAddress remote) {
        return Mono.defer(() -> {
            EventLoop loop = CoapLoops.LOOPS.onClient(true).next();
            CoapEndpoint endpoint = clientEndpoint(loop, CoapProtocol.DTLS);
            SessionImpl session = new SessionImpl(endpoint, CoapSessionType.HELLO, remote, null, 1);
            session.openedBy(this);
            endpoint.attach(session);
            gauges(session);
            session.handshaking();
            onSession.accept(session);
            // A handshake that fails or is cancelled ends the session for good (CLOSED, as libcoap
            // frees it): nobody holds it, and it must not linger in HELLO for whoever watched it start.
            return dtls.connect(remote)
                    .onErrorMap(e -> !(e instanceof CoapException), e -> new CoapException(CoapErrorCode.HANDSHAKE_FAILED,
                            "the DTLS handshake with " + remote + " failed: " + e.getMessage(), e))
                    .doOnError(e -> endpoint.onLoop(() -> session.free(new CoapException(CoapErrorCode.HANDSHAKE_FAILED,
                            CoapNackReason.TLS_FAILED, e.getMessage()))))
                    .doOnCancel(() -> endpoint.onLoop(() -> session.free(new CoapException(CoapErrorCode.HANDSHAKE_FAILED,
                            CoapNackReason.TLS_FAILED, "the DTLS handshake with " + remote + " was cancelled"))))
                    .<CoapSession>flatMap(secure -> Mono.create(sink -> endpoint.onLoop(() -> {
                        SecureLink link = new SecureLink(secure, endpoint.traffic);
                        endpoint.link = link;
                        session.secured(secure, secure.pskIdentityHint().orElse(null), secure.pskKey().orElse(null));
                        session.setType(CoapSessionType.CLIENT);
                        session.establish();
                        link.start(endpoint, () -> {
                            if (session.state() == CoapSessionState.ESTABLISHED) {
                                session.disconnect(CoapNackReason.TLS_FAILED);
                            }
                        });
                        sink.success(session);
                    })));
        });
    }

    private Mono<CoapSession> connectReliable(InetSocketAddress remote, ReliableLink.Settings settings) {
        return Mono.create(sink -> {
            long holdOff = HoldOff.remainingMillis(remote);
            if (holdOff > 0) {
                sink.error(new CoapException(CoapErrorCode.DISCONNECTED, CoapNackReason.NOT_DELIVERABLE, remote
                        + " released its last session with a Hold-Off: " + holdOff + " ms remain before reconnecting (RFC 8323 §5.5)"));
                return;
            }
            EventLoopGroup group = CoapLoops.LOOPS.onClient(true);
            EventLoop loop = group.next();
            CoapEndpoint endpoint = clientEndpoint(loop, settings.protocol());
            SessionImpl session = new SessionImpl(endpoint, CoapSessionType.CLIENT, remote, null, 1);
            session.openedBy(this);
            endpoint.attach(session);
            gauges(session);
            loop.execute(() -> {
                session.connecting();
                onSession.accept(session);
                Bootstrap bootstrap = new Bootstrap().group(loop)
                        .channel(CoapLoops.LOOPS.onChannelClass(SocketChannel.class, group))
                        .option(ChannelOption.TCP_NODELAY, true)
                        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, settings.csmTimeout().toMillis()))
                        .handler(new ChannelInitializer<Channel>() {
                            @Override
                            protected void initChannel(Channel channel) {
                                ReliableLink link = ReliablePipelines.client(channel, endpoint, session, settings, remote, endpoint.traffic,
                                        failure -> {
                                            if (failure == null) {
                                                sink.success(session);
                                            } else {
                                                sink.error(failure);
                                            }
                                        });
                                endpoint.link = link;
                            }
                        });
                ChannelFuture connected = bindAddress != null ? bootstrap.connect(remote, bindAddress) : bootstrap.connect(remote);
                connected.addListener(f -> {
                    if (!f.isSuccess()) {
                        CoapException why = new CoapException(CoapErrorCode.DISCONNECTED, CoapNackReason.NOT_DELIVERABLE,
                                "cannot connect to " + remote + ": " + f.cause().getMessage());
                        session.free(why);
                        sink.error(why);
                    }
                });
                sink.onCancel(() -> connected.addListener(f -> connected.channel().close()));
            });
        });
    }

    private static InetSocketAddress localFor(InetAddress remote) {
        if (remote.isLoopbackAddress()) {
            // Same family as the server, on loopback: a test or demo never listens beyond the host.
            return new InetSocketAddress(remote instanceof Inet6Address ? "::1" : "127.0.0.1", 0);
        }
        return new InetSocketAddress(0);
    }

    @Override
    public String toString() {
        return "CoapClient[block size " + config.blockSize() + (dtls != null ? ", " + dtls : "") + "]";
    }
}
