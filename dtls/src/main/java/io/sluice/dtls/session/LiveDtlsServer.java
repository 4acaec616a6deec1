package io.sluice.dtls.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.socket.DatagramPacket;
import io.sluice.dtls.packet.DatagramTarget;
import io.sluice.dtls.packet.PacketPipe;
import io.sluice.dtls.packet.PacketQueue;
import io.sluice.dtls.packet.PacketSink;
import io.sluice.dtls.packet.UdpSocket;
import io.sluice.security.SecureDatagramListener;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.bouncycastle.tls.DTLSRequest;
import org.bouncycastle.tls.DTLSServerProtocol;
import org.bouncycastle.tls.DTLSVerifier;
import org.bouncycastle.tls.DatagramSender;
import org.bouncycastle.tls.TlsServer;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.util.Logger;
import reactor.util.Loggers;

/**
 * A listening DTLS server. New sessions arrive on {@link #sessions()} as their handshakes start; datagrams are routed to
 * sessions by the peer's address, or, for records carrying a connection ID (RFC 9146), by that ID.
 *
 * <p>A datagram from an unknown address is considered only if it is a ClientHello. Without a
 * valid cookie it is answered with a HelloVerifyRequest and forgotten (nothing is allocated); with
 * one, and within the handshake and session caps, a handshake starts on the DTLS scheduler.
 * Anything else from an unknown address is dropped and counted.
 *
 * <p>Thread-safe; routing runs on the socket's event loop and never blocks.
 */
public final class LiveDtlsServer implements SecureDatagramListener {

    private static final Logger LOG = Loggers.getLogger(LiveDtlsServer.class);
    private static final int DTLS_HEADER = 13;

    /** The pipes served: one, or one per event loop when bound with {@link DtlsServer#reusePort}. */
    private final List<PacketPipe> pipes;
    /** The sockets {@code bind} made for this server, closed with it; empty when serving a caller's pipe. */
    private final List<UdpSocket> ownSockets;
    private final Disposable.Composite flows = Disposables.composite();
    private final AtomicBoolean stopped = new AtomicBoolean();
    private final Sinks.Empty<Void> disposed = Sinks.empty();
    private final Function<byte[], TlsServer> peers;
    private final int maxHandshakes;
    private final int maxSessions;
    private final long secondFlightNanos;
    private final int connectionIdLength;
    /**
     * Handshakes in progress, their count checked against the cap; looked through, when it is
     * reached, for the oldest one still waiting for its peer. Added on the event loop, removed by
     * the handshake's end or its eviction, whichever comes first.
     */
    private final Set<DtlsConnection> handshaking = ConcurrentHashMap.newKeySet();
    private final AtomicLong evictedHandshakes = new AtomicLong();
    /** Keyed by heap {@code ByteBuffer}s; looked up with views of the datagram, which compare by content. */
    private final Map<ByteBuffer, DtlsConnection> byConnectionId = new ConcurrentHashMap<>();
    private final DTLSVerifier verifier = new DTLSVerifier(DtlsRuntime.CRYPTO);
    private final Map<InetSocketAddress, DtlsConnection> connections = new ConcurrentHashMap<>();
    private final AtomicLong helloVerifyRequests = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong failedHandshakes = new AtomicLong();
    private final PacketQueue<DtlsSession> sessions;
    private final AtomicLong established = new AtomicLong();
    private final AtomicLong addressChanges = new AtomicLong();
    private final DtlsTraffic traffic;

    /**
     * @param ownSockets the sockets under {@code pipes} if the server owns them, else empty
     * @throws io.sluice.dtls.packet.PacketEndpointException if the pipe cannot be opened
     */
    LiveDtlsServer(List<PacketPipe> pipes, List<UdpSocket> ownSockets, Function<byte[], TlsServer> peers, int maxHandshakes, int maxSessions,
                   Duration secondFlightTimeout, int connectionIdLength, DtlsTraffic traffic) {
        this.pipes = List.copyOf(pipes);
        this.traffic = traffic;
        traffic.group()
                .gauge("sluice.dtls.sessions", "DTLS sessions by state", () -> handshaking.size(), "role", "server", "state", "handshake")
                .gauge("sluice.dtls.sessions", "DTLS sessions by state", () -> Math.max(0, connections.size() - handshaking.size()),
                        "role", "server", "state", "established")
                .counter("sluice.dtls.drops", "datagrams DTLS dropped", "datagrams", () -> droppedDatagrams() - traffic.refused.sum(),
                        "role", "server", "reason", "malformed")
                .counter("sluice.dtls.drops", "datagrams DTLS dropped", "datagrams", traffic.refused::sum,
                        "role", "server", "reason", "over.capacity")
                .counter("sluice.dtls.hello.verify.requests", "cookie challenges sent", "messages", helloVerifyRequests::get,
                        "role", "server")
                .counter("sluice.dtls.handshakes.evicted", "stalled handshakes ended to make room", "handshakes", evictedHandshakes::get,
                        "role", "server");
        this.ownSockets = List.copyOf(ownSockets);
        this.peers = peers;
        this.maxHandshakes = maxHandshakes;
        this.maxSessions = maxSessions;
        this.secondFlightNanos = secondFlightTimeout.toNanos();
        this.connectionIdLength = connectionIdLength;
        this.sessions = new PacketQueue<>(maxSessions, "DTLS server sessions", DtlsSession::dispose);
        for (PacketPipe pipe : this.pipes) {
            flows.add(pipe.open(new Router(pipe, traffic.tap(pipe.outbound())), this::dispose));
        }
    }

    /**
     * Sessions as their handshakes start, once the client has passed the cookie exchange, for one
     * subscriber; completes when the server is disposed. At most {@code maxSessions} wait for a
     * subscriber. Each starts in {@code HANDSHAKE} ({@link DtlsSession#states()}); read what it
     * negotiated after {@link DtlsSession#established()}, or take
     * {@link #establishedSessions()} instead.
     *
     * @return the sessions
     */
    @Override
    public Flux<DtlsSession> sessions() {
        return Flux.from(sessions);
    }

    /**
     * The sessions of {@link #sessions()} whose handshakes complete, as they complete; failed
     * handshakes are left out (and counted in {@link #failedHandshakes()}). Takes the place of
     * {@link #sessions()}: the two share one subscriber.
     *
     * @return the established sessions
     */
    public Flux<DtlsSession> establishedSessions() {
        return sessions().flatMap(s -> s.established().onErrorResume(e -> Mono.empty()), maxSessions);
    }

    /**
     * Handshakes that completed since the server started.
     *
     * @return the count
     */
    public long established() {
        return established.get();
    }

    /**
     * The address the server listens on.
     *
     * @return the bound address
     */
    @Override
    public InetSocketAddress localAddress() {
        return pipes.get(0).localAddress();
    }

    /**
     * Cookie challenges sent (ClientHellos without a valid cookie).
     *
     * @return the count
     */
    public long helloVerifyRequests() {
        return helloVerifyRequests.get();
    }

    /**
     * Datagrams dropped: not a ClientHello from an unknown peer, over a cap, or malformed.
     *
     * @return the count
     */
    public long droppedDatagrams() {
        long perSession = connections.values().stream().mapToLong(DtlsConnection::droppedDatagrams).sum();
        return dropped.get() + perSession;
    }

    /**
     * Handshakes that failed or timed out.
     *
     * @return the count
     */
    public long failedHandshakes() {
        return failedHandshakes.get();
    }

    /**
     * Handshakes abandoned to make room: when the handshake cap is reached, a new client that passed
     * the cookie exchange takes the place of the oldest handshake whose client has sent nothing
     * since its ClientHello.
     *
     * @return the count
     */
    public long evictedHandshakes() {
        return evictedHandshakes.get();
    }

    /**
     * Sessions that moved to a new client address on the strength of their connection ID.
     *
     * @return the count
     */
    public long addressChanges() {
        return addressChanges.get();
    }

    /**
     * How many sockets serve the address: one per event loop when bound with
     * {@link DtlsServer#reusePort}, else 1.
     *
     * @return the count
     */
    public int sockets() {
        return pipes.size();
    }

    /**
     * Sessions and handshakes alive now.
     *
     * @return the count
     */
    public int connections() {
        return connections.size();
    }

    /**
     * Stops serving: the inbound flow stops, handshakes and sessions end, and a socket that
     * {@link DtlsServer#bind} opened closes; a pipe given to {@link DtlsServer#serve} stays the
     * caller's. Idempotent.
     */
    @Override
    public void dispose() {
        if (!stopped.compareAndSet(false, true)) {
            return;
        }
        flows.dispose();
        closeAll();
        traffic.close();
        if (!ownSockets.isEmpty()) {
            ownSockets.forEach(UdpSocket::dispose);
            Mono.when(ownSockets.stream().map(UdpSocket::onDispose).toList()).subscribe(null, null, disposed::tryEmitEmpty);
        } else {
            disposed.tryEmitEmpty();
        }
    }

    @Override
    public boolean isDisposed() {
        return stopped.get();
    }

    /**
     * Completes when the server is disposed.
     *
     * @return completion
     */
    @Override
    public Mono<Void> onDispose() {
        return disposed.asMono();
    }

    private void closeAll() {
        connections.values().forEach(DtlsConnection::closeTransport);
        sessions.complete();
    }

    @Override
    public String toString() {
        return "LiveDtlsServer[" + localAddress() + (pipes.size() > 1 ? " x" + pipes.size() : "") + ", " + connections.size() + " connections]";
    }

    private static boolean isClientHello(ByteBuf d) {
        int i = d.readerIndex();
        return d.readableBytes() >= DTLS_HEADER + 12
                && d.getUnsignedByte(i) == 22                      // handshake
                && d.getUnsignedByte(i + 1) == 0xFE                 // DTLS 1.x
                && d.getUnsignedShort(i + 3) == 0                   // epoch 0
                && d.getUnsignedByte(i + DTLS_HEADER) == 1;         // client_hello
    }

    private static byte[] clientId(InetSocketAddress peer) {
        byte[] address = peer.getAddress().getAddress();
        return ByteBuffer.allocate(address.length + 2).put(address).putShort((short) peer.getPort()).array();
    }

    /** Routes datagrams; on the event loop. */
    private final class Router implements DatagramTarget {
        private final PacketPipe pipe;
        /** The pipe's sink, counted and tapped: where this router's handshakes and sessions send. */
        private final PacketSink out;

        Router(PacketPipe pipe, PacketSink out) {
            this.pipe = pipe;
            this.out = out;
        }

        @Override
        public void onDatagram(DatagramPacket packet) {
            try {
                InetSocketAddress peer = packet.sender();
                ByteBuf content = packet.content();
                traffic.received(content, peer);
                if (connectionIdLength > 0 && content.isReadable()
                        && content.getUnsignedByte(content.readerIndex()) == RecordFilter.TLS12_CID) {
                    onConnectionIdRecord(peer, content);
                    return;
                }
                DtlsConnection existing = connections.get(peer);
                if (existing == null) {
                    onNewPeer(peer, content, null);
                } else if (existing.isEstablished() && isClientHello(content)) {
                    // RFC 6347 §4.2.8: a client that lost its state (restarted on the same port, a
                    // NAT reusing it) starts over; it gets the cookie exchange like anyone else.
                    onNewPeer(peer, content, existing);
                } else {
                    existing.offer(content, peer);
                }
            } finally {
                packet.release();
            }
        }

        @Override
        public void onOversized(InetSocketAddress sender, int limit) {
            dropped.incrementAndGet();
        }

        private void onConnectionIdRecord(InetSocketAddress peer, ByteBuf content) {
            // type(1) version(2) epoch(2) sequence(6), then the CID.
            DtlsConnection c = content.readableBytes() < DTLS_HEADER + connectionIdLength ? null
                    : byConnectionId.get(content.nioBuffer(content.readerIndex() + 11, connectionIdLength));
            if (c == null) {
                dropped.incrementAndGet();
            } else {
                c.offer(content, peer);
            }
        }

        /** @param replaced the established session at that address, ended if the new handshake may start */
        private void onNewPeer(InetSocketAddress peer, ByteBuf content, DtlsConnection replaced) {
            if (!isClientHello(content)) {
                dropped.incrementAndGet();
                return;
            }
            byte[] data = new byte[content.readableBytes()];
            content.getBytes(content.readerIndex(), data);
            DTLSRequest verified;
            boolean[] challenged = new boolean[1];
            try {
                verified = verifier.verifyRequest(clientId(peer), data, 0, data.length, new DatagramSender() {
                    @Override
                    public int getSendLimit() {
                        return HandshakeTransport.SEND_LIMIT;
                    }

                    @Override
                    public void send(byte[] buf, int off, int len) {
                        challenged[0] = true;
                        helloVerifyRequests.incrementAndGet();
                        out.write(Unpooled.copiedBuffer(buf, off, len), peer);
                    }
                });
            } catch (RuntimeException e) {
                verified = null;
            }
            DTLSRequest request = verified;
            if (request == null) {
                if (!challenged[0]) {
                    // Neither a valid cookie nor a hello worth a challenge: malformed.
                    dropped.incrementAndGet();
                }
                return;
            }
            if (replaced != null) {
                // The cookie proves the hello came from the address: the old session's peer is gone.
                replaced.closeTransport(new DtlsException(DtlsErrorCode.CLOSED, "the client at " + peer
                        + " started a new handshake (RFC 6347 §4.2.8)"));
            }
            if ((handshaking.size() >= maxHandshakes && !evictStalledHandshake()) || connections.size() >= maxSessions) {
                dropped.incrementAndGet();
                traffic.refused.increment();
                return;
            }
            DtlsConnection[] holder = new DtlsConnection[1];
            DtlsConnection connection = new DtlsConnection(pipe, out, peer, connectionIdLength, () -> forget(holder[0]),
                    LiveDtlsServer.this::moved);
            holder[0] = connection;
            connection.awaitSecondFlight(secondFlightNanos);
            handshaking.add(connection);
            connections.put(peer, connection);
            // Handed out now, in HANDSHAKE: the cookie proved the address, so this costs a spoofer nothing.
            if (!sessions.offer(connection)) {
                // The queue closed it: the server is stopping, or nobody takes sessions.
                LOG.warn("DTLS handshake with {} abandoned: the server is stopping or its {} unclaimed sessions are"
                        + " not being taken", peer, sessions.capacity());
                handshaking.remove(connection);
                return;
            }
            long started = System.nanoTime();
            DtlsRuntime.HANDSHAKES.schedule(() -> accept(connection, request, started));
        }
    }

    /**
     * Closes the oldest handshake whose client has been silent since its ClientHello. Such a
     * client proved only that it receives at its address (the cookie); an honest one answers the
     * server's flight within a round trip, so it is rarely in this state for long, while a client
     * that stalls on purpose always is. On the event loop; the cap is small, so the scan is short.
     *
     * @return whether a place was made
     */
    private boolean evictStalledHandshake() {
        DtlsConnection oldest = null;
        for (DtlsConnection c : handshaking) {
            if (c.awaitingSecondFlight() && (oldest == null || c.startedNanos() - oldest.startedNanos() < 0)) {
                oldest = c;
            }
        }
        if (oldest == null || !handshaking.remove(oldest)) {
            return false;
        }
        evictedHandshakes.incrementAndGet();
        // BouncyCastle's wait ends with an IOException and frees its thread.
        oldest.closeTransport(new DtlsException(DtlsErrorCode.HANDSHAKE_FAILED, "the handshake with " + oldest.remoteAddress()
                + " made way for a new client: its client sent nothing after its ClientHello while the " + maxHandshakes
                + " handshake places were taken"));
        return true;
    }

    private void forget(DtlsConnection connection) {
        connections.remove(connection.remoteAddress(), connection);
        unassign(connection);
    }

    private void unassign(DtlsConnection connection) {
        ByteBuffer id = connection.connectionIdKey;
        if (id != null) {
            byConnectionId.remove(id, connection);
        }
    }

    /** A session followed its client to a new address; on the records scheduler. */
    private void moved(DtlsConnection connection, InetSocketAddress from, InetSocketAddress to) {
        connections.remove(from, connection);
        DtlsConnection displaced = connections.put(to, connection);
        if (connection.isDisposed()) {
            connections.remove(to, connection);
        }
        addressChanges.incrementAndGet();
        LOG.debug("DTLS session moved from {} to {}{}", from, to,
                displaced != null && displaced != connection ? "; " + displaced + " is no longer reachable by address" : "");
    }

    /**
     * Picks an unused connection ID for the handshake and routes records carrying it to the
     * connection from now on: the client's Finished already carries it. On the DTLS scheduler,
     * where the secure random may block.
     */
    private byte[] assignConnectionId(DtlsConnection connection) {
        byte[] id = new byte[connectionIdLength];
        ByteBuffer key;
        do {
            DtlsRuntime.CRYPTO.getSecureRandom().nextBytes(id);
            key = ByteBuffer.wrap(id.clone());
        } while (byConnectionId.putIfAbsent(key, connection) != null);
        connection.connectionIdKey = key;
        if (connection.isDisposed()) {
            unassign(connection);
        }
        return id;
    }

    /** Runs one handshake; on the DTLS scheduler. */
    private void accept(DtlsConnection connection, DTLSRequest request, long started) {
        byte[] connectionId = connectionIdLength > 0 ? assignConnectionId(connection) : null;
        TlsServer server = peers.apply(connectionId);
        try {
            new DTLSServerProtocol().accept(server, connection.transport, request);
            HandshakeState completed = ((Peers.Sluice) server).state();
            // Timed before the session is established, so that whoever sees it established finds the timer.
            if (traffic.timed()) {
                traffic.handshake(true, DtlsTraffic.suiteOf(completed), System.nanoTime() - started);
            }
            connection.established(completed);
            if (connectionId != null && connection.connectionIds().isEmpty()) {
                // The client did not offer connection IDs.
                unassign(connection);
            }
            established.incrementAndGet();
        } catch (Exception e) {
            failedHandshakes.incrementAndGet();
            if (traffic.timed()) {
                traffic.handshake(false, null, System.nanoTime() - started);
            }
            DtlsException failure = Handshakes.failure(e, connection.remoteAddress());
            connection.closeTransport(failure);
            LOG.debug("{}", failure.getMessage());
        } finally {
            handshaking.remove(connection);
        }
    }
}
