package io.sluice.coap;

import io.netty.util.concurrent.ScheduledFuture;
import io.sluice.codec.coap.BlockOption;
import io.sluice.codec.coap.CoapCode;
import io.sluice.codec.coap.CoapMessage;
import io.sluice.codec.coap.CoapOptions;
import io.sluice.codec.coap.CoapSignals;
import io.sluice.codec.coap.CoapType;
import io.sluice.event.EventStream;
import io.sluice.security.SecureDatagramSession;
import io.sluice.session.Attributes;
import io.sluice.session.RefCount;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.publisher.Sinks;

/**
 * One CoAP session. Public methods may be called from any thread and hop onto the endpoint's
 * loop; everything else runs on that loop. Per-session collections are created on first use so
 * that an idle server session costs little heap.
 */
final class SessionImpl implements CoapSession, RefCount.Listener {

    private static final AtomicLong SERIALS = new AtomicLong();
    private static final long OBSERVE_WINDOW = 1L << 23;
    /** How many undelivered notifications a slow observer keeps; older ones give way to newer. */
    static final int OBSERVE_BUFFER = 32;
    private static final long OBSERVE_STALE_NANOS = TimeUnit.SECONDS.toNanos(128);

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

    // Loop-confined, created on first use.
    private Map<Integer, Outgoing> pendingCon;
    private Map<Long, Exchange> exchanges;
    private ArrayDeque<Exchange> waiting;
    private int inFlight;
    private Map<Long, ServerObserver> observers;
    private LinkedHashMap<String, Upload> uploads;
    private LinkedHashMap<String, CachedBody> block2Cache;

    SessionImpl(CoapEndpoint endpoint, CoapSessionType type, InetSocketAddress remote, InetSocketAddress multicastGroup, int initialRefs) {
        this.endpoint = endpoint;
        this.type = type;
        this.remote = remote;
        this.multicastGroup = multicastGroup;
        this.refs = RefCount.create(this, initialRefs, this);
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
            link.close(); // a client's own socket or a DTLS session; a server's shared socket stays open
        }
        Sinks.Empty<Void> c = closedSink();
        c.tryEmitEmpty();
    }

    private void dropTraffic(CoapException why) {
        if (pendingCon != null) {
            for (Outgoing o : pendingCon.values()) {
                o.cancelTimer();
            }
            pendingCon.clear();
        }
        inFlight = 0;
        if (waiting != null) {
            List<Exchange> queued = new ArrayList<>(waiting);
            waiting.clear();
            queued.forEach(ex -> ex.fail(why));
        }
        if (exchanges != null) {
            for (Exchange ex : new ArrayList<>(exchanges.values())) {
                ex.fail(why);
            }
            exchanges.clear();
        }
        if (observers != null) {
            for (ServerObserver o : new ArrayList<>(observers.values())) {
                o.end();
            }
            observers.clear();
        }
        uploads = null;
        block2Cache = null;
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
        return Mono.create(sink -> {
            Exchange ex = new Exchange(Kind.REQUEST, request);
            ex.mono = sink;
            sink.onCancel(() -> endpoint.onLoop(ex::cancel));
            endpoint.onLoop(() -> start(ex));
        });
    }

    @Override
    public Flux<CoapResponse> observe(CoapRequest request) {
        return Flux.<CoapResponse>create(sink -> {
            Exchange ex = new Exchange(Kind.OBSERVE, request);
            ex.flux = sink;
            sink.onDispose(() -> endpoint.onLoop(ex::cancel));
            endpoint.onLoop(() -> start(ex));
        }, FluxSink.OverflowStrategy.BUFFER)
                // Notifications are states: a subscriber without demand keeps the newest, never a backlog.
                .onBackpressureBuffer(OBSERVE_BUFFER, dropped -> { }, reactor.core.publisher.BufferOverflowStrategy.DROP_OLDEST);
    }

    @Override
    public Flux<CoapResponse> multicast(CoapRequest request, Duration window) {
        return Flux.create(sink -> {
            Exchange ex = new Exchange(Kind.MULTICAST, request.nonConfirmable());
            ex.flux = sink;
            sink.onDispose(() -> endpoint.onLoop(ex::cancel));
            endpoint.onLoop(() -> {
                if (multicastGroup == null) {
                    ex.fail(new CoapException(CoapErrorCode.WRONG_TYPE, null, "the session with " + remote
                            + " is not a multicast session; connect to a group address to multicast"));
                    return;
                }
                start(ex);
                if (!ex.finished) {
                    endpoint.loop.schedule(ex::completeWindow, window.toNanos(), TimeUnit.NANOSECONDS);
                }
            });
        }, FluxSink.OverflowStrategy.BUFFER);
    }

    @Override
    public Mono<Duration> ping() {
        if (endpoint.link instanceof ReliableLink stream) {
            return stream.ping(); // 7.02 Ping, answered by 7.03 Pong (RFC 8323 §5.4)
        }
        return Mono.create(sink -> endpoint.onLoop(() -> {
            CoapException refused = refuse();
            if (refused != null) {
                sink.error(refused);
                return;
            }
            long start = System.nanoTime();
            sendConfirmable(CoapMessage.of(CoapType.CON, CoapCode.EMPTY, endpoint.nextMessageId()), new ConListener() {
                @Override
                public void onAck(CoapMessage ack) {
                    sink.success(Duration.ofNanos(System.nanoTime() - start));
                }

                @Override
                public void onReset() {
                    sink.success(Duration.ofNanos(System.nanoTime() - start));
                }

                @Override
                public void onTimeout() {
                    sink.error(new CoapException(CoapErrorCode.TIMEOUT, CoapNackReason.TOO_MANY_RETRIES, "no answer to a ping of " + remote));
                }
            });
        }));
    }

    private CoapException refuse() {
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

    // ------------------------------------------------------------------ confirmable messages

    interface ConListener {
        void onAck(CoapMessage ack);

        void onReset();

        void onTimeout();
    }

    final class Outgoing implements Runnable {
        final CoapMessage message;
        final ConListener listener;
        long timeoutNanos;
        int retransmissions;
        ScheduledFuture<?> timer;

        Outgoing(CoapMessage message, ConListener listener) {
            this.message = message;
            this.listener = listener;
        }

        void cancelTimer() {
            if (timer != null) {
                timer.cancel(false);
            }
        }

        @Override
        public void run() {
            if (pendingCon == null || pendingCon.get(message.messageId()) != this) {
                return;
            }
            if (retransmissions >= endpoint.config.transmission().maxRetransmit()) {
                pendingCon.remove(message.messageId());
                if (listener != null) {
                    listener.onTimeout();
                }
                return;
            }
            retransmissions++;
            timeoutNanos *= 2;
            endpoint.send(message, SessionImpl.this);
            timer = endpoint.loop.schedule(this, timeoutNanos, TimeUnit.NANOSECONDS);
        }
    }

    /** Sends a CON and retransmits it with exponential back-off until it is acknowledged or reset (RFC 7252 §4.2). */
    void sendConfirmable(CoapMessage message, ConListener listener) {
        if (endpoint.link instanceof ReliableLink stream) {
            // RFC 8323: the transport is the acknowledgement; the message is done once the socket took it.
            stream.send(message, listener == null ? null : () -> listener.onAck(CoapMessage.emptyAck(message.messageId())));
            return;
        }
        if (pendingCon == null) {
            pendingCon = new HashMap<>();
        }
        Outgoing out = new Outgoing(message, listener);
        CoapTransmission t = endpoint.config.transmission();
        long base = t.ackTimeout().toNanos();
        out.timeoutNanos = base + (long) (ThreadLocalRandom.current().nextDouble() * (t.ackRandomFactor() - 1) * base);
        Outgoing previous = pendingCon.put(message.messageId(), out);
        if (previous != null) {
            previous.cancelTimer();
        }
        endpoint.send(message, this);
        out.timer = endpoint.loop.schedule(out, out.timeoutNanos, TimeUnit.NANOSECONDS);
    }

    void onAckOrReset(CoapMessage message) {
        Outgoing out = pendingCon == null ? null : pendingCon.remove(message.messageId());
        if (out != null) {
            out.cancelTimer();
            if (out.listener != null) {
                if (message.type() == CoapType.RST) {
                    out.listener.onReset();
                } else {
                    out.listener.onAck(message);
                }
            }
            return;
        }
        if (message.type() == CoapType.RST && observers != null) {
            // A Reset to a NON notification: the observer has gone (RFC 7641 §3.6).
            for (ServerObserver o : new ArrayList<>(observers.values())) {
                if (o.lastNonMid == message.messageId()) {
                    o.end();
                }
            }
        }
    }

    // ------------------------------------------------------------------ client exchanges

    enum Kind { REQUEST, OBSERVE, MULTICAST, BLOCKS }

    final class Exchange implements ConListener {
        final Kind kind;
        final CoapRequest request;
        long token;
        byte[] tokenBytes;
        MonoSink<CoapResponse> mono;
        FluxSink<CoapResponse> flux;
        Exchange parent;
        CoapOptions parentOptions;
        boolean finished;
        boolean registered;
        boolean holdsSlot;
        int currentMid = -1;
        ScheduledFuture<?> responseTimer;
        int block1Offset;
        int block1Size;
        int block1Sent;
        boolean block1Done;
        int block2Num;
        int block2Szx = -1;
        ByteArrayOutputStream assembly;
        long lastObserve = -1;
        long lastObserveAt;

        Exchange(Kind kind, CoapRequest request) {
            this.kind = kind;
            this.request = request;
            this.block1Size = endpoint.config.blockSize();
            this.block1Done = request.bodyLength() <= block1Size;
        }

        boolean confirmable() {
            return request.isConfirmable() && kind != Kind.MULTICAST;
        }

        CoapMessage nextMessage() {
            CoapOptions.Builder options = request.options().toBuilder();
            byte[] body = request.bodyArray();
            byte[] payload = body;
            if (kind == Kind.OBSERVE && block2Num == 0) {
                options.observe(0);
            }
            if (kind == Kind.BLOCKS) {
                options.remove(CoapOptions.OBSERVE);
            }
            if (!block1Done) {
                int length = Math.min(block1Size, body.length - block1Offset);
                boolean more = block1Offset + length < body.length;
                options.block1(new BlockOption(block1Offset / block1Size, more, BlockOption.szxOf(block1Size)));
                if (block1Offset == 0) {
                    options.setUint(CoapOptions.SIZE1, body.length);
                }
                payload = Arrays.copyOfRange(body, block1Offset, block1Offset + length);
                block1Sent = length;
            } else if (block2Num > 0 || block2Szx >= 0) {
                payload = new byte[0];
            }
            if (block2Num > 0) {
                options.block2(new BlockOption(block2Num, false, block2Szx));
            } else if (block1Done && endpoint.config.blockSize() < 1024 && request.bodyLength() == 0) {
                // Ask for our block size up front (RFC 7959 §2.4, early negotiation).
                options.block2(new BlockOption(0, false, endpoint.config.blockSzx()));
            }
            int mid = endpoint.nextMessageId();
            return CoapMessage.of(confirmable() ? CoapType.CON : CoapType.NON, request.method(), mid)
                    .withToken(tokenBytes).withOptions(options.build()).withPayload(payload);
        }

        @Override
        public void onAck(CoapMessage ack) {
            releaseSlot(this);
            if (finished) {
                return;
            }
            if (ack.isEmpty()) {
                armResponseTimer();  // a separate response will follow
            } else {
                handleResponse(this, ack);
            }
        }

        @Override
        public void onReset() {
            releaseSlot(this);
            fail(new CoapException(CoapErrorCode.RESET, CoapNackReason.RST, remote + " reset " + request));
        }

        @Override
        public void onTimeout() {
            releaseSlot(this);
            fail(new CoapException(CoapErrorCode.TIMEOUT, CoapNackReason.TOO_MANY_RETRIES, request + " to " + remote
                    + " was not acknowledged after " + endpoint.config.transmission().maxRetransmit() + " retransmissions"));
        }

        void armResponseTimer() {
            if (responseTimer != null || kind == Kind.MULTICAST || (kind == Kind.OBSERVE && registered)) {
                return;
            }
            responseTimer = endpoint.loop.schedule(() -> fail(new CoapException(CoapErrorCode.TIMEOUT, null,
                    "no response to " + request + " from " + remote + " within " + endpoint.config.responseTimeout())),
                    endpoint.config.responseTimeout().toNanos(), TimeUnit.NANOSECONDS);
        }

        void emit(CoapResponse response) {
            if (mono != null) {
                finish();
                mono.success(response);
            } else if (flux != null) {
                flux.next(response);
            } else if (parent != null) {
                finish();
                parent.deliverAssembled(response, parentOptions);
            }
        }

        void deliverAssembled(CoapResponse response, CoapOptions firstOptions) {
            if (finished) {
                return;
            }
            CoapResponse merged = CoapResponse.received(response.code(), firstOptions, response.bodyArray(), response.source().orElse(null));
            if (kind == Kind.OBSERVE) {
                flux.next(merged);
            } else {
                emit(merged);
            }
        }

        void finish() {
            if (finished) {
                return;
            }
            finished = true;
            if (exchanges != null && registered) {
                exchanges.remove(token, this);
            }
            if (responseTimer != null) {
                responseTimer.cancel(false);
            }
            if (currentMid >= 0 && pendingCon != null) {
                Outgoing out = pendingCon.get(currentMid);
                if (out != null && out.listener == this) {
                    pendingCon.remove(currentMid);
                    out.cancelTimer();
                }
            }
            releaseSlot(this);
            if (waiting != null) {
                waiting.remove(this);
            }
        }

        void fail(Throwable error) {
            if (finished) {
                return;
            }
            finish();
            if (mono != null) {
                mono.error(error);
            } else if (flux != null) {
                flux.error(error);
            } else if (parent != null) {
                parent.fail(error);
            }
        }

        void completeWindow() {
            if (!finished) {
                finish();
                flux.complete();
            }
        }

        void cancel() {
            if (finished) {
                return;
            }
            boolean deregister = kind == Kind.OBSERVE && registered && state == CoapSessionState.ESTABLISHED;
            finish();
            if (deregister) {
                // RFC 7641 §3.6: deregister explicitly with a GET carrying Observe: 1 and the same token.
                CoapMessage m = CoapMessage.of(CoapType.CON, request.method(), endpoint.nextMessageId()).withToken(tokenBytes)
                        .withOptions(request.options().toBuilder().observe(1).build()).withPayload(request.bodyArray());
                sendConfirmable(m, null);
            }
        }
    }

    private void start(Exchange ex) {
        CoapException refused = refuse();
        if (refused != null) {
            ex.fail(refused);
            return;
        }
        if (ex.request.bodyLength() > endpoint.config.maxBodyBytes()) {
            ex.fail(new CoapException(CoapErrorCode.TOO_LARGE, null, "a body of " + ex.request.bodyLength()
                    + " bytes exceeds the maximum of " + endpoint.config.maxBodyBytes()));
            return;
        }
        register(ex);
        transmit(ex);
    }

    private void register(Exchange ex) {
        if (exchanges == null) {
            exchanges = new HashMap<>();
        }
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long token;
        do {
            token = random.nextLong();
        } while (exchanges.containsKey(token));
        ex.token = token;
        ex.tokenBytes = new byte[] {(byte) (token >>> 56), (byte) (token >>> 48), (byte) (token >>> 40), (byte) (token >>> 32),
                (byte) (token >>> 24), (byte) (token >>> 16), (byte) (token >>> 8), (byte) token};
        exchanges.put(token, ex);
        ex.registered = true;
        endpoint.adopt(this);
    }

    private void transmit(Exchange ex) {
        if (ex.finished) {
            return;
        }
        if (ex.confirmable()) {
            if (inFlight >= endpoint.config.transmission().nstart()) {
                if (waiting == null) {
                    waiting = new ArrayDeque<>();
                }
                if (waiting.size() >= endpoint.config.maxQueuedRequests()) {
                    ex.fail(new CoapException(CoapErrorCode.QUEUE_FULL, null, waiting.size() + " requests already wait for NSTART "
                            + endpoint.config.transmission().nstart() + " to " + remote));
                    return;
                }
                waiting.add(ex);
                return;
            }
            inFlight++;
            ex.holdsSlot = true;
        }
        CoapMessage message = ex.nextMessage();
        ex.currentMid = message.messageId();
        if (message.type() == CoapType.CON) {
            sendConfirmable(message, ex);
        } else {
            endpoint.send(message, this);
            ex.armResponseTimer();
        }
    }

    private void releaseSlot(Exchange ex) {
        if (!ex.holdsSlot) {
            return;
        }
        ex.holdsSlot = false;
        inFlight--;
        while (waiting != null && !waiting.isEmpty() && inFlight < endpoint.config.transmission().nstart()) {
            transmit(waiting.poll());
        }
    }

    void onResponse(CoapMessage message) {
        Exchange ex = exchanges == null ? null : exchanges.get(message.tokenAsLong());
        if (ex == null || ex.finished || message.tokenLength() != 8) {
            if (message.type() == CoapType.CON) {
                // RFC 7252 §5.3.2 / RFC 7641 §3.6: a response nobody waits for is rejected.
                endpoint.send(CoapMessage.reset(message.messageId()), this);
            }
            return;
        }
        if (message.type() == CoapType.CON) {
            endpoint.send(CoapMessage.emptyAck(message.messageId()), this);
        }
        // A separate response is also an acknowledgement of the request it answers (the empty ACK may be lost).
        if (ex.currentMid >= 0 && pendingCon != null) {
            Outgoing out = pendingCon.get(ex.currentMid);
            if (out != null && out.listener == ex) {
                pendingCon.remove(ex.currentMid);
                out.cancelTimer();
                releaseSlot(ex);
            }
        }
        handleResponse(ex, message);
    }

    private void handleResponse(Exchange ex, CoapMessage message) {
        CoapOptions options = message.options();
        BlockOption block1;
        BlockOption block2;
        try {
            block1 = options.block1().orElse(null);
            block2 = options.block2().orElse(null);
        } catch (IllegalArgumentException e) {
            ex.fail(new CoapException(CoapErrorCode.BAD_RESPONSE, CoapNackReason.BAD_RESPONSE, "malformed block option from " + remote));
            return;
        }
        if (!ex.block1Done) {
            if (message.code().equals(CoapCode.CONTINUE) && block1 != null) {
                ex.block1Offset += ex.block1Sent;
                ex.block1Size = Math.min(ex.block1Size, block1.size());
                if (ex.block1Offset % ex.block1Size != 0) {
                    ex.fail(new CoapException(CoapErrorCode.BAD_RESPONSE, CoapNackReason.BAD_RESPONSE,
                            "block size change to " + ex.block1Size + " does not fit offset " + ex.block1Offset));
                    return;
                }
                if (ex.block1Offset >= ex.request.bodyLength()) {
                    ex.fail(new CoapException(CoapErrorCode.BAD_RESPONSE, CoapNackReason.BAD_RESPONSE,
                            remote + " asked to continue past the end of the body"));
                    return;
                }
                transmit(ex);
                return;
            }
            ex.block1Done = true;
        }
        InetSocketAddress source = remote;
        if (block2 != null && message.code().isSuccess()) {
            if (ex.kind == Kind.OBSERVE && block2.num() == 0 && block2.more()) {
                // RFC 7959 §3.4: the rest of a large notification is fetched with plain GETs under a new token.
                if (!acceptNotification(ex, options)) {
                    return;
                }
                Exchange blocks = new Exchange(Kind.BLOCKS, ex.request.options(o -> o.remove(CoapOptions.OBSERVE)));
                blocks.parent = ex;
                blocks.parentOptions = options;
                blocks.block1Done = true;
                blocks.assembly = new ByteArrayOutputStream();
                blocks.assembly.write(message.payloadArray(), 0, message.payloadLength());
                blocks.block2Num = message.payloadLength() / block2.size();
                blocks.block2Szx = block2.szx();
                register(blocks);
                transmit(blocks);
                return;
            }
            if (ex.assembly == null || block2.num() == 0) {
                ex.assembly = new ByteArrayOutputStream();
            }
            if (block2.offset() != ex.assembly.size()) {
                ex.fail(new CoapException(CoapErrorCode.BAD_RESPONSE, CoapNackReason.BAD_RESPONSE, "block " + block2
                        + " from " + remote + " does not follow the " + ex.assembly.size() + " bytes received"));
                return;
            }
            if (ex.assembly.size() + message.payloadLength() > endpoint.config.maxBodyBytes()) {
                ex.fail(new CoapException(CoapErrorCode.TOO_LARGE, null, "the response body from " + remote
                        + " exceeds the maximum of " + endpoint.config.maxBodyBytes() + " bytes"));
                return;
            }
            ex.assembly.write(message.payloadArray(), 0, message.payloadLength());
            if (block2.more()) {
                // Counted in units of the block size: a BERT block (szx 7, RFC 8323 §6) carries several.
                ex.block2Num = ex.assembly.size() / block2.size();
                ex.block2Szx = block2.szx();
                transmit(ex);
                return;
            }
            byte[] body = ex.assembly.toByteArray();
            ex.assembly = null;
            ex.block2Num = 0;
            // The caller sees one body: no Block2, and Size2 saying how large it is.
            CoapOptions whole = options.toBuilder().remove(CoapOptions.BLOCK2).setUint(CoapOptions.SIZE2, body.length).build();
            deliver(ex, CoapResponse.received(message.code(), whole, body, source));
            return;
        }
        deliver(ex, CoapResponse.received(message.code(), options, message.payloadArray(), source));
    }

    private boolean acceptNotification(Exchange ex, CoapOptions options) {
        long v2 = options.observe();
        long now = System.nanoTime();
        // RFC 8323 §7.1: a reliable transport delivers in order, so every notification is the freshest.
        if (ex.lastObserve >= 0 && v2 >= 0 && !endpoint.reliable) {
            long v1 = ex.lastObserve;
            boolean fresh = (v1 < v2 && v2 - v1 < OBSERVE_WINDOW) || (v1 > v2 && v1 - v2 > OBSERVE_WINDOW)
                    || now - ex.lastObserveAt > OBSERVE_STALE_NANOS;
            if (!fresh) {
                return false; // RFC 7641 §3.4: an older notification that arrived late
            }
        }
        if (v2 >= 0) {
            ex.lastObserve = v2;
            ex.lastObserveAt = now;
        }
        return true;
    }

    private void deliver(Exchange ex, CoapResponse response) {
        switch (ex.kind) {
            case OBSERVE -> {
                if (response.observe() >= 0 && response.isSuccess()) {
                    if (ex.responseTimer != null) {
                        ex.responseTimer.cancel(false);
                        ex.responseTimer = null;
                    }
                    if (acceptNotification(ex, response.options())) {
                        ex.flux.next(response);
                    }
                } else {
                    ex.finish();
                    ex.flux.next(response);
                    ex.flux.complete();
                }
            }
            case MULTICAST -> ex.flux.next(response);
            default -> ex.emit(response);
        }
    }

    // ------------------------------------------------------------------ server side

    /** An unfinished Block1 upload. */
    static final class Upload {
        final ByteArrayOutputStream body = new ByteArrayOutputStream();
    }

    private static String requestKey(CoapMessage request) {
        CoapOptions o = request.options();
        StringBuilder key = new StringBuilder().append(request.code().value()).append(' ').append(o.uriPath()).append('?').append(o.uriQuery());
        for (CoapOptions.Option tag : o.all(CoapOptions.REQUEST_TAG)) {
            key.append('#').append(Arrays.toString(tag.value()));
        }
        return key.toString();
    }

    /** Takes one Block1 block; returns the whole body after the last block, or null after answering. */
    byte[] receiveBlock1(CoapEndpoint.Inbound inbound, BlockOption block) {
        String key = requestKey(inbound.message);
        if (uploads == null) {
            uploads = new LinkedHashMap<>();
        }
        Upload upload = uploads.get(key);
        if (block.num() == 0) {
            upload = new Upload();
            uploads.put(key, upload);
            endpoint.adopt(this);
            while (uploads.size() > CoapEndpoint.UPLOADS_PER_SESSION) {
                Iterator<String> oldest = uploads.keySet().iterator();
                oldest.next();
                oldest.remove();
            }
        }
        if (upload == null || block.offset() != upload.body.size()) {
            uploads.remove(key);
            endpoint.respond(inbound, CoapResponse.of(CoapCode.REQUEST_ENTITY_INCOMPLETE)
                    .body("block " + block + " does not follow what was received"), -1);
            return null;
        }
        if (upload.body.size() + inbound.message.payloadLength() > endpoint.config.maxBodyBytes()) {
            uploads.remove(key);
            endpoint.respond(inbound, CoapResponse.of(CoapCode.REQUEST_ENTITY_TOO_LARGE)
                    .options(o -> o.setUint(CoapOptions.SIZE1, endpoint.config.maxBodyBytes())), -1);
            return null;
        }
        upload.body.write(inbound.message.payloadArray(), 0, inbound.message.payloadLength());
        // A BERT block (SZX 7, RFC 8323 §6) stays BERT: the CSM said Block-Wise-Transfer, and the
        // client counts its next block number in 1024-byte units of what it sent.
        int szx = block.szx() == 7 && endpoint.reliable ? 7 : Math.min(block.szx(), endpoint.config.blockSzx());
        if (block.more()) {
            if (block.size() > endpoint.config.blockSize() && block.num() > 0) {
                uploads.remove(key);
                endpoint.respond(inbound, CoapResponse.of(CoapCode.REQUEST_ENTITY_INCOMPLETE).body("block size above the agreed one"), -1);
                return null;
            }
            endpoint.respond(inbound, CoapResponse.of(CoapCode.CONTINUE).options(o -> o.block1(new BlockOption(block.num(), true, szx))), -1);
            return null;
        }
        uploads.remove(key);
        inbound.block1Ack = new BlockOption(block.num(), false, block.szx());
        return upload.body.toByteArray();
    }

    /** Answers a Block2 follow-up from the body cached when block 0 went out; false when nothing is cached. */
    boolean answerFromBlockCache(CoapEndpoint.Inbound inbound, CoapRequest request, BlockOption block2) {
        if (block2Cache == null) {
            return false;
        }
        String key = requestKey(inbound.message.withOptions(inbound.message.options().toBuilder().remove(CoapOptions.BLOCK2).build()));
        CachedBody cached = block2Cache.get(key);
        if (cached == null) {
            return false;
        }
        endpoint.respond(inbound, CoapResponse.received(cached.code(), cached.options(), cached.body(), null), -1);
        return true;
    }

    /** A response body kept for Block2 follow-ups, with the code and options it went out with. */
    private record CachedBody(CoapCode code, CoapOptions options, byte[] body) {
    }

    /** Builds the response message for {@code request}: token, options, Observe, Block1 acknowledgement, Block2 slicing. Type and ID are the caller's. */
    CoapMessage shape(CoapMessage request, CoapResponse response, long observeSeq, BlockOption block1Ack) {
        CoapOptions.Builder options = response.options().toBuilder();
        if (observeSeq >= 0) {
            options.observe(observeSeq);
        }
        if (block1Ack != null) {
            options.block1(block1Ack);
        }
        byte[] body = response.bodyArray();
        int size = endpoint.config.blockSize();
        int num = 0;
        BlockOption asked = null;
        try {
            asked = request.options().block2().orElse(null);
        } catch (IllegalArgumentException ignored) {
            // answered as a bad option before a handler ran
        }
        if (asked != null) {
            size = Math.min(size, asked.size());
            num = observeSeq >= 0 ? 0 : asked.num();
        }
        byte[] payload = body;
        if (request.options().has(CoapOptions.SIZE2)) {
            // RFC 7959 §4: Size2 (0) in a request asks for the representation's size, sliced or not.
            options.setUint(CoapOptions.SIZE2, body.length);
        }
        if (body.length > size || num > 0) {
            int from = num * size;
            if (from >= body.length && body.length > 0) {
                return CoapMessage.of(CoapType.ACK, CoapCode.BAD_OPTION, 0).withToken(request.token())
                        .withPayload("block " + num + " is past the end of the body");
            }
            int length = Math.min(size, body.length - from);
            boolean more = from + length < body.length;
            options.block2(new BlockOption(num, more, BlockOption.szxOf(size)));
            if (num == 0) {
                options.setUint(CoapOptions.SIZE2, body.length);
                cacheBody(request, response, body);
            }
            payload = Arrays.copyOfRange(body, from, from + length);
        }
        return CoapMessage.of(CoapType.ACK, response.code(), 0).withToken(request.token())
                .withOptions(options.build()).withPayload(payload);
    }

    private void cacheBody(CoapMessage request, CoapResponse response, byte[] body) {
        if (block2Cache == null) {
            block2Cache = new LinkedHashMap<>();
        }
        CoapMessage plain = request.withOptions(request.options().toBuilder().remove(CoapOptions.BLOCK2).remove(CoapOptions.OBSERVE).build());
        String key = requestKey(plain);
        block2Cache.put(key, new CachedBody(response.code(), response.options(), body));
        endpoint.adopt(this);
        while (block2Cache.size() > CoapEndpoint.BLOCK2_CACHE_PER_SESSION) {
            Iterator<String> oldest = block2Cache.keySet().iterator();
            oldest.next();
            oldest.remove();
        }
    }

    // ------------------------------------------------------------------ observers (server side)

    void registerObserver(CoapEndpoint.Inbound inbound, ObservableHandler handler, CoapServerRequest request) {
        if (observers == null) {
            observers = new HashMap<>();
        }
        long token = inbound.message.tokenAsLong();
        ServerObserver previous = observers.remove(token);
        if (previous != null) {
            previous.end();
        }
        ServerObserver observer = new ServerObserver(inbound, token);
        observers.put(token, observer);
        endpoint.adopt(this);
        Flux<CoapResponse> states;
        try {
            states = handler.observe(request);
        } catch (RuntimeException e) {
            states = Flux.error(e);
        }
        // A resource faster than its observer: keep the newest states, bounded, never a backlog.
        states.onBackpressureBuffer(OBSERVE_BUFFER, dropped -> { }, reactor.core.publisher.BufferOverflowStrategy.DROP_OLDEST)
                .subscribe(observer);
    }

    void deregisterObserver(long token) {
        if (observers != null) {
            ServerObserver o = observers.get(token);
            if (o != null) {
                o.end();
            }
        }
    }

    int observerCount() {
        return observers == null ? 0 : observers.size();
    }

    /** One observer of one resource: consumes the resource's states one at a time, as notifications go out. */
    final class ServerObserver extends BaseSubscriber<CoapResponse> implements ConListener {
        final CoapEndpoint.Inbound registration;
        final long token;
        long sequence = ThreadLocalRandom.current().nextInt(2, 1 << 16);
        int sent;
        int lastNonMid = -1;
        boolean ended;

        ServerObserver(CoapEndpoint.Inbound registration, long token) {
            this.registration = registration;
            this.token = token;
        }

        @Override
        protected void hookOnSubscribe(org.reactivestreams.Subscription subscription) {
            subscription.request(1);
        }

        @Override
        protected void hookOnNext(CoapResponse value) {
            endpoint.onLoop(() -> notifyObserver(value));
        }

        @Override
        protected void hookOnComplete() {
            endpoint.onLoop(() -> finalNotification(CoapResponse.of(CoapCode.NOT_FOUND).body("the observed resource ended")));
        }

        @Override
        protected void hookOnError(Throwable error) {
            endpoint.onLoop(() -> finalNotification(CoapResponse.of(CoapCode.INTERNAL_SERVER_ERROR).body(String.valueOf(error.getMessage()))));
        }

        private void notifyObserver(CoapResponse value) {
            if (ended) {
                return;
            }
            if (!value.isSuccess()) {
                finalNotification(value);
                return;
            }
            sequence = (sequence + 1) & 0xFFFFFF;
            if (sent++ == 0) {
                endpoint.respond(registration, value, sequence);
                request(1);
                return;
            }
            boolean confirmable = sent % CoapEndpoint.CON_NOTIFICATION_EVERY == 0;
            CoapMessage m = shape(registration.message, value, sequence, null)
                    .withType(confirmable ? CoapType.CON : CoapType.NON).withMessageId(endpoint.nextMessageId());
            if (confirmable) {
                sendConfirmable(m, this);
            } else {
                lastNonMid = m.messageId();
                endpoint.send(m, SessionImpl.this);
                request(1);
            }
        }

        private void finalNotification(CoapResponse value) {
            if (ended) {
                return;
            }
            if (sent++ == 0) {
                endpoint.respond(registration, value, -1);
            } else {
                CoapMessage m = shape(registration.message, value, -1, null).withType(CoapType.CON).withMessageId(endpoint.nextMessageId());
                sendConfirmable(m, null);
            }
            end();
        }

        @Override
        public void onAck(CoapMessage ack) {
            if (!ended) {
                request(1);
            }
        }

        @Override
        public void onReset() {
            end();
        }

        @Override
        public void onTimeout() {
            end();
        }

        void end() {
            if (ended) {
                return;
            }
            ended = true;
            if (observers != null) {
                observers.remove(token, this);
            }
            dispose();
        }
    }

}
