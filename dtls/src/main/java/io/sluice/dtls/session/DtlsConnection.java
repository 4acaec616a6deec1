package io.sluice.dtls.session;

import io.netty.buffer.ByteBuf;
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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.tls.Certificate;
import io.sluice.security.SecureSessionState;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Schedulers;

/**
 * One peer's DTLS session: the {@link DtlsSession} handed out when its handshake starts, the
 * {@link HandshakeTransport} BouncyCastle runs the handshake through, and, once that completes,
 * the session's own {@link RecordLayer}, which carries every record from then on.
 *
 * <p>Threading: {@link #offer} on the event loop, which opens records at once after the
 * handshake (queued for BouncyCastle's thread before); records are protected on the sending
 * thread. Buffers: datagrams offered stay the caller's; records received are the subscriber's.
 */
final class DtlsConnection implements DtlsSession {

    private static final short ALERT = 21;
    private static final short APPLICATION_DATA = 23;
    /** A warning-level close_notify alert (RFC 5246 §7.2.1). */
    private static final byte[] CLOSE_NOTIFY = {1, 0};

    /** Application records buffered for a slow subscriber. */
    private static final int RECEIVE_BUFFER = 256;

    private final PacketSink socket;
    private final Runnable onClosed;
    private final Moves moves;
    /** The handshake's transport: what BouncyCastle reads and writes through, on the DTLS scheduler. */
    final HandshakeTransport transport;
    private final AtomicLong droppedDatagrams = new AtomicLong();
    private final AtomicLong overruns = new AtomicLong();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final PacketQueue<ByteBuf> inbound = new PacketQueue<>(RECEIVE_BUFFER, "DTLS session records");
    private final Sinks.Empty<Void> terminated = Sinks.empty();
    /** Empty when the handshake completes; the handshake's error when it fails or the session closes first. */
    private final Sinks.Empty<Void> handshakeResult = Sinks.empty();
    private volatile SecureSessionState state = SecureSessionState.HANDSHAKE;
    /** Record protection after the handshake. */
    private volatile RecordLayer records;
    /** Serializes {@link RecordLayer#unprotect} (its replay window); never held while blocking. */
    private final Object readLock = new Object();
    /** Where the datagram being opened came from; under {@link #readLock}. */
    private InetSocketAddress opening;
    private volatile HandshakeState handshake;
    private volatile InetSocketAddress remote;
    /** The server's routing key for the connection ID it assigned, if any. */
    volatile ByteBuffer connectionIdKey;

    /** Told when an authenticated record moves the session to a new peer address. */
    interface Moves {
        void moved(DtlsConnection connection, InetSocketAddress from, InetSocketAddress to);
    }

    /**
     * @param connectionIdLength the length of the connection ID this side receives, 0 if none
     * @param moves told of address changes, or null where the address cannot change
     */
    DtlsConnection(PacketPipe pipe, PacketSink out, InetSocketAddress remote, int connectionIdLength, Runnable onClosed, Moves moves) {
        this.socket = out;
        this.remote = remote;
        this.onClosed = onClosed;
        this.moves = moves;
        this.transport = new HandshakeTransport(out, remote, pipe.maxDatagramBytes(), connectionIdLength);
    }

    // ---- from the event loop ---------------------------------------------------------------

    /**
     * Opens an established session's records at once, or queues the datagram for the handshake;
     * on the event loop, never blocks.
     */
    void offer(ByteBuf content, InetSocketAddress sender) {
        if (closed.get()) {
            return;
        }
        RecordLayer r = records;
        if (r != null) {
            open(r, content, sender);
            return;
        }
        if (!transport.offer(content, sender)) {
            droppedDatagrams.incrementAndGet();
            return;
        }
        if (records != null) {
            drainQueued(); // the record layer took over while this datagram was being queued
        }
    }

    private void open(RecordLayer r, ByteBuf content, InetSocketAddress sender) {
        synchronized (readLock) {
            if (!closed.get()) {
                opening = sender;
                r.unprotect(content, opened, this::resendDatagram);
            }
        }
    }

    /** See {@link HandshakeTransport#awaitSecondFlight}. */
    void awaitSecondFlight(long nanos) {
        transport.awaitSecondFlight(nanos);
    }

    /** @return whether this is a server handshake whose client has sent nothing since its ClientHello */
    boolean awaitingSecondFlight() {
        return transport.awaitingSecondFlight();
    }

    long startedNanos() {
        return transport.startedNanos();
    }

    long droppedDatagrams() {
        return droppedDatagrams.get();
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
            transport.end();
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

    /**
     * BouncyCastle's handshake returned: the record layer takes over with the cipher it made, and
     * BouncyCastle's transport is not used again, so there is one writer per epoch from here on.
     */
    void established(HandshakeState completed) {
        this.handshake = completed;
        HandshakeState.Negotiated n = completed.negotiated();
        records = RecordLayer.after(completed.takeCipher(), transport.lastFlight(), n.connectionIdLocal(), n.connectionIdPeer());
        drainQueued();
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
    }

    /** What the record layer opened, on the unprotecting thread under {@link #readLock}. */
    private final RecordLayer.Records opened = new RecordLayer.Records() {
        @Override
        public void applicationData(ByteBuf record, boolean newest) {
            if (newest) {
                follow(opening);
            }
            if (!inbound.offer(record) && !inbound.isTerminated()) {
                overruns.incrementAndGet();
            }
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

    /**
     * RFC 9146 §6: only an authenticated record newer than every one before it may move the
     * session to the address it came from; records reach a session from another address only by
     * its connection ID.
     */
    private void follow(InetSocketAddress from) {
        InetSocketAddress old = remote;
        if (moves != null && from != null && !from.equals(old)) {
            remote = from;
            moves.moved(this, old, from);
        }
    }

    private void resendDatagram(byte[] bytes) {
        socket.write(Unpooled.wrappedBuffer(bytes), remote);
    }

    /** Opens datagrams that were queued for BouncyCastle before the record layer took over. */
    private void drainQueued() {
        RecordLayer r = records;
        transport.drain((bytes, sender) -> open(r, Unpooled.wrappedBuffer(bytes), sender));
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
        // Records are protected in order, on the thread that emits them, the event loop included
        // (AEAD needs no random numbers): RecordSender, with no hop and no queue. Only a non-AEAD
        // suite's random IVs send them from an event loop to the records scheduler. A server's
        // session may be handed out mid-handshake: its records wait for the keys.
        RecordLayer r = records;
        if (r != null && r.nonBlocking()) {
            return new RecordSender(data, writer);
        }
        Mono<Void> send = Mono.defer(() -> {
            RecordLayer now = records; // null: the session closed, and each record fails saying so
            return now == null || now.nonBlocking() ? new RecordSender(data, writer) : sendHopping(data);
        });
        return state == SecureSessionState.HANDSHAKE ? handshakeResult.asMono().then(send) : send;
    }

    /** A non-AEAD suite's records: sealed off the event loop, 32 fetched ahead at most. */
    private Mono<Void> sendHopping(Publisher<? extends ByteBuf> data) {
        return Flux.from(data).concatMap(this::sendRecord, RecordSender.PREFETCH).doOnDiscard(ByteBuf.class, ReferenceCountUtil::release).then();
    }

    /** One record, as RecordSender sends a single one: sealed at subscription, waiting for its write only when the socket is full. */
    private Mono<Void> sendRecord(ByteBuf record) {
        Mono<Void> one = new RecordSender(Mono.just(record), writer);
        return Schedulers.isInNonBlockingThread() ? one.subscribeOn(DtlsRuntime.RECORDS) : one;
    }

    /** Seals and writes application records; a record waits for its write only when the socket's outbound buffer is full. */
    private final RecordSender.RecordWriter writer = new RecordSender.RecordWriter() {
        @Override
        public Future<Void> write(ByteBuf record) {
            Future<Void> write;
            try {
                RecordLayer r = records;
                if (closed.get() || r == null) {
                    throw new DtlsException(DtlsErrorCode.CLOSED, "DTLS session with " + remote + " is closed");
                }
                if (record.readableBytes() > RecordCipher.PLAINTEXT_LIMIT) {
                    throw new DtlsException(DtlsErrorCode.SESSION_FAILED, "a DTLS record carries at most "
                            + RecordCipher.PLAINTEXT_LIMIT + " bytes (RFC 6347 §4.1), not " + record.readableBytes());
                }
                // One lock orders sequence numbers and writes alike, so records leave in sequence order.
                synchronized (DtlsConnection.this) {
                    write = socket.write(r.protect(APPLICATION_DATA, record), remote);
                }
            } catch (IOException e) {
                throw new DtlsException(DtlsErrorCode.SESSION_FAILED, "sending to " + remote + " failed: " + e, e);
            } finally {
                record.release();
            }
            return socket.isWritable() ? null : write;
        }

        @Override
        public Throwable writeFailed(Throwable cause) {
            return new DtlsException(DtlsErrorCode.SESSION_FAILED, "sending to " + remote + " failed", cause);
        }
    };

    @Override
    public long overruns() {
        return overruns.get();
    }

    @Override
    public Mono<Void> close() {
        return Mono.defer(() -> {
            RecordLayer r = records;
            Mono<Void> close = Mono.fromRunnable(() -> {
                if (!closed.get() && r != null) {
                    try {
                        synchronized (this) {
                            socket.write(r.protect(ALERT, Unpooled.wrappedBuffer(CLOSE_NOTIFY)), remote);
                        }
                    } catch (IOException e) {
                        // The close_notify could not be sent; the session ends all the same.
                    }
                }
                closeTransport();
            });
            return (r == null || r.nonBlocking() ? close : close.subscribeOn(DtlsRuntime.RECORDS)).then(terminated.asMono());
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
