package io.sluice.coap;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.sluice.security.SecureDatagramListener;
import io.sluice.security.SecureDatagramSession;
import io.sluice.session.IdlePool;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * A bound CoAP server: its address, its sessions, its idle pool and its counters. Disposing it
 * closes the socket (or the DTLS listener) and frees every session, failing their pending
 * exchanges. Thread-safe.
 */
public final class LiveCoapServer implements Disposable, CoapEndpoint.SessionHost {

    private final CoapProtocol protocol;
    private final Duration idleTimeout;
    private final IdlePool<SessionImpl> idle;
    private final int maxSessions;
    private final int maxIdleSessions;
    private final LongAdder expired = new LongAdder();
    private final LongAdder evicted = new LongAdder();
    private final LongAdder refused = new LongAdder();
    private final Set<SessionImpl> sessions = ConcurrentHashMap.newKeySet();
    /** Every endpoint, a connection's among them: a set, since connections come and go by the thousand under a flood. */
    private final Set<CoapEndpoint> endpoints = ConcurrentHashMap.newKeySet();
    /**
     * Connection sessions in the order the eviction hand visits them (CLOCK, an approximation of
     * least-recently-active): oldest first; one active since the hand last passed goes round again.
     */
    private final ConcurrentLinkedQueue<Tick> clock = new ConcurrentLinkedQueue<>();
    private final AtomicInteger clockSize = new AtomicInteger();
    private final List<Channel> channels = new CopyOnWriteArrayList<>();
    private final Sinks.Empty<Void> disposed = Sinks.empty();
    private volatile SecureDatagramListener listener;
    private volatile InetSocketAddress localAddress;
    private volatile boolean isDisposed;
    final CoapTraffic traffic;

    LiveCoapServer(CoapProtocol protocol, Duration idleTimeout, int maxSessions, int maxIdleSessions, EndpointConfig config) {
        this.protocol = protocol;
        this.traffic = new CoapTraffic(config.meters(), config.wiretap(), protocol, true);
        traffic.sessionGauges(sessions, CoapSessionType.SERVER, CoapSessionType.HELLO);
        traffic.serverCounters(refused, evicted, expired);
        this.idleTimeout = idleTimeout;
        this.maxSessions = maxSessions;
        this.maxIdleSessions = maxIdleSessions;
        this.idle = IdlePool.create(idleTimeout, this::evict);
    }

    private boolean evict(SessionImpl session) {
        long idleFor = session.idleNanos();
        if (idleFor < idleTimeout.toNanos() && session.refCount() == 0 && !session.isFreed() && !isDisposed) {
            // Traffic since it was parked: wait out the rest of the timeout from the last datagram.
            idle.park(session, Duration.ofNanos(idleTimeout.toNanos() - idleFor));
            return false;
        }
        return session.expireIfIdle(expired::increment, "the session was idle for the idle timeout and was freed");
    }

    private final List<CoapEndpoint> udpEndpoints = new CopyOnWriteArrayList<>();

    void attach(CoapEndpoint endpoint, Channel channel) {
        if (endpoint != null) {
            endpoints.add(endpoint);
            if (protocol == CoapProtocol.UDP) {
                udpEndpoints.add(endpoint);
            }
        }
        channels.add(channel);
        localAddress = (InetSocketAddress) channel.localAddress();
        channel.closeFuture().addListener(f -> dispose());
    }

    /** @return the endpoint of the first UDP socket bound (multicast groups join there) */
    CoapEndpoint firstEndpoint() {
        return udpEndpoints.get(0);
    }

    /** @return how many sockets serve the port: one per event loop for a UDP server with {@link CoapServer#reusePort}, else 1 */
    public int sockets() {
        return Math.max(1, udpEndpoints.size());
    }

    /** @return how many sessions each socket's endpoint holds now, in binding order (UDP servers) */
    List<Integer> sessionsPerSocket() {
        List<Integer> counts = new ArrayList<>();
        for (CoapEndpoint e : udpEndpoints) {
            counts.add(e.sessionsSnapshot().size());
        }
        return counts;
    }

    @Override
    public int sessionCount() {
        return sessions.size();
    }

    void groupChannel(Channel channel) {
        channels.add(channel);
    }

    void attachSecure(SecureDatagramListener secureListener, EndpointConfig config) {
        this.secureConfig = config;
        this.listener = secureListener;
        this.localAddress = secureListener.localAddress();
        secureListener.sessions().subscribe(this::accept, e -> dispose(), this::dispose);
    }

    private void accept(SecureDatagramSession secure) {
        if (isDisposed) {
            secure.dispose();
            return;
        }
        if (sessions.size() >= maxSessions) {
            // A DTLS session's state is the security layer's already; over the cap it is closed, not kept.
            refused.increment();
            secure.dispose();
            return;
        }
        EventLoop loop = CoapLoops.LOOPS.onServer(true).next();
        CoapEndpoint endpoint = new CoapEndpoint(loop, secureConfig, CoapProtocol.DTLS, true, this, traffic);
        SecureLink link = new SecureLink(secure, traffic);
        endpoint.link = link;
        endpoints.add(endpoint);
        loop.execute(() -> {
            // libcoap's server session during a DTLS handshake: type HELLO, state HANDSHAKE.
            SessionImpl session = new SessionImpl(endpoint, CoapSessionType.HELLO, secure.remoteAddress(), null, 0);
            endpoint.attach(session);
            session.handshaking();
            sessionCreated(session);
            secure.established().subscribe(established -> endpoint.onLoop(() -> {
                if (session.isFreed()) {
                    secure.dispose(); // freed while the handshake ran (the idle cap, the server stopping)
                    return;
                }
                session.setType(CoapSessionType.SERVER);
                session.secured(secure, secure.pskIdentityHint().orElse(null), secure.pskKey().orElse(null));
                session.establish();
                link.start(endpoint, () -> {
                    endpoints.remove(endpoint);
                    session.free(new CoapException(CoapErrorCode.CLOSED, CoapNackReason.TLS_FAILED, "the DTLS session with "
                            + secure.remoteAddress() + " ended"));
                });
            }), failure -> endpoint.onLoop(() -> {
                endpoints.remove(endpoint);
                session.free(new CoapException(CoapErrorCode.HANDSHAKE_FAILED, CoapNackReason.TLS_FAILED, "the DTLS handshake with "
                        + secure.remoteAddress() + " failed: " + failure.getMessage()));
            }));
        });
    }

    private volatile EndpointConfig secureConfig;

    /** A new connection to a server over TCP, TLS or WebSockets, on its channel's loop, before it is active. */
    void acceptReliable(Channel channel, EndpointConfig config, ReliableLink.Settings settings) {
        SessionImpl session = connectionSession(channel, config, settings.protocol());
        if (session != null) {
            session.endpoint.link = ReliablePipelines.server(channel, session.endpoint, session, settings, traffic);
            sessionCreated(session);
        }
    }

    /**
     * The server session of one new connection, with its own endpoint, or null when the server is
     * at its cap with nothing to evict (the connection is then closed, counted, before a byte is read).
     */
    private SessionImpl connectionSession(Channel channel, EndpointConfig config, CoapProtocol protocol) {
        if (isDisposed || !makeRoomForConnection()) {
            refused.increment();
            channel.close();
            return null;
        }
        CoapEndpoint endpoint = new CoapEndpoint(channel.eventLoop(), config, protocol, true, this, traffic);
        SessionImpl session = new SessionImpl(endpoint, CoapSessionType.SERVER, (InetSocketAddress) channel.remoteAddress(), null, 0);
        endpoint.attach(session);
        endpoints.add(endpoint);
        channel.closeFuture().addListener(f -> endpoints.remove(endpoint));
        enterClock(session);
        return session;
    }

    /**
     * A connection's place in the eviction clock, emptied when its session ends so that the queue
     * never keeps an ended session (its endpoint, link and channel) reachable.
     */
    static final class Tick {
        volatile SessionImpl session;
        /** When the hand last passed (or the connection came). */
        volatile long mark = System.nanoTime();

        Tick(SessionImpl session) {
            this.session = session;
        }
    }

    private void enterClock(SessionImpl session) {
        Tick tick = new Tick(session);
        session.clockTick = tick;
        clock.offer(tick);
        clockSize.incrementAndGet();
        // Ended sessions leave an empty tick in the queue until the hand reaches it; without eviction
        // pressure the hand never moves, so each arrival also passes two ticks along, dropping empty ones.
        if (clockSize.get() > 2 * sessions.size() + EVICTION_SCAN) {
            for (int i = 0; i < 2; i++) {
                Tick t = clock.poll();
                if (t == null) {
                    break;
                }
                if (t.session != null) {
                    clock.offer(t);
                } else {
                    clockSize.decrementAndGet();
                }
            }
        }
    }

    /** How many sessions a full server's eviction hand visits at most for one new connection, a multiple of this. */
    private static final int EVICTION_SCAN = 64;

    /**
     * Makes room for one more connection within {@code maxSessions} and {@code maxIdleSessions}, as
     * for UDP peers: past either cap, a new connection takes the place of a session that nobody
     * retains and nobody observes through and that has been silent since the eviction hand last
     * passed it (CLOCK: the hand goes round the connections oldest first, and gives one that was
     * active a second chance), or that has not finished its TLS handshake, upgrade or CSM exchange.
     * The one displaced is sent a Release and counted in {@link #evictedSessions()}. A flood of
     * connections therefore displaces the silent ones, and clients that keep talking keep their place.
     *
     * @return false when the hand found nothing to displace and the server is at {@code maxSessions}
     */
    private boolean makeRoomForConnection() {
        if (sessions.size() < maxSessions && idle.size() < maxIdleSessions) {
            return true;
        }
        // At most one turn, so a call never passes the same session twice, and at most 4 x 64 live
        // sessions; if every live one it passes was active since its last visit, the least recently
        // active of them goes. Entries of sessions that ended are dropped on the way and not counted:
        // a stretch of them (a flood's connections, closed together) must not make a sample of one.
        int turn = clockSize.get();
        int live = 0;
        SessionImpl leastActive = null;
        for (int polled = 0; polled < turn && live < 4 * EVICTION_SCAN; polled++) {
            Tick tick = clock.poll();
            if (tick == null) {
                break;
            }
            clockSize.decrementAndGet();
            SessionImpl s = tick.session;
            if (s == null || !sessions.contains(s)) {
                continue; // it ended: it leaves the clock
            }
            live++;
            boolean inUse = s.refCount() != 0 || s.observerCount() > 0;
            boolean established = s.state() == CoapSessionState.ESTABLISHED;
            if (!inUse && (!established || !s.activeSince(tick.mark)) && displace(s, established
                    ? "a new connection took the place of this idle session, silent since the server last looked"
                    : "a new connection took the place of one that had not finished its CSM exchange")) {
                return true;
            }
            if (!inUse && (leastActive == null || s.idleNanos() > leastActive.idleNanos())) {
                leastActive = s;
            }
            tick.mark = System.nanoTime(); // a second chance
            clock.offer(tick);
            clockSize.incrementAndGet();
        }
        if (leastActive != null && displace(leastActive, "a new connection took the place of this idle session, the least recently active")) {
            return true; // it stays in the queue until the hand drops it as ended
        }
        return sessions.size() < maxSessions;
    }

    /** Frees {@code s} to make room, out of the counts at once. @return false when it was revived or freed meanwhile */
    private boolean displace(SessionImpl s, String why) {
        // Out of the counts now, not when its own loop gets to free it: the next connection, perhaps
        // on another loop, must see the room as taken and the victim as gone.
        return s.expireIfIdle(() -> {
            evicted.increment();
            sessions.remove(s);
            idle.unpark(s);
            leaveClock(s);
        }, why);
    }

    private volatile EndpointConfig upgradeConfig;
    private volatile ReliableLink.Settings upgradeSettings;

    void acceptUpgrades(EndpointConfig config, ReliableLink.Settings settings) {
        this.upgradeConfig = config;
        this.upgradeSettings = settings;
    }

    /**
     * Serves CoAP over a WebSocket that an HTTP server (reactor-netty's, under Spring WebFlux for
     * example) has already upgraded at {@code /.well-known/coap} with subprotocol {@code coap}: the
     * connection becomes a server session of protocol WS (or WSS when it runs over TLS), CSM first,
     * exactly as on {@link CoapServer#webSocket()}'s own port. Sluice's handlers take the binary
     * frames from then on, so nothing else may read the connection's inbound.
     *
     * @param connection the upgraded connection, e.g. from {@code WebsocketInbound.withConnection}
     * @return completes when the connection closes
     * @throws IllegalStateException unless this server came from {@link CoapServer#webSocketUpgrades()}
     */
    public Mono<Void> serveUpgraded(reactor.netty.Connection connection) {
        ReliableLink.Settings settings = upgradeSettings;
        if (settings == null) {
            throw new IllegalStateException("this server does not take upgraded connections: make it with CoapServer.webSocketUpgrades()");
        }
        Channel channel = connection.channel();
        boolean secure = channel.pipeline().get(io.netty.handler.ssl.SslHandler.class) != null;
        CoapProtocol protocol = secure ? CoapProtocol.WSS : CoapProtocol.WS;
        channel.eventLoop().execute(() -> {
            SessionImpl session = connectionSession(channel, upgradeConfig, protocol);
            if (session == null) {
                return;
            }
            ReliableLink link = new ReliableLink(channel, session.endpoint, session, settings, traffic, failure -> { });
            link.handedOver = true;
            session.endpoint.link = link;
            connection.addHandlerLast("sluice.coap.frames", new WebSocketFrames()).addHandlerLast("sluice.coap.messages", link);
            sessionCreated(session);
            link.start();
            // reactor-netty reads on its inbound's demand: drain it (it holds only what came before the
            // hand-over, such as the upgrade request's last content, and is released as it goes), which
            // also lets the connection read freely; the link pauses reading itself when the peer stops
            // reading its answers.
            connection.inbound().receiveObject().subscribe(null, e -> { });
            channel.config().setAutoRead(true);
            channel.read();
        });
        return connection.onDispose();
    }

    @Override
    public void sessionCreated(SessionImpl session) {
        sessions.add(session);
        if (session.refCount() == 0) {
            idle.park(session);
        }
    }

    private static void leaveClock(SessionImpl session) {
        Tick tick = session.clockTick;
        if (tick != null) {
            tick.session = null;
        }
    }

    @Override
    public void sessionFreed(SessionImpl session) {
        sessions.remove(session);
        idle.unpark(session);
        leaveClock(session);
    }

    @Override
    public void idle(SessionImpl session) {
        idle.park(session);
    }

    @Override
    public void revived(SessionImpl session) {
        idle.unpark(session);
    }

    /** @return the bound address (with the port picked when 0 was asked for) */
    public InetSocketAddress localAddress() {
        return localAddress;
    }

    /** @return the transport it serves */
    public CoapProtocol protocol() {
        return protocol;
    }

    /** @return the live sessions now (a snapshot) */
    public List<CoapSession> sessions() {
        return new ArrayList<>(sessions);
    }

    /** @return how many sessions wait in the idle pool */
    @Override
    public int idleSessions() {
        return idle.size();
    }

    /** @return the most sessions kept at once, idle or in use (see {@link CoapServer#maxSessions(int)}) */
    @Override
    public int maxSessions() {
        return maxSessions;
    }

    /** @return the most idle sessions kept before the least recently active goes (see {@link CoapServer#maxIdleSessions(int)}) */
    @Override
    public int maxIdleSessions() {
        return maxIdleSessions;
    }

    @Override
    public void evictedForRoom() {
        evicted.increment();
    }

    @Override
    public void refusedForRoom() {
        refused.increment();
    }

    /** @return idle sessions freed before their idle timeout to make room for new peers */
    public long evictedSessions() {
        return evicted.sum();
    }

    /** @return new peers turned away (a CON request answered 5.03, other messages reset or dropped) because every session was in use */
    public long refusedSessions() {
        return refused.sum();
    }

    /** @return how many sessions the idle pool freed */
    public long expiredSessions() {
        // Counted here, not by the pool: the pool counts after the free is already under way.
        return expired.sum();
    }

    /** @return the idle timeout */
    public Duration idleTimeout() {
        return idleTimeout;
    }

    /** @return datagrams dropped as malformed or oversized */
    public long malformedDatagrams() {
        return traffic.malformed.sum();
    }

    /** @return duplicate requests recognised by message ID */
    public long duplicateRequests() {
        return traffic.duplicates.sum();
    }

    /** @return messages dropped because the socket or the DTLS send queue could not take them */
    public long unsentMessages() {
        return traffic.unsent.sum();
    }

    @Override
    public void dispose() {
        if (isDisposed) {
            return;
        }
        isDisposed = true;
        for (CoapEndpoint endpoint : endpoints) {
            endpoint.onLoop(endpoint::close);
        }
        for (Channel c : channels) {
            c.close();
        }
        SecureDatagramListener l = listener;
        if (l != null) {
            l.dispose();
        }
        idle.dispose();
        traffic.close();
        disposed.tryEmitEmpty();
    }

    @Override
    public boolean isDisposed() {
        return isDisposed;
    }

    /** @return completes when disposed */
    public Mono<Void> onDispose() {
        return disposed.asMono();
    }

    @Override
    public String toString() {
        return "LiveCoapServer[" + protocol + " " + localAddress + ", " + sessions.size() + " sessions]";
    }
}
