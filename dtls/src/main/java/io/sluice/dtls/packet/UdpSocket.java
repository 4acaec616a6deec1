package io.sluice.dtls.packet;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.util.Logger;
import reactor.util.Loggers;

/**
 * A bound UDP socket: the "UDP binding" a {@link DtlsRx} is created on and the socket a
 * {@link DtlsTx} sends from. One socket may carry an rx and any number of tx endpoints, which is
 * what a DTLS session needs (it receives and sends on one address).
 *
 * <p>Reading never stops: the socket reads as fast as datagrams arrive and hands them to the
 * endpoint attached to it, whose bounded buffer decides what a slow subscriber loses (and counts
 * it). A datagram with no endpoint attached is released at once. Datagrams longer than
 * {@link #maxDatagramBytes()} are dropped and reported, never truncated.
 *
 * <p>On Netty's native epoll transport the socket reads up to 16 datagrams per {@code recvmmsg}
 * (one at a time when the receive limit is near 64 KiB); each datagram is then a view of the
 * read's pooled buffer, which a kept datagram keeps alive like any pooled buffer. What is written
 * on the socket's event loop while it hands out a batch of datagrams it read (an echo, a
 * handshake's answer) is flushed once when the batch ends, so the native transport sends it with
 * one {@code sendmmsg}; writes at any other time, or from other threads, go at once.
 *
 * <p>Thread-safe. Runs on a shared event loop ("sluice-udp"); nothing here blocks it.
 */
public final class UdpSocket implements Disposable, PacketSink {

    private static final Logger LOG = Loggers.getLogger(UdpSocket.class);

    /** The receive limit unless configured: room for any DTLS record on a 1500-byte MTU path and more. */
    public static final int DEFAULT_MAX_DATAGRAM_BYTES = 2048;
    /** The largest UDP payload over IPv4. */
    public static final int MAX_DATAGRAM_BYTES = 65_507;

    private static final int RECEIVE_BUFFER_BYTES = 1 << 20;
    /** The most one {@code recvmmsg} reads into (32 KiB at the default limit); a socket with a large limit reads one datagram at a time. */
    private static final int BATCH_BUFFER_BYTES = 64 * 1024;
    private static final int MAX_DATAGRAMS_PER_READ = 16;

    private final Channel channel;
    private final int maxDatagramBytes;
    private final Sinks.Empty<Void> closed = Sinks.empty();
    private final AtomicLong oversized = new AtomicLong();
    private final AtomicReference<DatagramTarget> target = new AtomicReference<>();
    // On the event loop only: a read batch is being handed out, and what is written meanwhile
    // (an echo, a handshake answer) is flushed once when it ends.
    private boolean reading;
    private boolean unflushed;

    private UdpSocket(Channel channel, int maxDatagramBytes) {
        this.channel = channel;
        this.maxDatagramBytes = maxDatagramBytes;
        channel.closeFuture().addListener(f -> closed.tryEmitEmpty());
    }

    /**
     * Binds a socket with the default receive limit.
     *
     * @param local address and port to bind; port 0 picks a free port
     * @return the bound socket, on subscription
     */
    public static Mono<UdpSocket> bind(InetSocketAddress local) {
        return bind(local, DEFAULT_MAX_DATAGRAM_BYTES);
    }

    /**
     * Binds a socket.
     *
     * @param local address and port to bind; port 0 picks a free port
     * @param maxDatagramBytes the longest datagram delivered, 1–65507; longer ones are dropped and reported
     * @return the bound socket, on subscription
     */
    public static Mono<UdpSocket> bind(InetSocketAddress local, int maxDatagramBytes) {
        Objects.requireNonNull(local, "local");
        if (maxDatagramBytes < 1 || maxDatagramBytes > MAX_DATAGRAM_BYTES) {
            return Mono.error(new IllegalArgumentException("maxDatagramBytes must be 1–" + MAX_DATAGRAM_BYTES
                    + ", got " + maxDatagramBytes));
        }
        if (local.isUnresolved()) {
            return Mono.error(new IllegalArgumentException("cannot bind the unresolved address " + local));
        }
        return bind(local, maxDatagramBytes, null, false);
    }

    /**
     * Binds one socket per UDP event loop, all on the same address and port with SO_REUSEPORT, so
     * that the kernel steers each peer (by its address and port) to one socket and a server's
     * datagrams are read by every loop. Needs Netty's native epoll transport; elsewhere this binds
     * one socket. A server then serves them all, for example {@code DtlsServer.reusePort(true)}.
     *
     * @param local address and port; port 0 picks a free port for the first, the rest share it
     * @return the bound sockets, first the one that picked the port, on subscription
     */
    public static Mono<List<UdpSocket>> bindPerLoop(InetSocketAddress local) {
        Objects.requireNonNull(local, "local");
        if (UdpLoops.channelType() != io.netty.channel.epoll.EpollDatagramChannel.class) {
            return bind(local).map(List::of);
        }
        List<EventLoop> loops = UdpLoops.all();
        return bind(local, DEFAULT_MAX_DATAGRAM_BYTES, loops.get(0), true).flatMap(first -> {
            InetSocketAddress shared = new InetSocketAddress(local.getAddress(), first.localAddress().getPort());
            return Flux.fromIterable(loops.subList(1, loops.size()))
                    .concatMap(loop -> bind(shared, DEFAULT_MAX_DATAGRAM_BYTES, loop, true))
                    .collectList()
                    .map(rest -> {
                        List<UdpSocket> all = new ArrayList<>();
                        all.add(first);
                        all.addAll(rest);
                        return List.copyOf(all);
                    })
                    .doOnError(e -> first.dispose());
        });
    }

    private static Mono<UdpSocket> bind(InetSocketAddress local, int maxDatagramBytes, EventLoop loop, boolean reusePort) {
        return Mono.create(sink -> {
            Class<? extends DatagramChannel> type = UdpLoops.channelType();
            // One byte more than the limit per datagram, so a longer one shows as over the limit
            // instead of arriving silently truncated.
            int slot = maxDatagramBytes + 1;
            int perRead = type == io.netty.channel.epoll.EpollDatagramChannel.class ? datagramsPerRead(maxDatagramBytes) : 1;
            Holder holder = new Holder();
            Bootstrap bootstrap = new Bootstrap()
                    .group(loop != null ? loop : UdpLoops.next())
                    .channel(type)
                    // Room for bursts while the event loop is busy; the kernel caps it at net.core.rmem_max.
                    .option(ChannelOption.SO_RCVBUF, RECEIVE_BUFFER_BYTES)
                    .option(ChannelOption.RECVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(slot * perRead))
                    .handler(new Reader(holder, maxDatagramBytes));
            if (perRead > 1) {
                // recvmmsg: several datagrams per system call, each a view of one pooled buffer.
                bootstrap.option(io.netty.channel.epoll.EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, slot);
            }
            if (reusePort) {
                bootstrap.option(io.netty.channel.epoll.EpollChannelOption.SO_REUSEPORT, true);
            }
            ChannelFuture bound = bootstrap.bind(local);
            bound.addListener(f -> {
                if (f.isSuccess()) {
                    UdpSocket socket = new UdpSocket(bound.channel(), maxDatagramBytes);
                    holder.socket = socket;
                    sink.success(socket);
                } else {
                    sink.error(new PacketEndpointException(PacketErrorCode.BIND_FAILED, "cannot bind UDP " + local + ": " + f.cause().getMessage(),
                            f.cause()));
                }
            });
            sink.onCancel(() -> bound.addListener(f -> {
                if (f.isSuccess()) {
                    bound.channel().close();
                }
            }));
        });
    }

    /** How many datagrams one read takes on the native transport: 16 at the default limit, 1 near 64 KiB. */
    static int datagramsPerRead(int maxDatagramBytes) {
        return Math.max(1, Math.min(MAX_DATAGRAMS_PER_READ, BATCH_BUFFER_BYTES / (maxDatagramBytes + 1)));
    }

    /**
     * The bound address, with the port the system picked when 0 was asked for.
     *
     * @return the local address
     */
    @Override
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) channel.localAddress();
    }

    /**
     * The longest datagram this socket delivers.
     *
     * @return bytes
     */
    public int maxDatagramBytes() {
        return maxDatagramBytes;
    }

    /**
     * Datagrams dropped because they were longer than {@link #maxDatagramBytes()}.
     *
     * @return the count since binding
     */
    public long oversized() {
        return oversized.get();
    }

    /**
     * Whether the socket is still open.
     *
     * @return true until disposed
     */
    public boolean isOpen() {
        return channel.isOpen();
    }

    /** Closes the socket; endpoints on it stop receiving. Idempotent, non-blocking. */
    @Override
    public void dispose() {
        channel.close();
    }

    @Override
    public boolean isDisposed() {
        return !channel.isOpen();
    }

    /**
     * Completes once the socket is closed.
     *
     * @return completion of the close
     */
    public Mono<Void> onDispose() {
        return closed.asMono();
    }

    @Override
    public String toString() {
        return "UdpSocket[" + channel.localAddress() + "]";
    }

    // ---- for protocol layers (rx/tx endpoints, the RTP demux, DTLS sessions) ---------------

    /**
     * The event loop this socket's I/O runs on.
     *
     * @return the loop
     */
    public EventLoop eventLoop() {
        return channel.eventLoop();
    }

    /**
     * Makes {@code t} the receiver of this socket's datagrams, unless another one is. A socket has
     * one receiver; layers that serve many peers demultiplex behind it.
     *
     * @param t the receiver
     * @return false if the socket is closed or has a receiver already
     */
    public boolean attach(DatagramTarget t) {
        return channel.isOpen() && target.compareAndSet(null, t);
    }

    /**
     * Detaches {@code expected} if it is still the receiver.
     *
     * @param expected the receiver to detach
     */
    public void detach(DatagramTarget expected) {
        target.compareAndSet(expected, null);
    }

    /**
     * Whether the socket's outbound buffer is below its high-water mark; writers that see false
     * should wait for their last write to complete before writing more.
     *
     * @return true if more can be written without queueing up
     */
    @Override
    public boolean isWritable() {
        return channel.isWritable();
    }

    /**
     * Sends a datagram. Any thread.
     *
     * @param content the payload; ownership passes to the socket
     * @param destination where to
     * @return the write's completion
     */
    @Override
    public ChannelFuture write(ByteBuf content, InetSocketAddress destination) {
        if (reading && channel.eventLoop().inEventLoop()) {
            // Written while the loop hands out a read batch: one flush (one sendmmsg on epoll) at its end.
            unflushed = true;
            return channel.write(new DatagramPacket(content, destination));
        }
        return channel.writeAndFlush(new DatagramPacket(content, destination));
    }

    /** Writes without flushing; {@link #flush()} sends what was written. */
    ChannelFuture writeNoFlush(ByteBuf content, InetSocketAddress destination) {
        return channel.write(new DatagramPacket(content, destination));
    }

    void flush() {
        channel.flush();
    }

    private static final class Holder {
        volatile UdpSocket socket;
    }

    /** Hands datagrams to the target; on the event loop. */
    private static final class Reader extends ChannelInboundHandlerAdapter {
        private final Holder holder;
        private final int limit;

        Reader(Holder holder, int limit) {
            this.holder = holder;
            this.limit = limit;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            UdpSocket socket = holder.socket;
            if (!(msg instanceof DatagramPacket packet) || socket == null) {
                ReferenceCountUtil.release(msg);
                return;
            }
            socket.reading = true;
            DatagramTarget target = socket.target.get();
            if (packet.content().readableBytes() > limit) {
                InetSocketAddress sender = packet.sender();
                packet.release();
                socket.oversized.incrementAndGet();
                if (target != null) {
                    target.onOversized(sender, limit);
                }
                return;
            }
            if (target == null) {
                packet.release();
                return;
            }
            target.onDatagram(packet);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            UdpSocket socket = holder.socket;
            if (socket != null) {
                socket.reading = false;
                if (socket.unflushed) {
                    socket.unflushed = false;
                    ctx.flush();
                }
            }
            ctx.fireChannelReadComplete();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // UDP read errors (ICMP port unreachable surfacing as PortUnreachableException and the
            // like) concern one datagram, not the socket: log and keep reading.
            LOG.debug("UDP socket {}: {}", ctx.channel().localAddress(), cause.toString());
        }
    }
}
