package io.sluice.dtls.packet;

import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscription;
import reactor.core.Disposable;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;

/**
 * A packet path for a protocol layer such as DTLS: datagrams in, a {@link PacketSink} out. Either
 * a whole {@link UdpSocket}, or any {@code Publisher} of datagrams beside a sink — typically the
 * DTLS class an {@link RtpPort} demultiplexes to a {@link DtlsRx}, with the port's socket (or a
 * {@link DtlsTx} to the one peer) sending. This is how a DTLS-SRTP handshake runs on the media
 * port itself (the seed's {@code sm_vmprx_config_dtls}), while RTP, RTCP and STUN keep their own
 * streams.
 *
 * <p>A pipe is a description: nothing flows until a layer {@link #open opens} it, and a pipe
 * carries one layer at a time. Closing that layer stops the inbound flow (cancels the
 * subscription, or detaches from the socket) but leaves the sources and the sink to their owner.
 *
 * <p><b>Buffers:</b> each inbound datagram is handed to the layer, which releases it.
 *
 * <p>Thread-safe. The layer is called on the thread the inbound publisher signals on (the
 * socket's event loop for sockets and for {@code RtpPort}/{@code DtlsRx} streams), one datagram
 * at a time, and must not block.
 */
public final class PacketPipe {

    /** Inbound datagrams requested ahead of the layer; each one handled asks for the next. */
    private static final int PREFETCH = 64;

    private final UdpSocket socket;
    private final Publisher<DatagramPacket> inbound;
    private final PacketSink outbound;
    private final int maxDatagramBytes;
    private final AtomicBoolean opened = new AtomicBoolean();

    private PacketPipe(UdpSocket socket, Publisher<DatagramPacket> inbound, PacketSink outbound, int maxDatagramBytes) {
        this.socket = socket;
        this.inbound = inbound;
        this.outbound = outbound;
        this.maxDatagramBytes = maxDatagramBytes;
    }

    /**
     * The whole socket: every datagram it reads goes to the layer, which sends from it.
     *
     * @param socket the socket; it must have no other receiver when the pipe is opened
     * @return the pipe
     */
    public static PacketPipe of(UdpSocket socket) {
        Objects.requireNonNull(socket, "socket");
        return new PacketPipe(socket, null, socket, socket.maxDatagramBytes());
    }

    /**
     * Datagrams from {@code inbound}, sent through {@code outbound}: for example an {@link RtpPort}'s
     * DTLS class ({@link DtlsRx#packets()} after {@link RtpPort#configDtls}) and the port's socket.
     *
     * @param inbound the datagrams in; subscribed when the pipe is opened, cancelled when the
     *        layer closes. Its completion ends the layer's sessions.
     * @param outbound where the layer sends
     * @return the pipe
     */
    public static PacketPipe of(Publisher<DatagramPacket> inbound, PacketSink outbound) {
        Objects.requireNonNull(inbound, "inbound");
        Objects.requireNonNull(outbound, "outbound");
        return new PacketPipe(null, inbound, outbound, UdpSocket.DEFAULT_MAX_DATAGRAM_BYTES);
    }

    /**
     * The sending half.
     *
     * @return the sink
     */
    public PacketSink outbound() {
        return outbound;
    }

    /**
     * The longest datagram the layer has to take: the socket's receive limit, or
     * {@link UdpSocket#DEFAULT_MAX_DATAGRAM_BYTES} for a publisher (whose source enforces its own).
     *
     * @return bytes
     */
    public int maxDatagramBytes() {
        return maxDatagramBytes;
    }

    /**
     * The address datagrams leave from.
     *
     * @return the sink's local address
     */
    public InetSocketAddress localAddress() {
        return outbound.localAddress();
    }

    /**
     * Starts the inbound flow into {@code receiver}, for protocol layers. {@code onEnd} runs once
     * when the flow ends on its own (the socket closed, the publisher completed or failed), not
     * when the returned handle is disposed.
     *
     * @param receiver takes each datagram and releases it; called serially, must not block
     * @param onEnd told when the inbound side ends
     * @return stops the flow
     * @throws PacketEndpointException if the pipe is open already, or its socket is closed or
     *         has another receiver
     */
    public Disposable open(DatagramTarget receiver, Runnable onEnd) {
        Objects.requireNonNull(receiver, "receiver");
        Objects.requireNonNull(onEnd, "onEnd");
        if (!opened.compareAndSet(false, true)) {
            throw new PacketEndpointException(PacketErrorCode.ENDPOINT_STATE, this + " carries a layer already");
        }
        if (socket != null) {
            if (!socket.attach(receiver)) {
                opened.set(false);
                throw new PacketEndpointException(PacketErrorCode.ENDPOINT_STATE, socket
                        + (socket.isOpen() ? " already delivers to another receiver" : " is closed"));
            }
            AtomicBoolean stopped = new AtomicBoolean();
            Disposable watch = socket.onDispose().subscribe(null, null, () -> {
                if (!stopped.get()) {
                    onEnd.run();
                }
            });
            return new Disposable() {
                @Override
                public void dispose() {
                    if (stopped.compareAndSet(false, true)) {
                        socket.detach(receiver);
                        watch.dispose();
                    }
                }

                @Override
                public boolean isDisposed() {
                    return stopped.get();
                }
            };
        }
        Flow flow = new Flow(receiver, onEnd);
        Flux.from(inbound).subscribe(flow);
        return flow;
    }

    @Override
    public String toString() {
        return socket != null ? "PacketPipe[" + socket + "]" : "PacketPipe[" + inbound + " -> " + outbound + "]";
    }

    /** Hands each inbound datagram to the layer; the layer never buffers, so demand is refilled one for one. */
    private static final class Flow extends BaseSubscriber<DatagramPacket> {
        private final DatagramTarget receiver;
        private final Runnable onEnd;

        Flow(DatagramTarget receiver, Runnable onEnd) {
            this.receiver = receiver;
            this.onEnd = onEnd;
        }

        @Override
        protected void hookOnSubscribe(Subscription subscription) {
            subscription.request(PREFETCH);
        }

        @Override
        protected void hookOnNext(DatagramPacket packet) {
            if (isDisposed()) {
                ReferenceCountUtil.release(packet);
                return;
            }
            receiver.onDatagram(packet);
            request(1);
        }

        @Override
        protected void hookOnComplete() {
            onEnd.run();
        }

        @Override
        protected void hookOnError(Throwable error) {
            onEnd.run();
        }
    }
}
