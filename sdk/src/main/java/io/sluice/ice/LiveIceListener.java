package io.sluice.ice;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.nio.NioServerDomainSocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.publisher.Sinks;

/**
 * A bound ICE listener: its listen objects' network IDs, and the connections to accept. Incoming
 * sockets wait (unread) for {@link #accept()}; at most the backlog of them, further ones are
 * closed and counted. Thread-safe; {@link #dispose()} closes every listening socket (accepted
 * connections stay open).
 */
public final class LiveIceListener implements Disposable {

    private volatile IceSide side;
    private final Duration acceptTimeout;
    private final int backlog;
    private final List<Channel> servers = new ArrayList<>();
    private final List<String> networkIds = new ArrayList<>();
    private final List<Path> socketFiles = new ArrayList<>();
    private final ArrayDeque<Incoming> waiting = new ArrayDeque<>();
    private final ArrayDeque<Accepting> acceptors = new ArrayDeque<>();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong rejected = new AtomicLong();
    private final Sinks.Empty<Void> disposed = Sinks.empty();
    private volatile boolean closed;

    private record Incoming(Channel channel, String networkId) {
    }

    /**
     * One {@link #accept()} in progress: its sink, and the socket it took once one was there. A
     * cancelled accept closes the socket it took, since nobody will receive that connection.
     */
    private static final class Accepting {
        final MonoSink<IceConnection> sink;
        private volatile Channel channel;
        private volatile boolean cancelled;

        Accepting(MonoSink<IceConnection> sink) {
            this.sink = sink;
        }

        /** @return false if the accept was cancelled before it took {@code ch} (which is then closed) */
        boolean take(Channel ch) {
            channel = ch;
            if (cancelled) {
                ch.close();
                return false;
            }
            return true;
        }

        void cancel() {
            cancelled = true;
            Channel ch = channel;
            if (ch != null) {
                ch.close();
            }
        }
    }

    LiveIceListener(IceSide side, Duration acceptTimeout, int backlog) {
        this.side = side;
        this.acceptTimeout = acceptTimeout;
        this.backlog = backlog;
        this.meters = side.observing().meters().group()
                .counter("sluice.ice.drops", "ICE connections turned away", "connections", refused::get, "reason", "refused")
                .counter("sluice.ice.drops", "ICE connections turned away", "connections", rejected::get, "reason", "rejected");
    }

    private final io.sluice.metrics.MeterGroup meters;

    /**
     * Replaces the authentication data this listener checks peers against, for connections
     * accepted from now on. A session manager makes cookies for the network IDs it learns from
     * {@link #listenNetworkIds()} only after binding, and hands them here (libICE's
     * {@code IceSetPaAuthData}) before it publishes the IDs.
     *
     * @param authority the entries to use; the listener never writes it anywhere
     * @return this listener
     */
    public LiveIceListener authority(IceAuthority authority) {
        side = side.withAuthority(java.util.Objects.requireNonNull(authority, "authority"));
        return this;
    }

    Mono<Void> bindUnix(Path path, String networkId) {
        return bind(NioServerDomainSocketChannel.class, UnixDomainSocketAddress.of(path), networkId, path);
    }

    Mono<Void> bindTcp(InetSocketAddress address, String host) {
        return bind(NioServerSocketChannel.class, address, null, null).then(Mono.fromRunnable(() -> {
            synchronized (this) {
                int port = ((InetSocketAddress) servers.get(servers.size() - 1).localAddress()).getPort();
                networkIds.set(networkIds.size() - 1, "tcp/" + host + ":" + port);
            }
        }));
    }

    private Mono<Void> bind(Class<? extends io.netty.channel.ServerChannel> type, SocketAddress address, String networkId, Path file) {
        return Mono.create(sink -> {
            ServerBootstrap b = new ServerBootstrap().group(IceLoops.GROUP).channel(type)
                    .childOption(ChannelOption.AUTO_READ, false)
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            if (type == NioServerSocketChannel.class) {
                                ch.config().setOption(ChannelOption.TCP_NODELAY, true);
                            }
                            arrived(new Incoming(ch, networkId));
                        }
                    });
            ChannelFuture f = b.bind(address);
            f.addListener(done -> {
                if (!done.isSuccess()) {
                    sink.error(new IceException(IceErrorCode.CONNECT_FAILED, "cannot listen on " + address + ": " + done.cause().getMessage(), null));
                    return;
                }
                synchronized (this) {
                    servers.add(f.channel());
                    networkIds.add(networkId);
                    if (file != null) {
                        socketFiles.add(file);
                    }
                }
                sink.success();
            });
        });
    }

    private void arrived(Incoming incoming) {
        String id = incoming.networkId() != null ? incoming.networkId() : tcpIdFor(incoming.channel());
        Incoming in = new Incoming(incoming.channel(), id);
        Accepting acceptor;
        synchronized (this) {
            acceptor = acceptors.poll();
            if (acceptor == null) {
                if (closed || waiting.size() >= backlog) {
                    refused.incrementAndGet();
                    // Closed once registration has finished: a close from inside the initializer is lost.
                    in.channel().eventLoop().execute(in.channel()::close);
                    return;
                }
                waiting.add(in);
                return;
            }
        }
        start(in, acceptor);
    }

    private synchronized String tcpIdFor(Channel child) {
        int port = ((InetSocketAddress) child.localAddress()).getPort();
        for (String id : networkIds) {
            if (id != null && id.startsWith("tcp/") && id.endsWith(":" + port)) {
                return id;
            }
        }
        return "tcp/" + ((InetSocketAddress) child.localAddress()).getAddress().getHostAddress() + ":" + port;
    }

    private void start(Incoming in, Accepting accepting) {
        Channel ch = in.channel();
        if (!accepting.take(ch)) {
            return;
        }
        MonoSink<IceConnection> sink = accepting.sink;
        ch.eventLoop().execute(() -> {
            if (!ch.isActive()) {
                sink.error(new IceException(IceErrorCode.IO_ERROR, "the connection to " + in.networkId() + " went away before it was accepted", null));
                return;
            }
            IceConnection c = new IceConnection(ch, side, false, in.networkId(), null, sink);
            ch.pipeline().addLast(new IceFrameDecoder(side.limits().maxMessageBytes()), c.handler());
            c.startAsAcceptor();
            ch.config().setAutoRead(true);
            var timer = ch.eventLoop().schedule(() -> {
                if (c.status() == IceConnectStatus.PENDING) {
                    sink.error(new IceException(IceErrorCode.ACCEPT_TIMEOUT, "the connection on " + in.networkId()
                            + " did not complete its setup within " + acceptTimeout, null));
                    ch.close();
                }
            }, acceptTimeout.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS);
            // The timer holds the sink (and through it the subscriber): gone as soon as the accept ends.
            sink.onDispose(() -> timer.cancel(false));
            ch.closeFuture().addListener(x -> timer.cancel(false));
        });
    }

    /**
     * Accepts the next connection ({@code IceAcceptConnection} and the pending loop after it):
     * takes the next incoming socket (waiting for one if none has arrived), runs its connection
     * setup and authentication, and completes once it is accepted. Fails with
     * {@link IceErrorCode#REJECTED} (version or authentication refused; the peer got the ICE
     * Error), {@link IceErrorCode#ACCEPT_TIMEOUT} (still pending after the accept timeout), or
     * another {@link IceException} if the peer broke the protocol or went away. Cancelling it
     * while it is setting up a socket closes that socket, since nobody would receive the
     * connection.
     *
     * @return the accepted connection
     */
    public Mono<IceConnection> accept() {
        return Mono.<IceConnection>create(sink -> {
            Accepting accepting = new Accepting(sink);
            sink.onCancel(() -> {
                synchronized (this) {
                    acceptors.remove(accepting);
                }
                accepting.cancel();
            });
            Incoming next;
            synchronized (this) {
                if (closed) {
                    sink.error(new IceException(IceErrorCode.CLOSED, "the listener is closed", null));
                    return;
                }
                next = waiting.poll();
                if (next == null) {
                    acceptors.add(accepting);
                    return;
                }
            }
            start(next, accepting);
        }).doOnError(e -> {
            if (!(e instanceof IceException ice && ice.errorCode() == IceErrorCode.CLOSED)) {
                rejected.incrementAndGet();
            }
        });
    }

    /**
     * Accepts connections one after another for as long as it is subscribed: each accepted
     * connection is emitted, rejected and failed ones are skipped (counted in {@link #rejected()}).
     * Completes when the listener is disposed.
     *
     * @return the accepted connections
     */
    public Flux<IceConnection> connections() {
        return Mono.defer(this::accept)
                .onErrorResume(e -> e instanceof IceException ice && ice.errorCode() != IceErrorCode.CLOSED, e -> Mono.empty())
                .repeat(() -> !closed)
                .onErrorResume(e -> closed, e -> Mono.empty());
    }

    /** @return the network IDs, one per listen object ({@code IceGetListenConnectionString}) */
    public synchronized List<String> listenNetworkIds() {
        return List.copyOf(networkIds);
    }

    /** @return the network IDs joined with commas, for {@code SESSION_MANAGER} and the like ({@code IceComposeNetworkIdList}) */
    public String networkIds() {
        return String.join(",", listenNetworkIds());
    }

    /** @return the bound addresses, one per listen object */
    public synchronized List<SocketAddress> addresses() {
        List<SocketAddress> a = new ArrayList<>();
        for (Channel c : servers) {
            a.add(c.localAddress());
        }
        return a;
    }

    /** @return sockets closed unread because the backlog was full */
    public long refused() {
        return refused.get();
    }

    /** @return connections rejected during their setup or timed out */
    public long rejected() {
        return rejected.get();
    }

    @Override
    public void dispose() {
        List<Channel> toClose;
        List<Incoming> unclaimed;
        List<Accepting> waiters;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            meters.dispose();
            toClose = new ArrayList<>(servers);
            unclaimed = new ArrayList<>(waiting);
            waiting.clear();
            waiters = new ArrayList<>(acceptors);
            acceptors.clear();
        }
        for (Channel c : toClose) {
            c.close();
        }
        for (Incoming i : unclaimed) {
            i.channel().close();
        }
        for (Accepting w : waiters) {
            w.sink.error(new IceException(IceErrorCode.CLOSED, "the listener is closed", null));
        }
        // The UNIX socket files are removed by the JDK's channel close on most platforms; make sure.
        for (Path p : socketFiles) {
            p.toFile().delete();
        }
        disposed.tryEmitEmpty();
    }

    @Override
    public boolean isDisposed() {
        return closed;
    }

    /** @return completes when the listener is disposed */
    public Mono<Void> onDispose() {
        return disposed.asMono();
    }

    @Override
    public String toString() {
        return "LiveIceListener" + listenNetworkIds();
    }
}
