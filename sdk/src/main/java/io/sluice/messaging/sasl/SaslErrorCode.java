package io.sluice.messaging.sasl;

import io.sluice.error.ErrorCode;

/** Why a SASL authentication did not succeed. */
public enum SaslErrorCode implements ErrorCode {
    /** The client asked for a mechanism the server does not offer. */
    MECHANISM_NOT_OFFERED(1100, "sasl.mechanism-not-offered", "The server does not offer the SASL mechanism asked for."),
    /** Wrong credentials, or an unknown user (the two are not told apart, on purpose). */
    AUTHENTICATION_FAILED(1101, "sasl.authentication-failed", "The credentials were not accepted."),
    /** The authenticated user may not act as the authorization identity (role) asked for. */
    NOT_AUTHORIZED(1102, "sasl.not-authorized", "The authenticated user may not act as the role asked for."),
    /** A mechanism that sends the password in the clear was refused on a connection without TLS. */
    PLAINTEXT_REFUSED(1103, "sasl.plaintext-refused", "The mechanism would send the password in the clear, and the connection has no TLS."),
    /** A SASL message broke the mechanism's syntax or the exchange's order. */
    MALFORMED(1104, "sasl.malformed", "A SASL message was malformed or out of order."),
    /** The server's proof did not verify: the server does not know the password (or is not the server). */
    SERVER_NOT_VERIFIED(1105, "sasl.server-not-verified", "The server could not prove it knows the credentials.");

    private final int number;
    private final String code;
    private final String description;

    // Numbers are written out, never derived from the order: they travel on the wire, and a
    // reordered or inserted constant must not change what an older peer reads.
    SaslErrorCode(int number, String code, String description) {
        this.number = number;
        this.code = code;
        this.description = description;
    }

    /**
     * The stable number of this code, as it travels on the wire (1100 and up).
     *
     * @return the number
     */
    public int number() {
        return number;
    }

    @Override
    public String code() {
        return code;
    }

    @Override
    public String description() {
        return description;
    }
}
