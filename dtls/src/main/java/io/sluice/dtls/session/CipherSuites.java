package io.sluice.dtls.session;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.bouncycastle.tls.CipherSuite;
import org.bouncycastle.tls.CipherType;
import org.bouncycastle.tls.KeyExchangeAlgorithm;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.TlsUtils;

/**
 * Cipher suites: the defaults, AEAD only (GCM, CCM_8, ChaCha20-Poly1305) with forward-secret ones
 * first, and the checks a configured list goes through.
 */
final class CipherSuites {

    static final int[] PSK = TlsUtils.getSupportedCipherSuites(DtlsRuntime.CRYPTO, new int[] {
        // RFC 8442: forward secrecy with AES-GCM, which the JDK runs on AES-NI.
        CipherSuite.TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256,
        CipherSuite.TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256,
        CipherSuite.TLS_PSK_WITH_AES_128_GCM_SHA256,
        CipherSuite.TLS_PSK_WITH_AES_256_GCM_SHA384,
        CipherSuite.TLS_PSK_WITH_CHACHA20_POLY1305_SHA256,
        // RFC 7252's mandatory suite for CoAP over DTLS with PSK.
        CipherSuite.TLS_PSK_WITH_AES_128_CCM_8,
    });

    static final int[] CERTIFICATE = TlsUtils.getSupportedCipherSuites(DtlsRuntime.CRYPTO, new int[] {
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        // RFC 7252's mandatory suite for CoAP over DTLS with certificates.
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8,
        CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        CipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    });

    /** What a spec authenticates with; each takes only suites of its key exchanges. */
    enum Kind {
        PSK, CERTIFICATE
    }

    /**
     * Resolves IANA names to suites, in the given order of preference, refusing what cannot run.
     *
     * @throws IllegalArgumentException naming the first name that is unknown, not DTLS 1.2, not
     *         available from the crypto provider, or of the wrong key exchange
     */
    static int[] select(Kind kind, String... names) {
        if (names.length == 0) {
            throw new IllegalArgumentException("name at least one cipher suite");
        }
        List<Integer> out = new ArrayList<>();
        for (String name : names) {
            Integer suite = DtlsRuntime.suiteCode(name.toUpperCase(Locale.ROOT));
            if (suite == null) {
                throw new IllegalArgumentException("unknown cipher suite '" + name + "': give its IANA name, e.g."
                        + " TLS_PSK_WITH_AES_128_CCM_8");
            }
            if (!TlsUtils.isValidVersionForCipherSuite(suite, ProtocolVersion.DTLSv12)) {
                throw new IllegalArgumentException(name + " cannot be used with DTLS 1.2");
            }
            String canonical = DtlsRuntime.suiteName(suite);
            if (canonical.contains("_RC4_") || TlsUtils.getCipherType(suite) == CipherType.stream) {
                throw new IllegalArgumentException(name + " cannot be used with DTLS 1.2: stream ciphers are forbidden in DTLS"
                        + " (RFC 6347 §4.1.2.2)");
            }
            if (TlsUtils.getSupportedCipherSuites(DtlsRuntime.CRYPTO, new int[] {suite}).length == 0) {
                throw new IllegalArgumentException(name + " is not available from the crypto provider");
            }
            int kx = TlsUtils.getKeyExchangeAlgorithm(suite);
            boolean psk = kx == KeyExchangeAlgorithm.PSK || kx == KeyExchangeAlgorithm.ECDHE_PSK || kx == KeyExchangeAlgorithm.DHE_PSK;
            boolean certificate = kx == KeyExchangeAlgorithm.ECDHE_ECDSA || kx == KeyExchangeAlgorithm.ECDHE_RSA
                    || kx == KeyExchangeAlgorithm.DHE_RSA || kx == KeyExchangeAlgorithm.RSA;
            if (kind == Kind.PSK ? !psk : !certificate) {
                throw new IllegalArgumentException(name + " is not a " + (kind == Kind.PSK ? "pre-shared-key" : "certificate")
                        + " suite, and this spec authenticates with " + (kind == Kind.PSK ? "a PSK" : "certificates"));
            }
            if (!out.contains(suite)) {
                out.add(suite);
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The suites a server with this key can serve: ECDSA suites for an EC key, RSA ones otherwise. */
    static int[] servable(int[] suites, boolean ecKey) {
        return Arrays.stream(suites).filter(suite -> ecKey == (TlsUtils.getKeyExchangeAlgorithm(suite)
                == KeyExchangeAlgorithm.ECDHE_ECDSA)).toArray();
    }

    static int[] defaults(Kind kind) {
        return (kind == Kind.PSK ? PSK : CERTIFICATE).clone();
    }

    private CipherSuites() {
    }
}
