package io.sluice.ice;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.sluice.codec.CodecException;
import io.sluice.codec.Limits;
import io.sluice.codec.ice.IceError;
import io.sluice.codec.ice.IceMessage;
import io.sluice.codec.ice.IceMessageCodec;
import io.sluice.codec.ice.IceVersion;
import java.net.SocketAddress;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.publisher.Sinks;
import reactor.util.concurrent.Queues;

/**
 * An open ICE connection ({@code IceConn}), originator side: the ICE version, vendor and release
 * the peer chose, protocol setup, ping, and close with shutdown negotiation. Answers the peer's
 * pings and WantToClose by itself, and reports malformed input with the ICE Error the
 * specification prescribes before closing.
 *
 * <p>Thread-safe: state lives on the connection's event loop; methods hop onto it.
 */
public final class IceConnection {

    /** The order Sluice writes in. */
    static final ByteOrder MY_ORDER = ByteOrder.BIG_ENDIAN;

    private final Channel channel;
    private final Limits limits;
    private final String networkId;
    private final Sinks.Empty<Void> closed = Sinks.empty();

    // loop-confined
    private MonoSink<IceConnection> opening;
    private ByteOrder peerOrder;
    private IceVersion version;
    private String vendor = "";
    private String release = "";
    private long sent;
    private long received;
    private final ArrayDeque<MonoSink<Duration>> pings = new ArrayDeque<>();
    private final ArrayDeque<Long> pingTimes = new ArrayDeque<>();
    private final Map<Integer, PendingSetup> setups = new HashMap<>();
    private final Map<Integer, IceProtocolSession> active = new HashMap<>();
    private MonoSink<IceCloseStatus> closing;

    private record PendingSetup(IceProtocol protocol, MonoSink<IceProtocolSession> sink) {
    }

    /**
     * Created when the channel is initialised, before anything can be read, so that a peer that
     * answers (or misbehaves) before the setup is sent still finds the opening sink to complete.
     */
    IceConnection(Channel channel, Limits limits, String networkId, MonoSink<IceConnection> opening) {
        this.opening = opening;
        this.channel = channel;
        this.limits = limits;
        this.networkId = networkId;
        channel.closeFuture().addListener(f -> onLoop(this::closedByTransport));
    }

    /** Runs the connection setup: ByteOrder and ConnectionSetup out, the peer's ByteOrder and ConnectionReply in. */
    void start(String myVendor, String myRelease) {
        onLoop(() -> {
            write(new IceMessage.ByteOrderMessage(MY_ORDER));
            write(new IceMessage.ConnectionSetup(false, myVendor, myRelease, java.util.List.of(), java.util.List.of(new IceVersion(1, 0))));
        });
    }

    ChannelInboundHandlerAdapter handler() {
        return new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ByteBuf frame = (ByteBuf) msg;
                try {
                    received++;
                    IceMessage message;
                    try {
                        message = IceMessageCodec.decode(frame.duplicate(), peerOrder == null ? MY_ORDER : peerOrder, limits);
                    } catch (CodecException e) {
                        reject(frame, e);
                        return;
                    }
                    onMessage(message);
                } finally {
                    frame.release();
                }
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                if (cause instanceof io.netty.handler.codec.DecoderException d && d.getCause() instanceof CodecException c) {
                    write(new IceMessage.Error(0, 0, IceError.FATAL_TO_CONNECTION, IceError.BAD_LENGTH, received + 1, new byte[0]));
                    fail(new IceException(IceErrorCode.PROTOCOL_VIOLATION, c.getMessage(), null));
                } else {
                    fail(new IceException(IceErrorCode.CLOSED, "the connection failed: " + cause, null));
                }
                channel.close();
            }
        };
    }

    private void reject(ByteBuf frame, CodecException e) {
        IceMessage.Error error = IceMessageCodec.errorFor(frame, MY_ORDER, received, e);
        write(error);
        if (error.severity() == IceError.FATAL_TO_CONNECTION) {
            fail(new IceException(IceErrorCode.PROTOCOL_VIOLATION, "malformed message from the peer: " + e.getMessage(), null));
            channel.close();
        }
    }

    private void onMessage(IceMessage message) {
        if (peerOrder == null) {
            if (!(message instanceof IceMessage.ByteOrderMessage b)) {
                fail(new IceException(IceErrorCode.PROTOCOL_VIOLATION, "the peer's first message was " + message + ", not ByteOrder", null));
                channel.close();
                return;
            }
            peerOrder = b.order(); // the frame decoder read the same byte and reads lengths in this order now
            return;
        }
        if (message instanceof IceMessage.ConnectionReply r && opening != null) {
            version = new IceVersion(1, 0);
            vendor = r.vendor();
            release = r.release();
            MonoSink<IceConnection> s = opening;
            opening = null;
            s.success(this);
        } else if (message instanceof IceMessage.AuthRequired a && opening != null) {
            write(new IceMessage.Error(0, a.minorOpcode(), IceError.FATAL_TO_CONNECTION, IceError.AUTH_REJECTED, received, new byte[0]));
            fail(new IceException(IceErrorCode.AUTH_REQUIRED, "the peer requires authentication (method #" + a.authIndex()
                    + "); this release of Sluice's ICE offers none", null));
            channel.close();
        } else if (message instanceof IceMessage.ProtocolReply r) {
            PendingSetup pending = setups.remove(openingOpcode);
            if (pending != null) {
                IceVersion chosen = r.versionIndex() < pending.protocol().versions().size() ? pending.protocol().versions().get(r.versionIndex()) : null;
                if (chosen == null) {
                    pending.sink().error(new IceException(IceErrorCode.PROTOCOL_VIOLATION, "the peer chose version #" + r.versionIndex()
                            + " of " + pending.protocol().versions().size(), null));
                    return;
                }
                IceProtocolSession session = new IceProtocolSession(this, pending.protocol(), openingOpcode, r.protocolOpcode(), chosen,
                        r.vendor(), r.release());
                active.put(openingOpcode, session);
                pending.sink().success(session);
            }
        } else if (message instanceof IceMessage.Ping) {
            write(new IceMessage.PingReply());
        } else if (message instanceof IceMessage.PingReply) {
            MonoSink<Duration> s = pings.poll();
            Long t0 = pingTimes.poll();
            if (s != null && t0 != null) {
                s.success(Duration.ofNanos(System.nanoTime() - t0));
            }
        } else if (message instanceof IceMessage.WantToClose) {
            if (active.isEmpty()) {
                channel.close();
            } else {
                write(new IceMessage.NoClose());
            }
        } else if (message instanceof IceMessage.NoClose) {
            if (closing != null) {
                MonoSink<IceCloseStatus> s = closing;
                closing = null;
                s.success(IceCloseStatus.PEER_IN_USE);
            }
        } else if (message instanceof IceMessage.Error e) {
            onError(e);
        } else if (message instanceof IceMessage.Generic g) {
            IceProtocolSession session = active.get(g.majorOpcode());
            if (session == null) {
                write(new IceMessage.Error(g.majorOpcode(), g.minorOpcode(), IceError.CAN_CONTINUE, IceError.BAD_MAJOR, received, new byte[0]));
            } else {
                session.deliver(g);
            }
        }
    }

    /** The opcode of the protocol setup in flight (ICE allows one at a time per side), or -1. */
    private int openingOpcode = -1;

    private void onError(IceMessage.Error e) {
        String text = IceError.className(e.errorClass()) + " (" + IceError.severityName(e.severity()) + ")"
                + (e.valueText().isEmpty() ? "" : ": " + e.valueText());
        if (opening != null) {
            MonoSink<IceConnection> s = opening;
            opening = null;
            s.error(new IceException(IceErrorCode.SETUP_REFUSED, "the peer refused the connection: " + text, e));
            channel.close();
            return;
        }
        if (e.majorOpcode() == 0 && e.offendingMinorOpcode() == 7 && !setups.isEmpty()) {
            PendingSetup pending = setups.remove(openingOpcode);
            if (pending != null) {
                pending.sink().error(new IceException(IceErrorCode.PROTOCOL_REFUSED, "the peer refused " + pending.protocol().name()
                        + ": " + text, e));
                return;
            }
        }
        if (e.severity() == IceError.FATAL_TO_CONNECTION) {
            fail(new IceException(IceErrorCode.PEER_ERROR, "the peer reported " + text, e));
            channel.close();
        }
    }

    private void closedByTransport() {
        fail(new IceException(IceErrorCode.CLOSED, "the ICE connection " + networkId + " closed", null));
        if (closing != null) {
            MonoSink<IceCloseStatus> s = closing;
            closing = null;
            s.success(IceCloseStatus.CLOSED_NOW);
        }
        closed.tryEmitEmpty();
    }

    private void fail(IceException e) {
        if (opening != null) {
            MonoSink<IceConnection> s = opening;
            opening = null;
            s.error(e);
        }
        while (!pings.isEmpty()) {
            pings.poll().error(e);
        }
        pingTimes.clear();
        for (PendingSetup p : setups.values()) {
            p.sink().error(e);
        }
        setups.clear();
        for (IceProtocolSession s : active.values()) {
            s.end(e);
        }
        active.clear();
    }

    void write(IceMessage message) {
        if (!channel.isActive()) {
            return;
        }
        ByteBuf out = channel.alloc().buffer();
        IceMessageCodec.encode(message, MY_ORDER, out);
        sent++;
        channel.writeAndFlush(out);
    }

    void onLoop(Runnable task) {
        if (channel.eventLoop().inEventLoop()) {
            task.run();
        } else {
            channel.eventLoop().execute(task);
        }
    }

    void shutdown(IceProtocolSession session) {
        onLoop(() -> active.remove(session.majorOpcode(), session));
    }

    // ------------------------------------------------------------------------------ public API

    /**
     * Sets up a protocol on this connection ({@code IceProtocolSetup}): offers its versions and
     * completes with the active protocol once the peer replies, or fails with the peer's error
     * (UnknownProtocol, NoVersion, ...). A protocol already active on the connection fails with
     * {@link IceErrorCode#PROTOCOL_REFUSED} naming it.
     *
     * @param protocol the protocol
     * @return the active protocol, with the negotiated version, vendor and release
     */
    public Mono<IceProtocolSession> setup(IceProtocol protocol) {
        return Mono.create(sink -> onLoop(() -> {
            if (!channel.isActive()) {
                sink.error(new IceException(IceErrorCode.CLOSED, "the ICE connection " + networkId + " is closed", null));
                return;
            }
            for (IceProtocolSession s : active.values()) {
                if (s.protocol().name().equals(protocol.name())) {
                    sink.error(new IceException(IceErrorCode.PROTOCOL_REFUSED, protocol.name() + " is already active on this connection", null));
                    return;
                }
            }
            if (openingOpcode >= 0 && setups.containsKey(openingOpcode)) {
                sink.error(new IceException(IceErrorCode.PROTOCOL_REFUSED, "another protocol setup is in progress", null));
                return;
            }
            int opcode = 1;
            while (opcode <= 255 && active.containsKey(opcode)) {
                opcode++;
            }
            if (opcode > 255) {
                sink.error(new IceException(IceErrorCode.NO_OPCODE, "no major opcode left for " + protocol.name(), null));
                return;
            }
            openingOpcode = opcode;
            setups.put(opcode, new PendingSetup(protocol, sink));
            write(new IceMessage.ProtocolSetup(opcode, false, protocol.name(), protocol.vendor(), protocol.release(), java.util.List.of(),
                    protocol.versions()));
        }));
    }

    /**
     * Pings the peer ({@code IcePing}).
     *
     * @return the round-trip time
     */
    public Mono<Duration> ping() {
        return Mono.create(sink -> onLoop(() -> {
            if (!channel.isActive()) {
                sink.error(new IceException(IceErrorCode.CLOSED, "the ICE connection " + networkId + " is closed", null));
                return;
            }
            pings.add(sink);
            pingTimes.add(System.nanoTime());
            write(new IceMessage.Ping());
        }));
    }

    /**
     * Closes the connection with shutdown negotiation ({@code IceCloseConnection}): while
     * protocols are active on this side, nothing happens ({@link IceCloseStatus#CONNECTION_IN_USE});
     * otherwise WantToClose is sent, and the result is {@link IceCloseStatus#CLOSED_NOW} once the
     * peer closes, or {@link IceCloseStatus#PEER_IN_USE} if it answers NoClose.
     *
     * @return the outcome
     */
    public Mono<IceCloseStatus> close() {
        return Mono.create(sink -> onLoop(() -> {
            if (!channel.isActive()) {
                sink.success(IceCloseStatus.CLOSED_NOW);
                return;
            }
            if (!active.isEmpty()) {
                sink.success(IceCloseStatus.CONNECTION_IN_USE);
                return;
            }
            closing = sink;
            write(new IceMessage.WantToClose());
        }));
    }

    /** Closes the transport at once, without negotiation. */
    public void dispose() {
        channel.close();
    }

    /** @return completes when the connection has closed */
    public Mono<Void> onClose() {
        return closed.asMono();
    }

    /** @return the ICE protocol version in use */
    public IceVersion version() {
        return version;
    }

    /** @return the peer's ICE vendor ({@code IceVendor}) */
    public String vendor() {
        return vendor;
    }

    /** @return the peer's ICE release ({@code IceRelease}) */
    public String release() {
        return release;
    }

    /** @return the network ID this connection was opened with ({@code IceConnectionString}) */
    public String connectionString() {
        return networkId;
    }

    /** @return the peer's byte order; different from Sluice's big-endian means the receiver swaps ({@code IceSwapping}) */
    public ByteOrder peerByteOrder() {
        return peerOrder;
    }

    /** @return messages sent so far ({@code IceLastSentSequenceNumber}) */
    public long lastSentSequenceNumber() {
        return sent;
    }

    /** @return messages received so far ({@code IceLastReceivedSequenceNumber}) */
    public long lastReceivedSequenceNumber() {
        return received;
    }

    /** @return the local address */
    public SocketAddress localAddress() {
        return channel.localAddress();
    }

    /** @return whether the transport is open */
    public boolean isOpen() {
        return channel.isActive();
    }

    static <T> Sinks.Many<T> boundedQueue(int size) {
        return Sinks.many().unicast().onBackpressureBuffer(Queues.<T>get(size).get());
    }

    @Override
    public String toString() {
        return "IceConnection[" + networkId + ", " + vendor + " " + release + "]";
    }
}
