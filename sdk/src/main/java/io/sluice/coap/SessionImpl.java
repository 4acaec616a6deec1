package io.sluice.coap;

import io.sluice.codec.coap.CoapSignals;
import io.sluice.event.EventStream;
import io.sluice.security.SecureDatagramSession;
import io.sluice.session.Attributes;
import io.sluice.session.RefCount;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * One CoAP session: its state, reference count, addresses and security, and the public API. The
 * work is done by three layers, the RFC's own seam, each passed once on the way up and once on
 * the way down:
 * <ul>
 *   <li>the exchange layer, shared by every transport: {@link ClientExchanges} (requests this
 *       session makes) and {@link ServerExchanges} (requests it serves);</li>
 *   <li>the message layer, one of two: {@link DatagramMessages} over UDP and DTLS (fed by
 *       {@link CoapEndpoint}), or {@link ReliableLink} over TCP, TLS and WebSockets;</li>
 *   <li>the link under it: a {@link UdpLink}, a {@link SecureLink}, or a Netty channel.</li>
 * </ul>
 * Public methods may be called from any thread and hop onto the endpoint's loop; everything else
 * runs on that loop. Per-session collections are created on first use so that an idle server
 * session costs little heap.
 */
final class SessionImpl implements CoapSession, RefCount.Listener {

    private static final AtomicLong SERIALS = new AtomicLong();

    final CoapEndpoint endpoint;
    final long serial = SERIALS.incrementAndGet() & 0xFFFF_FFFF_FFFFL;
    private final RefCount refs;
    private final InetSocketAddress multicastGroup;
    private volatile InetSocketAddress remote;
    private volatile CoapSessionType type;
    private volatile CoapSessionState state = CoapSessionState.NONE;
    private volatile long lastActivity = System.nanoTime();
    private volatile SecureDatagramSession secure;
    private volatile byte[] pskHint;
    private volatile byte[] pskKey;
    private volatile int interfaceIndex = -1;
    private volatile Attributes attributes;
    private volatile EventStream<CoapSessionState> stateStream;
    private volatile Sinks.Empty<Void> closed;
    /**
     * False for a UDP server session that serves a NON request from a peer without a session: it
     * is in no table until it holds state worth keeping ({@link CoapEndpoint#adopt}).
     */
    volatile boolean registered = true;

    /** The exchange layer, client role: the requests this session makes; made on first use (most server sessions make none). */
    private volatile ClientExchanges asClient;
    /** The exchange layer, server role: the requests this session serves. */
    final ServerExchanges asServer;
    /** The datagram message layer over UDP and DTLS; null over a stream, whose message layer is its {@link ReliableLink}. */
    private final DatagramMessages datagram;

    SessionImpl(CoapEndpoint endpoint, CoapSessionType type, InetSocketAddress remote, InetSocketAddress multicastGroup, int initialRefs) {
        this.endpoint = endpoint;
        this.type = type;
        this.remote = remote;
        this.multicastGroup = multicastGroup;
        this.refs = RefCount.create(this, initialRefs, this);
        this.asServer = new ServerExchanges(this);
        this.datagram = endpoint.reliable ? null : new DatagramMessages(this);
    }

    // ------------------------------------------------------------------------ life cycle

    void establish() {
        setState(CoapSessionState.ESTABLISHED);
    }

    /** A reliable client session: the connection is being made. */
    void connecting() {
        setState(CoapSessionState.CONNECTING);
    }

    /** A reliable session: our CSM is out, the peer's has not come (RFC 8323 §5.3). */
    void awaitCsm() {
        setState(CoapSessionState.CSM);
    }

    void handshaking() {
        setState(CoapSessionState.HANDSHAKE);
    }

    void secured(SecureDatagramSession session, byte[] hint, byte[] key) {
        this.secure = session;
        this.pskHint = hint;
        this.pskKey = key;
    }

    void setType(CoapSessionType newType) {
        this.type = newType;
    }

    void setInterfaceIndex(int index) {
        this.interfaceIndex = index;
    }

    private void setState(CoapSessionState next) {
        CoapSessionState previous = state;
        if (previous == next || previous == CoapSessionState.CLOSED) {
            return;
        }
        state = next;
        EventStream<CoapSessionState> stream = stateStream;
        if (stream != null) {
            stream.emit(next);
            if (next == CoapSessionState.CLOSED) {
                stream.complete();
            }
        }
    }

    boolean isFreed() {
        return state == CoapSessionState.CLOSED;
    }

    boolean isMulticast() {
        return multicastGroup != null;
    }

    void touch(InetSocketAddress sender) {
        lastActivity = System.nanoTime();
        if (multicastGroup != null) {
            remote = sender;
        } else if (state == CoapSessionState.NONE && endpoint.protocol == CoapProtocol.UDP) {
            establish(); // a disconnected UDP session hears from its peer again
        }
    }

    /** A connection's place in its server's eviction clock; null for other sessions. */
    volatile LiveCoapServer.Tick clockTick;

    /** @return whether a message came from the peer after {@code mark} (a {@link System#nanoTime()}) */
    boolean activeSince(long mark) {
        return lastActivity - mark > 0;
    }

    long idleNanos() {
        return System.nanoTime() - lastActivity;
    }

    InetSocketAddress sendAddress() {
        return multicastGroup != null ? multicastGroup : remote;
    }

    /**
     * Called by the idle pool's evictor (any thread): frees the session if it is still unused.
     * {@code beforeFree} runs once the session is claimed and before the free is scheduled, so what
     * it records is visible to anyone who sees the session close.
     */
    boolean expireIfIdle(Runnable beforeFree, String why) {
        if (refs.get() != 0 || type != CoapSessionType.SERVER) {
            return false;
        }
        if (!refs.tryFree()) {
            return false;
        }
        beforeFree.run();
        endpoint.onLoop(() -> free(new CoapException(CoapErrorCode.CLOSED, CoapNackReason.NOT_DELIVERABLE, why)));
        return true;
    }

    @Override
    public void onIdle() {
        if (type == CoapSessionType.CLIENT) {
            if (refs.tryFree()) {
                endpoint.onLoop(() -> free(new CoapException(CoapErrorCode.CLOSED, CoapNackReason.NOT_DELIVERABLE,
                        "the session was released")));
            }
        } else if (registered) {
            endpoint.host.idle(this);
        }
    }

    @Override
    public void onRevived() {
        if (registered) {
            endpoint.host.revived(this);
        } else {
            endpoint.adopt(this); // enters at count one: nothing to unpark
        }
    }

    /** On the loop: ends the session for good. */
    void free(CoapException why) {
        if (state == CoapSessionState.CLOSED) {
            return;
        }
        refs.free();
        dropTraffic(why);
        // Out of every table before the state says CLOSED, so whoever sees CLOSED sees it gone.
        endpoint.forget(this);
        endpoint.host.sessionFreed(this);
        setState(CoapSessionState.CLOSED);
        Link link = endpoint.link;
        if (link != null) {
            if (link instanceof ReliableLink stream) {
                stream.close(why.getMessage()); // the Release says why
            } else {
                link.close(); // a client's own socket or a DTLS session; a server's shared socket stays open
            }
        }
        Sinks.Empty<Void> c = closedSink();
        c.tryEmitEmpty();
    }

    private void dropTraffic(CoapException why) {
        if (datagram != null) {
            datagram.drop();
        }
        ClientExchanges client = asClient;
        if (client != null) {
            client.fail(why);
        }
        asServer.end();
    }

    private synchronized Sinks.Empty<Void> closedSink() {
        if (closed == null) {
            closed = Sinks.empty();
            if (state == CoapSessionState.CLOSED) {
                closed.tryEmitEmpty();
            }
        }
        return closed;
    }

    // ------------------------------------------------------------------------ public API

    @Override
    public CoapSession retain() {
        refs.retain();
        return this;
    }

    @Override
    public boolean release() {
        return refs.release();
    }

    @Override
    public int refCount() {
        return refs.get();
    }

    @Override
    public void disconnect(CoapNackReason reason) {
        endpoint.onLoop(() -> {
            if (state == CoapSessionState.CLOSED) {
                return;
            }
            if (endpoint.reliable) {
                // A connection cannot be put aside and resumed: disconnecting it ends it (with a Release).
                free(new CoapException(CoapErrorCode.DISCONNECTED, reason, "the session with " + remote + " was disconnected: " + reason));
                return;
            }
            dropTraffic(new CoapException(CoapErrorCode.DISCONNECTED, reason, "the session with " + remote + " was disconnected: " + reason));
            SecureDatagramSession s = secure;
            if (s != null) {
                s.dispose();
            }
            setState(CoapSessionState.NONE);
        });
    }

    @Override
    public boolean becomeClient() {
        synchronized (this) {
            if (type != CoapSessionType.SERVER || isFreed()) {
                return false;
            }
            type = CoapSessionType.CLIENT;
        }
        refs.retain();
        return true;
    }

    /** Set once, by the client that made this session, before anyone else sees it. */
    private volatile CoapClient openedBy;

    void openedBy(CoapClient client) {
        this.openedBy = client;
    }

    @Override
    public Optional<CoapClient> client() {
        return Optional.ofNullable(openedBy);
    }

    @Override
    public Optional<LiveCoapServer> server() {
        return endpoint.host instanceof LiveCoapServer live ? Optional.of(live) : Optional.empty();
    }

    @Override
    public Attributes attributes() {
        Attributes a = attributes;
        if (a == null) {
            synchronized (this) {
                if (attributes == null) {
                    attributes = new Attributes();
                }
                a = attributes;
            }
        }
        return a;
    }

    @Override
    public InetSocketAddress localAddress() {
        Link link = endpoint.link;
        return link == null ? new InetSocketAddress(0) : link.localAddress();
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return remote;
    }

    @Override
    public Optional<InetSocketAddress> multicastAddress() {
        return Optional.ofNullable(multicastGroup);
    }

    @Override
    public int interfaceIndex() {
        return interfaceIndex;
    }

    @Override
    public CoapProtocol protocol() {
        return endpoint.protocol;
    }

    @Override
    public CoapSessionState state() {
        return state;
    }

    @Override
    public Flux<CoapSessionState> states() {
        EventStream<CoapSessionState> s = stateStream;
        if (s == null) {
            synchronized (this) {
                if (stateStream == null) {
                    EventStream<CoapSessionState> created = EventStream.replayingLatest(io.sluice.session.StateMachine.STATE_BUFFER);
                    created.emit(state);
                    if (state == CoapSessionState.CLOSED) {
                        created.complete();
                    }
                    stateStream = created;
                }
                s = stateStream;
            }
        }
        return s.events();
    }

    @Override
    public CoapSessionType type() {
        return type;
    }

    /** @return the reliable message layer under this session (TCP, TLS, WebSockets), if that is its transport */
    private Optional<ReliableLink> stream() {
        return endpoint.link instanceof ReliableLink stream ? Optional.of(stream) : Optional.empty();
    }

    @Override
    public Optional<CoapSignals.Csm> peerCsm() {
        return state == CoapSessionState.ESTABLISHED ? stream().map(ReliableLink::peerCsm) : Optional.empty();
    }

    @Override
    public Optional<javax.net.ssl.SSLSession> tlsSession() {
        return stream().flatMap(ReliableLink::sslSession);
    }

    @Override
    public Optional<io.sluice.security.SecureStreamSession> secureStream() {
        return stream().flatMap(ReliableLink::secureStream);
    }

    @Override
    public Optional<CoapSignals.Release> peerRelease() {
        return stream().flatMap(ReliableLink::release);
    }

    @Override
    public Optional<SecureDatagramSession> tls() {
        return Optional.ofNullable(secure);
    }

    @Override
    public Optional<byte[]> pskHint() {
        byte[] h = pskHint;
        return h == null ? Optional.empty() : Optional.of(h.clone());
    }

    @Override
    public Optional<byte[]> pskKey() {
        byte[] k = pskKey;
        return k == null ? Optional.empty() : Optional.of(k.clone());
    }

    @Override
    public Mono<Void> onClose() {
        return closedSink().asMono();
    }

    @Override
    public Mono<CoapResponse> request(CoapRequest request) {
        return asClient().request(request);
    }

    @Override
    public Flux<CoapResponse> observe(CoapRequest request) {
        return asClient().observe(request);
    }

    @Override
    public Flux<CoapResponse> multicast(CoapRequest request, Duration window) {
        return asClient().multicast(request, window);
    }

    @Override
    public Mono<Duration> ping() {
        return messages().ping();
    }

    /** @return the message layer under this session: its datagram layer, or the stream's {@link ReliableLink} */
    MessageLayer messages() {
        return datagram != null ? datagram : (ReliableLink) endpoint.link;
    }

    /** @return the exchange layer's client role if this session ever made a request, else null: a response then has nobody waiting */
    ClientExchanges existingClient() {
        return asClient;
    }

    /** @return the exchange layer's client role, made on first use */
    ClientExchanges asClient() {
        ClientExchanges c = asClient;
        if (c == null) {
            synchronized (this) {
                if (asClient == null) {
                    asClient = new ClientExchanges(this);
                }
                c = asClient;
            }
        }
        return c;
    }

    /** @return the datagram message layer (UDP, DTLS) */
    DatagramMessages datagram() {
        return datagram;
    }

    /** @return how many peers observe resources through this session */
    int observerCount() {
        return asServer.observerCount();
    }

    /** On the loop: why this session cannot make a request now, or null when it can. */
    CoapException refuse() {
        CoapSessionState s = state;
        if (s == CoapSessionState.CLOSED) {
            return new CoapException(CoapErrorCode.CLOSED, CoapNackReason.NOT_DELIVERABLE, "the session with " + remote + " is closed");
        }
        if (s == CoapSessionState.NONE) {
            if (endpoint.protocol == CoapProtocol.UDP) {
                establish();
            } else {
                return new CoapException(CoapErrorCode.DISCONNECTED, CoapNackReason.NOT_DELIVERABLE,
                        "the session with " + remote + " is disconnected");
            }
        }
        if (type != CoapSessionType.CLIENT) {
            return new CoapException(CoapErrorCode.WRONG_TYPE, null, "the session with " + remote + " is a " + type
                    + " session; call becomeClient() before sending requests on it");
        }
        return null;
    }

    @Override
    public String toString() {
        return "CoapSession[" + endpoint.protocol + " " + type + " " + remote + " " + state + "]";
    }

}
