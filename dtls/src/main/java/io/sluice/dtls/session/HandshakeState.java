package io.sluice.dtls.session;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.io.IOException;
import org.bouncycastle.tls.Certificate;
import org.bouncycastle.tls.SecurityParameters;
import org.bouncycastle.tls.TlsContext;

/**
 * One handshake's Sluice settings and what it yields: the timeout, the RFC 5705 exports taken at
 * completion (BouncyCastle erases the master secret right after), and the use_srtp outcome. The
 * four BouncyCastle peer classes extend different BouncyCastle bases, so each delegates here.
 */
final class HandshakeState {

    final int timeoutMillis;
    final SrtpNegotiation srtp;
    /** The connection ID this side asks to receive (RFC 9146); empty = send only; null = not offered. */
    private final byte[] connectionId;
    private final int[] cipherSuites;
    private final List<KeyingExport> wanted;
    private volatile Negotiated negotiated;
    /** The PSK identity hint the server offered and the key the session was keyed with, when PSK was used. */
    volatile byte[] pskHint;
    volatile byte[] pskKey;
    private volatile Map<KeyingExport, byte[]> exports = Map.of();
    private volatile SrtpKeys srtpKeys;
    /** The application records' cipher, for the session's own record layer; handed over once. */
    private volatile RecordCipher cipher;

    HandshakeState(Duration timeout, List<KeyingExport> wanted, List<SrtpProfile> srtpProfiles, byte[] connectionId,
                   int[] cipherSuites) {
        this.timeoutMillis = (int) timeout.toMillis();
        this.cipherSuites = cipherSuites;
        this.connectionId = connectionId;
        this.wanted = wanted;
        this.srtp = new SrtpNegotiation(srtpProfiles);
    }

    /** Called from the peer's {@code notifyHandshakeComplete}, while the master secret still exists. */
    void completed(TlsContext tlsContext) throws IOException {
        Map<KeyingExport, byte[]> out = new HashMap<>();
        for (KeyingExport k : wanted) {
            out.put(k, tlsContext.exportKeyingMaterial(k.label(), k.context(), k.length()));
        }
        exports = out;
        // Taken whenever use_srtp was agreed, declared or not: the master secret is gone afterwards.
        srtpKeys = srtp.chosen().map(p -> new SrtpKeys(p, tlsContext.exportKeyingMaterial(SrtpKeys.EXPORTER_LABEL, null,
                p.keyingMaterialLength()))).orElse(null);
        // Thrown out of notifyHandshakeComplete, a failure fails the handshake: there is no other record layer.
        cipher = RecordCiphers.of(tlsContext);
        SecurityParameters p = tlsContext.getSecurityParametersConnection();
        // What the session reports, copied out so that the context (its parameters, nonce
        // generator and the rest) need not outlive the handshake: an idle session keeps only this.
        negotiated = new Negotiated(p.getCipherSuite(), p.getPSKIdentity(), p.getPeerCertificate(), p.getConnectionIDLocal(),
                p.getConnectionIDPeer());
    }

    /**
     * What a completed handshake settled.
     *
     * @param pskIdentity null unless a PSK was used
     * @param peerCertificate null or empty when the peer presented none
     * @param connectionIdLocal the connection ID in this side's records (the peer asked for it), null if none was negotiated
     * @param connectionIdPeer the connection ID in the peer's records (this side asked for it), null if none was negotiated
     */
    record Negotiated(int cipherSuite, byte[] pskIdentity, Certificate peerCertificate, byte[] connectionIdLocal,
                      byte[] connectionIdPeer) {
    }

    /** The record cipher, handed over once. */
    RecordCipher takeCipher() {
        RecordCipher c = cipher;
        cipher = null;
        return c;
    }

    /** What the peer's {@code getNewConnectionID} answers: BouncyCastle offers it only for DTLS 1.2. */
    byte[] connectionId() {
        return connectionId == null ? null : connectionId.clone();
    }

    /** The suites to offer or accept, in order of preference; BouncyCastle may reorder its copy. */
    int[] cipherSuites() {
        return cipherSuites.clone();
    }

    Negotiated negotiated() {
        return negotiated;
    }

    Map<KeyingExport, byte[]> exports() {
        return exports;
    }

    Optional<SrtpKeys> srtpKeys() {
        return Optional.ofNullable(srtpKeys);
    }

    Optional<SrtpProfile> srtpProfile() {
        return srtp.chosen();
    }
}
