package io.sluice.ice;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.sluice.codec.CodecException;
import io.sluice.codec.ice.IceError;
import io.sluice.codec.ice.IceMessage;
import io.sluice.codec.ice.IceMessageCodec;
import io.sluice.codec.ice.IceVersion;
import io.sluice.metrics.Count;
import io.sluice.metrics.MeterGroup;
import io.sluice.metrics.SluiceMeters;
import io.sluice.wiretap.Wiretap;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.publisher.Sinks;
import reactor.util.concurrent.Queues;

/**
 * An ICE connection ({@code IceConn}), opened by an {@link IceConnector} or accepted by a
 * {@link LiveIceListener}: the connection setup with version negotiation and authentication,
 * protocol setups both ways, ping, and close with the open count, the active-protocol count and
 * shutdown negotiation. Answers the peer's Ping and WantToClose by itself and reports malformed
 * input with the ICE Error the specification prescribes.
 *
 * <p>Thread-safe: state lives on the connection's event loop; methods hop onto it. Messages are
 * immutable values; no {@code ByteBuf} leaves the connection.
 */
public final class IceConnection {

    /** The order Sluice writes in. */
    static final ByteOrder MY_ORDER = ByteOrder.BIG_ENDIAN;

    /** Errors kept for a slow {@link #errors()} subscriber; beyond it they are dropped. */
    public static final int ERROR_BUFFER = 64;

    private static final int MINOR_CONNECTION_SETUP = 2;
    private static final int MINOR_AUTH_REQUIRED = 3;
    private static final int MINOR_AUTH_REPLY = 4;
    private static final int MINOR_AUTH_NEXT_PHASE = 5;
    private static final int MINOR_PROTOCOL_SETUP = 7;
    private static final int MINOR_PROTOCOL_REPLY = 8;
    private static final List<IceVersion> ICE_VERSIONS = List.of(new IceVersion(1, 0));

    private final Channel channel;
    private final IceSide side;
    private final boolean originator;
    private final String networkId;
    private final Object context;
    private final Sinks.Empty<Void> closed = Sinks.empty();
    private final Sinks.Many<IceMessage.Error> errors = Sinks.many().multicast().directBestEffort();
    private final Sinks.Many<IceProtocolSession> accepted = Sinks.many().unicast().onBackpressureBuffer(Queues.<IceProtocolSession>get(16).get());
    private final AtomicInteger openRefCount = new AtomicInteger(1);
    /** Active protocols by the opcode the peer sends with; written on the loop, read anywhere. */
    private final Map<Integer, IceProtocolSession> active = new ConcurrentHashMap<>();
    private volatile IceConnectStatus status = IceConnectStatus.PENDING;
    private volatile boolean shutdownNegotiation = true;

    // loop-confined
    private MonoSink<IceConnection> opening;
    private ByteOrder peerOrder;
    private IceVersion version;
    private String vendor = "";
    private String release = "";
    // Written on the loop only; volatile so that the getters may read them from any thread.
    private volatile long sent;
    private volatile long received;
    /** Protocol sessions whose subscribers are behind: while any is, the socket is not read. */
    private final java.util.Set<IceProtocolSession> pausing = new java.util.HashSet<>();
    private final ArrayDeque<MonoSink<Duration>> pings = new ArrayDeque<>();
    private final ArrayDeque<Long> pingTimes = new ArrayDeque<>();
    private final ArrayDeque<MonoSink<IceCloseStatus>> closings = new ArrayDeque<>();
    private boolean wantToClose;
    private boolean closeRequested;
    private List<IceAuthMethod> offeredConnectionMethods = List.of();
    private IceAuthMethod.Originator connectionAuth;
    private OriginatedSetup setupToPeer;
    /** The acceptor's authentication in progress: the connection's while pending, a protocol's after. */
    private Admission admission;

    /**
     * One acceptor-side authentication, of the connection ({@code "ICE"}) or of a protocol setup.
     * libICE runs both alike: the first method both sides have, its phases, and host-based
     * acceptance where no method is common or the method said no and the peer does not demand
     * authentication. They differ only in the severity of a refusal and in what follows.
     */
    private static final class Admission {
        final String name;
        final int severity;
        final int setupMinor;
        final java.util.function.Predicate<String> hostBasedAuth;
        final boolean mustAuthenticate;
        final Runnable onAccepted;
        final java.util.function.Consumer<String> onRefused;
        IceAuthMethod.Acceptor method;

        Admission(String name, int severity, int setupMinor, java.util.function.Predicate<String> hostBasedAuth, boolean mustAuthenticate,
                Runnable onAccepted, java.util.function.Consumer<String> onRefused) {
            this.name = name;
            this.severity = severity;
            this.setupMinor = setupMinor;
            this.hostBasedAuth = hostBasedAuth;
            this.mustAuthenticate = mustAuthenticate;
            this.onAccepted = onAccepted;
            this.onRefused = onRefused;
        }
    }

    /** A protocol setup this side sent and awaits the reply to. */
    private static final class OriginatedSetup {
        final IceProtocol protocol;
        final int myOpcode;
        final List<IceAuthMethod> offered;
        final MonoSink<IceProtocolSession> sink;
        IceAuthMethod.Originator auth;

        OriginatedSetup(IceProtocol protocol, int myOpcode, List<IceAuthMethod> offered, MonoSink<IceProtocolSession> sink) {
            this.protocol = protocol;
            this.myOpcode = myOpcode;
            this.offered = offered;
            this.sink = sink;
        }
    }

    /** The peer's protocol setup, once its version is agreed. */
    private record ProtocolSetupToMe(IceProtocol protocol, int myOpcode, int hisOpcode, IceVersion version, int hisVersionIndex,
            String vendor, String release) {
    }

    /**
     * Created when the channel is initialised, before anything can be read, so that a peer that
     * answers (or misbehaves) at once still finds the opening sink to complete.
     */
    IceConnection(Channel channel, IceSide side, boolean originator, String networkId, Object context, MonoSink<IceConnection> opening) {
        this.channel = channel;
        this.side = side;
        this.originator = originator;
        this.networkId = networkId;
        this.context = context;
        this.opening = opening;
        SluiceMeters m = side.observing().meters();
        String role = originator ? "originating" : "accepting";
        this.messagesIn = m.counter("sluice.ice.messages.received", "ICE messages decoded", "role", role);
        this.messagesOut = m.counter("sluice.ice.messages.sent", "ICE messages sent", "role", role);
        this.pingsSent = m.counter("sluice.ice.pings", "ICE pings", "role", role, "direction", "sent");
        this.pingsAnswered = m.counter("sluice.ice.pings", "ICE pings", "role", role, "direction", "answered");
        this.meterGroup = m.group().gauge("sluice.ice.connections", "open ICE connections (setup accepted)",
                () -> status == IceConnectStatus.ACCEPTED && channel.isActive() ? 1 : 0, "role", role);
        this.wiretap = side.observing().wiretap();
        channel.closeFuture().addListener(f -> {
            meterGroup.dispose();
            onLoop(this::closedByTransport);
        });
    }

    private final Count messagesIn;
    private final Count messagesOut;
    private final Count pingsSent;
    private final Count pingsAnswered;
    private final MeterGroup meterGroup;
    private final Wiretap wiretap;

    /** Originator: ByteOrder and ConnectionSetup out, offering the methods usable for this network ID. */
    void startAsOriginator(boolean mustAuthenticate) {
        onLoop(() -> {
            IceAuthMethod.Context ctx = authContext("ICE");
            List<IceAuthMethod> usable = new ArrayList<>();
            for (IceAuthMethod m : side.authMethods()) {
                if (m.usable(ctx)) {
                    usable.add(m);
                }
            }
            offeredConnectionMethods = usable;
            write(new IceMessage.ByteOrderMessage(MY_ORDER));
            write(new IceMessage.ConnectionSetup(mustAuthenticate, side.vendor(), side.release(), names(usable), ICE_VERSIONS));
        });
    }

    /** Acceptor: ByteOrder out at once, as libICE's accept does; the peer's ConnectionSetup drives the rest. */
    void startAsAcceptor() {
        onLoop(() -> write(new IceMessage.ByteOrderMessage(MY_ORDER)));
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
                        message = IceMessageCodec.decode(frame.duplicate(), peerOrder == null ? MY_ORDER : peerOrder, side.limits());
                    } catch (CodecException e) {
                        reject(frame, e);
                        return;
                    }
                    messagesIn.increment();
                    if (wiretap.enabled()) {
                        wiretap.log("ice " + networkId, "IN", describe(message, frame), frame);
                    }
                    onMessage(message);
                } finally {
                    frame.release();
                }
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                if (cause instanceof DecoderException d && d.getCause() instanceof CodecException c) {
                    write(new IceMessage.Error(0, 0, IceError.FATAL_TO_CONNECTION, IceError.BAD_LENGTH, received + 1, new byte[0]));
                    fail(new IceException(IceErrorCode.PROTOCOL_VIOLATION, c.getMessage(), null));
                } else {
                    fail(new IceException(IceErrorCode.IO_ERROR, "the connection " + networkId + " failed: " + cause, null));
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

    // ---------------------------------------------------------------------------- dispatch

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
        if (message instanceof IceMessage.Generic g) {
            IceProtocolSession session = active.get(g.majorOpcode());
            if (session == null) {
                write(new IceMessage.Error(0, g.minorOpcode(), IceError.CAN_CONTINUE, IceError.BAD_MAJOR, received,
                        new byte[] {(byte) g.majorOpcode(), 0, 0, 0, 0, 0, 0, 0}));
            } else {
                session.deliver(g);
            }
        } else if (message instanceof IceMessage.Error e) {
            onError(e);
        } else if (status == IceConnectStatus.PENDING) {
            onSetupMessage(message);
        } else {
            onOpenMessage(message);
        }
    }

    /** The connection setup: ConnectionSetup/AuthReply at the acceptor, AuthRequired/AuthNextPhase/ConnectionReply at the originator. */
    private void onSetupMessage(IceMessage message) {
        if (!originator && message instanceof IceMessage.ConnectionSetup s && admission == null) {
            onConnectionSetup(s);
        } else if (!originator && message instanceof IceMessage.AuthReply r && admission != null) {
            judge(admission, admission.method.judge(r.data()));
        } else if (originator && message instanceof IceMessage.AuthRequired a) {
            if (a.authIndex() >= offeredConnectionMethods.size()) {
                write(badValue(MINOR_AUTH_REQUIRED, 2, a.authIndex(), IceError.FATAL_TO_CONNECTION));
                failSetup(new IceException(IceErrorCode.PROTOCOL_VIOLATION, "the peer chose authentication method #" + a.authIndex()
                        + " of " + offeredConnectionMethods.size() + " offered", null));
                return;
            }
            IceAuthMethod method = offeredConnectionMethods.get(a.authIndex());
            connectionAuth = method.originator(authContext("ICE"));
            answerConnectionChallenge(a.data());
        } else if (originator && message instanceof IceMessage.AuthNextPhase n && connectionAuth != null) {
            answerConnectionChallenge(n.data());
        } else if (originator && message instanceof IceMessage.ConnectionReply r) {
            if (r.versionIndex() >= ICE_VERSIONS.size()) {
                write(badValue(6, 2, r.versionIndex(), IceError.FATAL_TO_CONNECTION));
                failSetup(new IceException(IceErrorCode.PROTOCOL_VIOLATION, "the peer chose ICE version #" + r.versionIndex(), null));
                return;
            }
            becomeAccepted(ICE_VERSIONS.get(r.versionIndex()), r.vendor(), r.release());
        } else {
            write(new IceMessage.Error(0, message.minorOpcode(), IceError.FATAL_TO_CONNECTION, IceError.BAD_STATE, received, new byte[0]));
            failSetup(new IceException(IceErrorCode.PROTOCOL_VIOLATION, "unexpected " + message + " during the connection setup", null));
        }
    }

    private void answerConnectionChallenge(byte[] challenge) {
        IceAuthStep step = connectionAuth.respond(challenge);
        switch (step.kind()) {
            case REPLY -> write(new IceMessage.AuthReply(step.data()));
            case REJECTED, FAILED -> {
                int cls = step.kind() == IceAuthStep.Kind.REJECTED ? IceError.AUTH_REJECTED : IceError.AUTH_FAILED;
                write(new IceMessage.Error(0, MINOR_AUTH_REQUIRED, IceError.FATAL_TO_CONNECTION, cls, received, stringValue(step.reason())));
                failSetup(new IceException(IceErrorCode.AUTH_REJECTED, "cannot authenticate to " + networkId + ": " + step.reason(), null));
            }
            default -> failSetup(new IceException(IceErrorCode.PROTOCOL_VIOLATION, "an originator's authentication step cannot be "
                    + step.kind(), null));
        }
    }

    private void onConnectionSetup(IceMessage.ConnectionSetup s) {
        int hisIndex = -1;
        for (int i = 0; i < s.versions().size() && hisIndex < 0; i++) {
            if (ICE_VERSIONS.contains(s.versions().get(i))) {
                hisIndex = i;
            }
        }
        if (hisIndex < 0) {
            write(new IceMessage.Error(0, MINOR_CONNECTION_SETUP, IceError.FATAL_TO_CONNECTION, IceError.NO_VERSION, received, new byte[0]));
            rejectConnection("no common ICE version in " + s.versions());
            return;
        }
        IceVersion chosen = s.versions().get(hisIndex);
        int versionIndex = hisIndex;
        admit(new Admission("ICE", IceError.FATAL_TO_CONNECTION, MINOR_CONNECTION_SETUP, side.hostBasedAuth(), s.mustAuthenticate(),
                () -> acceptConnection(versionIndex, chosen, s.vendor(), s.release()), this::rejectConnection),
                side.authMethods(), s.authNames());
    }

    /** Starts an acceptor-side authentication: decides at once, or asks for the method's first phase. */
    private void admit(Admission a, List<IceAuthMethod> methods, List<String> offered) {
        int[] match = commonMethod(methods, authContext(a.name), offered);
        if (match == null) {
            if (a.mustAuthenticate || a.hostBasedAuth == null) {
                refuse(a, a.setupMinor, IceError.NO_AUTH, new byte[0], "none of the peer's authentication methods " + offered
                        + " is usable here" + (a.mustAuthenticate ? " and the peer demands authentication" : ""));
            } else if (hostAdmits(a.hostBasedAuth, false)) {
                a.onAccepted.run();
            } else {
                refuse(a, a.setupMinor, IceError.AUTH_REJECTED, stringValue(NO_METHOD_AND_HOST_REFUSED),
                        "host-based authentication refused " + peerHostName());
            }
            return;
        }
        a.method = methods.get(match[0]).acceptor(authContext(a.name));
        admission = a;
        IceAuthStep step = a.method.start();
        if (step.kind() == IceAuthStep.Kind.CONTINUE) {
            write(new IceMessage.AuthRequired(match[1], step.data()));
        } else {
            judge(a, step);
        }
    }

    /** Acts on the acceptor's method's verdict on the peer's last AuthReply (or its start). */
    private void judge(Admission a, IceAuthStep step) {
        if (step.kind() == IceAuthStep.Kind.CONTINUE) {
            write(new IceMessage.AuthNextPhase(step.data()));
            return;
        }
        admission = null;
        if (step.kind() == IceAuthStep.Kind.ACCEPTED || hostAdmits(a.hostBasedAuth, a.mustAuthenticate)) {
            a.onAccepted.run();
            return;
        }
        int cls = authErrorClass(step);
        refuse(a, MINOR_AUTH_REPLY, cls, stringValue(step.reason()),
                "authentication " + (cls == IceError.AUTH_FAILED ? "failed" : "rejected") + ": " + step.reason());
    }

    private void refuse(Admission a, int minor, int errorClass, byte[] value, String why) {
        write(new IceMessage.Error(0, minor, a.severity, errorClass, received, value));
        a.onRefused.accept(why);
    }

    /** libICE's words when no method is common and host-based authentication says no. */
    private static final String NO_METHOD_AND_HOST_REFUSED =
            "None of the authentication protocols specified are supported and host-based authentication failed";

    /** Host-based acceptance, which a peer demanding authentication forbids. */
    private boolean hostAdmits(java.util.function.Predicate<String> check, boolean mustAuthenticate) {
        return !mustAuthenticate && check != null && check.test(peerHostName());
    }

    private static int authErrorClass(IceAuthStep step) {
        return step.kind() == IceAuthStep.Kind.FAILED ? IceError.AUTH_FAILED : IceError.AUTH_REJECTED;
    }

    private void acceptConnection(int hisVersionIndex, IceVersion chosen, String hisVendor, String hisRelease) {
        write(new IceMessage.ConnectionReply(hisVersionIndex, side.vendor(), side.release()));
        becomeAccepted(chosen, hisVendor, hisRelease);
    }

    private void becomeAccepted(IceVersion chosen, String hisVendor, String hisRelease) {
        version = chosen;
        vendor = hisVendor;
        release = hisRelease;
        connectionAuth = null;
        status = IceConnectStatus.ACCEPTED;
        side.registry().opened(this);
        MonoSink<IceConnection> s = opening;
        opening = null;
        if (s != null) {
            s.success(this);
        }
    }

    private void rejectConnection(String why) {
        status = IceConnectStatus.REJECTED;
        failSetup(new IceException(IceErrorCode.REJECTED, "rejected the connection from " + peerHostName() + ": " + why, null));
    }

    private void failSetup(IceException e) {
        if (status == IceConnectStatus.PENDING) {
            status = IceConnectStatus.REJECTED;
        }
        fail(e);
        channel.close();
    }

    /** Messages of an accepted connection. */
    private void onOpenMessage(IceMessage message) {
        if (message instanceof IceMessage.ProtocolSetup s) {
            onProtocolSetup(s);
        } else if (message instanceof IceMessage.AuthReply r && admission != null) {
            judge(admission, admission.method.judge(r.data()));
        } else if (message instanceof IceMessage.AuthRequired a && setupToPeer != null) {
            OriginatedSetup setup = setupToPeer;
            if (a.authIndex() >= setup.offered.size()) {
                write(badValue(MINOR_AUTH_REQUIRED, 2, a.authIndex(), IceError.FATAL_TO_PROTOCOL));
                endSetupToPeer(new IceException(IceErrorCode.PROTOCOL_VIOLATION, "the peer chose authentication method #" + a.authIndex()
                        + " of " + setup.offered.size() + " offered for " + setup.protocol.name(), null));
                return;
            }
            setup.auth = setup.offered.get(a.authIndex()).originator(authContext(setup.protocol.name()));
            answerProtocolChallenge(a.data());
        } else if (message instanceof IceMessage.AuthNextPhase n && setupToPeer != null && setupToPeer.auth != null) {
            answerProtocolChallenge(n.data());
        } else if (message instanceof IceMessage.ProtocolReply r && setupToPeer != null) {
            onProtocolReply(r);
        } else if (message instanceof IceMessage.Ping) {
            pingsAnswered.increment();
            write(new IceMessage.PingReply());
        } else if (message instanceof IceMessage.PingReply) {
            MonoSink<Duration> s = pings.poll();
            Long t0 = pingTimes.poll();
            if (s != null && t0 != null) {
                s.success(Duration.ofNanos(System.nanoTime() - t0));
            } else {
                write(new IceMessage.Error(0, message.minorOpcode(), IceError.CAN_CONTINUE, IceError.BAD_STATE, received, new byte[0]));
            }
        } else if (message instanceof IceMessage.WantToClose) {
            // libICE's rule: close when this side asked too, or nobody here holds the connection any
            // more; otherwise it is still in use here and the peer hears NoClose, unless this side has
            // just sent a ProtocolSetup (which tells the peer that by itself). This side will send its
            // own WantToClose when its last opener closes.
            if (wantToClose || openRefCount.get() == 0) {
                closeRequested = true;
                channel.close();
            } else if (!active.isEmpty() || setupToPeer == null) {
                write(new IceMessage.NoClose());
            }
        } else if (message instanceof IceMessage.NoClose) {
            wantToClose = false;
            MonoSink<IceCloseStatus> s;
            while ((s = closings.poll()) != null) {
                s.success(IceCloseStatus.PEER_IN_USE);
            }
        } else {
            write(new IceMessage.Error(0, message.minorOpcode(), IceError.CAN_CONTINUE, IceError.BAD_STATE, received, new byte[0]));
        }
    }

    // ------------------------------------------------------------------- protocol setups

    private void onProtocolSetup(IceMessage.ProtocolSetup s) {
        if (wantToClose) {
            // A ProtocolSetup cancels this side's WantToClose; the peer will ask later.
            wantToClose = false;
            MonoSink<IceCloseStatus> c;
            while ((c = closings.poll()) != null) {
                c.success(IceCloseStatus.PEER_IN_USE);
            }
        }
        if (admission != null) {
            write(new IceMessage.Error(0, MINOR_PROTOCOL_SETUP, IceError.CAN_CONTINUE, IceError.BAD_STATE, received, new byte[0]));
            return;
        }
        if (active.containsKey(s.protocolOpcode())) {
            write(new IceMessage.Error(0, MINOR_PROTOCOL_SETUP, IceError.FATAL_TO_PROTOCOL, IceError.MAJOR_OPCODE_DUPLICATE, received,
                    new byte[] {(byte) s.protocolOpcode(), 0, 0, 0, 0, 0, 0, 0}));
            return;
        }
        for (IceProtocolSession a : active.values()) {
            if (a.protocol().name().equals(s.protocolName())) {
                write(new IceMessage.Error(0, MINOR_PROTOCOL_SETUP, IceError.FATAL_TO_PROTOCOL, IceError.PROTOCOL_DUPLICATE, received,
                        stringValue(s.protocolName())));
                return;
            }
        }
        int myOpcode = side.opcodeOf(s.protocolName());
        if (myOpcode < 0) {
            write(new IceMessage.Error(0, MINOR_PROTOCOL_SETUP, IceError.FATAL_TO_PROTOCOL, IceError.UNKNOWN_PROTOCOL, received,
                    stringValue(s.protocolName())));
            return;
        }
        IceProtocol protocol = side.protocols().get(myOpcode - 1);
        int hisIndex = -1;
        IceVersion chosen = null;
        for (int i = 0; i < s.versions().size() && hisIndex < 0; i++) {
            if (protocol.versions().contains(s.versions().get(i))) {
                hisIndex = i;
                chosen = s.versions().get(i);
            }
        }
        if (hisIndex < 0) {
            write(new IceMessage.Error(0, MINOR_PROTOCOL_SETUP, IceError.FATAL_TO_PROTOCOL, IceError.NO_VERSION, received, new byte[0]));
            return;
        }
        ProtocolSetupToMe setup = new ProtocolSetupToMe(protocol, myOpcode, s.protocolOpcode(), chosen, hisIndex, s.vendor(), s.release());
        // A refused protocol leaves the connection as it was: the Error (fatal to the protocol) says it all.
        admit(new Admission(protocol.name(), IceError.FATAL_TO_PROTOCOL, MINOR_PROTOCOL_SETUP, protocol.hostBasedAuth(), s.mustAuthenticate(),
                () -> acceptProtocol(setup), why -> { }), protocol.authMethods(), s.authNames());
    }

    private void acceptProtocol(ProtocolSetupToMe setup) {
        IceProtocol protocol = setup.protocol();
        if (protocol.setupHook() != null) {
            String refusal;
            try {
                refusal = protocol.setupHook().refusal(this, setup.version(), setup.vendor(), setup.release());
            } catch (RuntimeException e) {
                refusal = "the setup hook failed: " + e;
            }
            if (refusal != null) {
                write(new IceMessage.Error(0, MINOR_PROTOCOL_SETUP, IceError.FATAL_TO_PROTOCOL, IceError.SETUP_FAILED, received,
                        stringValue(refusal)));
                return;
            }
        }
        write(new IceMessage.ProtocolReply(setup.hisVersionIndex(), setup.myOpcode(), protocol.vendor(), protocol.release()));
        IceProtocolSession session = new IceProtocolSession(this, protocol, setup.myOpcode(), setup.hisOpcode(), setup.version(),
                setup.vendor(), setup.release(), false);
        active.put(setup.hisOpcode(), session);
        if (protocol.activateHook() != null) {
            protocol.activateHook().accept(session);
        }
        if (accepted.tryEmitNext(session).isFailure()) {
            // Nobody takes accepted protocols here: the activate hook is the way in, or the setup was not wanted.
            if (protocol.activateHook() == null) {
                session.shutdown();
            }
        }
    }

    private void answerProtocolChallenge(byte[] challenge) {
        OriginatedSetup setup = setupToPeer;
        IceAuthStep step = setup.auth.respond(challenge);
        switch (step.kind()) {
            case REPLY -> write(new IceMessage.AuthReply(step.data()));
            case REJECTED, FAILED -> {
                int cls = step.kind() == IceAuthStep.Kind.REJECTED ? IceError.AUTH_REJECTED : IceError.AUTH_FAILED;
                write(new IceMessage.Error(0, MINOR_AUTH_REQUIRED, IceError.FATAL_TO_PROTOCOL, cls, received, stringValue(step.reason())));
                endSetupToPeer(new IceException(IceErrorCode.AUTH_REJECTED, "cannot authenticate " + setup.protocol.name() + ": "
                        + step.reason(), null));
            }
            default -> endSetupToPeer(new IceException(IceErrorCode.PROTOCOL_VIOLATION, "an originator's authentication step cannot be "
                    + step.kind(), null));
        }
    }

    private void onProtocolReply(IceMessage.ProtocolReply r) {
        OriginatedSetup setup = setupToPeer;
        setupToPeer = null;
        if (r.versionIndex() >= setup.protocol.versions().size()) {
            write(badValue(MINOR_PROTOCOL_REPLY, 2, r.versionIndex(), IceError.FATAL_TO_PROTOCOL));
            setup.sink.error(new IceException(IceErrorCode.PROTOCOL_VIOLATION, "the peer chose version #" + r.versionIndex() + " of "
                    + setup.protocol.versions().size(), null));
            return;
        }
        if (active.containsKey(r.protocolOpcode())) {
            setup.sink.error(new IceException(IceErrorCode.PROTOCOL_VIOLATION, "the peer answered with major opcode " + r.protocolOpcode()
                    + ", which another protocol uses", null));
            return;
        }
        IceProtocolSession session = new IceProtocolSession(this, setup.protocol, setup.myOpcode, r.protocolOpcode(),
                setup.protocol.versions().get(r.versionIndex()), r.vendor(), r.release(), true);
        active.put(r.protocolOpcode(), session);
        setup.sink.success(session);
    }

    private void endSetupToPeer(IceException e) {
        OriginatedSetup setup = setupToPeer;
        setupToPeer = null;
        if (setup != null) {
            setup.sink.error(e);
        }
    }

    // ------------------------------------------------------------------------------ errors

    private void onError(IceMessage.Error e) {
        errors.tryEmitNext(e);
        String text = IceError.className(e.errorClass()) + " (" + IceError.severityName(e.severity()) + ")"
                + (e.valueText().isEmpty() ? "" : ": " + e.valueText());
        if (e.majorOpcode() != 0) {
            // Another protocol's error: that protocol's business (its messages() carry it).
            IceProtocolSession session = active.get(e.majorOpcode());
            if (session != null) {
                session.deliverError(e);
            }
            return;
        }
        if (status == IceConnectStatus.PENDING) {
            IceErrorCode code = switch (e.errorClass()) {
                case IceError.NO_AUTH -> IceErrorCode.AUTH_REQUIRED;
                case IceError.AUTH_REJECTED, IceError.AUTH_FAILED -> IceErrorCode.AUTH_REJECTED;
                default -> IceErrorCode.SETUP_REFUSED;
            };
            failSetup(new IceException(code, (originator ? networkId + " refused the connection: " : "the originator gave up: ") + text, e));
            return;
        }
        int minor = e.offendingMinorOpcode();
        if (setupToPeer != null && (minor == MINOR_PROTOCOL_SETUP || minor == MINOR_AUTH_REPLY || minor == MINOR_AUTH_REQUIRED)) {
            IceErrorCode code = switch (e.errorClass()) {
                case IceError.AUTH_REJECTED, IceError.AUTH_FAILED -> IceErrorCode.AUTH_REJECTED;
                case IceError.NO_AUTH -> IceErrorCode.AUTH_REQUIRED;
                default -> IceErrorCode.PROTOCOL_REFUSED;
            };
            endSetupToPeer(new IceException(code, "the peer refused " + setupToPeer.protocol.name() + ": " + text, e));
            return;
        }
        if (admission != null && status == IceConnectStatus.ACCEPTED && (minor == MINOR_AUTH_REQUIRED || minor == MINOR_AUTH_NEXT_PHASE)) {
            admission = null; // the originator gave up authenticating a protocol
            return;
        }
        if (e.severity() == IceError.FATAL_TO_CONNECTION) {
            fail(new IceException(IceErrorCode.PEER_ERROR, "the peer reported " + text, e));
            channel.close();
        }
    }

    private void closedByTransport() {
        IceConnectStatus before = status;
        if (before != IceConnectStatus.REJECTED) {
            status = IceConnectStatus.IO_ERROR;
        }
        boolean orderly = closeRequested || wantToClose;
        IceException e = new IceException(orderly ? IceErrorCode.CLOSED : IceErrorCode.IO_ERROR,
                "the ICE connection " + networkId + (orderly ? " closed" : " broke"), null);
        fail(e);
        MonoSink<IceCloseStatus> s;
        while ((s = closings.poll()) != null) {
            s.success(IceCloseStatus.CLOSED_NOW);
        }
        side.registry().closed(this);
        errors.tryEmitComplete();
        accepted.tryEmitComplete();
        if (orderly || before != IceConnectStatus.ACCEPTED) {
            closed.tryEmitEmpty();
        } else {
            closed.tryEmitError(e);
        }
    }

    private void fail(IceException e) {
        MonoSink<IceConnection> s = opening;
        opening = null;
        if (s != null) {
            s.error(e);
        }
        while (!pings.isEmpty()) {
            pings.poll().error(e);
        }
        pingTimes.clear();
        endSetupToPeer(e);
        admission = null;
        for (IceProtocolSession p : active.values()) {
            p.end(e);
        }
        active.clear();
        pausing.clear();
    }

    // ----------------------------------------------------------------------------- helpers

    private IceAuthMethod.Context authContext(String protocol) {
        return new IceAuthMethod.Context(protocol, networkId, side.authority(), peerOrder != null && peerOrder != MY_ORDER);
    }

    /** @return {my method index, his name index} of the first usable method of mine the peer offers, or null */
    private static int[] commonMethod(List<IceAuthMethod> mine, IceAuthMethod.Context ctx, List<String> his) {
        for (int i = 0; i < mine.size(); i++) {
            if (mine.get(i).usable(ctx)) {
                int j = his.indexOf(mine.get(i).name());
                if (j >= 0) {
                    return new int[] {i, j};
                }
            }
        }
        return null;
    }

    private static List<String> names(List<IceAuthMethod> methods) {
        List<String> n = new ArrayList<>(methods.size());
        for (IceAuthMethod m : methods) {
            n.add(m.name());
        }
        return n;
    }

    /** An ICE STRING in Sluice's byte order: length, bytes, padding to 4. */
    static byte[] stringValue(String text) {
        byte[] b = text.getBytes(StandardCharsets.ISO_8859_1);
        int n = Math.min(b.length, 0xFFFF);
        byte[] v = new byte[(2 + n + 3) & ~3];
        v[0] = (byte) (n >> 8);
        v[1] = (byte) n;
        System.arraycopy(b, 0, v, 2, n);
        return v;
    }

    private IceMessage.Error badValue(int minor, int offset, int value, int severity) {
        // BadValue values: CARD32 offset, CARD32 length, then the offending bytes, padded.
        byte[] v = {0, 0, 0, (byte) offset, 0, 0, 0, 1, (byte) value, 0, 0, 0, 0, 0, 0, 0};
        return new IceMessage.Error(0, minor, severity, IceError.BAD_VALUE, received, v);
    }

    private String peerHostName() {
        SocketAddress remote = channel.remoteAddress();
        if (remote instanceof InetSocketAddress inet && inet.getAddress() != null) {
            return "tcp/" + inet.getAddress().getHostAddress();
        }
        return "local/" + IceListener.localHostName();
    }

    void write(IceMessage message) {
        if (!channel.isActive()) {
            return;
        }
        ByteBuf out = channel.alloc().buffer();
        IceMessageCodec.encode(message, MY_ORDER, out);
        sent++;
        outbound(message, out);
        channel.writeAndFlush(out);
    }

    private void outbound(IceMessage message, ByteBuf encoded) {
        messagesOut.increment();
        if (wiretap.enabled()) {
            wiretap.log("ice " + networkId, "OUT", describe(message, encoded), encoded);
        }
    }

    /** The wiretap's line for a message: its kind, ICE's major/minor opcode and its length on the wire. */
    private static String describe(IceMessage message, ByteBuf wire) {
        int at = wire.readerIndex();
        return message.getClass().getSimpleName() + " (opcode " + wire.getUnsignedByte(at) + "/" + wire.getUnsignedByte(at + 1)
                + ", " + wire.readableBytes() + " bytes)";
    }

    /** Writes a message and completes the sink when the socket took it; only on the loop. */
    void writeAndListen(IceMessage message, MonoSink<Void> sink) {
        ByteBuf out = channel.alloc().buffer();
        IceMessageCodec.encode(message, MY_ORDER, out);
        sent++;
        outbound(message, out);
        channel.writeAndFlush(out).addListener(f -> {
            if (f.isSuccess()) {
                sink.success();
            } else {
                sink.error(new IceException(IceErrorCode.IO_ERROR, "cannot write to " + networkId + ": " + f.cause(), null));
            }
        });
    }

    /** @return the sequence number the message was sent with; only on the loop */
    long writeNumbered(IceMessage message) {
        write(message);
        return sent;
    }

    /** Runs {@code task} on the loop after what it is doing now (a drain in progress on it finishes first). */
    void onLoopLater(Runnable task) {
        channel.eventLoop().execute(task);
    }

    void onLoop(Runnable task) {
        if (channel.eventLoop().inEventLoop()) {
            task.run();
        } else {
            channel.eventLoop().execute(task);
        }
    }

    void shutdown(IceProtocolSession session) {
        // Not deferred to the loop: the loop may read the peer's WantToClose before it runs queued tasks.
        active.remove(session.peerMajorOpcode(), session);
        onLoop(() -> resumeReading(session));
    }

    /** A protocol's subscriber is behind: stop reading the socket until it catches up. On the loop. */
    void pauseReading(IceProtocolSession session) {
        if (pausing.add(session) && pausing.size() == 1) {
            channel.config().setAutoRead(false);
        }
    }

    /** On the loop. */
    void resumeReading(IceProtocolSession session) {
        if (pausing.remove(session) && pausing.isEmpty() && channel.isActive()) {
            channel.config().setAutoRead(true);
        }
    }

    boolean originator() {
        return originator;
    }

    boolean isActive(int myOpcode) {
        for (IceProtocolSession s : active.values()) {
            if (s.majorOpcode() == myOpcode) {
                return true;
            }
        }
        return false;
    }

    /** Counts one more opener, unless the last one already closed it. */
    boolean retainForSharing() {
        int n;
        do {
            n = openRefCount.get();
            if (n <= 0) {
                return false;
            }
        } while (!openRefCount.compareAndSet(n, n + 1));
        return true;
    }

    // ------------------------------------------------------------------------------ public API

    /**
     * Sets up a protocol registered on this side ({@code IceProtocolSetup}): offers its versions
     * and the authentication methods usable for this network ID, answers the peer's challenges,
     * and completes with the active protocol once the peer replies. Fails with
     * {@link IceErrorCode#ALREADY_ACTIVE} ({@code IceProtocolAlreadyActive}) if it is active,
     * {@link IceErrorCode#NOT_REGISTERED} if it is not registered on this side, or with the peer's
     * refusal (UnknownProtocol, NoVersion, NoAuth, AuthRejected, SetupFailed, ...).
     *
     * @param protocol the protocol, registered on the connector or listener this connection came from
     * @param mustAuthenticate true to forbid the peer from skipping authentication
     * @return the active protocol, with the negotiated version and the peer's vendor and release
     */
    public Mono<IceProtocolSession> setup(IceProtocol protocol, boolean mustAuthenticate) {
        return Mono.create(sink -> onLoop(() -> {
            if (!channel.isActive() || status != IceConnectStatus.ACCEPTED) {
                sink.error(new IceException(IceErrorCode.CLOSED, "the ICE connection " + networkId + " is " + status, null));
                return;
            }
            int opcode = side.opcodeOf(protocol);
            if (opcode < 0) {
                sink.error(new IceException(IceErrorCode.NOT_REGISTERED, protocol.name() + " is not registered on this side", null));
                return;
            }
            if (isActive(opcode)) {
                sink.error(new IceException(IceErrorCode.ALREADY_ACTIVE, protocol.name() + " is already active on this connection", null));
                return;
            }
            if (setupToPeer != null) {
                sink.error(new IceException(IceErrorCode.PROTOCOL_REFUSED, "the setup of " + setupToPeer.protocol.name()
                        + " is still in progress", null));
                return;
            }
            IceProtocol registered = side.protocols().get(opcode - 1);
            IceAuthMethod.Context ctx = authContext(registered.name());
            List<IceAuthMethod> usable = new ArrayList<>();
            for (IceAuthMethod m : registered.authMethods()) {
                if (m.usable(ctx)) {
                    usable.add(m);
                }
            }
            setupToPeer = new OriginatedSetup(registered, opcode, usable, sink);
            write(new IceMessage.ProtocolSetup(opcode, mustAuthenticate, registered.name(), registered.vendor(), registered.release(),
                    names(usable), registered.versions()));
        }));
    }

    /**
     * {@link #setup(IceProtocol, boolean)} without demanding authentication.
     *
     * @param protocol the protocol
     * @return the active protocol
     */
    public Mono<IceProtocolSession> setup(IceProtocol protocol) {
        return setup(protocol, false);
    }

    /**
     * The protocols the peer set up on this connection (the acceptor's view of
     * {@code IceRegisterForProtocolReply}), each emitted after its ProtocolReply was written. One
     * subscriber; up to 16 wait for it. A protocol with an activate hook is also handed there.
     *
     * @return the accepted protocols; completes when the connection closes
     */
    public Flux<IceProtocolSession> acceptedProtocols() {
        // Detached on cancel: the connection keeps its sink for life and must not pin the subscriber.
        return accepted.asFlux().onTerminateDetach();
    }

    /**
     * Pings the peer ({@code IcePing}).
     *
     * @return the round-trip time
     */
    public Mono<Duration> ping() {
        return Mono.create(sink -> onLoop(() -> {
            if (!channel.isActive() || status != IceConnectStatus.ACCEPTED) {
                sink.error(new IceException(IceErrorCode.CLOSED, "the ICE connection " + networkId + " is " + status, null));
                return;
            }
            pings.add(sink);
            pingTimes.add(System.nanoTime());
            pingsSent.increment();
            write(new IceMessage.Ping());
        }));
    }

    /** How long {@link #close()} waits for the peer to answer WantToClose before it closes the transport itself. */
    public static final Duration CLOSE_NEGOTIATION_TIMEOUT = Duration.ofSeconds(10);

    /**
     * Closes the connection ({@code IceCloseConnection}). Each open of a shared connection counts
     * once; while other openers hold it or protocols are active on it nothing happens
     * ({@link IceCloseStatus#CONNECTION_IN_USE}). Otherwise, with shutdown negotiation on, WantToClose is
     * sent and the result is {@link IceCloseStatus#CLOSED_NOW} once the peer closes, or
     * {@link IceCloseStatus#PEER_IN_USE} if it answers NoClose (or sets up a protocol meanwhile);
     * with negotiation off the transport closes at once. A peer that answers the WantToClose neither
     * way within {@link #CLOSE_NEGOTIATION_TIMEOUT} has its transport closed ({@link IceCloseStatus#CLOSED_NOW}).
     *
     * @return the outcome
     */
    public Mono<IceCloseStatus> close() {
        return close(CLOSE_NEGOTIATION_TIMEOUT);
    }

    /**
     * {@link #close()} with its own bound on the shutdown negotiation.
     *
     * @param negotiationTimeout how long to wait for the peer's answer to WantToClose
     * @return the outcome
     */
    public Mono<IceCloseStatus> close(Duration negotiationTimeout) {
        return Mono.create(sink -> onLoop(() -> {
            openRefCount.updateAndGet(n -> Math.max(0, n - 1));
            if (!channel.isActive()) {
                sink.success(status == IceConnectStatus.IO_ERROR && !closeRequested ? IceCloseStatus.CLOSED_AFTER_IO_ERROR
                        : IceCloseStatus.CLOSED_NOW);
                return;
            }
            if (openRefCount.get() > 0 || !active.isEmpty()) {
                sink.success(IceCloseStatus.CONNECTION_IN_USE);
                return;
            }
            if (!shutdownNegotiation || status != IceConnectStatus.ACCEPTED) {
                closeRequested = true;
                closings.add(sink);
                channel.close();
                return;
            }
            closings.add(sink);
            if (!wantToClose) {
                wantToClose = true;
                write(new IceMessage.WantToClose());
                channel.eventLoop().schedule(() -> {
                    if (wantToClose && channel.isActive()) {
                        // Neither NoClose nor a close: the peer is not taking part; end it here.
                        closeRequested = true;
                        channel.close();
                    }
                }, negotiationTimeout.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS);
            }
        }));
    }

    /** Closes the transport at once, without negotiation or counts. */
    public void dispose() {
        // No longer shareable from this moment, though the channel closes on its loop later.
        openRefCount.set(0);
        onLoop(() -> {
            closeRequested = true;
            channel.close();
        });
    }

    /**
     * @param negotiate false when the peer is known to have gone without negotiating
     *     ({@code IceSetShutdownNegotiation}), so that {@link #close()} does not write to it
     */
    public void shutdownNegotiation(boolean negotiate) {
        shutdownNegotiation = negotiate;
    }

    /** @return whether {@link #close()} negotiates ({@code IceCheckShutdownNegotiation}); on by default */
    public boolean shutdownNegotiation() {
        return shutdownNegotiation;
    }

    /**
     * @return completes when the connection closes in order (negotiated, or closed by this side),
     *     fails with {@link IceErrorCode#IO_ERROR} when it breaks (the IO-error handler)
     */
    public Mono<Void> onClose() {
        return closed.asMono();
    }

    /**
     * The Error messages the peer sends, of ICE and of every protocol (the error handler). Hot;
     * a subscriber that falls behind misses errors; completes when the connection closes.
     * Errors that end a pending operation also fail that operation.
     *
     * @return the peer's errors
     */
    public Flux<IceMessage.Error> errors() {
        return errors.asFlux().onBackpressureBuffer(ERROR_BUFFER, reactor.core.publisher.BufferOverflowStrategy.DROP_OLDEST);
    }

    /** @return the connection's status ({@code IceConnectionStatus}) */
    public IceConnectStatus status() {
        return status;
    }

    /** @return the ICE protocol version in use ({@code IceProtocolVersion}, {@code IceProtocolRevision}), null while pending */
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

    /**
     * @return the network ID of the accepting side ({@code IceConnectionString}): the one dialled
     *     for an opened connection, the listener's for an accepted one
     */
    public String connectionString() {
        return networkId;
    }

    /** @return the context given when it was opened ({@code IceGetContext}), or null */
    public Object context() {
        return context;
    }

    /** @return the peer's byte order, null before its ByteOrder message */
    public ByteOrder peerByteOrder() {
        return peerOrder;
    }

    /** @return whether the peer's byte order differs from Sluice's big-endian, so the receiver swaps ({@code IceSwapping}) */
    public boolean swapping() {
        ByteOrder o = peerOrder;
        return o != null && o != MY_ORDER;
    }

    /** @return the sequence number of the last message sent ({@code IceLastSentSequenceNumber}) */
    public long lastSentSequenceNumber() {
        return sent;
    }

    /** @return the sequence number of the last message received ({@code IceLastReceivedSequenceNumber}) */
    public long lastReceivedSequenceNumber() {
        return received;
    }

    /** @return how many openers share the connection ({@code IceOpenConnection} calls not yet matched by {@link #close()}) */
    public int openCount() {
        return openRefCount.get();
    }

    /** @return how many protocols are active on it */
    public int activeProtocolCount() {
        return active.size();
    }

    /** @return true if this side opened it, false if it was accepted */
    public boolean isOriginator() {
        return originator;
    }

    /** @return the local address */
    public SocketAddress localAddress() {
        return channel.localAddress();
    }

    /** @return the peer's address */
    public SocketAddress remoteAddress() {
        return channel.remoteAddress();
    }

    /** @return whether the transport is open */
    public boolean isOpen() {
        return channel.isActive();
    }

    @Override
    public String toString() {
        return "IceConnection[" + (originator ? "to " : "from ") + networkId + ", " + status + ", " + vendor + " " + release + "]";
    }
}
