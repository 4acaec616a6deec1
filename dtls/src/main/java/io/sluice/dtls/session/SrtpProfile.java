package io.sluice.dtls.session;

import java.util.Optional;

/** DTLS-SRTP protection profiles (RFC 5764 §4.1.2, RFC 7714), negotiated by the use_srtp extension. */
public enum SrtpProfile {
    /** SRTP_AES128_CM_HMAC_SHA1_80. */
    AES128_CM_HMAC_SHA1_80(0x0001),
    /** SRTP_AES128_CM_HMAC_SHA1_32. */
    AES128_CM_HMAC_SHA1_32(0x0002),
    /** SRTP_AEAD_AES_128_GCM. */
    AEAD_AES_128_GCM(0x0007),
    /** SRTP_AEAD_AES_256_GCM. */
    AEAD_AES_256_GCM(0x0008);

    private final int code;

    SrtpProfile(int code) {
        this.code = code;
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
