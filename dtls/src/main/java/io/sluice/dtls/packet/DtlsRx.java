package io.sluice.dtls.packet;

import io.netty.channel.socket.DatagramPacket;
import io.sluice.event.EventStream;
import io.sluice.metrics.Telemetry;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * A DTLS[rx] endpoint (the seed's {@code sm_dtlsrx_*}): receives DTLS packets from a UDP socket
 * or from an {@link RtpPort}'s demultiplexer and hands them to one subscriber.
 *
 * <p>The seed's statuses become signals: "HasPacket" is {@code onNext} of {@link #packets()},
 * "Stopped" is its {@code onComplete} after {@link #stop()}, and "Overrun" is a
 * {@link PacketEvent.Kind#OVERRUN} on {@link #events()}. Packets wait in a buffer of
 * {@link Spec#bufferPackets(int)} packets until the subscriber asks for them; when the network is
 * faster than the subscriber the buffer overflows, and each packet lost is counted
 * ({@link #overruns()}) and reported. Nothing grows without bound and nothing is lost silently.
 *
 * <p><b>Buffers:</b> each {@link DatagramPacket} delivered belongs to the subscriber, which must
 * release it. Packets still buffered when the subscriber cancels, or when the endpoint is
 * disposed, are released by the endpoint.
 *
 * <p>Thread-safe; packets are delivered on the socket's event loop or on the thread that requests.
 */
public final class DtlsRx implements Disposable {

    /** Packets buffered for a slow subscriber unless configured. */
    public static final int DEFAULT_BUFFER_PACKETS = 256;

    /** Whether the endpoint still takes packets. */
    public enum Status {
        /** Receiving. */
        RUNNING,
        /** Stopped: no packet is taken any more; buffered ones are still delivered. */
        STOPPED
    }

    private final PacketQueue<DatagramPacket> queue;
    private final EventStream<PacketEvent> events;
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong overruns = new AtomicLong();
    private final AtomicLong oversized = new AtomicLong();
    private final AtomicReference<Runnable> detachSource = new AtomicReference<>();
    private final Sinks.Empty<Void> disposed = Sinks.empty();
    private final Receiver receiver = new Receiver();
    private volatile Status status = Status.RUNNING;

    private DtlsRx(Spec spec) {
        this.queue = new PacketQueue<>(spec.bufferPackets, "DTLS[rx]");
        this.events = EventStream.create(spec.eventBuffer);
        this.observing = spec.observing;
        this.meters = observing.meters().group();
        PacketMeters.counter(meters, "dtls.rx", "sluice.packet.received", "packets taken from the network", "packets", received::get);
        PacketMeters.drops(meters, "dtls.rx", "overrun", overruns::get);
        PacketMeters.drops(meters, "dtls.rx", "malformed", oversized::get);
        meters.gauge("sluice.packet.buffered", "packets waiting for a slow subscriber", queue::size, "endpoint", "dtls.rx");
    }

    private final Telemetry observing;
    private final io.sluice.metrics.MeterGroup meters;

    /**
     * A spec with the defaults: a buffer of {@value #DEFAULT_BUFFER_PACKETS} packets.
     *
     * @return the spec
     */
    public static Spec spec() {
        return new Spec(DEFAULT_BUFFER_PACKETS, 64, Telemetry.NONE);
    }

    /**
     * The packets, in arrival order, for one subscriber; a second subscriber gets an error.
     * Completes after {@link #stop()} once the buffer is drained.
     *
     * @return the packets; each one is the subscriber's to release
     */
    public Flux<DatagramPacket> packets() {
        return Flux.from(queue);
    }

    /**
     * Overruns, oversized datagrams and the stop, as a hot bounded stream that drops a slow
     * subscriber's oldest events (with a count) rather than wait.
     *
     * @return the events; completes when the endpoint stops
     */
    public Flux<PacketEvent> events() {
        return events.events();
    }

    /**
     * The seed's status query.
     *
     * @return running or stopped
     */
    public Status status() {
        return status;
    }

    /**
     * Packets taken from the network, including those later lost to overruns.
     *
     * @return the count
     */
    public long received() {
        return received.get();
    }

    /**
     * Packets lost because the buffer was full.
     *
     * @return the count
     */
    public long overruns() {
        return overruns.get();
    }

    /**
     * Datagrams dropped for exceeding the socket's receive limit.
     *
     * @return the count
     */
    public long oversized() {
        return oversized.get();
    }

    /**
     * Packets waiting for the subscriber.
     *
     * @return the count, at most the buffer size
     */
    public int buffered() {
        return queue.size();
    }

    /**
     * Stops taking packets (the seed's {@code sm_dtlsrx_stop}): detaches from its source; the
     * subscriber still gets the buffered packets, then {@code onComplete}. Idempotent.
     *
     * @return completes once stopped
     */
    public Mono<Void> stop() {
        return Mono.fromRunnable(this::stopNow);
    }

    /** Stops and releases the buffered packets; the subscriber completes. Idempotent. */
    @Override
    public void dispose() {
        stopNow();
        queue.discard();
        meters.dispose();
        disposed.tryEmitEmpty();
    }

    @Override
    public boolean isDisposed() {
        return status == Status.STOPPED && queue.isTerminated();
    }

    /**
     * Completes when the endpoint is disposed.
     *
     * @return completion
     */
    public Mono<Void> onDispose() {
        return disposed.asMono();
    }

    @Override
    public String toString() {
        return "DtlsRx[" + status + ", received " + received + ", overruns " + overruns + "]";
    }

    private void stopNow() {
        synchronized (this) {
            if (status == Status.STOPPED) {
                return;
            }
            status = Status.STOPPED;
        }
        Runnable detach = detachSource.getAndSet(null);
        if (detach != null) {
            detach.run();
        }
        queue.complete();
        events.emit(new PacketEvent(PacketEvent.Kind.STOPPED, 1, null, "DTLS[rx] stopped after " + received
                + " packets, " + overruns + " lost to overruns"));
        events.complete();
    }

    // ---- sources ---------------------------------------------------------------------------

    /**
     * Connects a source; {@code detach} undoes it. Fails if stopped or already fed.
     */
    void attach(Runnable detach) {
        // Under the lock stopNow() takes, so a source cannot slip in after the stop.
        synchronized (this) {
            if (status == Status.STOPPED) {
                throw new PacketEndpointException(PacketErrorCode.ENDPOINT_STATE, "DTLS[rx] is stopped");
            }
            if (!detachSource.compareAndSet(null, detach)) {
                throw new PacketEndpointException(PacketErrorCode.ENDPOINT_STATE, "DTLS[rx] already has a packet source;"
                        + " detach it first");
            }
        }
    }

    /** Forgets a source that detached itself. */
    void detached(Runnable detach) {
        detachSource.compareAndSet(detach, null);
    }

    DatagramTarget receiver() {
        return receiver;
    }

    private final class Receiver implements DatagramTarget {
        @Override
        public void onDatagram(DatagramPacket packet) {
            InetSocketAddress sender = packet.sender();
            PacketMeters.log(observing, "dtls.rx", "IN", "DTLS packet", packet.content(), sender);
            if (!queue.offer(packet) && status == Status.RUNNING) {
                long lost = overruns.incrementAndGet();
                events.emit(new PacketEvent(PacketEvent.Kind.OVERRUN, lost, sender,
                        "receive buffer of " + queue.capacity() + " packets full; packet lost"));
            }
            // Counted last, so that a reader who sees the count also sees the packet buffered or
            // counted as an overrun.
            received.incrementAndGet();
        }

        @Override
        public void onOversized(InetSocketAddress sender, int limit) {
            long n = oversized.incrementAndGet();
            events.emit(new PacketEvent(PacketEvent.Kind.OVERSIZED, n, sender,
                    "datagram longer than the " + limit + "-byte receive limit dropped"));
        }
    }

    /**
     * An immutable DTLS[rx] spec. Thread-safe.
     */
    public static final class Spec extends PacketSpec<Spec> {
        private final int bufferPackets;
        private final int eventBuffer;

        private Spec(int bufferPackets, int eventBuffer, Telemetry observing) {
            super(observing);
            this.bufferPackets = bufferPackets;
            this.eventBuffer = eventBuffer;
        }

        @Override
        Spec with(Telemetry o) {
            return new Spec(bufferPackets, eventBuffer, o);
        }

        /**
         * How many packets wait for a slow subscriber before packets are lost.
         *
         * @param packets at least 1
         * @return the new spec
         */
        public Spec bufferPackets(int packets) {
            if (packets < 1) {
                throw new IllegalArgumentException("bufferPackets must be at least 1, got " + packets);
            }
            return new Spec(packets, eventBuffer, observing);
        }

        /**
         * How many events wait for a slow {@link #events()} subscriber before the oldest are dropped.
         *
         * @param events at least 1
         * @return the new spec
         */
        public Spec eventBuffer(int events) {
            if (events < 1) {
                throw new IllegalArgumentException("eventBuffer must be at least 1, got " + events);
            }
            return new Spec(bufferPackets, events, observing);
        }

        /**
         * Creates an endpoint with no source yet (the seed's {@code sm_dtlsrx_create}); connect it
         * with {@link RtpPort#configDtls(DtlsRx, RtpPort.Port)}.
         *
         * @return the endpoint, on subscription
         */
        public Mono<DtlsRx> create() {
            return Mono.fromSupplier(() -> new DtlsRx(this));
        }

        /**
         * Creates an endpoint receiving every datagram of a UDP socket.
         *
         * @param socket the socket; it must have no other receiver
         * @return the endpoint, on subscription
         */
        public Mono<DtlsRx> on(UdpSocket socket) {
            Objects.requireNonNull(socket, "socket");
            return create().map(rx -> {
                DatagramTarget target = rx.receiver();
                if (!socket.attach(target)) {
                    throw new PacketEndpointException(PacketErrorCode.ENDPOINT_STATE, socket
                            + (socket.isOpen() ? " already delivers to another receiver" : " is closed"));
                }
                Runnable detach = () -> socket.detach(target);
                rx.attach(detach);
                socket.onDispose().subscribe(null, null, () -> {
                    rx.detached(detach);
                    rx.stopNow();
                });
                return rx;
            });
        }

        @Override
        public String toString() {
            return "DtlsRx.Spec[bufferPackets=" + bufferPackets + ", eventBuffer=" + eventBuffer + "]";
        }
    }
}
