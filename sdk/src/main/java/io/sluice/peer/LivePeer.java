package io.sluice.peer;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.nio.NioDomainSocketChannel;
import io.netty.channel.socket.nio.NioServerDomainSocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.timeout.IdleStateHandler;
import io.sluice.event.EventStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Schedulers;
import reactor.netty.resources.LoopResources;

/**
 * A started {@link Peer}: its listeners, its accepted and client sessions, and its event streams.
 *
 * <p>Thread-safe. Connections run on Sluice's shared event loops (reactor-netty
 * {@link LoopResources}, daemon threads; native epoll where available, else NIO); file-system work for UNIX sockets runs on
 * {@link Schedulers#boundedElastic()}. {@link #dispose()} stops listening, closes every session and
 * completes {@link #onDispose()}.
 */
public final class LivePeer implements Disposable {

    private static final LoopResources LOOPS = LoopResources.create("sluice-peer", 1,
            Math.max(2, Runtime.getRuntime().availableProcessors()), true);

    /**
     * Native transports (epoll) where the platform has them, for TCP and UNIX endpoints: they cut
     * small-call latency markedly. Channels handed over as {@code java.nio} objects (adopted or
     * already listening) stay on NIO loops, the only transport that can take them.
     */
    private static final boolean NATIVE = LoopResources.hasNativeSupport();

    /** UNIX sockets go native only on epoll; elsewhere they use NIO's (JDK 16+) support. */
    private static final boolean EPOLL = NATIVE
            && LOOPS.onChannelClass(io.netty.channel.socket.SocketChannel.class, LOOPS.onClient(true)) == EpollSocketChannel.class;

    private final PeerConfig config;
    private final Admission admission;
    private final EventStream<CallTrace> traces = EventStream.create(4096);
    private final EventStream<PeerException> exceptions = EventStream.create(1024);
    private final Set<Association> accepted = ConcurrentHashMap.newKeySet();
    /** Sessions on channels handed over with {@link #connect(SocketChannel)}: no client session owns them, so the peer does. */
    private final Set<Association> adopted = ConcurrentHashMap.newKeySet();
    private final List<ClientSession> clients = new CopyOnWriteArrayList<>();
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final Sinks.Empty<Void> disposed = Sinks.empty();
    private final java.util.concurrent.atomic.LongAdder stalled = new java.util.concurrent.atomic.LongAdder();
    private volatile boolean isDisposed;

    /** A bound server channel and, for UNIX sockets, the file to remove on stop. */
    private record Listener(Channel channel, Path socketFile) { }

    LivePeer(PeerConfig config) {
        this.config = config;
        this.admission = new Admission(config.maxClients(), config.maxBacklog());
        this.meters = config.observing().meters();
        this.meterGroup = meters.group()
                .gauge("sluice.peer.connections", "peer connections by side", () -> accepted.size(), "side", "accepted")
                .gauge("sluice.peer.connections", "peer connections by side", () -> adopted.size(), "side", "adopted")
                .gauge("sluice.peer.connections", "peer connections by side", () -> clients.size(), "side", "client")
                .gauge("sluice.peer.connections.waiting", "accepted connections waiting for a client slot", () -> admission.waiting())
                .counter("sluice.peer.connections.stalled", "connections closed because the remote stopped reading", "connections",
                        stalled::sum);
    }

    /** Where calls are timed: by direction, call type and status; types come from the protocol, so the set is bounded. */
    private final io.sluice.metrics.SluiceMeters meters;
    private final io.sluice.metrics.MeterGroup meterGroup;
    private final java.util.concurrent.ConcurrentHashMap<String, io.sluice.metrics.Timing> callTimers =
            new java.util.concurrent.ConcurrentHashMap<>();

    boolean timed() {
        return meters.enabled();
    }

    PeerTracing observations() {
        return config.observing().tracing();
    }

    io.sluice.wiretap.Wiretap wiretap() {
        return config.observing().wiretap();
    }

    PeerConfig config() {
        return config;
    }

    // ---- listening -------------------------------------------------------------------------

    /**
     * Binds every listen endpoint of the spec (again, after {@link #stopListening()}); a TCP port 0
     * is a new free port each time. Completes when all accept connections.
     *
     * @return completion
     */
    public Mono<Void> startListening() {
        return Flux.fromIterable(config.listenEndpoints()).concatMap(this::bind).doOnNext(listeners::add).then();
    }

    /**
     * Stops accepting (lwmsg's {@code stop_listen}): closes the listeners, removes UNIX socket files,
     * and terminates every accepted session, cancelling its incoming calls. Client sessions made with
     * {@link #connect()} are not affected.
     *
     * @return completes when every listener and accepted session is closed
     */
    public Mono<Void> stopListening() {
        return Mono.defer(() -> {
            List<Mono<Void>> closing = new ArrayList<>();
            for (Listener l : listeners) {
                listeners.remove(l);
                closing.add(toMono(l.channel().close()).then(l.socketFile() == null ? Mono.empty()
                        : Mono.<Void>fromCallable(() -> {
                            Files.deleteIfExists(l.socketFile());
                            return null;
                        }).subscribeOn(Schedulers.boundedElastic())));
            }
            for (Association a : accepted) {
                closing.add(a.close(PeerException.of(PeerStatus.SHUTDOWN, "the peer stopped listening"),
                        PeerStatus.SHUTDOWN, "the peer stopped listening"));
            }
            return Mono.when(closing);
        });
    }

    /** @return the addresses the peer listens on now ({@code InetSocketAddress} or {@code UnixDomainSocketAddress}) */
    public List<SocketAddress> listenAddresses() {
        List<SocketAddress> addresses = new ArrayList<>();
        for (Listener l : listeners) {
            addresses.add(l.socketFile() != null ? UnixDomainSocketAddress.of(l.socketFile()) : l.channel().localAddress());
        }
        return addresses;
    }

    /** @return accepted sessions holding a client slot now */
    public int activeClients() {
        return admission.active();
    }

    /** @return connections closed because the remote left more than the outbound limit unread for the stall timeout ({@link Peer#outboundLimit}) */
    public long stalledConnections() {
        return stalled.sum();
    }

    void stalled() {
        stalled.increment();
    }

    /** @return accepted sessions waiting for a client slot now */
    public int waitingClients() {
        return admission.waiting();
    }

    private Mono<Listener> bind(PeerEndpoint endpoint) {
        boolean nativeTransport = endpoint instanceof PeerEndpoint.Tcp ? NATIVE : endpoint instanceof PeerEndpoint.Unix && EPOLL;
        EventLoopGroup boss = LOOPS.onServerSelect(nativeTransport);
        EventLoopGroup workers = LOOPS.onServer(nativeTransport);
        ServerBootstrap bootstrap = new ServerBootstrap().group(boss, workers)
                .childOption(ChannelOption.AUTO_READ, false)
                .childHandler(initializer(false, null));
        if (endpoint instanceof PeerEndpoint.Tcp tcp) {
            return Mono.fromCallable(tcp::resolved).subscribeOn(Schedulers.boundedElastic())
                    .flatMap(address -> toMono(bootstrap.channel(LOOPS.onChannelClass(ServerSocketChannel.class, boss))
                            .bind(address)))
                    .map(ch -> new Listener(ch, null));
        }
        if (endpoint instanceof PeerEndpoint.Unix unix) {
            Path path = unix.path();
            return Mono.fromCallable(() -> {
                        removeStaleSocket(path);
                        return path;
                    }).subscribeOn(Schedulers.boundedElastic())
                    .flatMap(p -> toMono(bootstrap.channel(EPOLL ? EpollServerDomainSocketChannel.class
                            : NioServerDomainSocketChannel.class).bind(unixAddress(path))))
                    .publishOn(Schedulers.boundedElastic())
                    .map(ch -> {
                        try {
                            Files.setPosixFilePermissions(path, unix.permissions());
                        } catch (IOException | UnsupportedOperationException e) {
                            ch.close();
                            throw PeerException.of(PeerStatus.UNAVAILABLE, "could not set permissions on " + path + ": " + e, e);
                        }
                        return new Listener(ch, path);
                    });
        }
        PeerEndpoint.Listening listening = (PeerEndpoint.Listening) endpoint;
        return Mono.fromCallable(() -> listening.channel().getLocalAddress()).subscribeOn(Schedulers.boundedElastic())
                .flatMap(local -> {
                    io.netty.channel.ServerChannel server = local instanceof UnixDomainSocketAddress
                            ? new NioServerDomainSocketChannel(listening.channel())
                            : new NioServerSocketChannel(listening.channel());
                    return toMono(bootstrap.channelFactory((io.netty.channel.ChannelFactory<io.netty.channel.ServerChannel>) () -> server).register())
                            .map(ch -> new Listener(ch, local instanceof UnixDomainSocketAddress u ? u.getPath() : null));
                });
    }

    private static SocketAddress unixAddress(Path path) {
        return EPOLL ? new DomainSocketAddress(path.toFile()) : UnixDomainSocketAddress.of(path);
    }

    /** A socket file nobody answers on is left over from a crashed process; anything else is in use. */
    private static void removeStaleSocket(Path path) throws IOException {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS) || Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
            throw PeerException.of(PeerStatus.UNAVAILABLE, path + " exists and is not a socket; not replacing it");
        }
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            probe.connect(UnixDomainSocketAddress.of(path));
            throw PeerException.of(PeerStatus.UNAVAILABLE, "another process is listening on " + path);
        } catch (IOException refused) {
            Files.deleteIfExists(path);
        }
    }

    private static final io.netty.util.AttributeKey<Association> ASSOCIATION = io.netty.util.AttributeKey.valueOf("sluice.peer.association");

    private ChannelInitializer<Channel> initializer(boolean initiator, SocketAddress remote) {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                install(ch, initiator, remote);
            }
        };
    }

    private Association install(Channel ch, boolean initiator, SocketAddress remote) {
        Association association = new Association(this, ch, initiator, initiator ? null : admission);
        ch.attr(ASSOCIATION).set(association);
        if (!initiator) {
            accepted.add(association);
        }
        int maxPending = config.outbound().maxPendingBytes();
        ch.config().setWriteBufferWaterMark(new io.netty.channel.WriteBufferWaterMark(maxPending / 2, maxPending));
        ChannelPipeline p = ch.pipeline();
        SslContext tls = initiator ? config.tls().client() : config.tls().server();
        if (tls != null) {
            // The host name goes to SNI and to the context's host-name check.
            p.addLast(remote instanceof InetSocketAddress inet
                    ? tls.newHandler(ch.alloc(), inet.getHostString(), inet.getPort()) : tls.newHandler(ch.alloc()));
        }
        long keepAlive = config.keepAlive().toMillis();
        if (keepAlive > 0) {
            // Writer-idle only: it times this side's keep-alive pings. Idle and liveness are the
            // association's own rules (a ping is not use).
            p.addLast(new IdleStateHandler(0, keepAlive, 0, TimeUnit.MILLISECONDS));
        }
        p.addLast(new FlushConsolidationHandler(256, true));
        p.addLast(new FrameDecoder(config.limits()));
        p.addLast(association);
        return association;
    }

    // ---- connecting ------------------------------------------------------------------------

    /**
     * A client session over the spec's connect endpoints (lwmsg's {@code peer_connect}). Nothing is
     * connected until the first call; then the endpoints are tried in order.
     *
     * @return the session
     * @throws IllegalStateException when the spec has no connect endpoints
     */
    public PeerSession connect() {
        if (config.connectEndpoints().isEmpty()) {
            throw new IllegalStateException("the peer has no connect endpoints; add them with Peer.connectTo(...)");
        }
        ClientSession session = new ClientSession(this);
        clients.add(session);
        return session;
    }

    /**
     * A session on a channel that is already connected (lwmsg's {@code connect_fd}); this side
     * calls first-side ids (odd) and sends HELLO at once. The peer takes ownership of the channel.
     *
     * @param channel a connected TCP or UNIX domain socket channel
     * @return the session once the HELLO exchange is done
     */
    public Mono<PeerSession> connect(SocketChannel channel) {
        return adopt(channel, true);
    }

    /**
     * Serves a channel that is already connected (lwmsg's {@code accept_fd}), as if a listener had
     * accepted it: the client slots apply. The peer takes ownership of the channel.
     *
     * @param channel a connected TCP or UNIX domain socket channel
     * @return the session once the HELLO exchange is done
     */
    public Mono<PeerSession> accept(SocketChannel channel) {
        return adopt(channel, false);
    }

    private Mono<PeerSession> adopt(SocketChannel javaChannel, boolean initiator) {
        return Mono.fromCallable(javaChannel::getRemoteAddress).subscribeOn(Schedulers.boundedElastic()).flatMap(remote -> {
            Channel ch = remote instanceof UnixDomainSocketAddress
                    ? new NioDomainSocketChannel(javaChannel) : new NioSocketChannel(javaChannel);
            if (!initiator) {
                ch.config().setAutoRead(false);
            }
            Association association = install(ch, initiator, remote);
            if (initiator) {
                adopted.add(association);
                if (isDisposed) {
                    association.disconnect().subscribe();
                }
            }
            return toMono(LOOPS.onClient(false).register(ch)).then(association.whenEstablished());
        });
    }

    /** One connection attempt to one endpoint, up to the end of the HELLO exchange. */
    Mono<Association> connectTo(PeerEndpoint endpoint) {
        EventLoopGroup group = LOOPS.onClient(endpoint instanceof PeerEndpoint.Unix ? EPOLL : NATIVE);
        Bootstrap bootstrap = new Bootstrap().group(group);
        long timeout = config.establishTimeout().toMillis();
        if (timeout > 0) {
            bootstrap.option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, timeout));
        }
        Mono<Channel> connected;
        if (endpoint instanceof PeerEndpoint.Tcp tcp) {
            connected = Mono.fromCallable(tcp::resolved).subscribeOn(Schedulers.boundedElastic())
                    .flatMap(address -> toMono(bootstrap.handler(initializer(true, address))
                            .channel(LOOPS.onChannelClass(io.netty.channel.socket.SocketChannel.class, group)).connect(address)));
        } else if (endpoint instanceof PeerEndpoint.Unix unix) {
            connected = Mono.defer(() -> toMono(bootstrap.handler(initializer(true, null)).channel(EPOLL ? EpollDomainSocketChannel.class
                    : NioDomainSocketChannel.class).connect(unixAddress(unix.path()))));
        } else {
            return Mono.error(new IllegalArgumentException("cannot connect to " + endpoint));
        }
        // From the channel's attribute, not its pipeline: a peer that says GOODBYE at once may have
        // emptied the pipeline (closed) before the connect future's listener runs.
        return connected.flatMap(ch -> ch.attr(ASSOCIATION).get().whenEstablished());
    }

    // ---- hooks and events ------------------------------------------------------------------

    Object sessionStarted(PeerSession session) {
        return config.sessionConstructor() == null ? null : config.sessionConstructor().apply(session);
    }

    void sessionEnded(PeerSession session, Object context) {
        if (config.sessionDestructor() != null) {
            try {
                config.sessionDestructor().accept(session, context);
            } catch (RuntimeException e) {
                exception(PeerException.of(PeerStatus.HANDLER_FAILED, "session destructor failed for " + session + ": " + e, e));
            }
        }
    }

    void forget(Association association) {
        accepted.remove(association);
        adopted.remove(association);
    }

    void forget(ClientSession session) {
        clients.remove(session);
    }

    boolean tracing() {
        return traces.subscriberCount() > 0;
    }

    void trace(CallTrace trace) {
        if (trace.phase() == CallTrace.Phase.END && meters.enabled()) {
            String direction = trace.direction() == CallTrace.Direction.INCOMING ? "incoming" : "outgoing";
            String type = config.protocol().contains(trace.type()) ? trace.type().name() : "unknown";
            callTimers.computeIfAbsent(direction + ' ' + type + ' ' + trace.status(), k -> meters.timer("sluice.peer.calls",
                    "peer calls from REQUEST to their last frame", "direction", direction, "type", type,
                    "status", trace.status().name())).record(trace.duration().toNanos());
        }
        if (traces.subscriberCount() > 0) {
            traces.emit(trace);
        }
    }

    void exception(PeerException e) {
        exceptions.emit(e);
    }

    /**
     * Every call beginning and ending, in both directions (lwmsg's trace functions). Hot; a slow
     * subscriber loses its oldest events (see {@link EventStream}).
     *
     * @return the trace events
     */
    public Flux<CallTrace> traces() {
        return traces.events();
    }

    /**
     * Unexpected failures while serving calls (lwmsg's exception function): handler crashes,
     * protocol errors by remote peers, hook failures. Hot and bounded like {@link #traces()}.
     *
     * @return the failures
     */
    public Flux<PeerException> exceptions() {
        return exceptions.events();
    }

    /** @return the dispatch data of the spec, or {@code null} */
    public Object dispatchData() {
        return config.dispatchData();
    }

    // ---- disposal --------------------------------------------------------------------------

    @Override
    public void dispose() {
        if (isDisposed) {
            return;
        }
        isDisposed = true;
        List<Mono<Void>> closing = new ArrayList<>();
        closing.add(stopListening());
        for (ClientSession c : clients) {
            closing.add(c.disconnect());
        }
        for (Association a : adopted) {
            closing.add(a.close(PeerException.of(PeerStatus.SHUTDOWN, "the peer was disposed"), PeerStatus.SHUTDOWN,
                    "the peer was disposed"));
        }
        Mono.when(closing).doFinally(s -> {
            meterGroup.dispose();
            traces.complete();
            exceptions.complete();
            disposed.tryEmitEmpty();
        }).subscribe(v -> { }, e -> { });
    }

    /**
     * Disposes and waits, for mains and tests; never call it on an event loop.
     *
     * @param timeout how long to wait
     */
    public void disposeNow(Duration timeout) {
        dispose();
        onDispose().block(timeout);
    }

    @Override
    public boolean isDisposed() {
        return isDisposed;
    }

    /** @return completes when disposal has closed everything */
    public Mono<Void> onDispose() {
        return disposed.asMono();
    }

    static Mono<Channel> toMono(ChannelFuture future) {
        return Mono.create(sink -> future.addListener(f -> {
            if (f.isSuccess()) {
                sink.success(future.channel());
            } else {
                sink.error(f.cause());
            }
        }));
    }
}
