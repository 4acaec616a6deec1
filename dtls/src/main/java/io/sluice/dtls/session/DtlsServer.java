package io.sluice.dtls.session;

import io.sluice.dtls.packet.PacketPipe;
import io.sluice.dtls.packet.UdpSocket;
import io.sluice.metrics.SluiceMeters;
import io.sluice.metrics.Telemetry;
import io.sluice.security.SecureDatagramServer;
import io.sluice.wiretap.Wiretap;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.bouncycastle.tls.TlsPSKIdentityManager;
import org.bouncycastle.tls.TlsServer;
import reactor.core.publisher.Mono;

/**
 * An immutable DTLS 1.2 server spec: credentials and limits; {@link #bind} starts listening.
 *
 * <p>Every new peer goes through the stateless cookie exchange (HelloVerifyRequest, RFC 6347
 * §4.2.1) before anything is allocated for it; handshakes and sessions are capped; half-open
 * handshakes time out. Thread-safe.
 */
public final class DtlsServer implements SecureDatagramServer {

    /** Concurrent handshakes unless configured. */
    public static final int DEFAULT_MAX_HANDSHAKES = 64;
    /** How long a client may stay silent after its ClientHello unless configured: three of its retransmission timers' first steps. */
    public static final Duration DEFAULT_SECOND_FLIGHT_TIMEOUT = Duration.ofSeconds(3);
    /** Sessions unless configured. */
    public static final int DEFAULT_MAX_SESSIONS = 1024;
    /** The longest connection ID the server assigns; 8 bytes already make collisions negligible. */
    public static final int MAX_CONNECTION_ID = 32;

    /**
     * Everything a spec holds, in one place: each setter makes a copy with one part changed.
     *
     * @param cipherSuites null for the defaults of the spec's kind
     */
    private record Settings(String pskHint, PskStore pskStore, DtlsIdentity identity, ClientAuth clientAuth, DtlsTrust clientTrust,
            int maxHandshakes, int maxSessions, Duration handshakeTimeout, Duration secondFlightTimeout, List<KeyingExport> exports,
            List<SrtpProfile> srtpProfiles, int connectionIdLength, int[] cipherSuites, Telemetry observing,
            boolean reusePort) {

        static Settings of(String pskHint, PskStore pskStore, DtlsIdentity identity) {
            return new Settings(pskHint, pskStore, identity, ClientAuth.NONE, null, DEFAULT_MAX_HANDSHAKES, DEFAULT_MAX_SESSIONS,
                    DtlsClient.DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_SECOND_FLIGHT_TIMEOUT, List.of(), List.of(), 0, null, Telemetry.NONE, false);
        }

        Settings withClientAuth(ClientAuth mode, DtlsTrust trust) {
            return new Settings(pskHint, pskStore, identity, mode, trust, maxHandshakes, maxSessions, handshakeTimeout, secondFlightTimeout,
                    exports, srtpProfiles, connectionIdLength, cipherSuites, observing, reusePort);
        }

        Settings withCaps(int handshakes, int sessions) {
            return new Settings(pskHint, pskStore, identity, clientAuth, clientTrust, handshakes, sessions, handshakeTimeout,
                    secondFlightTimeout, exports, srtpProfiles, connectionIdLength, cipherSuites, observing, reusePort);
        }

        Settings withTimeouts(Duration handshake, Duration secondFlight) {
            return new Settings(pskHint, pskStore, identity, clientAuth, clientTrust, maxHandshakes, maxSessions, handshake, secondFlight,
                    exports, srtpProfiles, connectionIdLength, cipherSuites, observing, reusePort);
        }

        Settings withExports(List<KeyingExport> e) {
            return new Settings(pskHint, pskStore, identity, clientAuth, clientTrust, maxHandshakes, maxSessions, handshakeTimeout,
                    secondFlightTimeout, e, srtpProfiles, connectionIdLength, cipherSuites, observing, reusePort);
        }

        Settings withSrtpProfiles(List<SrtpProfile> p) {
            return new Settings(pskHint, pskStore, identity, clientAuth, clientTrust, maxHandshakes, maxSessions, handshakeTimeout,
                    secondFlightTimeout, exports, p, connectionIdLength, cipherSuites, observing, reusePort);
        }

        Settings withConnectionIdLength(int length) {
            return new Settings(pskHint, pskStore, identity, clientAuth, clientTrust, maxHandshakes, maxSessions, handshakeTimeout,
                    secondFlightTimeout, exports, srtpProfiles, length, cipherSuites, observing, reusePort);
        }

        Settings withCipherSuites(int[] suites) {
            return new Settings(pskHint, pskStore, identity, clientAuth, clientTrust, maxHandshakes, maxSessions, handshakeTimeout,
                    secondFlightTimeout, exports, srtpProfiles, connectionIdLength, suites, observing, reusePort);
        }

        Settings withObserving(Telemetry o) {
            return new Settings(pskHint, pskStore, identity, clientAuth, clientTrust, maxHandshakes, maxSessions, handshakeTimeout, secondFlightTimeout, exports, srtpProfiles, connectionIdLength, cipherSuites, o, reusePort);
        }

        Settings withReusePort(boolean r) {
            return new Settings(pskHint, pskStore, identity, clientAuth, clientTrust, maxHandshakes, maxSessions, handshakeTimeout, secondFlightTimeout, exports, srtpProfiles, connectionIdLength, cipherSuites, observing, r);
        }
    }

    private final Settings settings;

    private DtlsServer(Settings settings) {
        this.settings = settings;
    }

    /**
     * A server authenticating clients by pre-shared key.
     *
     * @param identityHint the hint sent to clients, or null for none
     * @param store looks up the key for a client's identity
     * @return the spec
     */
    public static DtlsServer psk(String identityHint, PskStore store) {
        Objects.requireNonNull(store, "store");
        return new DtlsServer(Settings.of(identityHint, store, null));
    }

    /**
     * A server presenting an X.509 certificate (ECDSA or RSA); clients are not asked for one
     * unless {@link #clientAuth} says so.
     *
     * @param serverIdentity the server's key and chain
     * @return the spec
     */
    public static DtlsServer certificate(DtlsIdentity serverIdentity) {
        Objects.requireNonNull(serverIdentity, "serverIdentity");
        return new DtlsServer(Settings.of(null, null, serverIdentity));
    }

    /**
     * Asks clients for a certificate leading to one of {@code trust}'s authorities. Certificate
     * servers only.
     *
     * @param mode optional or required
     * @param trust the authorities client certificates must lead to
     * @return the new spec
     */
    public DtlsServer clientAuth(ClientAuth mode, DtlsTrust trust) {
        if (settings.identity() == null) {
            throw new IllegalStateException("client authentication goes with certificate(...), not with a PSK");
        }
        Objects.requireNonNull(mode, "mode");
        if (mode != ClientAuth.NONE) {
            Objects.requireNonNull(trust, "trust");
        }
        return new DtlsServer(settings.withClientAuth(mode, trust));
    }

    /**
     * Accepts DTLS-SRTP (the use_srtp extension, RFC 5764) with these profiles, in this order of
     * preference; a client offering none of them gets a session without SRTP.
     *
     * @param profiles at least one
     * @return the new spec
     */
    public DtlsServer srtpProfiles(SrtpProfile... profiles) {
        if (profiles.length == 0) {
            throw new IllegalArgumentException("accept at least one SRTP profile");
        }
        return new DtlsServer(settings.withSrtpProfiles(List.of(profiles)));
    }

    /**
     * Caps handshakes in progress. A new client that passed the cookie exchange beyond it takes the
     * place of the oldest handshake whose client has sent nothing since its ClientHello; when
     * there is none, its ClientHello is dropped and counted (it will retransmit).
     *
     * @param max at least 1
     * @return the new spec
     */
    public DtlsServer maxHandshakes(int max) {
        if (max < 1) {
            throw new IllegalArgumentException("maxHandshakes must be at least 1, got " + max);
        }
        return new DtlsServer(settings.withCaps(max, settings.maxSessions()));
    }

    /**
     * Caps sessions (established and in handshake); beyond it new peers are dropped and counted.
     *
     * @param max at least 1
     * @return the new spec
     */
    public DtlsServer maxSessions(int max) {
        if (max < 1) {
            throw new IllegalArgumentException("maxSessions must be at least 1, got " + max);
        }
        return new DtlsServer(settings.withCaps(settings.maxHandshakes(), max));
    }

    /**
     * How long a handshake may take before it is abandoned.
     *
     * @param timeout positive
     * @return the new spec
     */
    public DtlsServer handshakeTimeout(Duration timeout) {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("handshakeTimeout must be positive, got " + timeout);
        }
        return new DtlsServer(settings.withTimeouts(timeout, settings.secondFlightTimeout()));
    }

    /**
     * How long a client that passed the cookie exchange may stay silent after its ClientHello: an
     * honest client answers the server's flight within a round trip (or retransmits after its
     * first timer, 1 s), while one that stalls on purpose would hold a handshake place for the
     * whole handshake timeout. Default {@link #DEFAULT_SECOND_FLIGHT_TIMEOUT}. When the handshake
     * cap is reached, such silent handshakes are also the ones a new client may displace, oldest
     * first ({@link LiveDtlsServer#evictedHandshakes()}).
     *
     * @param timeout positive
     * @return the new spec
     */
    public DtlsServer secondFlightTimeout(Duration timeout) {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("secondFlightTimeout must be positive, got " + timeout);
        }
        return new DtlsServer(settings.withTimeouts(settings.handshakeTimeout(), timeout));
    }

    /**
     * Keying material to export when each handshake completes (RFC 5705); read it with
     * {@link DtlsSession#exportKeyingMaterial}.
     *
     * @param label the exporter label, e.g. {@code EXTRACTOR-dtls_srtp}
     * @param context the context, or null
     * @param length bytes wanted
     * @return the new spec
     */
    public DtlsServer exportKeyingMaterial(String label, byte[] context, int length) {
        List<KeyingExport> more = new ArrayList<>(settings.exports());
        more.add(new KeyingExport(label, context, length));
        return new DtlsServer(settings.withExports(List.copyOf(more)));
    }

    /**
     * Accepts exactly these cipher suites, in this order of preference, instead of the AEAD-only
     * defaults. Names are IANA's; each must run on DTLS 1.2 and fit the spec (PSK suites for
     * {@link #psk}; for {@link #certificate}, suites the identity's key can serve). Non-AEAD
     * suites are possible here, and only here.
     *
     * @param ianaNames for example {@code TLS_PSK_WITH_AES_128_CCM_8}
     * @return the new spec
     * @throws IllegalArgumentException naming a suite that cannot be used
     */
    public DtlsServer cipherSuites(String... ianaNames) {
        DtlsIdentity identity = settings.identity();
        int[] suites = CipherSuites.select(identity != null ? CipherSuites.Kind.CERTIFICATE : CipherSuites.Kind.PSK, ianaNames);
        if (identity != null && CipherSuites.servable(suites, identity.isEc()).length == 0) {
            throw new IllegalArgumentException("none of " + String.join(", ", ianaNames) + " can be served with the identity's "
                    + (identity.isEc() ? "EC" : "RSA") + " key");
        }
        return new DtlsServer(settings.withCipherSuites(suites));
    }

    /**
     * Assigns each client that offers connection IDs (RFC 9146) a random ID of this many bytes.
     * Such a client writes its ID in every protected record, and the server routes those records
     * by ID rather than by address; when an authenticated record newer than any before arrives from
     * a new address, the session moves to it (RFC 9146 §6), so it survives NAT rebinding. Clients
     * that do not offer connection IDs are served as before. Off (0) unless configured.
     *
     * @param length 1 to 32 bytes, or 0 for off
     * @return the new spec
     */
    public DtlsServer connectionIdLength(int length) {
        if (length < 0 || length > MAX_CONNECTION_ID) {
            throw new IllegalArgumentException("connectionIdLength must be 0 (off) to " + MAX_CONNECTION_ID + ", got " + length);
        }
        return new DtlsServer(settings.withConnectionIdLength(length));
    }

    /**
     * Binds a UDP socket and starts serving.
     *
     * @param local the address and port; port 0 picks one
     * @return the live server, on subscription
     */
    @Override
    public Mono<LiveDtlsServer> bind(InetSocketAddress local) {
        return DtlsRuntime.ready()
                .then(settings.reusePort() ? UdpSocket.bindPerLoop(local) : UdpSocket.bind(local).map(List::of))
                .publishOn(DtlsRuntime.HANDSHAKES)
                .map(sockets -> {
                    try {
                        return start(sockets.stream().map(PacketPipe::of).toList(), sockets);
                    } catch (RuntimeException e) {
                        sockets.forEach(UdpSocket::dispose);
                        throw e;
                    }
                });
    }

    /**
     * Binds one socket per event loop on the same port with SO_REUSEPORT
     * ({@link UdpSocket#bindPerLoop}), so every loop reads the server's datagrams; the kernel
     * steers each client (by its address and port) to one socket. Handshakes, sessions, caps and
     * cookies stay server-wide. Only with Netty's native epoll transport; elsewhere one socket.
     * Applies to {@link #bind}; a pipe given to {@link #serve} is the caller's.
     *
     * @param enable one socket per event loop (true) or one socket (false, the default)
     * @return a copy
     */
    public DtlsServer reusePort(boolean enable) {
        return new DtlsServer(settings.withReusePort(enable));
    }

    /**
     * Serves over any packet path, for example the DTLS class of an
     * {@link io.sluice.dtls.packet.RtpPort} with the port's socket sending: the DTLS-SRTP handshake
     * then runs on the media port while RTP, RTCP and STUN keep their own streams. The cookie
     * exchange, caps and routing are those of {@link #bind}. Disposing the server stops the
     * pipe's inbound flow and ends its sessions; the pipe's sources and sink stay the caller's.
     * When the inbound flow ends on its own, the server stops.
     *
     * @param pipe the datagrams in and the sink out; one layer at a time
     * @return the live server, on subscription; fails with {@link io.sluice.dtls.packet.PacketEndpointException}
     *         if the pipe carries another layer already
     */
    public Mono<LiveDtlsServer> serve(PacketPipe pipe) {
        Objects.requireNonNull(pipe, "pipe");
        return DtlsRuntime.ready()
                .publishOn(DtlsRuntime.HANDSHAKES)
                .then(Mono.fromCallable(() -> start(List.of(pipe), List.of())));
    }

    private LiveDtlsServer start(List<PacketPipe> pipes, List<UdpSocket> ownSockets) {
        int[] suites = effectiveSuites();
        return new LiveDtlsServer(pipes, ownSockets, id -> newPeer(id, suites), settings.maxHandshakes(), settings.maxSessions(),
                settings.secondFlightTimeout(), settings.connectionIdLength(), new DtlsTraffic(settings.observing(), true));
    }

    /** The suites every handshake of this server accepts: the configured or default ones its key can serve. */
    private int[] effectiveSuites() {
        DtlsIdentity identity = settings.identity();
        int[] cipherSuites = settings.cipherSuites();
        if (identity != null) {
            return CipherSuites.servable(cipherSuites != null ? cipherSuites : CipherSuites.defaults(CipherSuites.Kind.CERTIFICATE),
                    identity.isEc());
        }
        return cipherSuites != null ? cipherSuites : CipherSuites.defaults(CipherSuites.Kind.PSK);
    }

    private TlsServer newPeer(byte[] connectionId, int[] suites) {
        Settings s = settings;
        HandshakeState state = new HandshakeState(s.handshakeTimeout(), s.exports(), s.srtpProfiles(), connectionId, suites);
        if (s.identity() != null) {
            return new Peers.CertServer(s.identity(), s.clientAuth(), s.clientTrust(), state);
        }
        PskStore pskStore = s.pskStore();
        byte[] hint = s.pskHint() == null ? null : s.pskHint().getBytes(StandardCharsets.UTF_8);
        state.pskHint = hint;
        return new Peers.PskServer(new TlsPSKIdentityManager() {
            @Override
            public byte[] getHint() {
                return hint;
            }

            @Override
            public byte[] getPSK(byte[] identity) {
                // BouncyCastle wipes the array it is given once the premaster secret is derived;
                // a copy keeps the application's key intact for the next handshake.
                byte[] key = pskStore.keyFor(identity);
                state.pskKey = key == null ? null : key.clone();
                return key == null ? null : key.clone();
            }
        }, state);
    }

    @Override
    public String toString() {
        Settings s = settings;
        return "DtlsServer[" + (s.identity() != null ? s.identity() + ", client auth " + s.clientAuth() : "PSK")
                + (s.connectionIdLength() > 0 ? ", connection IDs of " + s.connectionIdLength() + " bytes" : "") + ", maxHandshakes "
                + s.maxHandshakes() + ", maxSessions " + s.maxSessions() + ", handshake timeout " + s.handshakeTimeout() + "]";
    }

    /**
     * Records this server's meters in {@code registry}: handshakes by outcome and cipher suite with their
     * duration, sessions by state, datagrams and bytes each way, drops by reason (the README's
     * "Observing Sluice" has the table). Needs Micrometer on the class path.
     *
     * @param registry where to record
     * @return a copy
     */
    public DtlsServer metrics(io.micrometer.core.instrument.MeterRegistry registry) {
        return new DtlsServer(settings.withObserving(settings.observing().withMeters(SluiceMeters.of(registry))));
    }

    /**
     * @param enable record meters in Micrometer's global registry (true), or nowhere (false, the default)
     * @return a copy
     * @throws UnsupportedOperationException when enabling without Micrometer on the class path
     */
    public DtlsServer metrics(boolean enable) {
        return new DtlsServer(settings.withObserving(settings.observing().withMeters(SluiceMeters.global(enable))));
    }

    /**
     * @param enable log each datagram's records (content type, epoch, sequence number, length) at
     *     DEBUG under {@code io.sluice.wiretap.dtls}, with a hex dump at TRACE; or nothing (the default)
     * @return a copy
     */
    public DtlsServer wiretap(boolean enable) {
        return new DtlsServer(settings.withObserving(settings.observing().withWiretap(Wiretap.of("dtls", enable))));
    }

    /**
     * @param category the SLF4J logger to log records to
     * @param level the level of the one-line summaries (hex dumps at TRACE)
     * @return a copy
     */
    public DtlsServer wiretap(String category, org.slf4j.event.Level level) {
        return new DtlsServer(settings.withObserving(settings.observing().withWiretap(Wiretap.of(category, level))));
    }

}
