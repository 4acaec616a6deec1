package io.sluice.coap;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.sluice.codec.CodecException;
import io.sluice.codec.coap.CoapCode;
import io.sluice.codec.coap.CoapMessage;
import io.sluice.codec.coap.CoapReliableCodec;
import io.sluice.codec.coap.CoapSignals;
import io.sluice.codec.coap.CoapType;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import javax.net.ssl.SSLSession;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.util.Logger;
import reactor.util.Loggers;

/**
 * The reliable message layer of RFC 8323 for one connection (TCP, TLS under an
 * {@link SslHandler}, WebSockets over {@link WebSocketFrames}): what the datagram layer's
 * CON/ACK, message IDs and deduplication are for UDP, this is for a byte stream. It sends its CSM
 * first and takes nothing but the peer's CSM first (§5.3), within the CSM timeout; it answers
 * Ping with Pong, ends the session on Release and Abort, sends Abort (with the offending option
 * or offset) for a malformed message, an unknown critical CSM option or a message over our
 * Max-Message-Size, and sends Release before it closes on its own account.
 *
 * <p>Requests go to the session's {@link ServerExchanges} and responses to its
 * {@link ClientExchanges}, once each; as a {@link MessageLayer}, a message is delivered the moment
 * the socket took it, so a notification stream or a pipelining client is paced by TCP. When the socket stops taking
 * bytes, reading stops too: a peer that does not read cannot make us queue without bound.
 *
 * <p>Everything runs on the channel's loop, which is the endpoint's loop. Inbound frames are
 * released here; outbound buffers are allocated here and owned by Netty once written.
 */
final class ReliableLink extends ChannelInboundHandlerAdapter implements Link, MessageLayer {

    private static final Logger LOG = Loggers.getLogger(ReliableLink.class);

    /**
     * What a reliable session runs with beyond the endpoint's settings.
     *
     * @param csmTimeout how long from connect to the peer's CSM, the TLS handshake and WebSocket upgrade included
     * @param keepAlive the Ping interval, or zero for none
     * @param tls the TLS security for {@code coaps+tcp} and {@code coaps+ws}, or null
     * @param webSocket whether the transport is WebSockets (RFC 8323 §4) rather than TCP framing (§3)
     * @param acceptMissingCsm whether a peer that sends no CSM is taken at RFC 8323's base values
     *     instead of being aborted (for stacks that predate CSM, such as Californium's TCP connector)
     */
    record Settings(Duration csmTimeout, Duration keepAlive, StreamTls tls, boolean webSocket, boolean acceptMissingCsm) {
        static final Duration DEFAULT_CSM_TIMEOUT = Duration.ofSeconds(10);

        static Settings defaults() {
            return new Settings(DEFAULT_CSM_TIMEOUT, Duration.ZERO, null, false, false);
        }

        Settings withCsmTimeout(Duration timeout) {
            return new Settings(timeout, keepAlive, tls, webSocket, acceptMissingCsm);
        }

        Settings withKeepAlive(Duration interval) {
            return new Settings(csmTimeout, interval, tls, webSocket, acceptMissingCsm);
        }

        Settings withTls(StreamTls context) {
            return new Settings(csmTimeout, keepAlive, context, webSocket, acceptMissingCsm);
        }

        Settings withWebSocket(boolean ws) {
            return new Settings(csmTimeout, keepAlive, tls, ws, acceptMissingCsm);
        }

        Settings withAcceptMissingCsm(boolean accept) {
            return new Settings(csmTimeout, keepAlive, tls, webSocket, accept);
        }

        CoapProtocol protocol() {
            if (webSocket) {
                return tls == null ? CoapProtocol.WS : CoapProtocol.WSS;
            }
            return tls == null ? CoapProtocol.TCP : CoapProtocol.TLS;
        }

        CoapReliableCodec codec() {
            return webSocket ? CoapReliableCodec.WEBSOCKET : CoapReliableCodec.TCP;
        }
    }

    private final Channel channel;
    private final CoapEndpoint endpoint;
    private final SessionImpl session;
    private final CoapReliableCodec codec;
    private final io.sluice.codec.Limits limits;
    private final Settings settings;
    private final CoapTraffic traffic;
    private final Consumer<Throwable> onReady;
    private CoapSignals.Csm peer = new CoapSignals.Csm(CoapSignals.BASE_MAX_MESSAGE_SIZE, false);
    private boolean peerCsmSeen;
    private boolean ended;
    private ScheduledFuture<?> csmTimer;
    private ScheduledFuture<?> keepAliveTimer;
    private long lastRead = System.nanoTime();
    private final ArrayDeque<Ping> pings = new ArrayDeque<>();
    private volatile CoapSignals.Release release;

    private record Ping(long token, long startNanos, MonoSink<Duration> sink) {
    }

    /**
     * @param onReady called once on the loop: with null when both CSMs have crossed, or with why the
     *     session never got that far
     */
    ReliableLink(Channel channel, CoapEndpoint endpoint, SessionImpl session, Settings settings,
            CoapTraffic traffic, Consumer<Throwable> onReady) {
        this.channel = channel;
        this.endpoint = endpoint;
        this.session = session;
        this.codec = settings.codec();
        io.sluice.codec.Limits l = endpoint.config.limits();
        this.limits = l.maxMessageBytes() >= MIN_MAX_MESSAGE_BYTES ? l : l.withMaxMessageBytes(MIN_MAX_MESSAGE_BYTES);
        this.settings = settings;
        this.traffic = traffic;
        this.onReady = onReady;
    }

    /**
     * The largest message we take over a stream, said in our CSM: the decoder limit, but at least
     * {@value #MIN_MAX_MESSAGE_BYTES} bytes so that BERT blocks (RFC 8323 §6) fit, which peers send
     * in multiples of 1024 bytes (Californium sends 4 KiB whatever the CSM says).
     */
    int maxMessageBytes() {
        return limits.maxMessageBytes();
    }

    static final int MIN_MAX_MESSAGE_BYTES = 16 * 1024 + 512;

    // ---------------------------------------------------------------------------- life cycle

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        start();
        ctx.fireChannelActive();
    }

    /**
     * Starts the session: from {@link #channelActive}, or at once for a connection handed over
     * already active (a WebSocket an HTTP server upgraded). Once.
     */
    void start() {
        if (started) {
            return;
        }
        started = true;
        // One deadline from connect to the peer's CSM, the TLS handshake included: a peer that
        // stalls either holds a connection no longer than the CSM timeout.
        tlsPending = settings.tls() != null && !handedOver;
        upgradePending = channel.pipeline().get(WebSocketFrames.class) != null && !handedOver;
        csmTimer = endpoint.loop.schedule(() -> {
            if (tlsPending || upgradePending) {
                failHandshake("did not finish within " + settings.csmTimeout().toMillis() + " ms");
                return;
            }
            abort(-1, "no CSM from " + session.remoteAddress() + " within " + settings.csmTimeout().toMillis() + " ms", CoapErrorCode.TIMEOUT);
        }, settings.csmTimeout().toNanos(), TimeUnit.NANOSECONDS);
        if (tlsPending) {
            session.handshaking();
        } else if (!upgradePending) {
            sendCsm();
        }
    }

    private boolean started;
    /** Set for a connection whose TLS and upgrade an HTTP server finished before handing it over. */
    boolean handedOver;

    /** Set while the TLS handshake, or the WebSocket upgrade, that comes before the CSM is not done. */
    private boolean tlsPending;
    private boolean upgradePending;

    private void sendCsm() {
        if (ended) {
            return;
        }
        session.awaitCsm();
        send(CoapSignals.csm(maxMessageBytes(), true));
        if (settings.acceptMissingCsm() && session.type() != CoapSessionType.SERVER) {
            // A server that predates CSM never sends one: go on at the base values; a CSM that does come updates them.
            establishOnce();
        }
    }

    /** Both sides may now send requests: once, on the peer's CSM (or without one, where that is accepted). */
    private void establishOnce() {
        if (established || ended) {
            return;
        }
        established = true;
        cancel(csmTimer);
        session.establish();
        armKeepAlive();
        onReady.accept(null);
    }

    private boolean established;

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof WebSocketServerProtocolHandler.HandshakeComplete
                || event == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
            upgradePending = false;
            if (!tlsPending && !ended) {
                sendCsm();
            }
        } else if (event == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_TIMEOUT
                || event == WebSocketServerProtocolHandler.ServerHandshakeStateEvent.HANDSHAKE_TIMEOUT) {
            failHandshake("timed out");
        } else if (event instanceof SslHandshakeCompletionEvent done) {
            if (done.isSuccess()) {
                tlsPending = false;
                if (!upgradePending) {
                    sendCsm();
                }
            } else {
                failHandshake("failed: " + rootMessage(done.cause()));
            }
        }
        ctx.fireUserEventTriggered(event);
    }

    /** Ends a session whose TLS handshake (or, after it, WebSocket upgrade) did not complete, and closes. */
    private void failHandshake(String how) {
        end(new CoapException(CoapErrorCode.HANDSHAKE_FAILED, tlsPending ? CoapNackReason.TLS_FAILED : CoapNackReason.WS_FAILED,
                "the " + (tlsPending ? "TLS handshake" : "WebSocket upgrade") + " with " + session.remoteAddress() + " " + how));
        channel.close();
    }

    private static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == t ? String.valueOf(t.getMessage()) : t.getMessage() + " (" + root.getMessage() + ")";
    }

    /** @return the TLS session of a {@code coaps+tcp} connection once its handshake is done */
    Optional<SSLSession> sslSession() {
        SslHandler handler = channel.pipeline().get(SslHandler.class);
        return handler == null || !handler.handshakeFuture().isSuccess() ? Optional.empty() : Optional.of(handler.engine().getSession());
    }

    /** @return what a provider-secured connection agreed, once its handshake is done */
    Optional<io.sluice.security.SecureStreamSession> secureStream() {
        return channel.pipeline().first() instanceof io.sluice.security.SecureStreamSession s && s.protocolVersion().isPresent()
                ? Optional.of(s) : Optional.empty();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        end(new CoapException(CoapErrorCode.CLOSED, CoapNackReason.NOT_DELIVERABLE, "the connection to " + session.remoteAddress() + " closed"));
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("CoAP connection to {} failed", session.remoteAddress(), cause);
        if (tlsPending || upgradePending) {
            failHandshake("failed: " + rootMessage(cause));
            return;
        }
        end(new CoapException(CoapErrorCode.CLOSED, CoapNackReason.NOT_DELIVERABLE, "the connection to " + session.remoteAddress()
                + " failed: " + cause.getMessage()));
        channel.close();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        // A peer that does not read stops us reading its requests: what we owe it stays bounded.
        channel.config().setAutoRead(channel.isWritable());
        ctx.fireChannelWritabilityChanged();
    }

    /** Ends the session once: fails what waits, tells whoever waited for the CSM, frees the session. */
    private void end(CoapException why) {
        if (!stop(why)) {
            return;
        }
        if (!established) {
            onReady.accept(why);
        }
        session.free(why);
    }

    /** Once: stops the timers and fails the Pings in flight. @return false when already stopped */
    private boolean stop(CoapException why) {
        if (ended) {
            return false;
        }
        ended = true;
        cancel(csmTimer);
        cancel(keepAliveTimer);
        while (!pings.isEmpty()) {
            pings.poll().sink().error(why);
        }
        return true;
    }

    private static void cancel(ScheduledFuture<?> timer) {
        if (timer != null) {
            timer.cancel(false);
        }
    }

    /** Sends an Abort (§5.6) and closes; the session ends with {@code code}. */
    void abort(int badCsmOption, String diagnostic, CoapErrorCode code) {
        if (ended) {
            return;
        }
        send(CoapSignals.abort(badCsmOption, diagnostic));
        end(new CoapException(code, CoapNackReason.NOT_DELIVERABLE, "aborted: " + diagnostic));
        channel.close();
    }

    // ---------------------------------------------------------------------------------- inbound

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof CodecException e) {
            traffic.malformed.increment();
            abort(-1, "malformed message at offset " + e.offset() + ": " + e.getMessage(), CoapErrorCode.BAD_RESPONSE);
            return;
        }
        if (!(msg instanceof ByteBuf frame)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        CoapMessage message;
        try {
            if (ended) {
                return;
            }
            int start = frame.readerIndex();
            int length = frame.readableBytes();
            message = codec.decode(frame, limits);
            traffic.received(message, frame, start, length, session.remoteAddress());
        } catch (CodecException e) {
            traffic.malformed.increment();
            abort(-1, "malformed message at offset " + e.offset() + ": " + e.getMessage(), CoapErrorCode.BAD_RESPONSE);
            return;
        } finally {
            frame.release();
        }
        lastRead = System.nanoTime();
        onMessage(message);
    }

    private void onMessage(CoapMessage message) {
        CoapCode code = message.code();
        if (!peerCsmSeen && !established && !code.equals(CoapCode.CSM)) {
            if (!settings.acceptMissingCsm()) {
                abort(-1, "the first message must be a CSM (RFC 8323 §5.3), got " + code, CoapErrorCode.BAD_RESPONSE);
                return;
            }
            establishOnce();
        }
        if (code.isSignal()) {
            onSignal(message);
            return;
        }
        if (code.isEmpty()) {
            return; // §3.4: an empty message is always allowed and always ignored
        }
        session.touch(session.remoteAddress());
        try {
            if (code.isRequest()) {
                session.asServer.onRequest(new FrameInbound(message));
            } else if (code.isResponse()) {
                ClientExchanges client = session.existingClient();
                if (client != null) {
                    client.onResponse(message); // one nobody waits for is dropped: a stream has no Reset
                }
            }
        } catch (RuntimeException e) {
            // A bug must not take the event loop down with it: log, answer what can be answered.
            LOG.error("CoAP session with {} failed on {}", session.remoteAddress(), message, e);
            if (code.isRequest()) {
                send(CoapMessage.of(CoapType.NON, CoapCode.INTERNAL_SERVER_ERROR, 0).withToken(message.token()));
            }
        }
    }

    /** A request read from the stream: its answer is the next frame with its token. */
    private final class FrameInbound extends Inbound {
        FrameInbound(CoapMessage message) {
            super(message, false);
        }

        @Override
        void answer(CoapMessage response) {
            send(response);
        }

        @Override
        void answerNothing() {
            // nothing is owed: there is no ACK on a stream
        }
    }

    private void onSignal(CoapMessage message) {
        CoapCode code = message.code();
        if (code.equals(CoapCode.CSM)) {
            try {
                peer = CoapSignals.readCsm(message, peer);
            } catch (CoapSignals.BadSignalOption e) {
                abort(e.option(), e.getMessage(), CoapErrorCode.BAD_RESPONSE);
                return;
            }
            peerCsmSeen = true;
            establishOnce();
        } else if (code.equals(CoapCode.PING)) {
            // Everything before the Ping was handed on in order, so custody can be granted as asked.
            send(CoapSignals.pong(message, CoapSignals.custody(message)));
        } else if (code.equals(CoapCode.PONG)) {
            // Pongs come in the order of the Pings; libcoap's carries no token, so an empty one answers the oldest.
            Ping ping = pings.peek();
            if (ping != null && (message.tokenLength() == 0 || ping.token() == message.tokenAsLong())) {
                pings.poll();
                ping.sink().success(Duration.ofNanos(System.nanoTime() - ping.startNanos()));
            }
        } else if (code.equals(CoapCode.RELEASE)) {
            CoapSignals.Release said;
            try {
                said = CoapSignals.readRelease(message);
            } catch (CoapSignals.BadSignalOption e) {
                abort(e.option(), e.getMessage(), CoapErrorCode.BAD_RESPONSE);
                return;
            }
            release = said;
            said.holdOffSeconds().ifPresent(s -> HoldOff.remember(session.remoteAddress(), s));
            end(new CoapException(CoapErrorCode.CLOSED, CoapNackReason.NOT_DELIVERABLE, session.remoteAddress() + " released the session"
                    + (said.alternativeAddresses().isEmpty() ? "" : "; it names " + said.alternativeAddresses() + " instead")
                    + said.holdOffSeconds().map(s -> "; reconnect after " + s + " s").orElse("")
                    + (said.diagnostic().isEmpty() ? "" : ": " + said.diagnostic())));
            channel.close();
        } else if (code.equals(CoapCode.ABORT)) {
            String diagnostic = message.payloadText();
            end(new CoapException(CoapErrorCode.CLOSED, CoapNackReason.NOT_DELIVERABLE, session.remoteAddress() + " aborted the session"
                    + CoapSignals.badCsmOption(message).map(o -> " over CSM option " + o).orElse("")
                    + (diagnostic.isEmpty() ? "" : ": " + diagnostic)));
            channel.close();
        }
        // §5.1: other signalling codes are unknown and ignored, unless an option in them is critical.
    }

    // --------------------------------------------------------------------------------- outbound

    @Override
    public void send(CoapMessage message, InetSocketAddress to) {
        send(message);
    }

    private void send(CoapMessage message) {
        send(message, (Runnable) null);
    }

    /**
     * Writes {@code message}; {@code written} (may be null) runs on the loop once the socket took
     * it. This is the reliable transport's acknowledgement: nothing is ever retransmitted.
     */
    void send(CoapMessage message, Runnable written) {
        if (message.code().isEmpty()) {
            return; // the datagram layer's ACK and RST have no place on a stream
        }
        if (!channel.isActive() || (ended && !message.code().isSignal())) {
            traffic.unsent.increment();
            return;
        }
        int size = codec.encodedSize(message);
        if (peerCsmSeen && size > peer.maxMessageSize() && !message.code().isSignal()) {
            // The exchange layer sends block-wise what does not fit; anything else would break the peer's limit.
            LOG.debug("CoAP message of {} bytes to {} dropped: the peer takes at most {}", size, session.remoteAddress(), peer.maxMessageSize());
            traffic.unsent.increment();
            return;
        }
        ByteBuf out = channel.alloc().ioBuffer(size);
        try {
            codec.encode(message, out);
        } catch (RuntimeException e) {
            out.release();
            throw e;
        }
        traffic.sent(message, out, session.remoteAddress());
        if (written == null) {
            channel.writeAndFlush(out, channel.voidPromise());
        } else {
            channel.writeAndFlush(out).addListener((ChannelFutureListener) f -> {
                if (f.isSuccess()) {
                    endpoint.onLoop(written);
                }
            });
        }
    }

    @Override
    public Transmission send(CoapMessage message, boolean confirmable, Delivery delivery) {
        send(message, delivery == null ? null : () -> delivery.delivered(null));
        return Transmission.NONE;
    }

    /** Sends a Ping (§5.4); the Mono ends with the round trip when the Pong comes. */
    @Override
    public Mono<Duration> ping() {
        return Mono.create(sink -> endpoint.onLoop(() -> {
            if (ended || !established) {
                sink.error(new CoapException(CoapErrorCode.CLOSED, CoapNackReason.NOT_DELIVERABLE, "the session with "
                        + session.remoteAddress() + " is " + session.state()));
                return;
            }
            CoapMessage ping = CoapSignals.ping(false).withToken(pingToken());
            Ping waiting = new Ping(ping.tokenAsLong(), System.nanoTime(), sink);
            pings.add(waiting);
            send(ping);
            ScheduledFuture<?> timer = endpoint.loop.schedule(() -> {
                if (pings.remove(waiting)) {
                    sink.error(new CoapException(CoapErrorCode.TIMEOUT, null, "no Pong from " + session.remoteAddress() + " within "
                            + endpoint.config.responseTimeout().toMillis() + " ms"));
                }
            }, endpoint.config.responseTimeout().toNanos(), TimeUnit.NANOSECONDS);
            sink.onDispose(() -> timer.cancel(false));
        }));
    }

    private long nextPing;

    private byte[] pingToken() {
        long t = ++nextPing;
        return new byte[] {(byte) (t >>> 24), (byte) (t >>> 16), (byte) (t >>> 8), (byte) t};
    }

    /** Pings a peer that has been silent for the keep-alive interval; silence for another interval aborts. */
    private void armKeepAlive() {
        long every = settings.keepAlive().toNanos();
        if (every <= 0) {
            return;
        }
        keepAliveTimer = endpoint.loop.schedule(() -> {
            if (ended) {
                return;
            }
            long silent = System.nanoTime() - lastRead;
            if (silent >= 2 * every) {
                abort(-1, "no traffic from " + session.remoteAddress() + " for " + TimeUnit.NANOSECONDS.toMillis(silent)
                        + " ms, Ping unanswered", CoapErrorCode.TIMEOUT);
                return;
            }
            if (silent >= every) {
                send(CoapSignals.ping(false).withToken(pingToken()));
            }
            armKeepAlive();
        }, every / 2, TimeUnit.NANOSECONDS);
    }

    /** @return the peer's settings in force */
    CoapSignals.Csm peerCsm() {
        return peer;
    }

    /** @return what the peer's Release said, if it sent one */
    Optional<CoapSignals.Release> release() {
        return Optional.ofNullable(release);
    }

    @Override
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) channel.localAddress();
    }

    /** Says Release (§5.5) and closes once it is written; after an Abort or the peer's close, just closes. */
    @Override
    public void close() {
        close("");
    }

    /**
     * As {@link #close()}, the Release carrying {@code diagnostic} (§5.5: a diagnostic payload says
     * why, for the peer's logs), trimmed to what a peer's smallest Max-Message-Size leaves room for.
     */
    void close(String diagnostic) {
        boolean open = channel.isActive() && !ended;
        stop(new CoapException(CoapErrorCode.CLOSED, CoapNackReason.NOT_DELIVERABLE, "the session was closed"));
        if (open) {
            ByteBuf out = channel.alloc().ioBuffer();
            String said = diagnostic.length() > 256 ? diagnostic.substring(0, 256) : diagnostic;
            codec.encode(CoapSignals.release(List.of(), null, said), out);
            channel.writeAndFlush(out).addListener(ChannelFutureListener.CLOSE);
        } else {
            channel.close();
        }
    }
}
