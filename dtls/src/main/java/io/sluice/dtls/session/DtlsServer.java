package io.sluice.dtls.session;

import io.sluice.dtls.packet.UdpSocket;
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
public final class DtlsServer {

    /** Concurrent handshakes unless configured. */
    public static final int DEFAULT_MAX_HANDSHAKES = 64;
    /** Sessions unless configured. */
    public static final int DEFAULT_MAX_SESSIONS = 1024;

    private final String pskHint;
    private final PskStore pskStore;
    private final int maxHandshakes;
    private final int maxSessions;
    private final Duration handshakeTimeout;
    private final List<KeyingExport> exports;

    private DtlsServer(String pskHint, PskStore pskStore, int maxHandshakes, int maxSessions, Duration handshakeTimeout,
                       List<KeyingExport> exports) {
        this.exports = exports;
        this.pskHint = pskHint;
        this.pskStore = pskStore;
        this.maxHandshakes = maxHandshakes;
        this.maxSessions = maxSessions;
        this.handshakeTimeout = handshakeTimeout;
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
        return new DtlsServer(identityHint, store, DEFAULT_MAX_HANDSHAKES, DEFAULT_MAX_SESSIONS, DtlsClient.DEFAULT_HANDSHAKE_TIMEOUT, List.of());
    }

    /**
     * Caps handshakes in progress; a new peer's ClientHello beyond it is dropped and counted.
     *
     * @param max at least 1
     * @return the new spec
     */
    public DtlsServer maxHandshakes(int max) {
        if (max < 1) {
            throw new IllegalArgumentException("maxHandshakes must be at least 1, got " + max);
        }
        return new DtlsServer(pskHint, pskStore, max, maxSessions, handshakeTimeout, exports);
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
        return new DtlsServer(pskHint, pskStore, maxHandshakes, max, handshakeTimeout, exports);
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
        return new DtlsServer(pskHint, pskStore, maxHandshakes, maxSessions, timeout, exports);
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
        return new DtlsServer(pskHint, pskStore, maxHandshakes, maxSessions, handshakeTimeout, List.copyOf(more));
    }

    /**
     * Binds a UDP socket and starts serving.
     *
     * @param local the address and port; port 0 picks one
     * @return the live server, on subscription
     */
    public Mono<LiveDtlsServer> bind(InetSocketAddress local) {
        return DtlsRuntime.ready()
                .then(UdpSocket.bind(local))
                .publishOn(DtlsRuntime.SCHEDULER)
                .map(socket -> new LiveDtlsServer(socket, this::newPeer, maxHandshakes, maxSessions));
    }

    private TlsServer newPeer() {
        byte[] hint = pskHint == null ? null : pskHint.getBytes(StandardCharsets.UTF_8);
        return new Peers.PskServer(new TlsPSKIdentityManager() {
            @Override
            public byte[] getHint() {
                return hint;
            }

            @Override
            public byte[] getPSK(byte[] identity) {
                return pskStore.keyFor(identity);
            }
        }, handshakeTimeout, exports);
    }

    @Override
    public String toString() {
        return "DtlsServer[PSK, maxHandshakes " + maxHandshakes + ", maxSessions " + maxSessions + ", handshake timeout "
                + handshakeTimeout + "]";
    }
}
