package io.sluice.ice;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.nio.NioDomainSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.sluice.codec.Limits;
import io.sluice.metrics.SluiceMeters;
import io.sluice.wiretap.Wiretap;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Opens ICE connections as an originator ({@code IceOpenConnection}). Immutable spec; each
 * setter returns a copy:
 *
 * <pre>{@code
 * IceProtocol xsmp = IceProtocol.of("XSMP", "Sluice", "1.0", new IceVersion(1, 0)).withAuth(IceAuthMethod.mitMagicCookie1());
 * IceConnection c = IceConnector.create().protocols(xsmp).open(System.getenv("SESSION_MANAGER")).block();
 * IceProtocolSession session = c.setup(xsmp).block();
 * }</pre>
 *
 * <p>The network IDs are tried in order until one connects and completes the ICE connection
 * setup; {@code unix/} and {@code local/} name UNIX sockets by path (an abstract name, starting
 * with {@code @}, is skipped: the JDK cannot reach it), {@code tcp/}, {@code inet/} and
 * {@code inet6/} name host and port. Authentication data comes from the {@link IceAuthority}
 * given, else from the file libICE would read ({@code $ICEAUTHORITY} or {@code ~/.ICEauthority},
 * read off the event loops at each open); MIT-MAGIC-COOKIE-1 is offered where that data holds a
 * cookie for {@code ICE} (connection) or the protocol on the network ID dialled.
 */
public final class IceConnector {

    private final IceSide side;
    private final boolean defaultAuthority;
    private final boolean mustAuthenticate;
    private final Duration connectTimeout;

    private IceConnector(IceSide side, boolean defaultAuthority, boolean mustAuthenticate, Duration connectTimeout) {
        this.side = side;
        this.defaultAuthority = defaultAuthority;
        this.mustAuthenticate = mustAuthenticate;
        this.connectTimeout = connectTimeout;
    }

    /**
     * @return a connector announcing vendor "Sluice", release "0.1", default limits, no protocols,
     *     MIT-MAGIC-COOKIE-1 from the default authority file, the shared {@link IceConnections},
     *     a 10 s connect timeout
     */
    public static IceConnector create() {
        return new IceConnector(new IceSide("Sluice", "0.1", Limits.defaults(), List.of(), IceAuthority.empty(),
                List.of(IceAuthMethod.mitMagicCookie1()), null, IceConnections.shared(), io.sluice.metrics.Telemetry.NONE), true, false, Duration.ofSeconds(10));
    }

    private IceConnector with(IceSide s) {
        return new IceConnector(s, defaultAuthority, mustAuthenticate, connectTimeout);
    }

    /**
     * @param vendor the ICE vendor to announce in the connection setup (libICE: {@code IceVendorString})
     * @param release the ICE release to announce (libICE: {@code IceReleaseString})
     * @return a copy
     */
    public IceConnector vendor(String vendor, String release) {
        return with(side.withVendor(Objects.requireNonNull(vendor, "vendor"), Objects.requireNonNull(release, "release")));
    }

    /**
     * @param l decoder limits (message size, list entries, string lengths)
     * @return a copy
     */
    public IceConnector limits(Limits l) {
        return with(side.withLimits(Objects.requireNonNull(l)));
    }

    /**
     * Registers the protocols this side sets up (and accepts) on its connections
     * ({@code IceRegisterForProtocolSetup}); their major opcodes are 1, 2, ... in this order.
     *
     * @param protocols the protocols
     * @return a copy
     */
    public IceConnector protocols(IceProtocol... protocols) {
        return with(side.withProtocols(List.of(protocols)));
    }

    /**
     * @param authority the authentication data to use instead of the default file
     * @return a copy
     */
    public IceConnector authority(IceAuthority authority) {
        return new IceConnector(side.withAuthority(Objects.requireNonNull(authority)), false, mustAuthenticate, connectTimeout);
    }

    /**
     * @param methods the methods offered for the connection setup, in preference order
     * @return a copy
     */
    public IceConnector authMethods(IceAuthMethod... methods) {
        return with(side.withAuthMethods(List.of(methods)));
    }

    /**
     * @param must true to forbid the acceptor from skipping authentication of the connection
     * @return a copy
     */
    public IceConnector mustAuthenticate(boolean must) {
        return new IceConnector(side, defaultAuthority, must, connectTimeout);
    }

    /**
     * @param registry where connections are shared and watched
     * @return a copy
     */
    public IceConnector registry(IceConnections registry) {
        return with(side.withRegistry(Objects.requireNonNull(registry)));
    }

    /**
     * @param timeout how long each network ID may take to connect and set up
     * @return a copy
     */
    public IceConnector connectTimeout(Duration timeout) {
        return new IceConnector(side, defaultAuthority, mustAuthenticate, Objects.requireNonNull(timeout));
    }

    /**
     * Opens a connection, sharing an open one when libICE would: see {@link #open(String, Object, IceProtocol)}
     * with no context and no opcode check.
     *
     * @param networkIds a comma-separated network-ID list, tried in order
     * @return the connection
     */
    public Mono<IceConnection> open(String networkIds) {
        return open(networkIds, null, null);
    }

    /**
     * Opens a connection ({@code IceOpenConnection}). An open connection this application made to
     * one of the network IDs is shared instead — its open count goes up, and each open is matched
     * by one {@link IceConnection#close()} — when the contexts allow it (no context shares with
     * anyone; a context shares only with connections opened with no context or the same one) and
     * {@code unlessActive} is not active on it ({@code major_opcode_check}).
     *
     * @param networkIds a comma-separated network-ID list, tried in order
     * @param context who may share the connection, or null
     * @param unlessActive a registered protocol that must not be active on a shared connection, or null
     * @return the connection once set up; if none works, the failure of a single ID as it is, or
     *     {@link IceErrorCode#CONNECT_FAILED} naming each ID's reason
     */
    public Mono<IceConnection> open(String networkIds, Object context, IceProtocol unlessActive) {
        List<String> ids = new ArrayList<>();
        for (String id : networkIds.split(",")) {
            if (!id.isBlank()) {
                ids.add(id.trim());
            }
        }
        if (ids.isEmpty()) {
            return Mono.error(new IceException(IceErrorCode.CONNECT_FAILED, "the network-ID list is empty", null));
        }
        int check = unlessActive == null ? 0 : side.opcodeOf(unlessActive);
        if (check < 0) {
            return Mono.error(new IceException(IceErrorCode.NOT_REGISTERED, unlessActive.name() + " is not registered on this connector", null));
        }
        Mono<IceSide> sideForOpen = defaultAuthority
                ? Mono.fromCallable(() -> side.withAuthority(IceAuthority.read(IceAuthority.defaultFile()))).subscribeOn(Schedulers.boundedElastic())
                : Mono.just(side);
        return Mono.defer(() -> {
            IceConnection shared = side.registry().shareable(ids, context, check);
            if (shared != null) {
                return Mono.just(shared);
            }
            List<Throwable> failures = new ArrayList<>();
            return sideForOpen.flatMap(s -> Flux.fromIterable(ids)
                    // Like libICE, only a transport failure moves on to the next ID: a peer that was
                    // reached and refused the setup has answered for the whole list.
                    .concatMap(id -> openOne(s, id, context).onErrorResume(
                            e -> e instanceof IceException ice
                                    && (ice.errorCode() == IceErrorCode.CONNECT_FAILED || ice.errorCode() == IceErrorCode.IO_ERROR), e -> {
                        failures.add(e);
                        return Mono.empty();
                    }), 1)
                    .next()
                    // One ID: its own failure, code and all. Several: each one's reason, in order.
                    .switchIfEmpty(Mono.defer(() -> Mono.error(failures.size() == 1 ? failures.get(0)
                            : new IceException(IceErrorCode.CONNECT_FAILED, "none of " + ids + " could be opened: "
                                    + failures.stream().map(Throwable::getMessage).toList(), null)))));
        });
    }

    /**
     * @param protocol a protocol
     * @return its major opcode on this side, or -1 if it is not registered
     */
    public int opcodeOf(IceProtocol protocol) {
        return side.opcodeOf(protocol);
    }

    private Mono<IceConnection> openOne(IceSide s, String networkId, Object context) {
        SocketAddress address;
        try {
            address = parse(networkId);
        } catch (IllegalArgumentException e) {
            return Mono.error(new IceException(IceErrorCode.CONNECT_FAILED, e.getMessage(), null));
        }
        if (address instanceof InetSocketAddress inet && inet.isUnresolved()) {
            // Resolving a host name may block on DNS: never on the event loop.
            return Mono.fromCallable(() -> new InetSocketAddress(inet.getHostString(), inet.getPort()))
                    .subscribeOn(Schedulers.boundedElastic())
                    .flatMap(resolved -> resolved.isUnresolved()
                            ? Mono.error(new IceException(IceErrorCode.CONNECT_FAILED, networkId + ": cannot resolve " + inet.getHostString(), null))
                            : connect(s, networkId, context, resolved));
        }
        return connect(s, networkId, context, address);
    }

    private Mono<IceConnection> connect(IceSide s, String networkId, Object context, SocketAddress address) {
        boolean unix = address instanceof UnixDomainSocketAddress;
        return Mono.<IceConnection>create(sink -> {
            IceConnection[] holder = new IceConnection[1];
            Bootstrap bootstrap = new Bootstrap().group(IceLoops.GROUP)
                    .channel(unix ? NioDomainSocketChannel.class : NioSocketChannel.class)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) connectTimeout.toMillis())
                    .handler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            holder[0] = new IceConnection(ch, s, true, networkId, context, sink);
                            ch.pipeline().addLast(new IceFrameDecoder(s.limits().maxMessageBytes()), holder[0].handler());
                        }
                    });
            if (!unix) {
                bootstrap.option(ChannelOption.TCP_NODELAY, true);
            }
            ChannelFuture connected = bootstrap.connect(address);
            connected.addListener(f -> {
                if (!f.isSuccess()) {
                    sink.error(new IceException(IceErrorCode.CONNECT_FAILED, networkId + ": " + f.cause().getMessage(), null));
                    return;
                }
                holder[0].startAsOriginator(mustAuthenticate);
            });
            sink.onCancel(() -> connected.channel().close());
        }).timeout(connectTimeout.plusSeconds(1), Mono.error(new IceException(IceErrorCode.CONNECT_FAILED,
                networkId + ": no ICE connection setup within " + connectTimeout, null)));
    }

    static SocketAddress parse(String networkId) {
        int slash = networkId.indexOf('/');
        int colon = networkId.indexOf(':', slash + 1);
        if (slash < 0 || colon < 0) {
            throw new IllegalArgumentException("'" + networkId + "' is not a network ID (transport/host:address)");
        }
        String transport = networkId.substring(0, slash);
        String host = networkId.substring(slash + 1, colon);
        String rest = networkId.substring(colon + 1);
        switch (transport) {
            case "unix", "local" -> {
                if (rest.startsWith("@")) {
                    throw new IllegalArgumentException(networkId + ": abstract UNIX socket names cannot be reached from the JDK");
                }
                return UnixDomainSocketAddress.of(rest);
            }
            case "tcp", "inet", "inet6" -> {
                int port;
                try {
                    port = Integer.parseInt(rest);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(networkId + ": '" + rest + "' is not a port");
                }
                return InetSocketAddress.createUnresolved(host, port);
            }
            default -> throw new IllegalArgumentException(networkId + ": unknown transport '" + transport + "'");
        }
    }

    /**
     * Records the meters of this connector's connections in {@code registry}: open connections by
     * role, messages each way, pings sent and answered (the
     * README's "Observing Sluice"). Needs Micrometer on the class path.
     *
     * @param registry where to record
     * @return a copy
     */
    public IceConnector metrics(io.micrometer.core.instrument.MeterRegistry registry) {
        return with(side.withObserving(side.observing().withMeters(SluiceMeters.of(registry))));
    }

    /**
     * @param enable record meters in Micrometer's global registry (true), or nowhere (false, the default)
     * @return a copy
     * @throws UnsupportedOperationException when enabling without Micrometer on the class path
     */
    public IceConnector metrics(boolean enable) {
        return with(side.withObserving(side.observing().withMeters(SluiceMeters.global(enable))));
    }

    /**
     * @param enable log every ICE message read and written (kind, major/minor opcode, length) at
     *     DEBUG under {@code io.sluice.wiretap.ice}, with a hex dump at TRACE; or nothing (the default)
     * @return a copy
     */
    public IceConnector wiretap(boolean enable) {
        return with(side.withObserving(side.observing().withWiretap(Wiretap.of("ice", enable))));
    }

    /**
     * @param category the SLF4J logger to log messages to
     * @param level the level of the one-line messages (hex dumps at TRACE)
     * @return a copy
     */
    public IceConnector wiretap(String category, org.slf4j.event.Level level) {
        return with(side.withObserving(side.observing().withWiretap(Wiretap.of(category, level))));
    }

}
