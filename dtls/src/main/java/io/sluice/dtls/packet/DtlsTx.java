package io.sluice.dtls.packet;

import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.sluice.event.EventStream;
import io.sluice.metrics.Telemetry;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.publisher.Operators;
import reactor.core.publisher.Sinks;

/**
 * A DTLS[tx] endpoint (the seed's {@code sm_dtlstx_*}): sends packets to one destination from a
 * UDP socket.
 *
 * <p>The seed's capacity notification ({@code sm_dtlstx_config_notify}: report "HasCapacity" when
 * {@code packet_length} bytes are free) becomes demand: {@link #send(Publisher)} requests another
 * packet from its source only while the send queue has room for {@link Spec#notifyAt(int)} more
 * bytes within {@link Spec#capacityBytes(int)}. A source that produces only on demand therefore
 * never outruns the network, and the queue never holds more than its capacity plus one packet.
 *
 * <p>A tx is also a {@link PacketSink} to its destination, so a DTLS session can run over it
 * ({@link PacketPipe#of(org.reactivestreams.Publisher, PacketSink)}): such sends go straight to the
 * socket, beside whatever source {@link #send} runs, and count in {@link #sent()} and
 * {@link #failed()}.
 *
 * <p><b>Buffers:</b> every {@code ByteBuf} a source emits belongs to the endpoint from then on; it
 * is released once sent, or when the endpoint stops or is disposed before sending it.
 *
 * <p>Thread-safe. Sending runs on the socket's event loop; sources may emit on any thread.
 */
public final class DtlsTx implements Disposable, PacketSink {

    /** Send-queue capacity unless configured. */
    public static final int DEFAULT_CAPACITY_BYTES = 64 * 1024;
    /** Capacity that must be free before another packet is requested, unless configured. */
    public static final int DEFAULT_NOTIFY_AT_BYTES = 1500;

    /** Whether the endpoint still sends. */
    public enum Status {
        /** Sending, or ready to. */
        RUNNING,
        /** Stopping: takes no more packets, sends those it holds. */
        STOPPING,
        /** Stopped. */
        STOPPED
    }

    private final UdpSocket socket;
    private final boolean ownsSocket;
    private final InetSocketAddress destination;
    private final int capacityBytes;
    private final int notifyAt;
    private final EventLoop loop;
    private final EventStream<PacketEvent> events = EventStream.create(64);
    private final AtomicReference<Sender> active = new AtomicReference<>();
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong sentBytes = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong discarded = new AtomicLong();
    private final Sinks.Empty<Void> stopped = Sinks.empty();
    private volatile Status status = Status.RUNNING;
    /** Bytes written and not yet sent; written on the event loop only. */
    private volatile long pendingBytes;

    private DtlsTx(UdpSocket socket, boolean ownsSocket, Spec spec) {
        this.socket = socket;
        this.ownsSocket = ownsSocket;
        this.destination = spec.destination;
        this.capacityBytes = spec.capacityBytes;
        this.notifyAt = spec.notifyAt;
        this.loop = socket.eventLoop();
        this.observing = spec.observing;
        this.meters = observing.meters().group();
        PacketMeters.counter(meters, "dtls.tx", "sluice.packet.sent", "packets sent", "packets", sent::get);
        PacketMeters.counter(meters, "dtls.tx", "sluice.packet.bytes.sent", "bytes of packets sent", "bytes", sentBytes::get);
        PacketMeters.drops(meters, "dtls.tx", "failed", failed::get);
        PacketMeters.drops(meters, "dtls.tx", "discarded", discarded::get);
        socket.onDispose().subscribe(null, null, () -> {
            meters.dispose();
            loop.execute(this::finishStop);
        });
    }

    private final Telemetry observing;
    private final io.sluice.metrics.MeterGroup meters;

    /**
     * A spec sending to {@code destination}, from any local address of its family and a port the
     * system picks.
     *
     * @param destination where packets go; resolved
     * @return the spec
     */
    public static Spec to(InetSocketAddress destination) {
        Objects.requireNonNull(destination, "destination");
        if (destination.isUnresolved() || destination.getPort() == 0) {
            throw new IllegalArgumentException("a DTLS[tx] destination needs a resolved address and a port, got "
                    + destination);
        }
        return new Spec(destination, null, DEFAULT_CAPACITY_BYTES, DEFAULT_NOTIFY_AT_BYTES, Telemetry.NONE);
    }

    /**
     * Sends the packets of {@code source}, requesting each only when there is capacity for it.
     * One source at a time: a second call while one is running fails.
     *
     * @param source the packets; each becomes this endpoint's to release
     * @return completes when the source completed and its packets were sent; fails with the
     *         source's error (after sending what it emitted) or if the endpoint is disposed
     */
    public Mono<Void> send(Publisher<? extends ByteBuf> source) {
        Objects.requireNonNull(source, "source");
        return Mono.create(sink -> {
            if (status != Status.RUNNING) {
                // The source is not subscribed, so it hands over no buffers to release.
                sink.error(new PacketEndpointException(PacketErrorCode.ENDPOINT_STATE, this + " is " + status));
                return;
            }
            Sender sender = new Sender(sink);
            if (!active.compareAndSet(null, sender)) {
                sink.error(new PacketEndpointException(PacketErrorCode.ENDPOINT_STATE, this
                        + " is already sending a source; send the next one after it completes"));
                return;
            }
            sink.onCancel(() -> loop.execute(() -> sender.cancel(null)));
            source.subscribe(sender);
        });
    }

    /**
     * Sends one packet to the destination now, outside any source (for a layer such as a DTLS
     * session that has this tx as its {@link PacketSink}).
     *
     * @param content the payload; ownership passes to the endpoint
     * @param to must be {@link #destination()}
     * @return the send's completion; failed if the endpoint has stopped or {@code to} is another address
     */
    @Override
    public Future<Void> write(ByteBuf content, InetSocketAddress to) {
        if (status != Status.RUNNING || !destination.equals(to)) {
            content.release();
            return loop.newFailedFuture(new PacketEndpointException(PacketErrorCode.ENDPOINT_STATE, status != Status.RUNNING
                    ? this + " is " + status : this + " sends to " + destination + " only, not to " + to));
        }
        int length = content.readableBytes();
        PacketMeters.log(observing, "dtls.tx", "OUT", "DTLS packet", content, destination);
        return socket.write(content, destination).addListener(f -> counted(f, length));
    }

    /** Counts one finished send, and reports it if it failed. */
    private void counted(Future<?> send, int length) {
        if (send.isSuccess()) {
            sent.incrementAndGet();
            sentBytes.addAndGet(length);
        } else {
            long n = failed.incrementAndGet();
            events.emit(new PacketEvent(PacketEvent.Kind.SEND_FAILED, n, destination, send.cause().toString()));
        }
    }

    /**
     * Whether the socket's outbound buffer has room, for {@link #write} callers.
     *
     * @return true while running and below the socket's high-water mark
     */
    @Override
    public boolean isWritable() {
        return status == Status.RUNNING && socket.isWritable();
    }

    /**
     * The address packets leave from; the same as {@link #source()}.
     *
     * @return the socket's bound address
     */
    @Override
    public InetSocketAddress localAddress() {
        return socket.localAddress();
    }

    /**
     * Whether another packet of {@link Spec#notifyAt(int)} bytes fits in the send queue now:
     * the seed's "HasCapacity" status.
     *
     * @return true if there is room
     */
    public boolean hasCapacity() {
        return status == Status.RUNNING && capacityBytes - pendingBytes >= notifyAt;
    }

    /**
     * The seed's status query.
     *
     * @return the status
     */
    public Status status() {
        return status;
    }

    /**
     * Failed sends and the stop, as a hot bounded stream.
     *
     * @return the events; completes when the endpoint stops
     */
    public Flux<PacketEvent> events() {
        return events.events();
    }

    /**
     * Packets handed to the network.
     *
     * @return the count
     */
    public long sent() {
        return sent.get();
    }

    /**
     * Bytes handed to the network.
     *
     * @return the count
     */
    public long sentBytes() {
        return sentBytes.get();
    }

    /**
     * Packets the network refused (each also reported on {@link #events()}).
     *
     * @return the count
     */
    public long failed() {
        return failed.get();
    }

    /**
     * Packets a source emitted after the endpoint stopped taking them; released unsent.
     *
     * @return the count
     */
    public long discarded() {
        return discarded.get();
    }

    /**
     * The destination.
     *
     * @return where packets go
     */
    public InetSocketAddress destination() {
        return destination;
    }

    /**
     * The address packets leave from.
     *
     * @return the socket's bound address
     */
    public InetSocketAddress source() {
        return socket.localAddress();
    }

    /**
     * Stops gracefully (the seed's {@code sm_dtlstx_stop}): takes no more packets from the
     * source, sends those already taken, then stops; a running {@link #send} completes. Closes
     * the socket if the endpoint bound it.
     *
     * @return completes once stopped
     */
    public Mono<Void> stop() {
        return Mono.defer(() -> {
            loop.execute(this::beginStop);
            return stopped.asMono();
        });
    }

    /** Stops at once: the source is cancelled and packets not yet sent are dropped and released. */
    @Override
    public void dispose() {
        loop.execute(() -> {
            Sender sender = active.get();
            if (sender != null) {
                sender.cancel(new PacketEndpointException(PacketErrorCode.ENDPOINT_STATE, this + " was disposed"));
            }
            pendingBytes = 0;
            finishStop();
        });
    }

    @Override
    public boolean isDisposed() {
        return status == Status.STOPPED;
    }

    /**
     * Completes when the endpoint has stopped.
     *
     * @return completion
     */
    public Mono<Void> onDispose() {
        return stopped.asMono();
    }

    @Override
    public String toString() {
        return "DtlsTx[" + socket.localAddress() + " -> " + destination + "]";
    }

    private void beginStop() {
        if (status != Status.RUNNING) {
            return;
        }
        status = Status.STOPPING;
        Sender sender = active.get();
        if (sender != null) {
            sender.stopTaking();
        }
        maybeStopped();
    }

    private void maybeStopped() {
        if (status == Status.STOPPING && pendingBytes == 0 && active.get() == null) {
            finishStop();
        }
    }

    private void finishStop() {
        meters.dispose();
        if (status == Status.STOPPED) {
            return;
        }
        status = Status.STOPPED;
        Sender sender = active.getAndSet(null);
        if (sender != null) {
            sender.cancel(new PacketEndpointException(PacketErrorCode.ENDPOINT_STATE, this + " stopped"));
        }
        if (ownsSocket) {
            socket.dispose();
        }
        events.emit(new PacketEvent(PacketEvent.Kind.STOPPED, 1, destination, "DTLS[tx] stopped after " + sent
                + " packets"));
        events.complete();
        stopped.tryEmitEmpty();
    }

    /** Takes packets from one source; all state on the event loop. */
    private final class Sender implements CoreSubscriber<ByteBuf> {
        private final MonoSink<Void> result;
        private Subscription upstream;
        private long outstanding;
        private boolean taking = true;
        private boolean upstreamDone;
        private Throwable upstreamError;
        private boolean finished;
        private boolean tickScheduled;

        Sender(MonoSink<Void> result) {
            this.result = result;
        }

        @Override
        public void onSubscribe(Subscription s) {
            if (Operators.validate(upstream, s)) {
                upstream = s;
                loop.execute(this::refill);
            }
        }

        @Override
        public void onNext(ByteBuf packet) {
            if (loop.inEventLoop()) {
                write(packet);
            } else {
                loop.execute(() -> write(packet));
            }
        }

        @Override
        public void onError(Throwable t) {
            loop.execute(() -> {
                upstreamDone = true;
                upstreamError = t;
                maybeFinish();
            });
        }

        @Override
        public void onComplete() {
            loop.execute(() -> {
                upstreamDone = true;
                maybeFinish();
            });
        }

        private void write(ByteBuf packet) {
            outstanding--;
            if (finished || !taking || status == Status.STOPPED) {
                packet.release();
                discarded.incrementAndGet();
                return;
            }
            int length = packet.readableBytes();
            pendingBytes += length;
            PacketMeters.log(observing, "dtls.tx", "OUT", "DTLS packet", packet, destination);
            socket.writeNoFlush(packet, destination).addListener(f -> {
                pendingBytes -= length;
                counted(f, length);
                maybeFinish();
                maybeStopped();
                scheduleTick();
            });
            scheduleTick();
        }

        /**
         * Flushes what was written and asks for more, in a task of its own. Never inline: a source
         * that emits synchronously on request, with writes that complete at once, would otherwise
         * keep the event loop to itself forever.
         */
        private void scheduleTick() {
            if (!tickScheduled) {
                tickScheduled = true;
                loop.execute(() -> {
                    tickScheduled = false;
                    socket.flush();
                    refill();
                });
            }
        }

        /** Requests as many packets as the free capacity holds at {@code notifyAt} bytes each. */
        private void refill() {
            if (finished || !taking || upstreamDone || upstream == null) {
                return;
            }
            long free = capacityBytes - pendingBytes;
            long n = free / notifyAt - outstanding;
            if (n > 0) {
                outstanding += n;
                upstream.request(n);
            }
        }

        void stopTaking() {
            if (taking) {
                taking = false;
                if (upstream != null) {
                    upstream.cancel();
                }
                upstreamDone = true;
                maybeFinish();
            }
        }

        private void maybeFinish() {
            if (!finished && upstreamDone && pendingBytes == 0) {
                finished = true;
                active.compareAndSet(this, null);
                if (upstreamError != null) {
                    result.error(upstreamError);
                } else {
                    result.success();
                }
                maybeStopped();
            }
        }

        /** Ends this send early; on the event loop. */
        void cancel(Throwable reason) {
            if (finished) {
                return;
            }
            finished = true;
            active.compareAndSet(this, null);
            if (upstream != null) {
                upstream.cancel();
            }
            if (reason != null) {
                result.error(reason);
            }
            maybeStopped();
        }
    }

    /**
     * An immutable DTLS[tx] spec: destination, source and capacity (the seed's
     * {@code sm_dtlstx_config}, {@code _config_ipv6} and {@code _config_notify}). Thread-safe.
     */
    public static final class Spec extends PacketSpec<Spec> {
        private final InetSocketAddress destination;
        private final InetSocketAddress source;
        private final int capacityBytes;
        private final int notifyAt;

        private Spec(InetSocketAddress destination, InetSocketAddress source, int capacityBytes, int notifyAt, Telemetry observing) {
            super(observing);
            this.destination = destination;
            this.source = source;
            this.capacityBytes = capacityBytes;
            this.notifyAt = notifyAt;
        }

        @Override
        Spec with(Telemetry o) {
            return new Spec(destination, source, capacityBytes, notifyAt, o);
        }

        /**
         * The local address and port to send from; the address may be the wildcard and the port 0
         * (the system picks one). It must be of the destination's family.
         *
         * @param source the local address
         * @return the new spec
         */
        public Spec from(InetSocketAddress source) {
            Objects.requireNonNull(source, "source");
            if (source.isUnresolved()) {
                throw new IllegalArgumentException("a DTLS[tx] source must be resolved, got " + source);
            }
            requireSameFamily(source.getAddress());
            return new Spec(destination, source, capacityBytes, notifyAt, observing);
        }

        /**
         * The send queue's capacity.
         *
         * @param bytes at least {@link #notifyAt(int)}'s value
         * @return the new spec
         */
        public Spec capacityBytes(int bytes) {
            if (bytes < notifyAt) {
                throw new IllegalArgumentException("capacityBytes (" + bytes + ") must be at least notifyAt (" + notifyAt + ")");
            }
            return new Spec(destination, source, bytes, notifyAt, observing);
        }

        /**
         * The free capacity needed before another packet is requested: the seed's {@code packet_length}.
         * Set it to the largest packet the source sends.
         *
         * @param bytes 1 to {@link #capacityBytes(int)}'s value
         * @return the new spec
         */
        public Spec notifyAt(int bytes) {
            if (bytes < 1 || bytes > capacityBytes) {
                throw new IllegalArgumentException("notifyAt must be 1–" + capacityBytes + " bytes, got " + bytes);
            }
            return new Spec(destination, source, capacityBytes, bytes, observing);
        }

        /**
         * Binds a socket at the source and returns the endpoint; stopping it closes that socket.
         *
         * @return the endpoint, on subscription
         */
        public Mono<DtlsTx> start() {
            InetSocketAddress local = source != null ? source
                    : new InetSocketAddress(destination.getAddress() instanceof Inet6Address ? "::" : "0.0.0.0", 0);
            return UdpSocket.bind(local).map(s -> new DtlsTx(s, true, this));
        }

        /**
         * An endpoint sending from an existing socket, for example the one a {@link DtlsRx}
         * receives on; stopping it leaves the socket open. A source set with {@link #from} is
         * ignored; the socket's family must match the destination's.
         *
         * @param socket the socket to send from
         * @return the endpoint, on subscription
         */
        public Mono<DtlsTx> on(UdpSocket socket) {
            Objects.requireNonNull(socket, "socket");
            return Mono.fromSupplier(() -> {
                requireSameFamily(socket.localAddress().getAddress());
                return new DtlsTx(socket, false, this);
            });
        }

        private void requireSameFamily(InetAddress local) {
            boolean v4 = destination.getAddress() instanceof Inet4Address;
            if (v4 != (local instanceof Inet4Address)) {
                throw new IllegalArgumentException("source " + local.getHostAddress() + " is IPv" + (v4 ? "6" : "4")
                        + " but destination " + destination + " is IPv" + (v4 ? "4" : "6")
                        + "; use sources and destinations of one family");
            }
        }

        @Override
        public String toString() {
            return "DtlsTx.Spec[to " + destination + (source != null ? " from " + source : "") + ", capacity "
                    + capacityBytes + " B, notify at " + notifyAt + " B]";
        }
    }
}
