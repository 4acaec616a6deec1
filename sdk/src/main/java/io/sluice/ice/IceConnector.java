package io.sluice.ice;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.nio.NioDomainSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.sluice.codec.Limits;
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
 * Opens ICE connections as an originator ({@code IceOpenConnection}). Immutable spec:
 *
 * <pre>{@code
 * IceConnection c = IceConnector.create().open("unix/host:/tmp/.ICE-unix/1234,tcp/127.0.0.1:40000").block();
 * }</pre>
 *
 * <p>The network IDs are tried in order until one connects and completes the ICE connection
 * setup; {@code unix/} and {@code local/} name UNIX sockets by path (an abstract name, starting
 * with {@code @}, is skipped: the JDK cannot reach it), {@code tcp/}, {@code inet/} and
 * {@code inet6/} name host and port. This first release offers no authentication: a peer that
 * requires it refuses the connection ({@link IceErrorCode#AUTH_REQUIRED}).
 */
public final class IceConnector {

    private final String vendor;
    private final String release;
    private final Limits limits;
    private final Duration connectTimeout;

    private IceConnector(String vendor, String release, Limits limits, Duration connectTimeout) {
        this.vendor = vendor;
        this.release = release;
        this.limits = limits;
        this.connectTimeout = connectTimeout;
    }

    /** @return a connector announcing vendor "Sluice", release "0.1", with default limits and a 10 s connect timeout */
    public static IceConnector create() {
        return new IceConnector("Sluice", "0.1", Limits.defaults(), Duration.ofSeconds(10));
    }

    /** @param v the ICE vendor to announce @return a copy */
    public IceConnector vendor(String v) {
        return new IceConnector(Objects.requireNonNull(v), release, limits, connectTimeout);
    }

    /** @param r the ICE release to announce @return a copy */
    public IceConnector release(String r) {
        return new IceConnector(vendor, Objects.requireNonNull(r), limits, connectTimeout);
    }

    /** @param l decoder limits (message size, list entries, string lengths) @return a copy */
    public IceConnector limits(Limits l) {
        return new IceConnector(vendor, release, Objects.requireNonNull(l), connectTimeout);
    }

    /** @param timeout how long each network ID may take to connect and set up @return a copy */
    public IceConnector connectTimeout(Duration timeout) {
        return new IceConnector(vendor, release, limits, Objects.requireNonNull(timeout));
    }

    /**
     * @param networkIds a comma-separated network-ID list, tried in order
     * @return the connection once set up; if none works, the failure of a single ID as it is, or
     *     {@link IceErrorCode#CONNECT_FAILED} naming each ID's reason
     */
    public Mono<IceConnection> open(String networkIds) {
        List<String> ids = new ArrayList<>();
        for (String id : networkIds.split(",")) {
            if (!id.isBlank()) {
                ids.add(id.trim());
            }
        }
        if (ids.isEmpty()) {
            return Mono.error(new IceException(IceErrorCode.CONNECT_FAILED, "the network-ID list is empty", null));
        }
        List<Throwable> failures = new ArrayList<>();
        return Flux.fromIterable(ids)
                .concatMap(id -> openOne(id).onErrorResume(e -> {
                    failures.add(e);
                    return Mono.empty();
                }), 1)
                .next()
                // One ID: its own failure, code and all. Several: each one's reason, in order.
                .switchIfEmpty(Mono.defer(() -> Mono.error(failures.size() == 1 ? failures.get(0)
                        : new IceException(IceErrorCode.CONNECT_FAILED, "none of " + ids + " could be opened: "
                                + failures.stream().map(Throwable::getMessage).toList(), null))));
    }

    private Mono<IceConnection> openOne(String networkId) {
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
                            : connect(networkId, resolved));
        }
        return connect(networkId, address);
    }

    private Mono<IceConnection> connect(String networkId, SocketAddress address) {
        boolean unix = address instanceof UnixDomainSocketAddress;
        return Mono.<IceConnection>create(sink -> {
            IceFrameDecoder frames = new IceFrameDecoder(limits.maxMessageBytes());
            IceConnection[] holder = new IceConnection[1];
            Bootstrap bootstrap = new Bootstrap().group(IceLoops.GROUP)
                    .channel(unix ? NioDomainSocketChannel.class : NioSocketChannel.class)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) connectTimeout.toMillis())
                    .handler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            holder[0] = new IceConnection(ch, limits, networkId, sink);
                            ch.pipeline().addLast(frames, holder[0].handler());
                        }
                    });
            ChannelFuture connected = bootstrap.connect(address);
            connected.addListener(f -> {
                if (!f.isSuccess()) {
                    sink.error(new IceException(IceErrorCode.CONNECT_FAILED, networkId + ": " + f.cause().getMessage(), null));
                    return;
                }
                holder[0].start(vendor, release);
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
}
