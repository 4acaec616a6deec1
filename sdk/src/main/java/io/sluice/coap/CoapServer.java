package io.sluice.coap;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.ServerSocketChannel;
import io.sluice.codec.Limits;
import io.sluice.security.SecureDatagramServer;
import io.sluice.metrics.SluiceMeters;
import io.sluice.wiretap.Wiretap;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import reactor.core.publisher.Mono;

/**
 * A CoAP server spec, in the manner of reactor-netty:
 *
 * <pre>{@code
 * CoapServer.create()
 *         .host("127.0.0.1").port(5683)
 *         .route(r -> r.get("/hello", req -> Mono.just(CoapResponse.content("hi")))
 *                      .observable("/clock", req -> Flux.interval(Duration.ofSeconds(1)).map(i -> CoapResponse.content("" + i))))
 *         .bind()
 * }</pre>
 *
 * <p>Over UDP one socket serves every peer; each peer gets a {@link CoapSession} of type SERVER,
 * counted 0 and parked in the idle pool, freed after {@link #idleTimeout} without traffic
 * (default 5 minutes). With {@link #dtls}, the server listens through the datagram-security SPI
 * and each DTLS session is a CoAP session of protocol DTLS.
 *
 * <p>The message layer follows RFC 7252 §4: CON requests are deduplicated by message ID for
 * EXCHANGE_LIFETIME, in a table of at most {@link #deduplication(int)} entries per socket
 * (default 16,384; the oldest go first, so memory stays bounded under any load), and the
 * response is repeated for a duplicate; a request with an unrecognized critical option is
 * answered 4.02; a malformed CON is answered with a Reset, a malformed NON is dropped; both are
 * counted. Bodies above the block size travel block-wise (RFC 7959) both ways.
 *
 * <p>Immutable: every method returns a new spec. {@link #bind()} is cold.
 */
public final class CoapServer {

    /** The idle timeout of server sessions unless configured (libcoap's). */
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(5);

    private final InetSocketAddress local;
    private final EndpointConfig config;
    private final Duration idleTimeout;
    private final SessionCaps caps;
    private final SecureDatagramServer dtls;
    private final List<Group> groups;

    /** The most sessions kept unless configured: idle or in use, and idle. */
    public static final int DEFAULT_MAX_SESSIONS = 50_000;
    /** The most idle sessions kept unless configured; past it the least recently active goes. */
    public static final int DEFAULT_MAX_IDLE_SESSIONS = 10_000;

    record Group(InetAddress address, NetworkInterface networkInterface) {
    }

    record SessionCaps(int maxSessions, int maxIdleSessions) {
    }

    /** Set for a server over a reliable transport (TCP): how its sessions run. Null over UDP and DTLS. */
    private final ReliableLink.Settings stream;
    /** UDP: one socket per event loop on the same port (SO_REUSEPORT), where the native transport has it. */
    private final boolean reusePort;

    private CoapServer(InetSocketAddress local, EndpointConfig config, Duration idleTimeout, SessionCaps caps,
            SecureDatagramServer dtls, List<Group> groups, boolean reusePort, ReliableLink.Settings stream) {
        this.stream = stream;
        this.local = local;
        this.config = config;
        this.idleTimeout = idleTimeout;
        this.caps = caps;
        this.dtls = dtls;
        this.groups = groups;
        this.reusePort = reusePort;
    }

    /** @return a server spec on 127.0.0.1, port 5683, with no routes */
    public static CoapServer create() {
        return new CoapServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 5683),
                EndpointConfig.defaults().withRoutes(new CoapRoutes()), DEFAULT_IDLE_TIMEOUT,
                new SessionCaps(DEFAULT_MAX_SESSIONS, DEFAULT_MAX_IDLE_SESSIONS), null, List.of(), false, null);
    }

    /**
     * @param host the address to bind
     * @return a copy
     */
    public CoapServer host(String host) {
        return new CoapServer(new InetSocketAddress(host, local.getPort()), config, idleTimeout, caps, dtls, groups, reusePort, stream);
    }

    /**
     * @param port the port to bind; 0 picks one
     * @return a copy
     */
    public CoapServer port(int port) {
        return new CoapServer(new InetSocketAddress(local.getAddress(), port), config, idleTimeout, caps, dtls, groups, reusePort, stream);
    }

    /**
     * @param address the address and port to bind
     * @return a copy
     */
    public CoapServer bindAddress(InetSocketAddress address) {
        return new CoapServer(Objects.requireNonNull(address, "address"), config, idleTimeout, caps, dtls, groups, reusePort, stream);
    }

    /**
     * Adds routes.
     *
     * @param routes adds handlers to the route table
     * @return a copy
     */
    public CoapServer route(Consumer<CoapRoutes> routes) {
        CoapRoutes copy = config.routes().copy();
        routes.accept(copy);
        return new CoapServer(local, config.withRoutes(copy), idleTimeout, caps, dtls, groups, reusePort, stream);
    }

    /**
     * @param transmission RFC 7252 §4.8 parameters
     * @return a copy
     */
    public CoapServer transmission(CoapTransmission transmission) {
        return new CoapServer(local, config.withTransmission(transmission), idleTimeout, caps, dtls, groups, reusePort, stream);
    }

    /**
     * @param size the block size for block-wise transfer: 16–1024, a power of two (default 1024)
     * @return a copy
     */
    public CoapServer blockSize(int size) {
        io.sluice.codec.coap.BlockOption.szxOf(size);
        return new CoapServer(local, config.withBlockSize(size), idleTimeout, caps, dtls, groups, reusePort, stream);
    }

    /**
     * @param bytes the largest request body accepted block-wise (default 8 MiB); larger ones get 4.13
     * @return a copy
     */
    public CoapServer maxBodySize(int bytes) {
        return new CoapServer(local, config.withMaxBodyBytes(bytes), idleTimeout, caps, dtls, groups, reusePort, stream);
    }

    /**
     * @param limits decoder limits per datagram
     * @return a copy
     */
    public CoapServer limits(Limits limits) {
        return new CoapServer(local, config.withLimits(limits), idleTimeout, caps, dtls, groups, reusePort, stream);
    }

    /**
     * @param entries the most remembered message IDs per socket (default 16,384)
     * @return a copy
     */
    public CoapServer deduplication(int entries) {
        if (entries < 1) {
            throw new IllegalArgumentException("deduplication needs at least one entry, was " + entries);
        }
        return new CoapServer(local, config.withDedupCapacity(entries), idleTimeout, caps, dtls, groups, reusePort, stream);
    }

    /**
     * @param timeout how long an unused server session stays in the idle pool (default 5 minutes)
     * @return a copy
     */
    public CoapServer idleTimeout(Duration timeout) {
        return new CoapServer(local, config, Objects.requireNonNull(timeout, "timeout"), caps, dtls, groups, reusePort, stream);
    }

    /**
     * Caps the sessions this server keeps at once, idle or in use (libcoap has no such cap;
     * Californium's MAX_ACTIVE_PEERS is the same idea). A new peer over the cap takes the place of
     * the least recently active idle session; when every session is in use (retained, or a DTLS
     * session of a full listener), a CON request from a new peer is answered 5.03 Service
     * Unavailable with Max-Age 30 and nothing is kept, and it is counted in
     * {@link LiveCoapServer#refusedSessions()}. A NON request from a new peer is served without
     * a session entering the tables unless it leaves state behind (an observation, a block-wise
     * transfer), so a flood of them costs nothing beyond the bounded deduplication table.
     *
     * @param max at least 1 (default {@value #DEFAULT_MAX_SESSIONS})
     * @return a copy
     */
    public CoapServer maxSessions(int max) {
        if (max < 1) {
            throw new IllegalArgumentException("maxSessions must be at least 1, was " + max);
        }
        return new CoapServer(local, config, idleTimeout, new SessionCaps(max, caps.maxIdleSessions()), dtls, groups, reusePort, stream);
    }

    /**
     * Caps the idle sessions (count zero) kept in the idle pool, as libcoap's
     * {@code coap_context_set_max_idle_sessions}: past it the least recently active idle session is
     * freed (counted in {@link LiveCoapServer#evictedSessions()}) before its idle timeout.
     *
     * @param max at least 1 (default {@value #DEFAULT_MAX_IDLE_SESSIONS})
     * @return a copy
     */
    public CoapServer maxIdleSessions(int max) {
        if (max < 1) {
            throw new IllegalArgumentException("maxIdleSessions must be at least 1, was " + max);
        }
        return new CoapServer(local, config, idleTimeout, new SessionCaps(caps.maxSessions(), max), dtls, groups, reusePort, stream);
    }

    /**
     * Serves {@code coaps://} instead of {@code coap://}: sessions come from the security layer
     * (the {@code dtls} module's {@code DtlsServer}).
     *
     * @param server the datagram-security server spec
     * @return a copy
     */
    public CoapServer dtls(SecureDatagramServer server) {
        return new CoapServer(new InetSocketAddress(local.getAddress(), local.getPort() == 5683 ? 5684 : local.getPort()), config,
                idleTimeout, caps, Objects.requireNonNull(server, "server"), groups, reusePort, stream);
    }

    /**
     * Joins a multicast group (RFC 7252 §8) on an interface; requests to the group are answered
     * (NON, after a random delay within the leisure, errors suppressed) from the unicast socket.
     *
     * @param group the group, e.g. 224.0.1.187 (All CoAP Nodes) or ff02::fd
     * @param networkInterface where to join it
     * @return a copy
     */
    public CoapServer joinGroup(InetAddress group, NetworkInterface networkInterface) {
        if (!group.isMulticastAddress()) {
            throw new IllegalArgumentException(group + " is not a multicast address");
        }
        List<Group> more = new ArrayList<>(groups);
        more.add(new Group(group, Objects.requireNonNull(networkInterface, "networkInterface")));
        return new CoapServer(local, config, idleTimeout, caps, dtls, List.copyOf(more), reusePort, stream);
    }

    /**
     * @param leisure the window multicast responses are spread over (RFC 7252 §8.2; default 5 s)
     * @return a copy
     */
    public CoapServer multicastLeisure(Duration leisure) {
        return new CoapServer(local, config.withMulticastLeisure(leisure), idleTimeout, caps, dtls, groups, reusePort, stream);
    }

    /**
     * Serves {@code coap+tcp://} (RFC 8323) instead of {@code coap://}: each connection is a session
     * of protocol TCP. Both sides send a CSM first; the server's says its Max-Message-Size (the
     * decoder limit) and Block-Wise-Transfer. A connection whose first message is not a CSM, or
     * that sends none within the {@linkplain #csmTimeout CSM timeout}, or that breaks the framing
     * or the Max-Message-Size, is aborted (7.05) and closed. Connections count against
     * {@link #maxSessions}: past it a new connection is closed at once and counted in
     * {@link LiveCoapServer#refusedSessions()}. Idle sessions are freed after the idle timeout with
     * a Release (7.04). A client that stops reading stops the server reading its requests.
     *
     * @return a copy
     */
    public CoapServer tcp() {
        if (dtls != null || !groups.isEmpty()) {
            throw new IllegalStateException("a CoAP server over TCP has no DTLS listener and joins no multicast group");
        }
        return new CoapServer(local, config, idleTimeout, caps, dtls, groups, reusePort, reliableSettings());
    }

    /** ALPN for CoAP over TLS (RFC 8323 §8.2: "coap"), for the contexts given to {@link #tls} and {@link CoapClient#tls}. */
    public static final io.netty.handler.ssl.ApplicationProtocolConfig ALPN = new io.netty.handler.ssl.ApplicationProtocolConfig(
            io.netty.handler.ssl.ApplicationProtocolConfig.Protocol.ALPN,
            io.netty.handler.ssl.ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
            io.netty.handler.ssl.ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, "coap");

    /**
     * Serves {@code coaps+tcp://} (RFC 8323 §3.4): CoAP over TCP as {@link #tcp()} describes, each
     * connection secured by TLS from a Netty server context (e.g. {@code
     * SslContextBuilder.forServer(keyManagerFactory).trustManager(caPem).clientAuth(REQUIRE)
     * .applicationProtocolConfig(ALPN).build()}). The session is in HANDSHAKE until the handshake is
     * done; the CSM timeout covers the handshake too, so a peer that stalls it holds a connection no
     * longer. The port moves to 5684 when it was the default 5683.
     *
     * @param context a server context
     * @return a copy
     */
    public CoapServer tls(io.netty.handler.ssl.SslContext context) {
        if (!Objects.requireNonNull(context, "context").isServer()) {
            throw new IllegalArgumentException("a CoAP server needs a server TLS context (SslContextBuilder.forServer(...))");
        }
        ReliableLink.Settings s = reliableSettings();
        return new CoapServer(new InetSocketAddress(local.getAddress(), local.getPort() == 5683 ? 5684 : local.getPort()), config,
                idleTimeout, caps, dtls, groups, reusePort, s.withTls(StreamTls.of(context))).tcp();
    }

    /**
     * Serves {@code coaps+tcp://} as {@link #tls(io.netty.handler.ssl.SslContext)} does, secured by a
     * stream-security provider instead of the JDK's TLS: the {@code dtls} module's
     * {@code TlsPsk.server(store)} gives TLS 1.2 with pre-shared keys (RFC 4279, 5489), as libcoap's
     * {@code coaps+tcp} speaks it; the session's {@link CoapSession#secureStream()} tells the
     * client's PSK identity. The port moves to 5684 when it was the default 5683.
     *
     * @param provider a server-side provider
     * @return a copy
     */
    public CoapServer tls(io.sluice.security.SecureStreamProvider provider) {
        if (Objects.requireNonNull(provider, "provider").isClient()) {
            throw new IllegalArgumentException("a CoAP server needs a server-side provider, not " + provider);
        }
        ReliableLink.Settings s = reliableSettings();
        return new CoapServer(new InetSocketAddress(local.getAddress(), local.getPort() == 5683 ? 5684 : local.getPort()), config,
                idleTimeout, caps, dtls, groups, reusePort, s.withTls(StreamTls.of(Objects.requireNonNull(provider, "provider")))).tcp();
    }

    /**
     * Serves CoAP over WebSockets (RFC 8323 §4): {@code coap+ws://}, or {@code coaps+ws://} with
     * {@link #tls}. The HTTP/1.1 upgrade is taken at {@code /.well-known/coap} with subprotocol
     * {@code coap}; every other request is answered 404. Each binary WebSocket message is one CoAP
     * message (at most our Max-Message-Size; a longer one closes the connection); a text message is
     * answered with close code 1003. After the upgrade everything is as {@link #tcp()} says, the
     * upgrade counting against the CSM timeout.
     *
     * @return a copy
     */
    public CoapServer webSocket() {
        ReliableLink.Settings s = reliableSettings();
        return new CoapServer(local, config, idleTimeout, caps, dtls, groups, reusePort, s.withWebSocket(true)).tcp();
    }

    /**
     * Over the reliable transports, serves a client whose first message is not a CSM, taking it at
     * RFC 8323's base values, instead of aborting it. RFC 8323 §5.3 makes a missing CSM a connection
     * error, so this is off by default; it is for clients that predate CSM, such as Eclipse
     * Californium's TCP connector. The CSM timeout still ends a connection that sends nothing.
     *
     * @param accept whether to accept a client that sends no CSM
     * @return a copy
     */
    public CoapServer acceptMissingCsm(boolean accept) {
        ReliableLink.Settings s = reliableSettings();
        return new CoapServer(local, config, idleTimeout, caps, dtls, groups, reusePort, s.withAcceptMissingCsm(accept)).tcp();
    }

    /**
     * A server with no socket of its own, for an HTTP server that takes the WebSocket upgrade at
     * {@code /.well-known/coap} itself (Spring WebFlux on reactor-netty, say) and hands each
     * upgraded connection over with {@link LiveCoapServer#serveUpgraded}. Routes, caps, the idle
     * pool and the CSM rules are this spec's.
     *
     * @return the live server, serving what is handed over until disposed
     */
    public LiveCoapServer webSocketUpgrades() {
        ReliableLink.Settings s = reliableSettings().withWebSocket(true);
        LiveCoapServer live = new LiveCoapServer(CoapProtocol.WS, idleTimeout, caps.maxSessions(), caps.maxIdleSessions(), config);
        live.acceptUpgrades(config, s);
        return live;
    }

    /**
     * @param timeout over TCP, how long a new connection may take to send its CSM (default 10 s)
     * @return a copy
     */
    public CoapServer csmTimeout(Duration timeout) {
        CoapClient.requirePositive(timeout, "csmTimeout");
        ReliableLink.Settings s = reliableSettings();
        return new CoapServer(local, config, idleTimeout, caps, dtls, groups, reusePort, s.withCsmTimeout(timeout)).tcp();
    }

    /**
     * @param interval over TCP, a Ping goes to a client silent this long, and one silent twice as
     *     long is aborted (default: off; the idle timeout still applies)
     * @return a copy
     */
    public CoapServer keepAlive(Duration interval) {
        CoapClient.requirePositive(interval, "keepAlive");
        ReliableLink.Settings s = reliableSettings();
        return new CoapServer(local, config, idleTimeout, caps, dtls, groups, reusePort, s.withKeepAlive(interval)).tcp();
    }

    /**
     * Records this server's meters in {@code registry}: sessions by type and state, messages and
     * bytes each way, drops by reason, request latency by method and response class, observe
     * notifications sent and dropped (the README's "Observing Sluice" has the table). Needs
     * Micrometer on the class path.
     *
     * @param registry where to record
     * @return a copy
     */
    public CoapServer metrics(io.micrometer.core.instrument.MeterRegistry registry) {
        return new CoapServer(local, config.withMeters(SluiceMeters.of(registry)), idleTimeout, caps, dtls, groups, reusePort, stream);
    }

    /**
     * @param enable record meters in Micrometer's global registry (true), or nowhere (false, the default)
     * @return a copy
     * @throws UnsupportedOperationException when enabling without Micrometer on the class path
     */
    public CoapServer metrics(boolean enable) {
        return new CoapServer(local, config.withMeters(SluiceMeters.global(enable)), idleTimeout, caps, dtls, groups, reusePort, stream);
    }

    /**
     * Observes every request this server answers as a Micrometer Observation {@code sluice.coap.server.request} (low-cardinality keys
     * {@code method}, {@code transport}, {@code response.class}), so a tracing bridge on the
     * registry makes a span of each; the handler runs with it as the current observation and in its answer's Reactor context, so calls it makes are its children.
     *
     * @param registry the registry (its handlers decide what an observation produces)
     * @return a copy
     */
    public CoapServer observations(io.micrometer.observation.ObservationRegistry registry) {
        return new CoapServer(local, config.withTracing(new MicrometerCoapTracing(Objects.requireNonNull(registry, "registry"))),
                idleTimeout, caps, dtls, groups, reusePort, stream);
    }

    /**
     * @param enable log every message decoded and sent at DEBUG under {@code io.sluice.wiretap.coap}
     *     (with a hex dump at TRACE), or nothing (false, the default)
     * @return a copy
     */
    public CoapServer wiretap(boolean enable) {
        return new CoapServer(local, config.withWiretap(Wiretap.of("coap", enable)), idleTimeout, caps, dtls, groups, reusePort, stream);
    }

    /**
     * @param category the SLF4J logger to log messages to
     * @param level the level of the one-line messages (hex dumps at TRACE)
     * @return a copy
     */
    public CoapServer wiretap(String category, org.slf4j.event.Level level) {
        return new CoapServer(local, config.withWiretap(Wiretap.of(category, level)), idleTimeout, caps, dtls, groups, reusePort, stream);
    }

    /** @return the reliable-transport settings so far, or the defaults */
    private ReliableLink.Settings reliableSettings() {
        return stream != null ? stream : ReliableLink.Settings.defaults();
    }

    /** @return binds the socket (or the DTLS listener) and serves until disposed */
    public Mono<LiveCoapServer> bind() {
        if (dtls != null) {
            return bindSecure();
        }
        if (stream != null) {
            return bindReliable();
        }
        return Mono.create(sink -> {
            EventLoopGroup group = CoapLoops.LOOPS.onServer(true);
            List<EventLoop> loops = new ArrayList<>();
            boolean spread = reusePort && CoapLoops.LOOPS.onChannelClass(DatagramChannel.class, group)
                    == io.netty.channel.epoll.EpollDatagramChannel.class;
            for (io.netty.util.concurrent.EventExecutor e : group) {
                loops.add((EventLoop) e);
                if (!spread) {
                    break;
                }
            }
            LiveCoapServer live = new LiveCoapServer(CoapProtocol.UDP, idleTimeout, caps.maxSessions(), caps.maxIdleSessions(), config);
            List<ChannelFuture> binds = new ArrayList<>();
            bindUdp(live, loops, 0, local, spread, group, binds, sink);
            sink.onCancel(() -> binds.forEach(b -> b.addListener(f -> b.channel().close())));
        });
    }

    /**
     * Binds the UDP socket of {@code loops[index]}: the first on {@code address} (port 0 picks
     * one), the rest on the port the first got, all with SO_REUSEPORT when {@code spread}, so the
     * kernel hands each peer (by its address and port) to one socket, and with it one loop and one
     * endpoint that keeps that peer's session and deduplication. Multicast groups join on the first.
     */
    private void bindUdp(LiveCoapServer live, List<EventLoop> loops, int index, InetSocketAddress address, boolean spread,
            EventLoopGroup group, List<ChannelFuture> binds, reactor.core.publisher.MonoSink<LiveCoapServer> sink) {
        EventLoop loop = loops.get(index);
        CoapEndpoint endpoint = new CoapEndpoint(loop, config, CoapProtocol.UDP, true, live, live.traffic);
        Bootstrap bootstrap = datagramBootstrap(loop, group, endpoint, false);
        if (spread) {
            bootstrap.option(io.netty.channel.epoll.EpollChannelOption.SO_REUSEPORT, true);
        }
        ChannelFuture bound = bootstrap.bind(address);
        binds.add(bound);
        bound.addListener(f -> {
            if (!f.isSuccess()) {
                binds.forEach(b -> b.channel().close());
                sink.error(new CoapException(CoapErrorCode.BIND_FAILED, "cannot bind CoAP on " + address + ": " + f.cause().getMessage(), f.cause()));
                return;
            }
            Channel channel = bound.channel();
            endpoint.link = new UdpLink(channel, false, live.traffic);
            live.attach(endpoint, channel);
            InetSocketAddress actual = (InetSocketAddress) channel.localAddress();
            if (index + 1 < loops.size()) {
                bindUdp(live, loops, index + 1, new InetSocketAddress(address.getAddress(), actual.getPort()), spread, group, binds, sink);
            } else {
                CoapEndpoint first = live.firstEndpoint();
                joinGroups(first.loop, group, first, live, actual.getPort(), sink);
            }
        });
    }

    /**
     * Spreads a UDP server over every event loop: one socket per loop, all bound to the same
     * address and port with SO_REUSEPORT, the kernel steering each peer (by its address and port)
     * to one of them. Each socket has its own endpoint, so a peer's session, deduplication and
     * observations stay on one loop; the caps ({@link #maxSessions}, {@link #maxIdleSessions})
     * stay server-wide. Only with Netty's native epoll transport (Linux); elsewhere the server
     * binds one socket as before. Off by default.
     *
     * @param enable one socket per event loop (true) or one socket (false)
     * @return a copy
     */
    public CoapServer reusePort(boolean enable) {
        return new CoapServer(local, config, idleTimeout, caps, dtls, groups, enable, stream);
    }

    private void joinGroups(EventLoop loop, EventLoopGroup group, CoapEndpoint endpoint, LiveCoapServer live, int port,
            reactor.core.publisher.MonoSink<LiveCoapServer> sink) {
        if (groups.isEmpty()) {
            sink.success(live);
            return;
        }
        int[] pending = {groups.size()};
        for (Group g : groups) {
            ChannelFuture bound = datagramBootstrap(loop, group, endpoint, true).option(ChannelOption.SO_REUSEADDR, true)
                    .bind(new InetSocketAddress(g.address(), port));
            bound.addListener(f -> {
                if (!f.isSuccess()) {
                    live.dispose();
                    sink.error(new CoapException(CoapErrorCode.BIND_FAILED, "cannot bind the group " + g.address() + ": " + f.cause().getMessage(), f.cause()));
                    return;
                }
                DatagramChannel channel = (DatagramChannel) bound.channel();
                live.groupChannel(channel);
                channel.joinGroup(new InetSocketAddress(g.address(), port), g.networkInterface()).addListener(j -> {
                    if (!j.isSuccess()) {
                        live.dispose();
                        sink.error(new CoapException(CoapErrorCode.BIND_FAILED, "cannot join " + g.address() + " on "
                                + g.networkInterface().getName() + ": " + j.cause().getMessage(), j.cause()));
                    } else if (--pending[0] == 0) {
                        sink.success(live);
                    }
                });
            });
        }
    }

    /** Datagrams one {@code recvmmsg} reads at most on the native transport. */
    private static final int DATAGRAMS_PER_READ = 16;

    static Bootstrap datagramBootstrap(EventLoop loop, EventLoopGroup group, CoapEndpoint endpoint, boolean viaGroup) {
        Class<? extends DatagramChannel> type = CoapLoops.LOOPS.onChannelClass(DatagramChannel.class, group);
        // One byte over the limit, so an oversized datagram shows as such instead of arriving truncated.
        int slot = EndpointConfig.MAX_DATAGRAM_BYTES + 1;
        Bootstrap bootstrap = new Bootstrap()
                .group(loop)
                .channel(type)
                .option(ChannelOption.SO_RCVBUF, 1 << 20)
                .handler(new UdpLink.Reader(endpoint, viaGroup, EndpointConfig.MAX_DATAGRAM_BYTES));
        if (type == io.netty.channel.epoll.EpollDatagramChannel.class) {
            // recvmmsg: up to 16 datagrams per system call, each a slice of one buffer. The endpoint
            // handles every datagram before the read returns, so no slice outlives the batch.
            return bootstrap.option(io.netty.channel.epoll.EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, slot)
                    .option(ChannelOption.RECVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(slot * DATAGRAMS_PER_READ));
        }
        return bootstrap.option(ChannelOption.RECVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(slot));
    }

    private Mono<LiveCoapServer> bindReliable() {
        return Mono.create(sink -> {
            EventLoopGroup group = CoapLoops.LOOPS.onServer(true);
            LiveCoapServer live = new LiveCoapServer(stream.protocol(), idleTimeout, caps.maxSessions(), caps.maxIdleSessions(), config);
            ChannelFuture bound = new ServerBootstrap().group(group)
                    .channel(CoapLoops.LOOPS.onChannelClass(ServerSocketChannel.class, group))
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel channel) {
                            live.acceptReliable(channel, config, stream);
                        }
                    })
                    .bind(local);
            bound.addListener(f -> {
                if (!f.isSuccess()) {
                    sink.error(new CoapException(CoapErrorCode.BIND_FAILED, "cannot bind CoAP over " + stream.protocol() + " on " + local + ": "
                            + f.cause().getMessage(), f.cause()));
                    return;
                }
                live.attach(null, bound.channel());
                sink.success(live);
            });
            sink.onCancel(() -> bound.addListener(f -> bound.channel().close()));
        });
    }

    private Mono<LiveCoapServer> bindSecure() {
        return Mono.defer(() -> dtls.bind(local)).map(listener -> {
            LiveCoapServer live = new LiveCoapServer(CoapProtocol.DTLS, idleTimeout, caps.maxSessions(), caps.maxIdleSessions(), config);
            live.attachSecure(listener, config);
            return live;
        });
    }

    @Override
    public String toString() {
        return "CoapServer[" + (dtls != null ? "coaps://" : stream != null ? stream.protocol().scheme() + "://" : "coap://") + local + ", " + config.routes().size() + " routes]";
    }
}
