package io.sluice.peer;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.sluice.codec.CodecException;
import io.sluice.codec.call.CallFrame;
import io.sluice.codec.call.CallFrameCodec;
import io.sluice.session.Attributes;
import io.sluice.session.StateMachine;
import io.sluice.session.Transitions;
import java.io.IOException;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscription;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.publisher.Sinks;

/**
 * One connection speaking the call protocol, as both caller and callee.
 *
 * <p>Threading: all call bookkeeping (the two call maps, ids, demand) is confined to the channel's
 * event loop. Public methods may be called from any thread and hop onto the loop; handler results
 * arriving on other threads hop back the same way. Nothing here blocks.
 *
 * <p>Ownership: received payload frames are released here once decoded; a decoded {@code ByteBuf}
 * request or response belongs to its handler or subscriber. A {@code ByteBuf} response returned by
 * a handler is released here once encoded.
 */
final class Association extends ChannelInboundHandlerAdapter implements PeerSession {

    static final Transitions<State> TRANSITIONS = Transitions.startingAt(State.CONNECTING)
            .allow(State.CONNECTING, State.WAITING, State.ESTABLISHED, State.CLOSED)
            .allow(State.WAITING, State.CONNECTING, State.CLOSED)
            .allow(State.ESTABLISHED, State.CLOSED)
            .terminal(State.CLOSED)
            .build();

    private final LivePeer peer;
    private final Channel channel;
    private final boolean initiator;
    private final Admission admission;
    private final StateMachine<State> state;
    private final Attributes attributes = new Attributes();
    private final Sinks.One<Association> established = Sinks.one();
    private final Sinks.Empty<Void> closed = Sinks.empty();

    // Confined to the event loop.
    private final Map<Long, Outgoing> outgoing = new HashMap<>();
    private final Map<Long, Incoming> incoming = new HashMap<>();
    private long nextCallId;
    private boolean admitted;
    private boolean helloReceived;
    /** The connecting side's capabilities call, until answered (0: none pending). */
    private long capabilitiesCallId;
    /** Whether the remote said it reads REQUEST metadata (PROTOCOL.md, "Capabilities"). */
    private boolean remoteReadsMetadata;
    private long remoteMaxFrame = Long.MAX_VALUE;
    private ScheduledFuture<?> establishTimer;
    private PeerException closeReason;
    private long pingNonce;
    /** Set once this side has said GOODBYE: frames still in the read batch are dropped, not served. */
    private boolean goodbyeSent;
    /** Whether the session constructor ran and succeeded, so the destructor has a context to end. */
    private boolean constructed;
    /** When a call frame last went either way; pings and pongs do not count (lwmsg's idle rule). */
    private long lastCallNanos;
    /** When any frame last arrived: what the remote's promised keep-alive is measured against. */
    private long lastReadNanos;
    private long remoteKeepAliveMillis;
    private ScheduledFuture<?> idleTimer;
    private ScheduledFuture<?> stallTimer;
    private boolean readPausedForOutbound;
    /** Whether this connection holds a client slot; read and written under the {@link Admission}'s monitor only. */
    boolean holdsSlot;

    private volatile Object context;

    /** How many of the remote's promised keep-alive intervals may pass in silence before it is taken for gone. */
    static final int LIVENESS_PINGS = 3;

    Association(LivePeer peer, Channel channel, boolean initiator, Admission admission) {
        this.peer = peer;
        this.channel = channel;
        this.initiator = initiator;
        this.admission = admission;
        this.nextCallId = initiator ? 1 : 2;
        this.state = StateMachine.create(this, TRANSITIONS);
    }

    Mono<Association> whenEstablished() {
        return established.asMono();
    }

    Channel channel() {
        return channel;
    }

    // ---- lifecycle -------------------------------------------------------------------------

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (admission == null) {
            start();
        } else {
            switch (admission.admit(this)) {
                case ACTIVE -> start();
                case WAITING -> {
                    state.transition(State.WAITING);
                    // Read while waiting, into a small buffer, so a client that gives up is seen to
                    // close and leaves the backlog; its bytes are replayed when a slot frees.
                    channel.pipeline().addFirst(WaitingGate.NAME, new WaitingGate());
                    channel.config().setAutoRead(true);
                }
                case REFUSED -> {
                    closeReason = PeerException.of(PeerStatus.BUSY, "refused " + channel.remoteAddress()
                            + ": " + admission.describe());
                    channel.config().setAutoRead(false);
                    goodbye(PeerStatus.BUSY, admission.describe() + "; try again later");
                    return;
                }
                default -> throw new IllegalStateException();
            }
        }
        ctx.fireChannelActive();
    }

    /** Takes a client slot: starts reading and sends HELLO. On the event loop. */
    void start() {
        if (!channel.isActive()) {
            return;
        }
        admitted = true;
        if (state.current() == State.WAITING) {
            state.transition(State.CONNECTING);
        }
        lastCallNanos = lastReadNanos = System.nanoTime();
        // HELLO first, then what waited is replayed: answers to it (a capabilities call's) must not
        // reach the other side before this side's HELLO.
        send(new CallFrame.Hello(CallFrame.VERSION, peer.config().keepAlive().toMillis(),
                peer.config().limits().maxMessageBytes()));
        if (initiator) {
            // Asked at once, behind the HELLO: the answer comes with the other side's HELLO, so
            // learning what it reads costs no round trip; an older peer answers UNKNOWN_TAG.
            capabilitiesCallId = nextCallId;
            nextCallId += 2;
            ByteBuf bits = channel.alloc().buffer(4).writeInt(CallFrame.CAPABILITY_METADATA);
            try {
                send(new CallFrame.Request(capabilitiesCallId, CallFrame.CAPABILITIES_TAG, false, 1, bits));
            } finally {
                bits.release();
            }
        }
        Duration timeout = peer.config().establishTimeout();
        if (!timeout.isZero()) {
            establishTimer = channel.eventLoop().schedule(() -> {
                if (!helloReceived || capabilitiesCallId != 0) {
                    closeReason = PeerException.of(PeerStatus.TIMEOUT, "no HELLO (or no answer to the capabilities call) from "
                            + channel.remoteAddress()
                            + " within the establish timeout of " + timeout.toMillis() + " ms");
                    goodbye(PeerStatus.TIMEOUT, "no HELLO within " + timeout.toMillis() + " ms");
                }
            }, timeout.toNanos(), TimeUnit.NANOSECONDS);
        }
        if (channel.pipeline().get(WaitingGate.NAME) != null) {
            channel.pipeline().remove(WaitingGate.NAME); // replays what arrived while waiting
        }
        channel.config().setAutoRead(true);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (establishTimer != null) {
            establishTimer.cancel(false);
        }
        if (idleTimer != null) {
            idleTimer.cancel(false);
        }
        if (stallTimer != null) {
            stallTimer.cancel(false);
        }
        PeerException reason = closeReason != null ? closeReason
                : PeerException.of(PeerStatus.CONNECTION_LOST, "connection to " + channel.remoteAddress() + " closed");
        for (Outgoing call : new ArrayList<>(outgoing.values())) {
            outgoing.remove(call.id);
            traceEnd(call, reason.status(), reason);
            call.fail(reason);
        }
        for (Incoming call : new ArrayList<>(incoming.values())) {
            incoming.remove(call.id);
            call.responder.dispose();
            traceEnd(call, PeerStatus.CANCELLED);
        }
        established.tryEmitError(reason);
        if (admission != null) {
            Association next = admission.release(this);
            if (next != null) {
                next.channel.eventLoop().execute(next::start);
            }
        }
        if (constructed) {
            peer.sessionEnded(this, context);
        }
        if (!state.isTerminal()) {
            state.transition(State.CLOSED);
        }
        peer.forget(this);
        closed.tryEmitEmpty();
        ctx.fireChannelInactive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof SslHandshakeCompletionEvent handshake && !handshake.isSuccess()) {
            tlsFailed(handshake.cause());
            return;
        }
        if (evt instanceof IdleStateEvent idle && admitted) {
            if (idle.state() == IdleState.WRITER_IDLE && helloReceived) {
                send(new CallFrame.Ping(++pingNonce));
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    /**
     * Two rules, checked by one timer. Idle (lwmsg's): no call in flight and none for the idle
     * timeout; keep-alive pings prove the peer is there, they are not use, so they never hold an idle
     * connection open. Liveness: a remote that promised in its HELLO to ping every K ms and sent
     * nothing at all for {@value #LIVENESS_PINGS} of them is gone. On the event loop.
     */
    private void checkIdle() {
        idleTimer = null;
        if (!channel.isActive()) {
            return;
        }
        long now = System.nanoTime();
        long idle = peer.config().idleTimeout().toNanos();
        long liveness = TimeUnit.MILLISECONDS.toNanos(remoteKeepAliveMillis) * LIVENESS_PINGS;
        long next = Long.MAX_VALUE;
        if (idle > 0) {
            if (!outgoing.isEmpty() || !incoming.isEmpty()) {
                lastCallNanos = now;
            }
            long idleFor = now - lastCallNanos;
            if (idleFor >= idle) {
                String why = "no call for " + peer.config().idleTimeout().toMillis() + " ms";
                closeReason = PeerException.of(PeerStatus.TIMEOUT, "idle connection to " + channel.remoteAddress() + " closed: " + why);
                goodbye(PeerStatus.TIMEOUT, why);
                return;
            }
            next = idle - idleFor;
        }
        if (liveness > 0) {
            long silentFor = now - lastReadNanos;
            if (silentFor >= liveness) {
                String why = "nothing received for " + TimeUnit.NANOSECONDS.toMillis(silentFor) + " ms from a peer that pings every "
                        + remoteKeepAliveMillis + " ms";
                closeReason = PeerException.of(PeerStatus.TIMEOUT, "connection to " + channel.remoteAddress() + " closed: " + why);
                goodbye(PeerStatus.TIMEOUT, why);
                return;
            }
            next = Math.min(next, liveness - silentFor);
        }
        if (next != Long.MAX_VALUE) {
            idleTimer = channel.eventLoop().schedule(this::checkIdle, next, TimeUnit.NANOSECONDS);
        }
    }

    /**
     * Replies queue in the channel while the remote does not read them; above the spec's outbound
     * limit this side stops reading that remote's requests (TCP pushes back on it), reads again at
     * half, and closes the connection if it stays full for the stall timeout.
     */
    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (!channel.isWritable()) {
            if (admitted && !readPausedForOutbound) {
                readPausedForOutbound = true;
                channel.config().setAutoRead(false);
                Duration stall = peer.config().outbound().stallTimeout();
                stallTimer = channel.eventLoop().schedule(() -> {
                    if (readPausedForOutbound && channel.isActive()) {
                        peer.stalled();
                        closeReason = PeerException.of(PeerStatus.TIMEOUT, "connection to " + channel.remoteAddress()
                                + " closed: it left more than " + peer.config().outbound().maxPendingBytes()
                                + " bytes of replies unread for " + stall.toMillis() + " ms");
                        channel.close(); // a GOODBYE would only join the queue it does not read
                    }
                }, stall.toNanos(), TimeUnit.NANOSECONDS);
            }
        } else if (readPausedForOutbound) {
            readPausedForOutbound = false;
            if (stallTimer != null) {
                stallTimer.cancel(false);
                stallTimer = null;
            }
            channel.config().setAutoRead(true);
        }
        ctx.fireChannelWritabilityChanged();
    }

    private void tlsFailed(Throwable cause) {
        if (closeReason == null || closeReason.status() == PeerStatus.CONNECTION_LOST) {
            Throwable root = cause;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            String why = root == cause ? String.valueOf(cause.getMessage()) : cause.getMessage() + " (" + root.getMessage() + ")";
            closeReason = PeerException.of(PeerStatus.TLS_FAILED, "TLS handshake with " + channel.remoteAddress() + " failed: " + why, cause);
        }
        channel.close();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof javax.net.ssl.SSLException || cause instanceof DecoderException
                && cause.getCause() instanceof javax.net.ssl.SSLException) {
            tlsFailed(cause instanceof DecoderException ? cause.getCause() : cause);
        } else if (cause instanceof DecoderException && cause.getCause() instanceof CodecException ce) {
            protocolError("malformed frame: " + ce.getMessage());
        } else if (cause instanceof IOException) {
            if (closeReason == null) {
                closeReason = PeerException.of(PeerStatus.CONNECTION_LOST, "connection to " + channel.remoteAddress()
                        + " failed: " + cause.getMessage(), cause);
            }
            channel.close();
        } else {
            peer.exception(PeerException.of(PeerStatus.PROTOCOL, "unexpected failure on connection to "
                    + channel.remoteAddress() + ": " + cause, cause));
            channel.close();
        }
    }

    private void protocolError(String message) {
        PeerException e = PeerException.of(PeerStatus.PROTOCOL, message + " (from " + channel.remoteAddress() + ")");
        peer.exception(e);
        if (closeReason == null) {
            closeReason = e;
        }
        goodbye(PeerStatus.PROTOCOL, message);
    }

    private void goodbye(PeerStatus status, String message) {
        goodbyeSent = true;
        if (!channel.isActive()) {
            channel.close();
            return;
        }
        ByteBuf frame = encode(new CallFrame.Goodbye(status.wireCode(), message));
        channel.writeAndFlush(frame).addListener(ChannelFutureListener.CLOSE);
    }

    // ---- inbound frames --------------------------------------------------------------------

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof CallFrame frame)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        io.sluice.wiretap.Wiretap tap = peer.wiretap();
        if (tap.enabled()) {
            tap.log("peer " + channel.remoteAddress(), "IN", frame, frame instanceof CallFrame.PayloadFrame p ? p.payload() : null);
        }
        if (goodbyeSent) {
            // A request read in the same batch as the frame that made this side leave must not run.
            if (frame instanceof CallFrame.PayloadFrame p) {
                p.release();
            }
            return;
        }
        long now = System.nanoTime();
        lastReadNanos = now;
        if (!(frame instanceof CallFrame.Ping) && !(frame instanceof CallFrame.Pong)) {
            lastCallNanos = now;
        }
        try {
            if (!helloReceived && !(frame instanceof CallFrame.Hello) && !(frame instanceof CallFrame.Goodbye)) {
                protocolError("expected HELLO first, got frame type 0x" + Integer.toHexString(frame.type()));
            } else if (frame instanceof CallFrame.Request r) {
                onRequest(r);
            } else if (frame instanceof CallFrame.Response r) {
                onResponse(r);
            } else if (frame instanceof CallFrame.Next n) {
                onNext(n);
            } else if (frame instanceof CallFrame.Complete c) {
                Outgoing call = outgoing.get(c.callId());
                if (call instanceof OutgoingStream s) {
                    finishOutgoing(s, null);
                } else if (call != null) {
                    protocolError("COMPLETE for unary call " + c.callId());
                }
            } else if (frame instanceof CallFrame.Failure f && f.callId() == capabilitiesCallId) {
                capabilitiesAnswered(0); // an older peer: UNKNOWN_TAG
            } else if (frame instanceof CallFrame.Failure f) {
                Outgoing call = outgoing.get(f.callId());
                if (call != null) {
                    finishOutgoing(call, PeerException.fromWire(f.status(), f.message()));
                }
            } else if (frame instanceof CallFrame.Cancel c) {
                Incoming call = incoming.remove(c.callId());
                if (call != null) {
                    call.responder.dispose();
                    traceEnd(call, PeerStatus.CANCELLED);
                }
            } else if (frame instanceof CallFrame.RequestN r) {
                Incoming call = incoming.get(r.callId());
                if (call != null && call.responder instanceof StreamResponder s) {
                    s.request(r.n());
                } else if (call != null) {
                    protocolError("REQUEST_N for unary call " + r.callId());
                }
            } else if (frame instanceof CallFrame.Ping p) {
                send(new CallFrame.Pong(p.nonce()));
            } else if (frame instanceof CallFrame.Hello h) {
                onHello(h);
            } else if (frame instanceof CallFrame.Goodbye g) {
                if (closeReason == null) {
                    closeReason = PeerException.fromWire(g.status() == 0 ? PeerStatus.CONNECTION_LOST.wireCode() : g.status(),
                            "remote peer " + channel.remoteAddress() + " closed the connection: " + g.message());
                }
                channel.close();
            }
        } finally {
            if (frame instanceof CallFrame.PayloadFrame p) {
                p.release();
            }
        }
    }

    private void onHello(CallFrame.Hello hello) {
        if (helloReceived) {
            protocolError("second HELLO");
            return;
        }
        if (hello.version() != CallFrame.VERSION) {
            closeReason = PeerException.of(PeerStatus.UNSUPPORTED_VERSION, "remote peer " + channel.remoteAddress()
                    + " speaks call protocol version " + hello.version() + ", this one " + CallFrame.VERSION);
            goodbye(PeerStatus.UNSUPPORTED_VERSION, "this peer speaks version " + CallFrame.VERSION);
            return;
        }
        helloReceived = true;
        remoteMaxFrame = hello.maxFrameBytes() == 0 ? Long.MAX_VALUE : hello.maxFrameBytes();
        if (!initiator) {
            try {
                context = peer.sessionStarted(this);
                constructed = true;
            } catch (RuntimeException e) {
                peer.exception(PeerException.of(PeerStatus.HANDLER_FAILED, "session constructor failed for "
                        + channel.remoteAddress() + ": " + e, e));
                closeReason = PeerException.of(PeerStatus.HANDLER_FAILED, "session constructor failed");
                goodbye(PeerStatus.HANDLER_FAILED, "session could not be set up");
                return;
            }
        }
        remoteKeepAliveMillis = hello.keepAliveMillis();
        lastCallNanos = lastReadNanos = System.nanoTime();
        checkIdle();
        if (capabilitiesCallId == 0) {
            establish();
        }
    }

    /**
     * Established: HELLOs crossed and, on the connecting side, the capabilities call answered, so
     * the first call already knows whether it may carry metadata.
     */
    private void establish() {
        if (establishTimer != null) {
            establishTimer.cancel(false);
        }
        if (state.current() != State.ESTABLISHED && state.current() != State.CLOSED) {
            state.transition(State.ESTABLISHED);
            established.tryEmitValue(this);
        }
    }

    /** The answer to this side's capabilities call: the remote's bits (0 from a peer that predates the call). */
    private void capabilitiesAnswered(int bits) {
        capabilitiesCallId = 0;
        remoteReadsMetadata = (bits & CallFrame.CAPABILITY_METADATA) != 0;
        if (helloReceived) {
            establish();
        }
    }

    /** The remote's capabilities call: learn what it reads, answer with what this side reads. */
    private void onCapabilities(CallFrame.Request r) {
        remoteReadsMetadata = r.payload().readableBytes() >= 4
                && (r.payload().getInt(r.payload().readerIndex()) & CallFrame.CAPABILITY_METADATA) != 0;
        send(new CallFrame.Response(r.callId(), channel.alloc().buffer(4).writeInt(CallFrame.CAPABILITY_METADATA)));
    }

    /** @return whether calls to the remote may carry metadata (trace context) */
    boolean remoteReadsMetadata() {
        return remoteReadsMetadata;
    }

    private void onRequest(CallFrame.Request r) {
        long id = r.callId();
        if ((id % 2 == 1) == initiator) {
            protocolError("call id " + id + " has this side's parity");
            return;
        }
        if (incoming.containsKey(id)) {
            protocolError("call id " + id + " is already in use");
            return;
        }
        if (r.tag() == CallFrame.CAPABILITIES_TAG) {
            onCapabilities(r);
            return;
        }
        if (incoming.size() >= peer.config().maxConcurrentCalls()) {
            // Refused rather than left unread: pausing reads would also hold back the CANCEL and
            // REQUEST_N frames of the calls already running, and streams waiting for demand would
            // then never end.
            send(new CallFrame.Failure(id, PeerStatus.BUSY.wireCode(), "this peer runs at most "
                    + peer.config().maxConcurrentCalls() + " calls per connection at once"));
            return;
        }
        CallType<?, ?> type = peer.config().protocol().type(r.tag()).orElse(null);
        Dispatch.Entry entry = peer.config().dispatch().entry(r.tag());
        if (type == null || entry == null) {
            send(new CallFrame.Failure(id, PeerStatus.UNKNOWN_TAG.wireCode(), "no handler for tag " + r.tag()));
            return;
        }
        boolean stream = type.kind() == CallType.Kind.STREAM;
        if (stream != r.stream()) {
            send(new CallFrame.Failure(id, PeerStatus.MALFORMED.wireCode(), type + (stream ? " is" : " is not")
                    + " a stream call"));
            return;
        }
        Object request;
        try {
            request = type.requestCodec().decode(r.payload(), peer.config().limits());
        } catch (RuntimeException e) {
            send(new CallFrame.Failure(id, PeerStatus.MALFORMED.wireCode(), "request for " + type.name()
                    + " could not be decoded: " + e.getMessage()));
            return;
        }
        Incoming call = new Incoming(type, id);
        incoming.put(id, call);
        trace(CallTrace.Direction.INCOMING, CallTrace.Phase.BEGIN, id, type, PeerStatus.OK, call.startNanos);
        PeerTracing tracing = peer.observations();
        if (tracing.enabled()) {
            call.observation = tracing.startIncoming(type, r.metadata(), channel.remoteAddress());
        }
        Publisher<?> response;
        try {
            Object decoded = request;
            response = tracing.inScope(call.observation, () -> entry.invoker().invoke(call, decoded, peer.config().blockingScheduler()));
            response = tracing.withObservation(call.observation, response);
        } catch (RuntimeException e) {
            response = Mono.error(e);
        }
        if (stream) {
            StreamResponder responder = new StreamResponder(call, r.initialDemand());
            call.responder = responder;
            Flux.from(response).subscribe(responder);
        } else {
            UnaryResponder responder = new UnaryResponder(call);
            call.responder = responder;
            Mono.from(response).subscribe(responder);
        }
    }

    /** Ends an incoming call with a final frame, if it is still running. On the event loop. */
    private void finishIncoming(Incoming call, CallFrame last, PeerStatus status) {
        if (incoming.get(call.id) != call) {
            ReferenceCountUtil.release(last);
            return;
        }
        incoming.remove(call.id);
        try {
            send(last);
        } catch (PeerException e) {
            send(new CallFrame.Failure(call.id, e.wireStatus(), e.detail()));
            status = e.status();
        }
        traceEnd(call, status);
    }

    private CallFrame failureFrame(Incoming call, Throwable error) {
        PeerException e = toPeerException(error, call.type);
        return new CallFrame.Failure(call.id, e.wireStatus(), e.detail());
    }

    private PeerException toPeerException(Throwable error, CallType<?, ?> type) {
        if (error instanceof PeerException pe) {
            return pe;
        }
        if (error instanceof CodecException ce) {
            return PeerException.of(PeerStatus.MALFORMED, type.name() + ": " + ce.getMessage(), ce);
        }
        if (error instanceof TimeoutException) {
            return PeerException.of(PeerStatus.TIMEOUT, type.name() + ": " + error.getMessage(), error);
        }
        PeerException e = PeerException.of(PeerStatus.HANDLER_FAILED, "handler for " + type.name() + " failed: " + error,
                error);
        peer.exception(e);
        return e;
    }

    private ByteBuf encodeResponse(CallType<?, ?> type, Object value) {
        try {
            @SuppressWarnings("unchecked")
            CallType<?, Object> t = (CallType<?, Object>) type;
            return t.responseCodec().encode(value, channel.alloc());
        } finally {
            ReferenceCountUtil.release(value);
        }
    }

    /** The running handler of an incoming call. */
    private final class Incoming implements IncomingCall {
        final CallType<?, ?> type;
        final long id;
        final long startNanos = System.nanoTime();
        BaseSubscriber<Object> responder;
        /** The callee's observation, or null. */
        Object observation;

        Incoming(CallType<?, ?> type, long id) {
            this.type = type;
            this.id = id;
        }

        @Override
        public CallType<?, ?> type() {
            return type;
        }

        @Override
        public long callId() {
            return id;
        }

        @Override
        public PeerSession session() {
            return Association.this;
        }

        @Override
        public Object dispatchData() {
            return peer.config().dispatchData();
        }
    }

    private final class UnaryResponder extends BaseSubscriber<Object> {
        private final Incoming call;
        private boolean answered;

        UnaryResponder(Incoming call) {
            this.call = call;
        }

        @Override
        protected void hookOnNext(Object value) {
            answered = true;
            CallFrame frame;
            try {
                frame = new CallFrame.Response(call.id, encodeResponse(call.type, value));
            } catch (RuntimeException e) {
                frame = failureFrame(call, e);
            }
            CallFrame last = frame;
            PeerStatus status = last instanceof CallFrame.Failure f ? PeerStatus.ofWireCode(f.status()) : PeerStatus.OK;
            onLoop(() -> finishIncoming(call, last, status));
        }

        @Override
        protected void hookOnComplete() {
            if (!answered) {
                CallFrame last = new CallFrame.Failure(call.id, PeerStatus.HANDLER_FAILED.wireCode(),
                        "handler for " + call.type.name() + " completed without a response");
                onLoop(() -> finishIncoming(call, last, PeerStatus.HANDLER_FAILED));
            }
        }

        @Override
        protected void hookOnError(Throwable error) {
            CallFrame.Failure last = (CallFrame.Failure) failureFrame(call, error);
            onLoop(() -> finishIncoming(call, last, PeerStatus.ofWireCode(last.status())));
        }
    }

    private final class StreamResponder extends BaseSubscriber<Object> {
        private final Incoming call;
        private final long initialDemand;

        StreamResponder(Incoming call, long initialDemand) {
            this.call = call;
            this.initialDemand = initialDemand;
        }

        @Override
        protected void hookOnSubscribe(Subscription subscription) {
            if (initialDemand > 0) {
                subscription.request(initialDemand);
            }
        }

        @Override
        protected void hookOnNext(Object value) {
            ByteBuf payload;
            try {
                payload = encodeResponse(call.type, value);
            } catch (RuntimeException e) {
                cancel();
                hookOnError(e);
                return;
            }
            // Always queued, so elements keep their order whichever thread the handler emits on.
            channel.eventLoop().execute(() -> {
                if (incoming.get(call.id) == call) {
                    try {
                        send(new CallFrame.Next(call.id, payload));
                    } catch (PeerException e) {
                        cancel();
                        finishIncoming(call, new CallFrame.Failure(call.id, e.wireStatus(), e.detail()), e.status());
                    }
                } else {
                    payload.release();
                }
            });
        }

        @Override
        protected void hookOnComplete() {
            channel.eventLoop().execute(() -> finishIncoming(call, new CallFrame.Complete(call.id), PeerStatus.OK));
        }

        @Override
        protected void hookOnError(Throwable error) {
            CallFrame.Failure last = (CallFrame.Failure) failureFrame(call, error);
            channel.eventLoop().execute(() -> finishIncoming(call, last, PeerStatus.ofWireCode(last.status())));
        }
    }

    // ---- outgoing calls --------------------------------------------------------------------

    @Override
    public <Q, R> Mono<R> call(CallType<Q, R> type, Q request) {
        requireType(type, CallType.Kind.UNARY);
        Mono<R> call = Mono.create(sink -> {
            ByteBuf payload;
            try {
                payload = type.requestCodec().encode(request, channel.alloc());
            } catch (RuntimeException e) {
                sink.error(PeerException.of(PeerStatus.MALFORMED, "request for " + type.name() + " could not be encoded: "
                        + e.getMessage(), e));
                return;
            }
            OutgoingUnary<R> c = new OutgoingUnary<>(type, sink);
            sink.onCancel(() -> onLoop(() -> cancelOutgoing(c)));
            onLoop(() -> startOutgoing(c, payload, 1));
        });
        return withCallTimeout(call, type);
    }

    @Override
    public <Q, R> Flux<R> stream(CallType<Q, R> type, Q request) {
        requireType(type, CallType.Kind.STREAM);
        Flux<R> call = Flux.create(sink -> {
            // The request is encoded on first demand, not here: a subscriber that never requests
            // (or only sends an invalid request(n)) then holds no buffer at all.
            OutgoingStream<R> c = new OutgoingStream<>(type, sink, () -> type.requestCodec().encode(request, channel.alloc()));
            sink.onCancel(() -> onLoop(() -> cancelOutgoing(c)));
            sink.onRequest(n -> onLoop(() -> c.demand(n)));
        }, FluxSink.OverflowStrategy.ERROR);
        Duration timeout = peer.config().callTimeout();
        return timeout.isZero() ? call : call.timeout(timeout, Flux.error(() -> PeerException.of(PeerStatus.TIMEOUT,
                type.name() + " produced nothing for " + timeout.toMillis() + " ms")));
    }

    private <R> Mono<R> withCallTimeout(Mono<R> call, CallType<?, ?> type) {
        Duration timeout = peer.config().callTimeout();
        return timeout.isZero() ? call : call.timeout(timeout, Mono.error(() -> PeerException.of(PeerStatus.TIMEOUT,
                type.name() + " did not answer within " + timeout.toMillis() + " ms")));
    }

    private void requireType(CallType<?, ?> type, CallType.Kind kind) {
        peer.config().requireType(type, kind);
    }

    private void onLoop(Runnable task) {
        if (channel.eventLoop().inEventLoop()) {
            task.run();
        } else {
            channel.eventLoop().execute(task);
        }
    }

    private void startOutgoing(Outgoing call, ByteBuf payload, long demand) {
        if (call.cancelled) {
            payload.release();
            return;
        }
        if (!helloReceived || !channel.isActive()) {
            payload.release();
            call.fail(closeReason != null ? closeReason : PeerException.of(PeerStatus.CONNECTION_LOST,
                    "connection to " + channel.remoteAddress() + " is not open"));
            return;
        }
        long id;
        do {
            id = nextCallId;
            nextCallId += 2;
            if (nextCallId > 0xFFFF_FFFFL) {
                nextCallId = initiator ? 1 : 2;
            }
        } while (outgoing.containsKey(id));
        call.id = id;
        outgoing.put(id, call);
        trace(CallTrace.Direction.OUTGOING, CallTrace.Phase.BEGIN, id, call.type, PeerStatus.OK, call.startNanos);
        Map<String, String> metadata = Map.of();
        PeerTracing tracing = peer.observations();
        if (tracing.enabled()) {
            Map<String, String> carrier = new java.util.LinkedHashMap<>();
            call.observation = tracing.startOutgoing(call.type, call.context(), carrier, channel.remoteAddress());
            if (remoteReadsMetadata) {
                // Only what fits the protocol's limits travels; a tracer's oversized extras stay home.
                carrier.entrySet().removeIf(e -> e.getKey().isEmpty() || e.getKey().length() > CallFrame.MAX_METADATA_KEY_BYTES
                        || e.getValue().length() > CallFrame.MAX_METADATA_VALUE_BYTES / 3);
                metadata = carrier.size() <= CallFrame.MAX_METADATA_ENTRIES ? carrier : Map.of();
            }
        }
        try {
            send(new CallFrame.Request(id, call.type.tag(), call instanceof OutgoingStream, demand, payload, metadata));
        } catch (PeerException e) {
            finishOutgoing(call, e);
        } finally {
            payload.release();
        }
    }

    private void cancelOutgoing(Outgoing call) {
        call.cancelled = true;
        if (call.id != 0 && outgoing.remove(call.id) == call) {
            if (channel.isActive()) {
                send(new CallFrame.Cancel(call.id));
            }
            traceEnd(call, PeerStatus.CANCELLED);
        }
    }

    private void finishOutgoing(Outgoing call, PeerException failure) {
        outgoing.remove(call.id);
        // Traced (and timed) before the caller hears, so that whoever sees the call end sees it counted.
        traceEnd(call, failure == null ? PeerStatus.OK : failure.status(), failure);
        if (failure == null) {
            call.complete();
        } else {
            call.fail(failure);
        }
    }

    private void onResponse(CallFrame.Response r) {
        if (r.callId() == capabilitiesCallId) {
            capabilitiesAnswered(r.payload().readableBytes() >= 4 ? r.payload().getInt(r.payload().readerIndex()) : 0);
            return;
        }
        Outgoing call = outgoing.get(r.callId());
        if (call == null) {
            return;
        }
        if (!(call instanceof OutgoingUnary<?> unary)) {
            protocolError("RESPONSE for stream call " + r.callId());
            return;
        }
        Object value;
        try {
            value = call.type.responseCodec().decode(r.payload(), peer.config().limits());
        } catch (RuntimeException e) {
            finishOutgoing(call, PeerException.of(PeerStatus.MALFORMED, "response to " + call.type.name()
                    + " could not be decoded: " + e.getMessage(), e));
            return;
        }
        outgoing.remove(call.id);
        traceEnd(call, PeerStatus.OK);
        unary.succeed(value);
    }

    private void onNext(CallFrame.Next n) {
        Outgoing call = outgoing.get(n.callId());
        if (call == null) {
            return;
        }
        if (!(call instanceof OutgoingStream<?> stream)) {
            protocolError("NEXT for unary call " + n.callId());
            return;
        }
        if (stream.outstanding <= 0) {
            protocolError("NEXT beyond the demand of call " + n.callId());
            return;
        }
        Object value;
        try {
            value = call.type.responseCodec().decode(n.payload(), peer.config().limits());
        } catch (RuntimeException e) {
            cancelOutgoing(call);
            call.fail(PeerException.of(PeerStatus.MALFORMED, "element of " + call.type.name() + " could not be decoded: "
                    + e.getMessage(), e));
            return;
        }
        stream.outstanding--;
        stream.next(value);
        stream.topUp();
    }

    /** An outgoing call awaiting its answer. Confined to the event loop. */
    private abstract static class Outgoing {
        final CallType<?, ?> type;
        final long startNanos = System.nanoTime();
        long id;
        boolean cancelled;
        /** The caller's observation, or null. */
        Object observation;

        Outgoing(CallType<?, ?> type) {
            this.type = type;
        }

        /** @return the subscriber's Reactor context, where a parent observation may be */
        abstract reactor.util.context.ContextView context();

        abstract void fail(PeerException e);

        abstract void complete();
    }

    private static final class OutgoingUnary<R> extends Outgoing {
        private final MonoSink<R> sink;

        OutgoingUnary(CallType<?, R> type, MonoSink<R> sink) {
            super(type);
            this.sink = sink;
        }

        @Override
        reactor.util.context.ContextView context() {
            return sink.contextView();
        }

        @SuppressWarnings("unchecked")
        void succeed(Object value) {
            sink.success((R) value);
        }

        @Override
        void fail(PeerException e) {
            sink.error(e);
        }

        @Override
        void complete() {
            sink.success();
        }
    }

    private final class OutgoingStream<R> extends Outgoing {
        private final FluxSink<R> sink;
        /** Encodes the request; null once the request went out. */
        private Supplier<ByteBuf> request;
        /** Demand the subscriber gave that is not yet sent; Long.MAX_VALUE means unbounded. */
        private long wanted;
        /** Demand sent to the callee and not yet met. */
        long outstanding;

        OutgoingStream(CallType<?, R> type, FluxSink<R> sink, Supplier<ByteBuf> request) {
            super(type);
            this.sink = sink;
            this.request = request;
        }

        @Override
        reactor.util.context.ContextView context() {
            return sink.contextView();
        }

        void demand(long n) {
            if (cancelled) {
                return;
            }
            wanted = wanted == Long.MAX_VALUE || n == Long.MAX_VALUE ? Long.MAX_VALUE : Math.min(Long.MAX_VALUE - 1, wanted + n);
            if (request != null) {
                Supplier<ByteBuf> encoder = request;
                request = null;
                ByteBuf p;
                try {
                    p = encoder.get();
                } catch (RuntimeException e) {
                    cancelled = true;
                    fail(PeerException.of(PeerStatus.MALFORMED, "request for " + type.name() + " could not be encoded: "
                            + e.getMessage(), e));
                    return;
                }
                long first = take(CallFrame.MAX_DEMAND);
                outstanding = first;
                startOutgoing(this, p, first);
            } else if (id != 0 && outgoing.get(id) == this) {
                topUp();
            }
        }

        /** Passes the subscriber's demand on; unbounded demand is refilled once half is used. */
        void topUp() {
            if (wanted == 0 || (wanted == Long.MAX_VALUE && outstanding >= CallFrame.MAX_DEMAND / 2)) {
                return;
            }
            long n = take(CallFrame.MAX_DEMAND - outstanding);
            if (n > 0) {
                outstanding += n;
                send(new CallFrame.RequestN(id, n));
            }
        }

        private long take(long max) {
            long n = Math.min(wanted, max);
            if (wanted != Long.MAX_VALUE) {
                wanted -= n;
            }
            return n;
        }

        @SuppressWarnings("unchecked")
        void next(Object value) {
            sink.next((R) value);
        }

        @Override
        void fail(PeerException e) {
            sink.error(e);
        }

        @Override
        void complete() {
            sink.complete();
        }
    }

    // ---- output ----------------------------------------------------------------------------

    private ByteBuf encode(CallFrame frame) {
        ByteBuf out = channel.alloc().ioBuffer();
        try {
            CallFrameCodec.INSTANCE.encode(frame, out);
            return out;
        } catch (RuntimeException e) {
            out.release();
            throw e;
        }
    }

    /** Encodes and writes a frame. On the event loop; releases nothing the caller owns. */
    private void send(CallFrame frame) {
        ByteBuf out;
        io.sluice.wiretap.Wiretap tap = peer.wiretap();
        try {
            String summary = tap.enabled() ? frame.toString() : null;
            out = encode(frame);
            if (summary != null) {
                tap.log("peer " + channel.remoteAddress(), "OUT", summary, out);
            }
        } finally {
            if (frame instanceof CallFrame.PayloadFrame p && !(frame instanceof CallFrame.Request)) {
                p.release();
            }
        }
        if (out.readableBytes() > remoteMaxFrame) {
            int size = out.readableBytes();
            out.release();
            throw PeerException.of(PeerStatus.MALFORMED, "a frame of " + size + " bytes exceeds the remote peer's limit of "
                    + remoteMaxFrame);
        }
        if (!(frame instanceof CallFrame.Ping) && !(frame instanceof CallFrame.Pong)) {
            lastCallNanos = System.nanoTime();
        }
        channel.writeAndFlush(out, channel.voidPromise());
    }

    private void traceEnd(Outgoing call, PeerStatus status) {
        traceEnd(call, status, null);
    }

    private void traceEnd(Outgoing call, PeerStatus status, Throwable error) {
        trace(CallTrace.Direction.OUTGOING, CallTrace.Phase.END, call.id, call.type, status, call.startNanos);
        Object observation = call.observation;
        call.observation = null;
        peer.observations().stop(observation, status, error);
    }

    private void traceEnd(Incoming call, PeerStatus status) {
        trace(CallTrace.Direction.INCOMING, CallTrace.Phase.END, call.id, call.type, status, call.startNanos);
        Object observation = call.observation;
        call.observation = null;
        peer.observations().stop(observation, status, null);
    }

    private void trace(CallTrace.Direction direction, CallTrace.Phase phase, long id, CallType<?, ?> type,
                       PeerStatus status, long startNanos) {
        if (peer.tracing() || peer.timed()) {
            Duration duration = phase == CallTrace.Phase.BEGIN ? Duration.ZERO : Duration.ofNanos(System.nanoTime() - startNanos);
            peer.trace(new CallTrace(direction, phase, id, type, status, duration, channel.remoteAddress()));
        }
    }

    // ---- PeerSession -----------------------------------------------------------------------

    @Override
    public State state() {
        return state.current();
    }

    @Override
    public Flux<State> states() {
        return state.states();
    }

    @Override
    public Object context() {
        return context;
    }

    @Override
    public Attributes attributes() {
        return attributes;
    }

    @Override
    public SocketAddress remoteAddress() {
        return channel.remoteAddress();
    }

    @Override
    public SocketAddress localAddress() {
        return channel.localAddress();
    }

    @Override
    public javax.net.ssl.SSLSession tlsSession() {
        SslHandler tls = channel.pipeline().get(SslHandler.class);
        return tls == null || !tls.handshakeFuture().isSuccess() ? null : tls.engine().getSession();
    }

    @Override
    public Mono<Void> disconnect() {
        return close(PeerException.of(PeerStatus.CANCELLED, "session with " + channel.remoteAddress() + " was disconnected"),
                PeerStatus.OK, "disconnected");
    }

    Mono<Void> close(PeerException reason, PeerStatus status, String message) {
        onLoop(() -> {
            if (closeReason == null) {
                closeReason = reason;
            }
            goodbye(status, message);
        });
        return onClose();
    }

    @Override
    public Mono<Void> onClose() {
        return closed.asMono();
    }

    @Override
    public String toString() {
        return "peer session " + channel.localAddress() + (initiator ? " -> " : " <- ") + channel.remoteAddress();
    }
}
