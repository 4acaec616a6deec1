package io.sluice.coap;

import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import io.sluice.codec.CodecException;
import io.sluice.codec.coap.BlockOption;
import io.sluice.codec.coap.CoapCode;
import io.sluice.codec.coap.CoapMessage;
import io.sluice.codec.coap.CoapMessageCodec;
import io.sluice.codec.coap.CoapOptions;
import io.sluice.codec.coap.CoapType;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Mono;
import reactor.util.Logger;
import reactor.util.Loggers;

/**
 * The message layer of RFC 7252 §4 and the request/response layer above it, for one link (a UDP
 * socket or a DTLS session). Every field is confined to {@link #loop}: datagrams arrive on it and
 * every public entry point hops onto it, so nothing here needs a lock.
 */
final class CoapEndpoint {

    private static final Logger LOG = Loggers.getLogger(CoapEndpoint.class);

    /** Notifications are NON, but every this-many is CON, to learn whether the observer is still there (RFC 7641 §4.5). */
    static final int CON_NOTIFICATION_EVERY = 5;
    /** The most block-wise bodies a session keeps for follow-up Block2 requests; the oldest goes first. */
    static final int BLOCK2_CACHE_PER_SESSION = 8;
    /** The most unfinished Block1 uploads one session may have. */
    static final int UPLOADS_PER_SESSION = 8;

    final EventLoop loop;
    final EndpointConfig config;
    final CoapProtocol protocol;
    final SessionHost host;
    Link link;

    /** How many of the least recently active sessions are looked at for an idle one to evict. */
    static final int EVICTION_SCAN = 64;
    /** Max-Age (seconds) of the 5.03 a full server answers a new peer's CON request with. */
    static final int FULL_RETRY_AFTER_SECONDS = 30;

    private final boolean serverSide;
    /** Over TCP, TLS and WebSockets: no message IDs, no deduplication, nothing acknowledged here. */
    final boolean reliable;
    /** A UDP server's sessions by peer, least recently active first (access order). */
    private final LinkedHashMap<InetSocketAddress, SessionImpl> sessions;
    private SessionImpl single;
    private int nextMid = ThreadLocalRandom.current().nextInt(0x10000);
    private final LinkedHashMap<DedupKey, Dedup> dedup = new LinkedHashMap<>();

    final LongAdder malformed;
    final LongAdder duplicates;

    /** Where endpoints report sessions coming and going: the live server or client that owns them. */
    interface SessionHost {
        /** A session entered the endpoint's tables; a server session born at zero is parked by it. */
        void sessionCreated(SessionImpl session);

        void sessionFreed(SessionImpl session);

        /** A server session's count fell to zero: park it. */
        void idle(SessionImpl session);

        /** A parked session was retained. */
        void revived(SessionImpl session);

        /** @return the most sessions one server endpoint keeps, idle or in use */
        default int maxSessions() {
            return Integer.MAX_VALUE;
        }

        /** @return the most idle (count zero) sessions kept before the least recently active goes */
        default int maxIdleSessions() {
            return Integer.MAX_VALUE;
        }

        /** @return idle sessions now */
        default int idleSessions() {
            return 0;
        }

        /** An idle session was freed early to make room for a new peer. */
        default void evictedForRoom() {
        }

        /** A new peer was turned away: no session could be made or freed for it. */
        default void refusedForRoom() {
        }
    }

    CoapEndpoint(EventLoop loop, EndpointConfig config, CoapProtocol protocol, boolean serverSide, SessionHost host,
            LongAdder malformed, LongAdder duplicates) {
        this.loop = loop;
        this.config = config;
        this.protocol = protocol;
        this.serverSide = serverSide;
        this.host = host;
        this.sessions = serverSide && protocol == CoapProtocol.UDP ? new LinkedHashMap<>(64, 0.75f, true) : null;
        this.reliable = protocol.isReliable();
        this.malformed = malformed;
        this.duplicates = duplicates;
    }

    /** For endpoints with exactly one session: a client, or one DTLS session of a server. */
    void attach(SessionImpl session) {
        this.single = session;
    }

    int nextMessageId() {
        nextMid = (nextMid + 1) & 0xFFFF;
        return nextMid;
    }

    void send(CoapMessage message, SessionImpl session) {
        link.send(message, session.sendAddress());
    }

    // ---------------------------------------------------------------------------------- inbound

    /** A datagram from {@code sender}; {@code viaGroup} when it arrived on a multicast group socket. The caller releases {@code data}. */
    void onDatagram(ByteBuf data, InetSocketAddress sender, boolean viaGroup) {
        CoapMessage message;
        try {
            message = CoapMessageCodec.INSTANCE.decode(data, config.limits());
        } catch (CodecException e) {
            malformed.increment();
            rejectMalformed(data, sender, e);
            return;
        }
        SessionImpl session = sessionFor(sender, viaGroup, message);
        if (session == null) {
            if (message.type() == CoapType.CON) {
                link.send(refusal(message), sender);
            }
            return;
        }
        session.touch(sender);
        try {
            dispatch(session, message, viaGroup);
        } catch (RuntimeException e) {
            // A bug must not take the event loop down with it: log, answer what can be answered.
            LOG.error("CoAP endpoint failed on {} from {}", message, sender, e);
            if (message.type() == CoapType.CON && message.code().isRequest()) {
                link.send(CoapMessage.of(CoapType.ACK, CoapCode.INTERNAL_SERVER_ERROR, message.messageId())
                        .withToken(message.token()), sender);
            }
        }
    }

    /** A request or response the reliable message layer read (RFC 8323); on the loop. */
    void onReliableMessage(SessionImpl session, CoapMessage message) {
        session.touch(session.remoteAddress());
        try {
            dispatch(session, message, false);
        } catch (RuntimeException e) {
            LOG.error("CoAP endpoint failed on {} from {}", message, session.remoteAddress(), e);
            if (message.code().isRequest()) {
                send(CoapMessage.of(CoapType.NON, CoapCode.INTERNAL_SERVER_ERROR, 0).withToken(message.token()), session);
            }
        }
    }

    private void rejectMalformed(ByteBuf data, InetSocketAddress sender, CodecException e) {
        int at = data.readerIndex();
        data.readerIndex(0);
        // RFC 7252 §4.2: a confirmable message with a format error is rejected with a Reset.
        if (data.readableBytes() >= 4 && (data.getUnsignedByte(0) >>> 6) == 1 && ((data.getUnsignedByte(0) >>> 4) & 3) == 0) {
            link.send(CoapMessage.reset(data.getUnsignedShort(2)), sender);
        }
        data.readerIndex(at);
        if (LOG.isDebugEnabled()) {
            LOG.debug("CoAP datagram from {} dropped: {}", sender, e.getMessage());
        }
    }

    /**
     * What a CON gets when no session can take it: a request from a peer a full server cannot make
     * room for is told to come back later (RFC 7252 §5.9.3.4, 5.03 with Max-Age), anything else
     * is reset. Neither keeps any state, so a retransmission earns the same answer.
     */
    private CoapMessage refusal(CoapMessage message) {
        if (sessions != null && message.code().isRequest()) {
            return CoapMessage.of(CoapType.ACK, CoapCode.SERVICE_UNAVAILABLE, message.messageId()).withToken(message.token())
                    .withOptions(CoapOptions.builder().setUint(CoapOptions.MAX_AGE, FULL_RETRY_AFTER_SECONDS).build());
        }
        return CoapMessage.reset(message.messageId());
    }

    private SessionImpl sessionFor(InetSocketAddress sender, boolean viaGroup, CoapMessage message) {
        if (sessions == null) {
            SessionImpl s = single;
            if (s == null || s.isFreed()) {
                return null;
            }
            // A client session talks to one peer; a multicast session hears from anyone in the group.
            if (protocol == CoapProtocol.UDP && !s.isMulticast() && !sender.equals(s.remoteAddress())) {
                return null;
            }
            return s;
        }
        SessionImpl s = sessions.get(sender);
        if (s != null && !s.isFreed()) {
            return s;
        }
        if (message.type() == CoapType.NON && message.code().isRequest()) {
            // A NON request needs no state beyond deduplication (kept by address): it is served by a
            // session that enters the tables only if it comes to hold something (see adopt).
            SessionImpl passing = new SessionImpl(this, CoapSessionType.SERVER, sender, null, 0);
            passing.registered = false;
            passing.establish();
            return passing;
        }
        if (!makeRoom()) {
            host.refusedForRoom();
            return null;
        }
        s = new SessionImpl(this, CoapSessionType.SERVER, sender, null, 0);
        s.establish();
        enter(s);
        return s;
    }

    private void enter(SessionImpl s) {
        s.registered = true;
        sessions.put(s.remoteAddress(), s);
        host.sessionCreated(s);
    }

    /**
     * Enters a session that served a NON request without being registered, now that it holds state
     * a later message needs (an observation, a Block1 upload, a Block2 body, an exchange of its own,
     * a retain). Any thread.
     */
    void adopt(SessionImpl s) {
        if (sessions == null || s.registered) {
            return;
        }
        onLoop(() -> {
            if (s.registered || s.isFreed()) {
                return;
            }
            SessionImpl present = sessions.get(s.remoteAddress());
            if (present != null && !present.isFreed()) {
                // Another message from the same peer was adopted first: this one still needs the
                // pool to end it, but the address leads to the other.
                s.registered = true;
                host.sessionCreated(s);
                return;
            }
            makeRoom(); // adoption cannot be refused (the handler already has the session); it can evict
            enter(s);
        });
    }

    /**
     * Makes room for one more session: within both caps already, or after freeing the least recently
     * active idle session among the oldest {@value #EVICTION_SCAN}. On the loop.
     *
     * @return false when the server is full of sessions that are in use
     */
    private boolean makeRoom() {
        if (sessions.size() < host.maxSessions() && host.idleSessions() < host.maxIdleSessions()) {
            return true;
        }
        SessionImpl victim = null;
        int looked = 0;
        for (SessionImpl s : sessions.values()) {
            if (s.refCount() == 0 && !s.isFreed()) {
                victim = s;
                break;
            }
            if (++looked >= EVICTION_SCAN) {
                break;
            }
        }
        if (victim == null || !victim.expireIfIdle(host::evictedForRoom,
                "the server needed room for a new peer and this idle session was the least recently active")) {
            return sessions.size() < host.maxSessions();
        }
        return true;
    }

    void forget(SessionImpl session) {
        if (sessions != null) {
            sessions.remove(session.remoteAddress(), session);
        }
        // Its deduplication entries stay until they age out: they are keyed by peer address, which
        // is what RFC 7252 §4.5 deduplicates by, so a retransmission after an early free is still
        // answered from the table instead of running the handler again.
    }

    List<SessionImpl> sessionsSnapshot() {
        if (sessions != null) {
            return new ArrayList<>(sessions.values());
        }
        return single == null ? List.of() : List.of(single);
    }

    private void dispatch(SessionImpl session, CoapMessage message, boolean viaGroup) {
        CoapType type = message.type();
        if (type == CoapType.ACK || type == CoapType.RST) {
            session.onAckOrReset(message);
            return;
        }
        CoapCode code = message.code();
        if (code.isEmpty()) {
            if (type == CoapType.CON) {
                // CoAP ping (RFC 7252 §4.3): answered with a Reset.
                send(CoapMessage.reset(message.messageId()), session);
            }
            return;
        }
        if (code.isRequest()) {
            onRequest(session, message, viaGroup);
        } else if (code.isResponse()) {
            session.onResponse(message);
        } else if (type == CoapType.CON) {
            // Signalling codes (7.xx) are for reliable transports; anything else is rejected.
            send(CoapMessage.reset(message.messageId()), session);
        }
    }

    // ---------------------------------------------------------------------------- server side

    /** What the endpoint remembers of a request, for deduplication: whether it was acknowledged, and the response to repeat. */
    static final class Dedup {
        final long expiresAt;
        long token;
        int tokenLength;
        boolean emptyAckSent;
        CoapMessage response;

        Dedup(long expiresAt) {
            this.expiresAt = expiresAt;
        }
    }

    /** One request being answered. */
    final class Inbound {
        final SessionImpl session;
        final CoapMessage message;
        final Dedup entry;
        final boolean viaGroup;
        io.netty.util.concurrent.ScheduledFuture<?> separateTimer;
        boolean acknowledged;
        boolean done;
        BlockOption block1Ack;

        Inbound(SessionImpl session, CoapMessage message, Dedup entry, boolean viaGroup) {
            this.session = session;
            this.message = message;
            this.entry = entry;
            this.viaGroup = viaGroup;
        }

        boolean confirmable() {
            return message.type() == CoapType.CON;
        }
    }

    /** Deduplication is per peer endpoint and message ID (RFC 7252 §4.5), whatever session serves it. */
    record DedupKey(InetSocketAddress peer, int messageId) {
    }

    private Dedup remember(SessionImpl session, int mid) {
        long now = System.nanoTime();
        Iterator<Dedup> oldest = dedup.values().iterator();
        while (oldest.hasNext()) {
            Dedup d = oldest.next();
            if (dedup.size() >= config.dedupCapacity() || d.expiresAt - now < 0) {
                oldest.remove();
            } else {
                break;
            }
        }
        Dedup entry = new Dedup(now + config.transmission().exchangeLifetime().toNanos());
        dedup.put(new DedupKey(session.remoteAddress(), mid), entry);
        return entry;
    }

    private void onRequest(SessionImpl session, CoapMessage message, boolean viaGroup) {
        DedupKey key = new DedupKey(session.remoteAddress(), message.messageId());
        Dedup seen = reliable ? null : dedup.get(key);
        if (seen != null && (seen.token != message.tokenAsLong() || seen.tokenLength != message.tokenLength())) {
            // Same message ID, another token: not a retransmission (which repeats the token) but a
            // peer that reuses IDs sooner than EXCHANGE_LIFETIME, as fast clients must beyond
            // 65,536 requests per lifetime. Treat it as the new request it is.
            dedup.remove(key);
            seen = null;
        }
        if (seen != null) {
            duplicates.increment();
            if (message.type() == CoapType.CON) {
                if (seen.response != null) {
                    send(seen.response, session);
                } else if (seen.emptyAckSent) {
                    send(CoapMessage.emptyAck(message.messageId()), session);
                }
            }
            return;
        }
        if (viaGroup && message.type() == CoapType.CON) {
            return; // RFC 7252 §8.1: multicast requests are NON; a CON one is not answered.
        }
        Dedup entry = reliable ? new Dedup(0) : remember(session, message.messageId());
        entry.token = message.tokenAsLong();
        entry.tokenLength = message.tokenLength();
        Inbound inbound = new Inbound(session, message, entry, viaGroup);
        int previous = -1;
        for (CoapOptions.Option option : message.options().all()) {
            int n = option.number();
            // RFC 7252 §5.4.1, §5.4.3 and §5.4.5: an unknown option, one whose length is out of its
            // range, and each extra occurrence of a non-repeatable option are all "unrecognized";
            // critical ones earn 4.02, elective ones are ignored.
            boolean bad = !CoapOptions.isKnown(n) || !CoapOptions.isLengthValid(n, option.value().length)
                    || (n == previous && !CoapOptions.isRepeatable(n));
            if (bad && CoapOptions.isCritical(n)) {
                respond(inbound, CoapResponse.of(CoapCode.BAD_OPTION).body("unrecognized critical option "
                        + CoapOptions.name(n) + " (" + n + ")" + (n == previous ? ", repeated" : "")), -1);
                return;
            }
            previous = n;
        }
        CoapOptions options = message.options();
        if (options.has(CoapOptions.PROXY_URI) || options.has(CoapOptions.PROXY_SCHEME)) {
            // RFC 7252 §5.7.2: a server that is not a forward-proxy answers 5.05.
            respond(inbound, CoapResponse.of(CoapCode.PROXYING_NOT_SUPPORTED).body("this server is not a proxy"), -1);
            return;
        }
        long announced = options.uint(CoapOptions.SIZE1).orElse(-1L);
        if (announced > config.maxBodyBytes()) {
            // RFC 7959 §4: a Size1 above what the server takes is refused before any block arrives.
            respond(inbound, CoapResponse.of(CoapCode.REQUEST_ENTITY_TOO_LARGE)
                    .options(o -> o.setUint(CoapOptions.SIZE1, config.maxBodyBytes())), -1);
            return;
        }
        long observe = options.observe();
        if (observe == 1) {
            session.deregisterObserver(message.tokenAsLong());
        }
        byte[] body = message.payload();
        if (options.has(CoapOptions.BLOCK1)) {
            BlockOption block1;
            try {
                block1 = options.block1().orElseThrow();
            } catch (IllegalArgumentException e) {
                respond(inbound, CoapResponse.of(CoapCode.BAD_OPTION).body("malformed Block1"), -1);
                return;
            }
            body = session.receiveBlock1(inbound, block1);
            if (body == null) {
                return; // answered: 2.31 Continue, 4.08 or 4.13
            }
        }
        CoapRequest request = CoapRequest.received(message.code(), options, body, message.type() == CoapType.CON);
        BlockOption block2 = null;
        if (options.has(CoapOptions.BLOCK2)) {
            try {
                block2 = options.block2().orElseThrow();
            } catch (IllegalArgumentException e) {
                respond(inbound, CoapResponse.of(CoapCode.BAD_OPTION).body("malformed Block2"), -1);
                return;
            }
            if (block2.num() > 0 && session.answerFromBlockCache(inbound, request, block2)) {
                return;
            }
        }
        route(inbound, request);
    }

    /** The methods of RFC 7252 §5.8 and RFC 8132 that a route can be declared for. */
    private static final java.util.Set<CoapCode> KNOWN_METHODS = java.util.Set.of(CoapCode.GET, CoapCode.POST, CoapCode.PUT,
            CoapCode.DELETE, CoapCode.FETCH, CoapCode.PATCH, CoapCode.IPATCH);

    private void route(Inbound inbound, CoapRequest request) {
        if (!KNOWN_METHODS.contains(request.method())) {
            // RFC 7252 §5.8: an unrecognized method is 4.05 whatever the path.
            respond(inbound, CoapResponse.of(CoapCode.METHOD_NOT_ALLOWED).body("method " + request.method() + " is not recognized"), -1);
            return;
        }
        CoapRoutes routes = config.routes();
        String path = request.path();
        CoapRoutes.Route match = null;
        boolean pathKnown = false;
        if (routes != null) {
            for (CoapRoutes.Route r : routes.routes()) {
                if (r.matchesPath(path)) {
                    pathKnown = true;
                    if (r.method().equals(request.method()) || (r.observable() != null && request.method().equals(CoapCode.FETCH))) {
                        match = r;
                        break;
                    }
                }
            }
        }
        if (match == null && !pathKnown && routes != null && path.equals(CoapRoutes.WELL_KNOWN_CORE)) {
            respond(inbound, request.method().equals(CoapCode.GET) ? discovery(routes, request)
                    : CoapResponse.of(CoapCode.METHOD_NOT_ALLOWED), -1);
            return;
        }
        if (match == null) {
            respond(inbound, CoapResponse.of(pathKnown ? CoapCode.METHOD_NOT_ALLOWED : CoapCode.NOT_FOUND), -1);
            return;
        }
        CoapServerRequest serverRequest = new CoapServerRequest(request, inbound.session, match.remainder(path));
        boolean blockFollowUp = request.options().block2().map(b -> b.num() > 0).orElse(false);
        if (match.observable() != null && request.options().observe() == 0 && !inbound.viaGroup && !blockFollowUp) {
            inbound.session.registerObserver(inbound, match.observable(), serverRequest);
            return;
        }
        Mono<CoapResponse> answer;
        try {
            answer = match.handler() != null ? match.handler().handle(serverRequest) : match.observable().observe(serverRequest).next();
        } catch (RuntimeException e) {
            answer = Mono.error(e);
        }
        answerWith(inbound, request, answer);
    }

    /**
     * {@code GET /.well-known/core} (RFC 6690 §4): the routes as CoRE links, kept to those that pass
     * every {@code name=value} of the query (a value ending in {@code *} is a prefix; §4.1).
     */
    private static CoapResponse discovery(CoapRoutes routes, CoapRequest request) {
        List<io.sluice.codec.coap.CoreLink> links = new ArrayList<>();
        for (io.sluice.codec.coap.CoreLink link : routes.links()) {
            boolean passes = true;
            for (String filter : request.options().uriQueries()) {
                int eq = filter.indexOf('=');
                String name = eq < 0 ? filter : filter.substring(0, eq);
                String value = eq < 0 ? "*" : filter.substring(eq + 1);
                passes &= link.matches(name, value);
            }
            if (passes) {
                links.add(link);
            }
        }
        return CoapResponse.of(CoapCode.CONTENT).body(io.sluice.codec.coap.CoreLinkFormat.write(links))
                .contentFormat(io.sluice.codec.coap.CoreLink.CONTENT_FORMAT);
    }

    private void answerWith(Inbound inbound, CoapRequest request, Mono<CoapResponse> answer) {
        if (answer == null) {
            answer = Mono.error(new NullPointerException("handler returned null"));
        }
        answer.subscribe(new BaseSubscriber<CoapResponse>() {
            private boolean answered;

            @Override
            protected void hookOnSubscribe(org.reactivestreams.Subscription subscription) {
                subscription.request(1);
            }

            @Override
            protected void hookOnNext(CoapResponse value) {
                answered = true;
                onLoop(() -> respond(inbound, value, -1));
            }

            @Override
            protected void hookOnComplete() {
                if (!answered) {
                    onLoop(() -> respond(inbound, CoapResponse.of(defaultCode(request.method())), -1));
                }
            }

            @Override
            protected void hookOnError(Throwable error) {
                LOG.debug("CoAP handler for {} failed", request, error);
                onLoop(() -> respond(inbound, CoapResponse.of(CoapCode.INTERNAL_SERVER_ERROR)
                        .body(String.valueOf(error.getMessage())), -1));
            }
        });
        if (!inbound.done && inbound.confirmable()) {
            // The handler is taking its time: acknowledge now so the client stops retransmitting,
            // and send the response as a separate CON later (RFC 7252 §5.2.2).
            inbound.separateTimer = loop.schedule(() -> {
                if (!inbound.done && !inbound.acknowledged) {
                    inbound.acknowledged = true;
                    inbound.entry.emptyAckSent = true;
                    send(CoapMessage.emptyAck(inbound.message.messageId()), inbound.session);
                }
            }, config.separateResponseAfter().toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    static CoapCode defaultCode(CoapCode method) {
        if (method.equals(CoapCode.POST) || method.equals(CoapCode.PUT) || method.equals(CoapCode.PATCH) || method.equals(CoapCode.IPATCH)) {
            return CoapCode.CHANGED;
        }
        if (method.equals(CoapCode.DELETE)) {
            return CoapCode.DELETED;
        }
        return CoapCode.CONTENT;
    }

    void onLoop(Runnable task) {
        if (loop.inEventLoop()) {
            task.run();
        } else {
            loop.execute(task);
        }
    }

    /**
     * Sends {@code response} to {@code inbound}: piggy-backed on the ACK while that is still
     * possible, else as a separate message; split block-wise when the body exceeds the block
     * size; silent where No-Response (RFC 7967) or multicast (RFC 7252 §8.2) says so.
     *
     * @param observeSeq the Observe value to carry, or -1
     * @return the message sent, or null when none was
     */
    CoapMessage respond(Inbound inbound, CoapResponse response, long observeSeq) {
        if (inbound.done) {
            return null;
        }
        inbound.done = true;
        if (inbound.separateTimer != null) {
            inbound.separateTimer.cancel(false);
        }
        SessionImpl session = inbound.session;
        if (session.isFreed()) {
            return null;
        }
        CoapMessage request = inbound.message;
        int codeClass = response.code().codeClass();
        int noResponse = request.options().noResponse();
        boolean suppressed = (codeClass == 2 && (noResponse & 2) != 0) || (codeClass == 4 && (noResponse & 8) != 0)
                || (codeClass == 5 && (noResponse & 16) != 0) || (inbound.viaGroup && codeClass != 2);
        if (suppressed) {
            if (inbound.confirmable() && !inbound.acknowledged) {
                CoapMessage ack = CoapMessage.emptyAck(request.messageId());
                inbound.entry.response = ack;
                send(ack, session);
            }
            return null;
        }
        CoapMessage out = session.shape(request, response, observeSeq, inbound.block1Ack);
        if (inbound.confirmable() && !inbound.acknowledged) {
            out = out.withType(CoapType.ACK).withMessageId(request.messageId());
            inbound.entry.response = out;
            send(out, session);
        } else if (inbound.confirmable()) {
            out = out.withType(CoapType.CON).withMessageId(nextMessageId());
            session.sendConfirmable(out, null);
        } else {
            out = out.withType(CoapType.NON).withMessageId(nextMessageId());
            inbound.entry.response = out;
            if (inbound.viaGroup && config.multicastLeisure().toNanos() > 0) {
                CoapMessage delayed = out;
                long leisure = ThreadLocalRandom.current().nextLong(config.multicastLeisure().toNanos());
                loop.schedule(() -> send(delayed, session), leisure, TimeUnit.NANOSECONDS);
            } else {
                send(out, session);
            }
        }
        return out;
    }

    void close() {
        for (SessionImpl s : sessionsSnapshot()) {
            s.free(new CoapException(CoapErrorCode.CLOSED, CoapNackReason.NOT_DELIVERABLE, "the endpoint closed"));
        }
        dedup.clear();
    }
}
