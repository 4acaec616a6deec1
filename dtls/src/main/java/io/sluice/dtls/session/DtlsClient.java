package io.sluice.dtls.session;

import io.netty.channel.socket.DatagramPacket;
import io.sluice.dtls.packet.DatagramTarget;
import io.sluice.dtls.packet.PacketEndpointException;
import io.sluice.dtls.packet.PacketPipe;
import io.sluice.dtls.packet.UdpSocket;
import io.sluice.metrics.SluiceMeters;
import io.sluice.metrics.Telemetry;
import io.sluice.security.SecureDatagramClient;
import io.sluice.wiretap.Wiretap;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.bouncycastle.tls.DTLSClientProtocol;
import org.bouncycastle.tls.TlsClient;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Mono;

/**
 * An immutable DTLS 1.2 client spec: credentials, handshake timeout; {@link #connect} runs the
 * handshake and returns the session.
 *
 * <p>The handshake runs on Sluice's bounded DTLS scheduler (BouncyCastle's protocol calls block),
 * never on an event loop. Thread-safe.
 */
public final class DtlsClient implements SecureDatagramClient {

    /** The handshake timeout unless configured. */
    public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);

    /**
     * Everything a spec holds, in one place: each setter makes a copy with one part changed.
     *
     * @param cipherSuites null for the defaults of the spec's kind
     */
    private record Settings(byte[] pskIdentity, byte[] pskKey, DtlsTrust trust, DtlsIdentity identity, Duration handshakeTimeout,
            List<KeyingExport> exports, List<SrtpProfile> srtpProfiles, boolean connectionIds, int[] cipherSuites, Telemetry observing) {

        static Settings of(byte[] pskIdentity, byte[] pskKey, DtlsTrust trust) {
            return new Settings(pskIdentity, pskKey, trust, null, DEFAULT_HANDSHAKE_TIMEOUT, List.of(), List.of(), false, null, Telemetry.NONE);
        }

        Settings withIdentity(DtlsIdentity i) {
            return new Settings(pskIdentity, pskKey, trust, i, handshakeTimeout, exports, srtpProfiles, connectionIds, cipherSuites, observing);
        }

        Settings withHandshakeTimeout(Duration t) {
            return new Settings(pskIdentity, pskKey, trust, identity, t, exports, srtpProfiles, connectionIds, cipherSuites, observing);
        }

        Settings withExports(List<KeyingExport> e) {
            return new Settings(pskIdentity, pskKey, trust, identity, handshakeTimeout, e, srtpProfiles, connectionIds, cipherSuites, observing);
        }

        Settings withSrtpProfiles(List<SrtpProfile> p) {
            return new Settings(pskIdentity, pskKey, trust, identity, handshakeTimeout, exports, p, connectionIds, cipherSuites, observing);
        }

        Settings withConnectionIds(boolean offer) {
            return new Settings(pskIdentity, pskKey, trust, identity, handshakeTimeout, exports, srtpProfiles, offer, cipherSuites, observing);
        }

        Settings withCipherSuites(int[] suites) {
            return new Settings(pskIdentity, pskKey, trust, identity, handshakeTimeout, exports, srtpProfiles, connectionIds, suites, observing);
        }

        Settings withObserving(Telemetry o) {
            return new Settings(pskIdentity, pskKey, trust, identity, handshakeTimeout, exports, srtpProfiles, connectionIds, cipherSuites, o);
        }
    }

    private final Settings settings;

    private DtlsClient(Settings settings) {
        this.settings = settings;
    }

    private TlsClient newPeer() {
        Settings s = settings;
        int[] suites = s.cipherSuites() != null ? s.cipherSuites() : CipherSuites.defaults(kind());
        HandshakeState state = new HandshakeState(s.handshakeTimeout(), s.exports(), s.srtpProfiles(), s.connectionIds() ? new byte[0] : null,
                suites);
        return s.trust() != null ? new Peers.CertClient(s.trust(), s.identity(), state)
                : new Peers.PskClient(s.pskIdentity().clone(), s.pskKey().clone(), state);
    }

    /**
     * A client authenticating with a pre-shared key.
     *
     * @param identity the PSK identity (sent in the clear, UTF-8)
     * @param key the key
     * @return the spec
     */
    public static DtlsClient psk(String identity, byte[] key) {
        Objects.requireNonNull(identity, "identity");
        Objects.requireNonNull(key, "key");
        if (key.length == 0) {
            throw new IllegalArgumentException("a PSK must not be empty");
        }
        return new DtlsClient(Settings.of(identity.getBytes(StandardCharsets.UTF_8), key.clone(), null));
    }

    /**
     * A client that authenticates the server by its X.509 certificate chain (ECDSA or RSA),
     * which must lead to one of {@code trust}'s authorities.
     *
     * @param trust the authorities
     * @return the spec
     */
    public static DtlsClient certificates(DtlsTrust trust) {
        Objects.requireNonNull(trust, "trust");
        return new DtlsClient(Settings.of(null, null, trust));
    }

    /**
     * The certificate and key this client presents when the server asks (client authentication).
     * Certificate clients only.
     *
     * @param clientIdentity the identity
     * @return the new spec
     */
    public DtlsClient identity(DtlsIdentity clientIdentity) {
        if (settings.trust() == null) {
            throw new IllegalStateException("a client identity goes with certificates(...), not with a PSK");
        }
        return new DtlsClient(settings.withIdentity(Objects.requireNonNull(clientIdentity, "clientIdentity")));
    }

    /**
     * How long the whole handshake may take, retransmissions included.
     *
     * @param timeout positive
     * @return the new spec
     */
    public DtlsClient handshakeTimeout(Duration timeout) {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("handshakeTimeout must be positive, got " + timeout);
        }
        return new DtlsClient(settings.withHandshakeTimeout(timeout));
    }

    /**
     * Keying material to export when the handshake completes (RFC 5705); read it with
     * {@link DtlsSession#exportKeyingMaterial}.
     *
     * @param label the exporter label, e.g. {@code EXTRACTOR-dtls_srtp}
     * @param context the context, or null
     * @param length bytes wanted
     * @return the new spec
     */
    public DtlsClient exportKeyingMaterial(String label, byte[] context, int length) {
        List<KeyingExport> more = new ArrayList<>(settings.exports());
        more.add(new KeyingExport(label, context, length));
        return new DtlsClient(settings.withExports(List.copyOf(more)));
    }

    /**
     * Offers DTLS-SRTP (the use_srtp extension, RFC 5764) with these profiles, most wanted first;
     * the session tells which one the server chose. Export the SRTP keys with
     * {@link #exportKeyingMaterial} (label {@code EXTRACTOR-dtls_srtp}).
     *
     * @param profiles at least one
     * @return the new spec
     */
    public DtlsClient srtpProfiles(SrtpProfile... profiles) {
        if (profiles.length == 0) {
            throw new IllegalArgumentException("offer at least one SRTP profile");
        }
        return new DtlsClient(settings.withSrtpProfiles(List.of(profiles)));
    }

    /**
     * Offers exactly these cipher suites, in this order of preference, instead of the AEAD-only
     * defaults. Names are IANA's; each must run on DTLS 1.2 and fit the spec (PSK suites for
     * {@link #psk}, certificate suites for {@link #certificates}). Non-AEAD suites are possible
     * here, and only here.
     *
     * @param ianaNames for example {@code TLS_PSK_WITH_AES_128_CCM_8}
     * @return the new spec
     * @throws IllegalArgumentException naming a suite that cannot be used
     */
    public DtlsClient cipherSuites(String... ianaNames) {
        return new DtlsClient(settings.withCipherSuites(CipherSuites.select(kind(), ianaNames)));
    }

    private CipherSuites.Kind kind() {
        return settings.trust() != null ? CipherSuites.Kind.CERTIFICATE : CipherSuites.Kind.PSK;
    }

    /**
     * Offers connection IDs (RFC 9146) with an empty ID of its own: a server that supports them
     * assigns one, this client writes it in every protected record, and the server finds the
     * session by it instead of by address, so the session survives the client's address
     * changing (NAT rebinding). A server without support simply ignores the offer.
     *
     * @return the new spec
     */
    public DtlsClient offerConnectionId() {
        return new DtlsClient(settings.withConnectionIds(true));
    }

    /**
     * Binds a socket on a free port and runs the handshake with {@code server}; the socket closes
     * with the session.
     *
     * @param server the server's address
     * @return the session, on subscription
     */
    @Override
    public Mono<DtlsSession> connect(InetSocketAddress server) {
        Objects.requireNonNull(server, "server");
        InetSocketAddress local = new InetSocketAddress(server.getAddress() instanceof Inet6Address ? "::" : "0.0.0.0", 0);
        return DtlsRuntime.ready().then(UdpSocket.bind(local)).flatMap(socket -> handshake(PacketPipe.of(socket), server, socket::dispose));
    }

    /**
     * Runs the handshake with {@code server} over an existing socket (for example one that a
     * {@code DtlsTx} shares); the socket must have no other receiver. The socket stays open when
     * the session ends.
     *
     * @param socket the socket
     * @param server the server's address
     * @return the session, on subscription
     */
    public Mono<DtlsSession> connect(UdpSocket socket, InetSocketAddress server) {
        Objects.requireNonNull(socket, "socket");
        return connect(PacketPipe.of(socket), server);
    }

    /**
     * Runs the handshake with {@code server} over any packet path, for example the DTLS class of
     * an {@link io.sluice.dtls.packet.RtpPort} with the port's socket sending: DTLS-SRTP on the
     * media port, RTP and STUN flowing beside it on their own streams. Datagrams from anyone but
     * {@code server} are dropped. When the session ends the pipe's inbound flow stops; its
     * sources and sink stay open (they are the caller's), and when the inbound flow ends on its
     * own, the session ends.
     *
     * @param pipe the datagrams in and the sink out; one layer at a time
     * @param server the server's address
     * @return the session, on subscription
     */
    public Mono<DtlsSession> connect(PacketPipe pipe, InetSocketAddress server) {
        Objects.requireNonNull(pipe, "pipe");
        Objects.requireNonNull(server, "server");
        return DtlsRuntime.ready().then(handshake(pipe, server, () -> { }));
    }

    private Mono<DtlsSession> handshake(PacketPipe pipe, InetSocketAddress server, Runnable release) {
        return Mono.create(sink -> {
            DtlsTraffic traffic = new DtlsTraffic(settings.observing(), false);
            Receiver receiver = new Receiver(server, traffic);
            AtomicReference<Disposable> flow = new AtomicReference<>();
            long started = System.nanoTime();
            DtlsConnection connection = new DtlsConnection(pipe, traffic.tap(pipe.outbound()), server, 0, () -> {
                Disposable f = flow.getAndSet(Disposables.disposed());
                if (f != null) {
                    f.dispose();
                }
                traffic.close();
                release.run();
            }, null);
            traffic.group()
                    .gauge("sluice.dtls.sessions", "DTLS sessions by state", () -> !connection.isEstablished() && !connection.isDisposed() ? 1 : 0,
                            "role", "client", "state", "handshake")
                    .gauge("sluice.dtls.sessions", "DTLS sessions by state", () -> connection.isEstablished() && !connection.isDisposed() ? 1 : 0,
                            "role", "client", "state", "established");
            receiver.connection = connection;
            try {
                Disposable opened = pipe.open(receiver, connection::closeTransport);
                if (!flow.compareAndSet(null, opened)) {
                    opened.dispose(); // the pipe ended while it opened
                }
            } catch (PacketEndpointException e) {
                release.run();
                sink.error(new DtlsException(DtlsErrorCode.HANDSHAKE_FAILED, e.getMessage(), e));
                return;
            }
            AtomicBoolean done = new AtomicBoolean();
            Disposable task = DtlsRuntime.HANDSHAKES.schedule(() -> {
                TlsClient client = newPeer();
                try {
                    new DTLSClientProtocol().connect(client, connection.transport);
                    HandshakeState completed = ((Peers.Sluice) client).state();
                    if (traffic.timed()) {
                        traffic.handshake(true, DtlsTraffic.suiteOf(completed), System.nanoTime() - started);
                    }
                    connection.established(completed);
                    done.set(true);
                    sink.success(connection);
                } catch (Exception e) {
                    DtlsException failure = Handshakes.failure(e, server);
                    if (traffic.timed()) {
                        traffic.handshake(false, null, System.nanoTime() - started);
                    }
                    connection.closeTransport(failure);
                    sink.error(failure);
                }
            });
            sink.onCancel(() -> {
                if (!done.get()) {
                    // Closing the transport makes BouncyCastle's blocked receive fail, ending the handshake.
                    connection.closeTransport();
                    task.dispose();
                }
            });
        });
    }

    /** Passes the server's datagrams to the connection; drops everyone else's. On the event loop. */
    private static final class Receiver implements DatagramTarget {
        private final InetSocketAddress server;
        private final DtlsTraffic traffic;
        volatile DtlsConnection connection;

        Receiver(InetSocketAddress server, DtlsTraffic traffic) {
            this.server = server;
            this.traffic = traffic;
        }

        @Override
        public void onDatagram(DatagramPacket packet) {
            try {
                DtlsConnection c = connection;
                if (c != null && server.equals(packet.sender())) {
                    traffic.received(packet.content(), packet.sender());
                    c.offer(packet.content(), packet.sender());
                }
            } finally {
                packet.release();
            }
        }

        @Override
        public void onOversized(InetSocketAddress sender, int limit) {
            // A DTLS record never exceeds the receive limit; an oversized datagram is not ours.
        }
    }

    @Override
    public String toString() {
        Settings s = settings;
        return "DtlsClient[" + (s.trust() != null ? "certificates, " + s.trust() + (s.identity() != null ? ", " + s.identity() : "")
                : "PSK identity " + new String(s.pskIdentity(), StandardCharsets.UTF_8)) + ", handshake timeout " + s.handshakeTimeout() + "]";
    }

    /**
     * Records the meters of the sessions this client opens in {@code registry}: handshakes by outcome and cipher suite with their
     * duration, sessions by state, datagrams and bytes each way, drops by reason (the README's
     * "Observing Sluice" has the table). Needs Micrometer on the class path.
     *
     * @param registry where to record
     * @return a copy
     */
    public DtlsClient metrics(io.micrometer.core.instrument.MeterRegistry registry) {
        return new DtlsClient(settings.withObserving(settings.observing().withMeters(SluiceMeters.of(registry))));
    }

    /**
     * @param enable record meters in Micrometer's global registry (true), or nowhere (false, the default)
     * @return a copy
     * @throws UnsupportedOperationException when enabling without Micrometer on the class path
     */
    public DtlsClient metrics(boolean enable) {
        return new DtlsClient(settings.withObserving(settings.observing().withMeters(SluiceMeters.global(enable))));
    }

    /**
     * @param enable log each datagram's records (content type, epoch, sequence number, length) at
     *     DEBUG under {@code io.sluice.wiretap.dtls}, with a hex dump at TRACE; or nothing (the default)
     * @return a copy
     */
    public DtlsClient wiretap(boolean enable) {
        return new DtlsClient(settings.withObserving(settings.observing().withWiretap(Wiretap.of("dtls", enable))));
    }

    /**
     * @param category the SLF4J logger to log records to
     * @param level the level of the one-line summaries (hex dumps at TRACE)
     * @return a copy
     */
    public DtlsClient wiretap(String category, org.slf4j.event.Level level) {
        return new DtlsClient(settings.withObserving(settings.observing().withWiretap(Wiretap.of(category, level))));
    }

}
