package io.sluice.dtls.session;

import java.util.Arrays;

/**
 * The SRTP master keys and salts a DTLS-SRTP handshake yields (RFC 5764 §4.2): the
 * {@code EXTRACTOR-dtls_srtp} keying material split by the negotiated profile's lengths into the
 * client's write key, the server's write key, the client's write salt and the server's write salt,
 * in that order. The client protects what it sends with the client's key and salt and the server
 * with the server's; each side uses the other's to unprotect.
 *
 * <p>Immutable: every accessor returns a copy. Treat the values as secrets.
 */
public final class SrtpKeys {

    /** The exporter label RFC 5764 §4.2 names. */
    public static final String EXPORTER_LABEL = "EXTRACTOR-dtls_srtp";

    private final SrtpProfile profile;
    private final byte[] material;

    /**
     * Splits exported keying material.
     *
     * @param profile the negotiated profile
     * @param material at least {@link SrtpProfile#keyingMaterialLength()} bytes from the exporter
     */
    SrtpKeys(SrtpProfile profile, byte[] material) {
        if (material.length < profile.keyingMaterialLength()) {
            throw new IllegalArgumentException(profile + " needs " + profile.keyingMaterialLength() + " bytes of keying material, got "
                    + material.length);
        }
        this.profile = profile;
        this.material = Arrays.copyOf(material, profile.keyingMaterialLength());
    }

    /**
     * The profile the keys are for.
     *
     * @return the negotiated profile
     */
    public SrtpProfile profile() {
        return profile;
    }

    /**
     * The client's SRTP master key.
     *
     * @return a copy
     */
    public byte[] clientMasterKey() {
        return Arrays.copyOfRange(material, 0, profile.keyLength());
    }

    /**
     * The server's SRTP master key.
     *
     * @return a copy
     */
    public byte[] serverMasterKey() {
        return Arrays.copyOfRange(material, profile.keyLength(), 2 * profile.keyLength());
    }

    /**
     * The client's SRTP master salt.
     *
     * @return a copy
     */
    public byte[] clientMasterSalt() {
        int from = 2 * profile.keyLength();
        return Arrays.copyOfRange(material, from, from + profile.saltLength());
    }

    /**
     * The server's SRTP master salt.
     *
     * @return a copy
     */
    public byte[] serverMasterSalt() {
        int from = 2 * profile.keyLength() + profile.saltLength();
        return Arrays.copyOfRange(material, from, from + profile.saltLength());
    }

    /**
     * The whole keying material, in RFC 5764's order.
     *
     * @return a copy
     */
    public byte[] keyingMaterial() {
        return material.clone();
    }

    /** Names the profile only; the keys stay out of logs. */
    @Override
    public String toString() {
        return "SrtpKeys[" + profile + "]";
    }
}
