package io.sluice.coap;

import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import io.sluice.codec.CodecException;
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
import java.util.concurrent.ThreadLocalRandom;
import reactor.util.Logger;
import reactor.util.Loggers;

/**
 * Where a link's sessions live: their loop, settings and owner, for every transport. For a
 * datagram link (a UDP socket, a DTLS session) it is also the bottom of the datagram message layer:
 * it decodes each datagram, finds or makes the session it belongs to (a UDP server's table, least
 * recently active first, with its caps and evictions), keeps the deduplication table (keyed by peer
 * address, so it outlives a session) and hands the message to that session's
 * {@link DatagramMessages}. A stream connection (TCP, TLS, WebSockets) has an endpoint of its own
 * with one session, whose {@link ReliableLink} reads the stream. Every field is confined to
 * {@link #loop}: datagrams arrive on it and every public entry point hops onto it, so nothing here
 * needs a lock.
 */
final class CoapEndpoint {

    private static final Logger LOG = Loggers.getLogger(CoapEndpoint.class);

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

    final CoapTraffic traffic;

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

        /** @return sessions now, over every endpoint of the server (a server may spread its peers over several sockets) */
        default int sessionCount() {
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
            CoapTraffic traffic) {
        this.loop = loop;
        this.config = config;
        this.protocol = protocol;
        this.serverSide = serverSide;
        this.host = host;
        this.sessions = serverSide && protocol == CoapProtocol.UDP ? new LinkedHashMap<>(64, 0.75f, true) : null;
        this.reliable = protocol.isReliable();
        this.traffic = traffic;
    }

    /** For endpoints with exactly one session: a client, or one DTLS session of a server. */
    void attach(SessionImpl session) {
        this.single = session;
    }

    int nextMessageId() {
        nextMid = (nextMid + 1) & 0xFFFF;
        return nextMid;
    }

    // ---------------------------------------------------------------------------------- inbound

    /** A datagram from {@code sender}; {@code viaGroup} when it arrived on a multicast group socket. The caller releases {@code data}. */
    void onDatagram(ByteBuf data, InetSocketAddress sender, boolean viaGroup) {
        CoapMessage message;
        int start = data.readerIndex();
        int length = data.readableBytes();
        try {
            message = CoapMessageCodec.INSTANCE.decode(data, config.limits());
        } catch (CodecException e) {
            traffic.malformed.increment();
            rejectMalformed(data, sender, e);
            return;
        }
        traffic.received(message, data, start, length, sender);
        SessionImpl session = sessionFor(sender, viaGroup, message);
        if (session == null) {
            if (message.type() == CoapType.CON) {
                link.send(refusal(message), sender);
            }
            return;
        }
        session.touch(sender);
        try {
            session.datagram().onMessage(message, viaGroup);
        } catch (RuntimeException e) {
            // A bug must not take the event loop down with it: log, answer what can be answered.
            LOG.error("CoAP endpoint failed on {} from {}", message, sender, e);
            if (message.type() == CoapType.CON && message.code().isRequest()) {
                link.send(CoapMessage.of(CoapType.ACK, CoapCode.INTERNAL_SERVER_ERROR, message.messageId())
                        .withToken(message.token()), sender);
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
        if (host.sessionCount() < host.maxSessions() && host.idleSessions() < host.maxIdleSessions()) {
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
            return host.sessionCount() < host.maxSessions();
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

    // ---------------------------------------------------------------------------- deduplication

    /** What the endpoint remembers of a request, for deduplication: whether it was acknowledged, and the response to repeat. */
    static final class Dedup {
        final long expiresAt;
        final long token;
        final int tokenLength;
        boolean emptyAckSent;
        CoapMessage response;

        Dedup(long expiresAt, CoapMessage request) {
            this.expiresAt = expiresAt;
            this.token = request.tokenAsLong();
            this.tokenLength = request.tokenLength();
        }
    }

    /** Deduplication is per peer endpoint and message ID (RFC 7252 §4.5), whatever session serves it. */
    record DedupKey(InetSocketAddress peer, int messageId) {
    }

    /** @return what is remembered of an earlier copy of {@code request} from {@code peer}, or null when it is new */
    Dedup duplicateOf(InetSocketAddress peer, CoapMessage request) {
        DedupKey key = new DedupKey(peer, request.messageId());
        Dedup seen = dedup.get(key);
        if (seen != null && (seen.token != request.tokenAsLong() || seen.tokenLength != request.tokenLength())) {
            // Same message ID, another token: not a retransmission (which repeats the token) but a
            // peer that reuses IDs sooner than EXCHANGE_LIFETIME, as fast clients must beyond
            // 65,536 requests per lifetime. Treat it as the new request it is.
            dedup.remove(key);
            return null;
        }
        return seen;
    }

    /** Remembers {@code request} from {@code peer} for EXCHANGE_LIFETIME, within the table's capacity. */
    Dedup remember(InetSocketAddress peer, CoapMessage request) {
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
        Dedup entry = new Dedup(now + config.transmission().exchangeLifetime().toNanos(), request);
        dedup.put(new DedupKey(peer, request.messageId()), entry);
        return entry;
    }

    void onLoop(Runnable task) {
        if (loop.inEventLoop()) {
            task.run();
        } else {
            loop.execute(task);
        }
    }


    void close() {
        for (SessionImpl s : sessionsSnapshot()) {
            s.free(new CoapException(CoapErrorCode.CLOSED, CoapNackReason.NOT_DELIVERABLE, "the endpoint closed"));
        }
        dedup.clear();
    }
}
