package io.sluice.dtls.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.util.concurrent.Future;
import io.netty.util.ReferenceCountUtil;
import io.sluice.dtls.packet.PacketQueue;
import io.sluice.dtls.packet.PacketPipe;
import io.sluice.dtls.packet.PacketSink;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.bouncycastle.tls.Certificate;
import org.bouncycastle.tls.DTLSTransport;
import org.bouncycastle.tls.DatagramTransport;
import org.bouncycastle.tls.TlsTimeoutException;
import io.sluice.security.SecureSessionState;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Schedulers;

/**
 * One peer's DTLS association: the {@link DatagramTransport} BouncyCastle reads and writes
 * through, and, once the handshake is done, the {@link DtlsSession}.
 *
 * <p>Datagrams from the event loop go into a bounded lock-free queue (never blocking the loop);
 * BouncyCastle's thread waits on it with {@code parkNanos}. After the handshake a "pump" task on
 * the DTLS scheduler runs only while datagrams are queued, so an idle session holds no thread.
 */
final class DtlsConnection implements DtlsSession {

    private static final short ALERT = 21;
    private static final short APPLICATION_DATA = 23;
    /** A warning-level close_notify alert (RFC 5246 §7.2.1). */
    private static final byte[] CLOSE_NOTIFY = {1, 0};

    /** The largest datagram sent: a 1500-byte Ethernet MTU minus the IPv4 and UDP headers. */
    static final int SEND_LIMIT = 1472;
    /** Datagrams queued for BouncyCastle before more are dropped. */
    private static final int QUEUED_DATAGRAMS = 64;
    /** Application records buffered for a slow subscriber. */
    private static final int RECEIVE_BUFFER = 256;

    private final PacketSink socket;
    private final int receiveLimit;
    private final int connectionIdLength;
    private final Runnable onClosed;
    private final Moves moves;
    private final Queue<Datagram> datagrams = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicLong droppedDatagrams = new AtomicLong();
    private final AtomicLong overruns = new AtomicLong();
    private final AtomicBoolean pumping = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final PacketQueue<ByteBuf> inbound = new PacketQueue<>(RECEIVE_BUFFER, "DTLS session records");
    private final Sinks.Empty<Void> terminated = Sinks.empty();
    /** Empty when the handshake completes; the handshake's error when it fails or the session closes first. */
    private final Sinks.Empty<Void> handshakeResult = Sinks.empty();
    private volatile SecureSessionState state = SecureSessionState.HANDSHAKE;
    /** Record protection after the handshake, when this side took it over from BouncyCastle. */
    private volatile RecordLayer records;
    /** Serializes {@link RecordLayer#unprotect} (its replay window); never held while blocking. */
    private final Object readLock = new Object();
    // The handshake's outbound side, on BouncyCastle's thread: this side's last flight, and the
    // highest epoch-1 sequence number BouncyCastle wrote, where the record layer continues.
    private List<byte[]> flight = new ArrayList<>();
    private boolean flightEnded;
    private long highestWritten = -1;
    private volatile Thread waiter;
    private volatile DTLSTransport dtls;
    private volatile HandshakeState handshake;
    private volatile Future<Void> lastWrite;
    private volatile InetSocketAddress remote;
    /** The server's routing key for the connection ID it assigned, if any. */
    volatile ByteBuffer connectionIdKey;
    /** When a server handshake started; with {@link #secondFlightDeadline}, set once before it runs. */
    private volatile long startedNanos;
    /** A server handshake fails when the client has sent nothing by then; 0 when no such deadline applies. */
    private volatile long secondFlightDeadline;
    /** Whether any datagram arrived for BouncyCastle since the connection was made. */
    private volatile boolean heard;
    // Read and written only by the thread BouncyCastle runs on (handshake, then one pump at a time).
    private InetSocketAddress lastSender;
    private long lastRecordNumber;
    private long newestAuthenticated = -1;

    /** Told when an authenticated record moves the session to a new peer address. */
    interface Moves {
        void moved(DtlsConnection connection, InetSocketAddress from, InetSocketAddress to);
    }

    /** A queued datagram and where it came from. */
    private record Datagram(byte[] bytes, InetSocketAddress sender) {
    }

    /**
     * @param connectionIdLength the length of the connection ID this side receives, 0 if none
     * @param moves told of address changes, or null where the address cannot change
     */
    DtlsConnection(PacketPipe pipe, PacketSink out, InetSocketAddress remote, int connectionIdLength, Runnable onClosed, Moves moves) {
        this.socket = out;
        this.receiveLimit = pipe.maxDatagramBytes();
        this.remote = remote;
        this.connectionIdLength = connectionIdLength;
        this.onClosed = onClosed;
        this.moves = moves;
    }

    // ---- from the event loop ---------------------------------------------------------------

    /**
     * Opens an established session's records at once, or queues the datagram for BouncyCastle
     * (the handshake, or a session whose records BouncyCastle keeps); on the event loop, never blocks.
     */
    void offer(ByteBuf content, InetSocketAddress sender) {
        if (closed.get()) {
            return;
        }
        RecordLayer r = records;
        if (r != null) {
            synchronized (readLock) {
                if (!closed.get()) {
                    r.unprotect(content, opened, this::resendDatagram);
                }
            }
            return;
        }
        if (!RecordFilter.acceptable(content, connectionIdLength)) {
            droppedDatagrams.incrementAndGet();
            return;
        }
        if (queued.incrementAndGet() > QUEUED_DATAGRAMS) {
            queued.decrementAndGet();
            droppedDatagrams.incrementAndGet();
            return;
        }
        byte[] bytes = new byte[content.readableBytes()];
        content.getBytes(content.readerIndex(), bytes);
        datagrams.offer(new Datagram(bytes, sender));
        if (!heard) {
            heard = true;
        }
        Thread t = waiter;
        if (t != null) {
            LockSupport.unpark(t);
        }
        if (records != null) {
            drainQueued(); // the record layer took over while this datagram was being queued
        } else if (dtls != null) {
            schedulePump();
        }
    }

    /**
     * Starts a server handshake's clock: the client, having passed the cookie exchange with its
     * ClientHello, must send its next flight within {@code nanos} or the handshake fails.
     */
    void awaitSecondFlight(long nanos) {
        long now = System.nanoTime();
        startedNanos = now;
        secondFlightDeadline = now + nanos;
    }

    /** @return whether this is a server handshake whose client has sent nothing since its ClientHello */
    boolean awaitingSecondFlight() {
        return !heard && secondFlightDeadline != 0 && dtls == null;
    }

    long startedNanos() {
        return startedNanos;
    }

    long droppedDatagrams() {
        return droppedDatagrams.get();
    }

    /** What BouncyCastle reads and writes through; called on the DTLS scheduler. */
    final DatagramTransport transport = new Transport();

    private final class Transport implements DatagramTransport {

        @Override
        public int getReceiveLimit() {
            return receiveLimit;
        }

        @Override
        public int getSendLimit() {
            return SEND_LIMIT;
        }

        @Override
        public int receive(byte[] buf, int off, int len, int waitMillis) throws IOException {
            long deadline = System.nanoTime() + waitMillis * 1_000_000L;
            long secondFlight = secondFlightDeadline;
            if (secondFlight != 0 && !heard && deadline - secondFlight > 0) {
                deadline = secondFlight;
            }
            for (;;) {
                Datagram d = datagrams.poll();
                if (d != null) {
                    queued.decrementAndGet();
                    int n = Math.min(len, d.bytes.length);
                    System.arraycopy(d.bytes, 0, buf, off, n);
                    lastSender = d.sender;
                    lastRecordNumber = recordNumber(d.bytes);
                    flightEnded = true;
                    return n;
                }
                if (closed.get()) {
                    throw new IOException("DTLS transport to " + remote + " is closed");
                }
                long remaining = deadline - System.nanoTime();
                if (remaining <= 0) {
                    if (secondFlight != 0 && !heard && System.nanoTime() - secondFlight >= 0) {
                        throw new TlsTimeoutException("the client sent nothing after its ClientHello within the second-flight timeout");
                    }
                    return -1;
                }
                waiter = Thread.currentThread();
                if (datagrams.isEmpty() && !closed.get()) {
                    LockSupport.parkNanos(DtlsConnection.this, remaining);
                }
                waiter = null;
            }
        }

        @Override
        public void send(byte[] buf, int off, int len) {
            if (state == SecureSessionState.HANDSHAKE) {
                if (flightEnded) {
                    flight = new ArrayList<>();
                    flightEnded = false;
                }
                flight.add(java.util.Arrays.copyOfRange(buf, off, off + len));
                highestWritten = RecordLayer.highestEpochOneSequence(buf, off, len, highestWritten);
            }
            lastWrite = socket.write(Unpooled.copiedBuffer(buf, off, len), remote);
        }

        /**
         * BouncyCastle closes the transport on close_notify, on a fatal alert, and on our close.
         * During the handshake it then throws to whoever runs the handshake, which closes with
         * that error as the reason; closing here first would end the session without one.
         */
        @Override
        public void close() {
            if (state != SecureSessionState.HANDSHAKE) {
                closeTransport();
            }
        }
    }

    /** Ends the association; idempotent. */
    void closeTransport() {
        closeTransport(null);
    }

    /**
     * Ends the association, with {@code error} as the reason (the records stream fails with it)
     * or none (it completes); idempotent.
     */
    void closeTransport(Throwable error) {
        if (closed.compareAndSet(false, true)) {
            Thread t = waiter;
            if (t != null) {
                LockSupport.unpark(t);
            }
            for (Datagram d; (d = datagrams.poll()) != null; ) {
                queued.decrementAndGet();
            }
            boolean handshaking;
            synchronized (this) {
                handshaking = state == SecureSessionState.HANDSHAKE;
                state = SecureSessionState.CLOSED;
            }
            if (handshaking) {
                handshakeResult.tryEmitError(error != null ? error
                        : new DtlsException(DtlsErrorCode.CLOSED, "the DTLS session with " + remote + " closed during its handshake"));
            }
            if (error != null) {
                inbound.error(error);
            } else {
                inbound.complete();
            }
            terminated.tryEmitEmpty();
            onClosed.run();
        }
    }

    // ---- after the handshake ---------------------------------------------------------------

    void established(DTLSTransport transport, HandshakeState completed) {
        this.handshake = completed;
        org.bouncycastle.tls.crypto.TlsCipher cipher = completed.takeCipher();
        if (cipher != null) {
            // BouncyCastle's transport is not used again: one writer per epoch from here on.
            records = RecordLayer.after(cipher, completed.negotiated().cipherSuite(), highestWritten,
                    flight);
            flight = null;
            drainQueued();
        } else {
            this.dtls = transport;
        }
        // Under the same flag closeTransport sets, so a session closing now is either established
        // first or failed, never both.
        boolean open;
        synchronized (this) {
            open = !closed.get();
            if (open) {
                state = SecureSessionState.ESTABLISHED;
            }
        }
        if (open) {
            handshakeResult.tryEmitEmpty();
        }
        if (dtls != null && !datagrams.isEmpty()) {
            schedulePump();
        }
    }

    /** What the record layer opened, on the unprotecting thread. */
    private final RecordLayer.Records opened = new RecordLayer.Records() {
        @Override
        public void applicationData(byte[] buf, int off, int len) {
            deliver(buf, off, len);
        }

        @Override
        public void alert(boolean fatal, int description) {
            closeTransport(fatal ? new DtlsException(DtlsErrorCode.SESSION_FAILED, "the DTLS peer " + remote + " sent the fatal alert "
                    + org.bouncycastle.tls.AlertDescription.getText((short) description)) : null);
        }

        @Override
        public void dropped() {
            droppedDatagrams.incrementAndGet();
        }
    };

    private void resendDatagram(byte[] bytes) {
        socket.write(Unpooled.wrappedBuffer(bytes), remote);
    }

    /** Opens datagrams that were queued for BouncyCastle before the record layer took over. */
    private void drainQueued() {
        RecordLayer r = records;
        synchronized (readLock) {
            for (Datagram d; (d = datagrams.poll()) != null; ) {
                queued.decrementAndGet();
                if (!closed.get()) {
                    r.unprotect(Unpooled.wrappedBuffer(d.bytes), opened, this::resendDatagram);
                }
            }
        }
    }

    void failed(Throwable error) {
        closeTransport(error);
    }

    boolean isEstablished() {
        return state == SecureSessionState.ESTABLISHED;
    }

    @Override
    public Flux<SecureSessionState> states() {
        return Flux.defer(() -> {
            SecureSessionState now = state;
            if (now == SecureSessionState.CLOSED) {
                return Flux.just(now);
            }
            Mono<SecureSessionState> established = now == SecureSessionState.HANDSHAKE
                    ? handshakeResult.asMono().then(Mono.just(SecureSessionState.ESTABLISHED)).onErrorResume(e -> Mono.empty())
                    : Mono.empty();
            return Flux.concat(Mono.just(now), established, terminated.asMono().then(Mono.just(SecureSessionState.CLOSED)));
        });
    }

    @Override
    public Mono<DtlsSession> established() {
        return handshakeResult.asMono().thenReturn(this);
    }

    /** What the handshake settled; only once it has. */
    private HandshakeState completed() {
        HandshakeState h = handshake;
        if (h == null || state == SecureSessionState.HANDSHAKE) {
            throw new IllegalStateException("the DTLS handshake with " + remote + " has not completed; wait for established()");
        }
        return h;
    }

    private void schedulePump() {
        if (pumping.compareAndSet(false, true)) {
            DtlsRuntime.RECORDS.schedule(this::pump);
        }
    }

    private void pump() {
        byte[] buf = new byte[receiveLimit];
        try {
            for (;;) {
                while (!datagrams.isEmpty() && !closed.get()) {
                    int n = dtls.receive(buf, 0, buf.length, 1);
                    if (n >= 0) {
                        authenticated();
                        deliver(buf, 0, n);
                    }
                }
                pumping.set(false);
                if (datagrams.isEmpty() || closed.get() || !pumping.compareAndSet(false, true)) {
                    return;
                }
            }
        } catch (IOException | RuntimeException e) {
            pumping.set(false);
            if (!closed.get()) {
                failed(new DtlsException(DtlsErrorCode.SESSION_FAILED, "DTLS session with " + remote + " failed: " + e, e));
            }
        }
    }

    /**
     * BouncyCastle returned application data, so the datagram it last read passed the MAC and the
     * replay window. RFC 9146 §6: only such a record, and only if newer than every authenticated
     * record before it, may move the session to the address it came from.
     */
    private void authenticated() {
        InetSocketAddress from = lastSender;
        long number = lastRecordNumber;
        if (number <= newestAuthenticated) {
            return;
        }
        newestAuthenticated = number;
        InetSocketAddress old = remote;
        if (moves != null && from != null && !from.equals(old)) {
            remote = from;
            moves.moved(this, old, from);
        }
    }

    /** The first record's epoch and sequence number as one ordered value. */
    private static long recordNumber(byte[] datagram) {
        if (datagram.length < 11) {
            return -1;
        }
        long n = 0;
        for (int i = 3; i < 11; i++) {
            n = (n << 8) | (datagram[i] & 0xFF);
        }
        return n;
    }

    private void deliver(byte[] buf, int off, int n) {
        // A heap buffer: the record often goes straight back into send (an echo, a relay), whose
        // cipher takes an array.
        ByteBuf record = ByteBufAllocator.DEFAULT.heapBuffer(n).writeBytes(buf, off, n);
        if (!inbound.offer(record) && !inbound.isTerminated()) {
            overruns.incrementAndGet();
        }
    }

    // ---- DtlsSession -----------------------------------------------------------------------

    @Override
    public InetSocketAddress remoteAddress() {
        return remote;
    }

    @Override
    public InetSocketAddress localAddress() {
        return socket.localAddress();
    }

    @Override
    public String cipherSuite() {
        return DtlsRuntime.suiteName(params().cipherSuite());
    }

    @Override
    public Optional<SrtpProfile> srtpProfile() {
        return completed().srtpProfile();
    }

    @Override
    public Optional<SrtpKeys> srtpKeys() {
        return completed().srtpKeys();
    }

    @Override
    public Optional<byte[]> pskIdentityHint() {
        byte[] hint = completed().pskHint;
        return hint == null ? Optional.empty() : Optional.of(hint.clone());
    }

    @Override
    public Optional<byte[]> pskKey() {
        byte[] key = completed().pskKey;
        return key == null ? Optional.empty() : Optional.of(key.clone());
    }

    @Override
    public Optional<byte[]> pskIdentity() {
        byte[] id = params().pskIdentity();
        return id == null ? Optional.empty() : Optional.of(id.clone());
    }

    @Override
    public List<X509Certificate> peerCertificates() {
        Certificate chain = params().peerCertificate();
        List<X509Certificate> out = new ArrayList<>();
        if (chain == null) {
            return out;
        }
        try {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            for (int i = 0; i < chain.getLength(); i++) {
                out.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(chain.getCertificateAt(i).getEncoded())));
            }
        } catch (CertificateException | IOException e) {
            throw new IllegalStateException("the peer's certificate could not be decoded", e);
        }
        return out;
    }

    @Override
    public byte[] exportKeyingMaterial(String label, byte[] exporterContext, int length) {
        for (Map.Entry<KeyingExport, byte[]> e : completed().exports().entrySet()) {
            if (e.getKey().matches(label, exporterContext, length)) {
                return e.getValue().clone();
            }
        }
        throw new IllegalStateException("no keying material was exported for " + new KeyingExport(label, exporterContext, length)
                + "; declare it with exportKeyingMaterial(...) on the client or server spec (the master secret is erased"
                + " when the handshake completes)");
    }

    @Override
    public Optional<ConnectionIds> connectionIds() {
        HandshakeState.Negotiated p = params();
        byte[] inbound = p.connectionIdPeer();
        byte[] outbound = p.connectionIdLocal();
        if (inbound == null || outbound == null) {
            return Optional.empty();
        }
        return Optional.of(new ConnectionIds(inbound.clone(), outbound.clone()));
    }

    private HandshakeState.Negotiated params() {
        return completed().negotiated();
    }

    @Override
    public Flux<ByteBuf> receive() {
        return Flux.from(inbound);
    }

    @Override
    public Mono<Void> send(Publisher<? extends ByteBuf> data) {
        // Records are protected in order, 32 fetched ahead at most, on the thread that emits them,
        // the event loop included when the record layer protects them (AEAD needs no random
        // numbers); only BouncyCastle's own record layer, or a non-AEAD suite's random IVs, send
        // them from an event loop to the records scheduler. A record waits for its write only
        // when the socket's outbound buffer is full. A server's session may be handed out
        // mid-handshake: its records wait for the keys.
        Mono<Void> records = Flux.from(data)
                .concatMap(record -> needsHop()
                        ? Mono.defer(() -> sendOne(record)).subscribeOn(DtlsRuntime.RECORDS)
                        : sendOne(record), 32)
                .doOnDiscard(ByteBuf.class, ReferenceCountUtil::release)
                .then();
        return state == SecureSessionState.HANDSHAKE ? handshakeResult.asMono().then(records) : records;
    }

    private boolean needsHop() {
        RecordLayer r = records;
        return Schedulers.isInNonBlockingThread() && (r == null || !r.nonBlocking());
    }

    private Mono<Void> sendOne(ByteBuf record) {
        Future<Void> write;
        try {
            if (closed.get()) {
                return Mono.error(new DtlsException(DtlsErrorCode.CLOSED, "DTLS session with " + remote + " is closed"));
            }
            RecordLayer r = records;
            int length = record.readableBytes();
            byte[] bytes;
            int offset;
            if (record.hasArray()) {
                bytes = record.array();
                offset = record.arrayOffset() + record.readerIndex();
            } else {
                bytes = new byte[length];
                offset = 0;
                record.getBytes(record.readerIndex(), bytes);
            }
            // One lock orders sequence numbers and writes alike, so records leave in sequence order.
            synchronized (this) {
                if (r != null) {
                    write = socket.write(r.protect(APPLICATION_DATA, bytes, offset, length), remote);
                } else {
                    dtls.send(bytes, offset, length);
                    write = lastWrite;
                }
            }
        } catch (IOException e) {
            return Mono.error(new DtlsException(DtlsErrorCode.SESSION_FAILED, "sending to " + remote + " failed: " + e, e));
        } finally {
            record.release();
        }
        if (socket.isWritable()) {
            return Mono.empty();
        }
        return Mono.create(sink -> write.addListener(f -> {
            if (f.isSuccess()) {
                sink.success();
            } else {
                sink.error(new DtlsException(DtlsErrorCode.SESSION_FAILED, "sending to " + remote + " failed", f.cause()));
            }
        }));
    }

    @Override
    public long overruns() {
        return overruns.get();
    }

    @Override
    public Mono<Void> close() {
        return Mono.defer(() -> {
            RecordLayer r = records;
            Mono<Void> close = Mono.fromRunnable(() -> {
                DTLSTransport t = dtls;
                if (!closed.get()) {
                    try {
                        if (r != null) {
                            synchronized (this) {
                                socket.write(r.protect(ALERT, CLOSE_NOTIFY, 0, 2), remote);
                            }
                        } else if (t != null) {
                            t.close();
                        }
                    } catch (IOException e) {
                        // The close_notify could not be sent; the session ends all the same.
                    }
                }
                closeTransport();
            });
            return (r != null && r.nonBlocking() ? close : close.subscribeOn(DtlsRuntime.RECORDS)).then(terminated.asMono());
        });
    }

    @Override
    public Mono<Void> onClose() {
        return terminated.asMono();
    }

    /** Closes (close_notify) and releases records the subscriber has not taken. */
    @Override
    public void dispose() {
        inbound.discard();
        close().subscribe();
    }

    @Override
    public boolean isDisposed() {
        return closed.get();
    }

    @Override
    public String toString() {
        return "DtlsSession[" + socket.localAddress() + " <-> " + remote + ", " + (state == SecureSessionState.ESTABLISHED ? cipherSuite()
                : state) + "]";
    }
}
