package io.sluice.dtls.session;

import java.util.Optional;

/** DTLS-SRTP protection profiles (RFC 5764 §4.1.2, RFC 7714), negotiated by the use_srtp extension. */
public enum SrtpProfile {
    /** SRTP_AES128_CM_HMAC_SHA1_80. */
    AES128_CM_HMAC_SHA1_80(0x0001, 16, 14),
    /** SRTP_AES128_CM_HMAC_SHA1_32. */
    AES128_CM_HMAC_SHA1_32(0x0002, 16, 14),
    /** SRTP_AEAD_AES_128_GCM. */
    AEAD_AES_128_GCM(0x0007, 16, 12),
    /** SRTP_AEAD_AES_256_GCM. */
    AEAD_AES_256_GCM(0x0008, 32, 12);

    private final int code;
    private final int keyLength;
    private final int saltLength;

    SrtpProfile(int code, int keyLength, int saltLength) {
        this.code = code;
        this.keyLength = keyLength;
        this.saltLength = saltLength;
    }

    /**
     * The master key length (RFC 5764 §4.1.2, RFC 7714 §14.2).
     *
     * @return bytes
     */
    public int keyLength() {
        return keyLength;
    }

    /**
     * The master salt length.
     *
     * @return bytes
     */
    public int saltLength() {
        return saltLength;
    }

    /**
     * How much keying material the profile takes from the {@code EXTRACTOR-dtls_srtp} exporter:
     * a key and a salt for each direction (RFC 5764 §4.2).
     *
     * @return bytes
     */
    public int keyingMaterialLength() {
        return 2 * (keyLength + saltLength);
    }

    /**
     * The profile's registry value.
     *
     * @return the two-byte code
     */
    public int code() {
        return code;
    }

    static Optional<SrtpProfile> of(int code) {
        for (SrtpProfile p : values()) {
            if (p.code == code) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }
}
