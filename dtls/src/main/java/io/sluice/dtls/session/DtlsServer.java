package io.sluice.dtls.session;

import io.sluice.dtls.packet.UdpSocket;
import io.sluice.security.SecureDatagramServer;
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

    private final String pskHint;
    private final PskStore pskStore;
    private final DtlsIdentity identity;
    private final ClientAuth clientAuth;
    private final DtlsTrust clientTrust;
    private final int maxHandshakes;
    private final int maxSessions;
    private final Duration handshakeTimeout;
    private final Duration secondFlightTimeout;
    private final List<KeyingExport> exports;
    private final List<SrtpProfile> srtpProfiles;
    private final int connectionIdLength;
    /** Null: the defaults for the spec's kind. */
    private final int[] cipherSuites;

    private DtlsServer(String pskHint, PskStore pskStore, DtlsIdentity identity, ClientAuth clientAuth, DtlsTrust clientTrust,
                       int maxHandshakes, int maxSessions, Duration handshakeTimeout, Duration secondFlightTimeout,
                       List<KeyingExport> exports, List<SrtpProfile> srtpProfiles, int connectionIdLength, int[] cipherSuites) {
        this.secondFlightTimeout = secondFlightTimeout;
        this.cipherSuites = cipherSuites;
        this.srtpProfiles = srtpProfiles;
        this.connectionIdLength = connectionIdLength;
        this.pskHint = pskHint;
        this.pskStore = pskStore;
        this.identity = identity;
        this.clientAuth = clientAuth;
        this.clientTrust = clientTrust;
        this.maxHandshakes = maxHandshakes;
        this.maxSessions = maxSessions;
        this.handshakeTimeout = handshakeTimeout;
        this.exports = exports;
    }

    private DtlsServer with(int handshakes, int sessions, Duration timeout, List<KeyingExport> ex) {
        return new DtlsServer(pskHint, pskStore, identity, clientAuth, clientTrust, handshakes, sessions, timeout, secondFlightTimeout, ex, srtpProfiles,
                connectionIdLength, cipherSuites);
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
        return new DtlsServer(identityHint, store, null, ClientAuth.NONE, null, DEFAULT_MAX_HANDSHAKES, DEFAULT_MAX_SESSIONS,
                DtlsClient.DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_SECOND_FLIGHT_TIMEOUT, List.of(), List.of(), 0, null);
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
        return new DtlsServer(null, null, serverIdentity, ClientAuth.NONE, null, DEFAULT_MAX_HANDSHAKES, DEFAULT_MAX_SESSIONS,
                DtlsClient.DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_SECOND_FLIGHT_TIMEOUT, List.of(), List.of(), 0, null);
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
        if (identity == null) {
            throw new IllegalStateException("client authentication goes with certificate(...), not with a PSK");
        }
        Objects.requireNonNull(mode, "mode");
        if (mode != ClientAuth.NONE) {
            Objects.requireNonNull(trust, "trust");
        }
        return new DtlsServer(pskHint, pskStore, identity, mode, trust, maxHandshakes, maxSessions, handshakeTimeout, secondFlightTimeout, exports,
                srtpProfiles, connectionIdLength, cipherSuites);
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
        return new DtlsServer(pskHint, pskStore, identity, clientAuth, clientTrust, maxHandshakes, maxSessions, handshakeTimeout, secondFlightTimeout,
                exports, List.of(profiles), connectionIdLength, cipherSuites);
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
        return with(max, maxSessions, handshakeTimeout, exports);
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
        return with(maxHandshakes, max, handshakeTimeout, exports);
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
        return with(maxHandshakes, maxSessions, timeout, exports);
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
        return new DtlsServer(pskHint, pskStore, identity, clientAuth, clientTrust, maxHandshakes, maxSessions, handshakeTimeout,
                timeout, exports, srtpProfiles, connectionIdLength, cipherSuites);
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
        List<KeyingExport> more = new ArrayList<>(exports);
        more.add(new KeyingExport(label, context, length));
        return with(maxHandshakes, maxSessions, handshakeTimeout, List.copyOf(more));
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
        int[] suites = CipherSuites.select(identity != null ? CipherSuites.Kind.CERTIFICATE : CipherSuites.Kind.PSK, ianaNames);
        if (identity != null && CipherSuites.servable(suites, identity.isEc()).length == 0) {
            throw new IllegalArgumentException("none of " + String.join(", ", ianaNames) + " can be served with the identity's "
                    + (identity.isEc() ? "EC" : "RSA") + " key");
        }
        return new DtlsServer(pskHint, pskStore, identity, clientAuth, clientTrust, maxHandshakes, maxSessions, handshakeTimeout, secondFlightTimeout,
                exports, srtpProfiles, connectionIdLength, suites);
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
        return new DtlsServer(pskHint, pskStore, identity, clientAuth, clientTrust, maxHandshakes, maxSessions, handshakeTimeout, secondFlightTimeout,
                exports, srtpProfiles, length, cipherSuites);
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
                .then(UdpSocket.bind(local))
                .publishOn(DtlsRuntime.HANDSHAKES)
                .map(socket -> {
                    int[] suites = effectiveSuites();
                    return new LiveDtlsServer(socket, id -> newPeer(id, suites), maxHandshakes, maxSessions,
                            secondFlightTimeout, connectionIdLength);
                });
    }

    /** The suites every handshake of this server accepts: the configured or default ones its key can serve. */
    private int[] effectiveSuites() {
        if (identity != null) {
            return CipherSuites.servable(cipherSuites != null ? cipherSuites : CipherSuites.defaults(CipherSuites.Kind.CERTIFICATE),
                    identity.isEc());
        }
        return cipherSuites != null ? cipherSuites : CipherSuites.defaults(CipherSuites.Kind.PSK);
    }

    private TlsServer newPeer(byte[] connectionId, int[] suites) {
        if (identity != null) {
            return new Peers.CertServer(identity, clientAuth, clientTrust,
                    new HandshakeState(handshakeTimeout, exports, srtpProfiles, connectionId, suites));
        }
        byte[] hint = pskHint == null ? null : pskHint.getBytes(StandardCharsets.UTF_8);
        HandshakeState state = new HandshakeState(handshakeTimeout, exports, srtpProfiles, connectionId, suites);
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
        return "DtlsServer[" + (identity != null ? identity + ", client auth " + clientAuth : "PSK") + (connectionIdLength > 0 ? ", connection IDs of " + connectionIdLength + " bytes" : "") + ", maxHandshakes " + maxHandshakes + ", maxSessions " + maxSessions + ", handshake timeout "
                + handshakeTimeout + "]";
    }
}
