package io.sluice.dtls.packet;

import io.netty.channel.socket.DatagramPacket;
import io.sluice.codec.demux.PacketClass;
import io.sluice.codec.demux.PacketClassifier;
import io.sluice.event.EventStream;
import io.sluice.metrics.Telemetry;
import java.net.InetSocketAddress;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The receiving side of a media stream (the seed's VMP[rx]) as far as DTLS is concerned: an RTP
 * port and an RTCP port (or one port for both, RFC 5761 rtcp-mux), each carrying STUN, DTLS,
 * RTP/RTCP and other traffic that is split by first byte ({@link PacketClassifier}, RFC 7983 as
 * updated by RFC 9443).
 *
 * <p>{@link #configDtls(DtlsRx, Port)} is the seed's {@code sm_vmprx_config_dtls}: DTLS packets
 * arriving on the chosen port go to the {@link DtlsRx}; {@link #detachDtls()} stops that flow.
 * Every other class is available as its own {@code Flux} through {@link #packets(Port, PacketClass)},
 * so an RTP stack or an ICE agent can sit beside the DTLS endpoint. Each such flux has its own
 * bounded buffer with counted overruns. A datagram that nobody takes (no subscriber for its class,
 * DTLS on the other port, or DTLS with no rx configured) is released and counted as unclaimed.
 *
 * <p><b>Buffers:</b> delivered packets belong to their subscriber, which releases them.
 *
 * <p>Thread-safe; demultiplexing runs on the sockets' event loop.
 */
public final class RtpPort implements Disposable {

    /** Which of the two ports. */
    public enum Port {
        /** The RTP port. */
        RTP,
        /** The RTCP port; the RTP port itself when RTCP is multiplexed on it. */
        RTCP
    }

    /** Packets a class subscriber may fall behind by before losing packets, unless given. */
    public static final int DEFAULT_CLASS_BUFFER_PACKETS = 256;

    private final UdpSocket rtp;
    private final UdpSocket rtcp;
    private final PacketClassifier classifier;
    private final AtomicReference<DtlsBinding> dtls = new AtomicReference<>();
    private final Map<Port, Map<PacketClass, PacketQueue<DatagramPacket>>> queues = new EnumMap<>(Port.class);
    private final EventStream<PacketEvent> events = EventStream.create(64);
    private final AtomicLong unclaimed = new AtomicLong();
    private final AtomicLong overruns = new AtomicLong();
    private final AtomicLong received = new AtomicLong();

    private RtpPort(UdpSocket rtp, UdpSocket rtcp, PacketClassifier classifier, Telemetry observing) {
        this.rtp = rtp;
        this.rtcp = rtcp;
        this.classifier = classifier;
        this.observing = observing;
        this.meters = observing.meters().group();
        PacketMeters.counter(meters, "rtp.port", "sluice.packet.received", "datagrams taken from the network", "packets", received::get);
        PacketMeters.drops(meters, "rtp.port", "overrun", overruns::get);
        PacketMeters.drops(meters, "rtp.port", "unclaimed", unclaimed::get);
        queues.put(Port.RTP, new ConcurrentHashMap<>());
        queues.put(Port.RTCP, new ConcurrentHashMap<>());
        rtp.attach(new Demux(Port.RTP));
        if (rtcp != rtp) {
            rtcp.attach(new Demux(Port.RTCP));
        }
    }

    /**
     * Binds one port carrying RTP and RTCP (rtcp-mux); {@link Port#RTCP} then names the same port.
     *
     * @param rtpAddress the address and port to bind; port 0 picks one
     * @return the port, on subscription
     */
    public static Mono<RtpPort> bind(InetSocketAddress rtpAddress) {
        return spec().bind(rtpAddress);
    }

    /** @return a spec with no meters and no wiretap, for {@link Spec#bind} */
    public static Spec spec() {
        return new Spec(Telemetry.NONE);
    }

    private final Telemetry observing;
    private final io.sluice.metrics.MeterGroup meters;

    /**
     * Binds an RTP port and a separate RTCP port.
     *
     * @param rtpAddress the RTP address and port; port 0 picks one
     * @param rtcpAddress the RTCP address and port; port 0 picks one
     * @return the ports, on subscription
     */
    public static Mono<RtpPort> bind(InetSocketAddress rtpAddress, InetSocketAddress rtcpAddress) {
        return spec().bind(rtpAddress, rtcpAddress);
    }

    /**
     * The socket behind a port.
     *
     * @param port which one
     * @return its socket (the same for both under rtcp-mux)
     */
    public UdpSocket socket(Port port) {
        return port == Port.RTP ? rtp : rtcp;
    }

    /**
     * Passes DTLS packets arriving on {@code port} to {@code rx} (the seed's
     * {@code sm_vmprx_config_dtls}), replacing any rx configured before, which then receives no more.
     *
     * @param rx the endpoint; it must have no other source
     * @param port the RTP or the RTCP port (the seed's {@code use_RTCP_port})
     */
    public void configDtls(DtlsRx rx, Port port) {
        Objects.requireNonNull(rx, "rx");
        Objects.requireNonNull(port, "port");
        DtlsBinding binding = new DtlsBinding(rx, port);
        Runnable detach = () -> dtls.compareAndSet(binding, null);
        binding.detach = detach;
        DtlsBinding current = dtls.get();
        if (current != null && current.rx == rx) {
            // The same rx moving to the other port: free it for the new binding.
            rx.detached(current.detach);
        }
        rx.attach(detach);
        DtlsBinding previous = dtls.getAndSet(binding);
        if (previous != null && previous.rx != rx) {
            previous.rx.detached(previous.detach);
        }
    }

    /** Stops passing DTLS packets on (the seed's {@code sm_vmprx_config_dtls} with a null rx). */
    public void detachDtls() {
        DtlsBinding previous = dtls.getAndSet(null);
        if (previous != null) {
            previous.rx.detached(previous.detach);
        }
    }

    /**
     * The datagrams of one class arriving on one port, for one subscriber at a time, buffered up
     * to {@value #DEFAULT_CLASS_BUFFER_PACKETS} packets (losses counted in {@link #overruns()}). DTLS goes to the configured
     * {@link DtlsRx} instead.
     *
     * @param port the port
     * @param packetClass any class but DTLS
     * @return the packets; each is the subscriber's to release. Completes when the port is disposed.
     */
    public Flux<DatagramPacket> packets(Port port, PacketClass packetClass) {
        return packets(port, packetClass, DEFAULT_CLASS_BUFFER_PACKETS);
    }

    /**
     * As {@link #packets(Port, PacketClass)}, with a buffer of {@code bufferPackets}.
     *
     * @param port the port
     * @param packetClass any class but DTLS
     * @param bufferPackets packets a slow subscriber may fall behind by; at least 1
     * @return the packets; each is the subscriber's to release
     */
    public Flux<DatagramPacket> packets(Port port, PacketClass packetClass, int bufferPackets) {
        Objects.requireNonNull(port, "port");
        if (bufferPackets < 1) {
            throw new IllegalArgumentException("bufferPackets must be at least 1, got " + bufferPackets);
        }
        Objects.requireNonNull(packetClass, "packetClass");
        if (packetClass == PacketClass.DTLS) {
            throw new IllegalArgumentException("DTLS packets go to the DtlsRx given to configDtls");
        }
        Port effective = rtcp == rtp ? Port.RTP : port;
        return Flux.defer(() -> {
            PacketQueue<DatagramPacket> q = new PacketQueue<>(bufferPackets, packetClass + " on the " + port + " port");
            Map<PacketClass, PacketQueue<DatagramPacket>> byClass = queues.get(effective);
            if (byClass.putIfAbsent(packetClass, q) != null) {
                return Flux.error(new PacketEndpointException(PacketErrorCode.ENDPOINT_STATE, packetClass + " packets on the "
                        + port + " port have a subscriber already"));
            }
            if (isDisposed()) {
                q.complete();
            }
            return Flux.from(q).doFinally(signal -> {
                byClass.remove(packetClass, q);
                q.discard();
            });
        });
    }

    /**
     * Datagrams read from the port(s), of every class.
     *
     * @return the count
     */
    public long received() {
        return received.get();
    }

    /**
     * Datagrams nobody took: no subscriber for their class, or DTLS not routed to an rx.
     *
     * @return the count
     */
    public long unclaimed() {
        return unclaimed.get();
    }

    /**
     * Datagrams lost because a class subscriber's buffer was full.
     *
     * @return the count
     */
    public long overruns() {
        return overruns.get();
    }

    /**
     * Unclaimed, overrun and oversized datagrams, as a hot bounded stream.
     *
     * @return the events
     */
    public Flux<PacketEvent> events() {
        return events.events();
    }

    /**
     * Closes the port(s) gracefully: class subscribers get what is buffered, then complete, and
     * a configured rx stops the same way.
     *
     * @return completes once the sockets are closed
     */
    public Mono<Void> stop() {
        return Mono.defer(() -> {
            close(false);
            return rtp.onDispose().then(rtcp.onDispose());
        });
    }

    /** Closes the port(s) at once, releasing buffered packets; subscribers complete. */
    @Override
    public void dispose() {
        close(true);
    }

    private void close(boolean discard) {
        meters.dispose();
        rtp.dispose();
        rtcp.dispose();
        DtlsBinding binding = dtls.getAndSet(null);
        if (binding != null) {
            binding.rx.detached(binding.detach);
            if (discard) {
                binding.rx.dispose();
            } else {
                binding.rx.stop().subscribe();
            }
        }
        queues.values().forEach(m -> m.values().forEach(discard ? PacketQueue::discard : PacketQueue::complete));
        events.complete();
    }

    @Override
    public boolean isDisposed() {
        return !rtp.isOpen();
    }

    @Override
    public String toString() {
        return rtp == rtcp ? "RtpPort[" + rtp.localAddress() + ", rtcp-mux]"
                : "RtpPort[rtp " + rtp.localAddress() + ", rtcp " + rtcp.localAddress() + "]";
    }

    private static final class DtlsBinding {
        final DtlsRx rx;
        final Port port;
        Runnable detach;

        DtlsBinding(DtlsRx rx, Port port) {
            this.rx = rx;
            this.port = port;
        }
    }

    /** Splits one socket's datagrams; on its event loop. */
    private final class Demux implements DatagramTarget {
        private final Port port;

        Demux(Port port) {
            this.port = port;
        }

        @Override
        public void onDatagram(DatagramPacket packet) {
            try {
                route(packet);
            } finally {
                // Counted last, so that a reader who sees the count also sees where the datagram went.
                received.incrementAndGet();
            }
        }

        private void route(DatagramPacket packet) {
            PacketClass cls = classifier.classify(packet.content());
            PacketMeters.log(observing, "rtp.port", "IN", cls + " on the " + port + " port", packet.content(), packet.sender());
            if (cls == PacketClass.DTLS) {
                DtlsBinding binding = dtls.get();
                if (binding != null && (binding.port == port || rtp == rtcp)) {
                    binding.rx.receiver().onDatagram(packet);
                    return;
                }
            } else {
                PacketQueue<DatagramPacket> q = queues.get(port).get(cls);
                if (q != null) {
                    InetSocketAddress sender = packet.sender();
                    if (!q.offer(packet)) {
                        long n = overruns.incrementAndGet();
                        events.emit(new PacketEvent(PacketEvent.Kind.OVERRUN, n, sender,
                                cls + " buffer on the " + port + " port full; packet lost"));
                    }
                    return;
                }
            }
            InetSocketAddress sender = packet.sender();
            packet.release();
            long n = unclaimed.incrementAndGet();
            events.emit(new PacketEvent(PacketEvent.Kind.UNCLAIMED, n, sender, cls + " datagram on the " + port
                    + " port has no receiver"));
        }

        @Override
        public void onOversized(InetSocketAddress sender, int limit) {
            DtlsBinding binding = dtls.get();
            if (binding != null) {
                binding.rx.receiver().onOversized(sender, limit);
            }
            events.emit(new PacketEvent(PacketEvent.Kind.OVERSIZED, rtp.oversized() + (rtp == rtcp ? 0 : rtcp.oversized()),
                    sender, "datagram longer than " + limit + " bytes on the " + port + " port dropped"));
        }
    }

    /**
     * How to bind a port: its meters and wiretap. Immutable; {@link RtpPort#bind(InetSocketAddress)}
     * is {@code spec().bind(...)}.
     */
    public static final class Spec extends PacketSpec<Spec> {

        private Spec(Telemetry observing) {
            super(observing);
        }

        @Override
        Spec with(Telemetry o) {
            return new Spec(o);
        }

        /**
         * Binds one port carrying RTP and RTCP (rtcp-mux).
         *
         * @param rtpAddress the address and port to bind; port 0 picks one
         * @return the port, on subscription
         */
        public Mono<RtpPort> bind(InetSocketAddress rtpAddress) {
            return UdpSocket.bind(rtpAddress).map(s -> new RtpPort(s, s, PacketClassifier.rfc9443(), observing));
        }

        /**
         * Binds an RTP port and a separate RTCP port.
         *
         * @param rtpAddress the RTP address and port; port 0 picks one
         * @param rtcpAddress the RTCP address and port; port 0 picks one
         * @return the ports, on subscription
         */
        public Mono<RtpPort> bind(InetSocketAddress rtpAddress, InetSocketAddress rtcpAddress) {
            Objects.requireNonNull(rtcpAddress, "rtcpAddress");
            return UdpSocket.bind(rtpAddress).flatMap(r -> UdpSocket.bind(rtcpAddress)
                    .doOnError(e -> r.dispose())
                    .map(c -> new RtpPort(r, c, PacketClassifier.rfc9443(), observing)));
        }
    }

}
