package io.sluice.dtls.session;

import org.bouncycastle.tls.CipherSuite;
import org.bouncycastle.tls.TlsUtils;

/** The default cipher suites: AEAD only (GCM, CCM_8, ChaCha20-Poly1305), forward-secret ones first. */
final class CipherSuites {

    static final int[] PSK = TlsUtils.getSupportedCipherSuites(DtlsRuntime.CRYPTO, new int[] {
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

    private CipherSuites() {
    }
}
