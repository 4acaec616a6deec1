package io.sluice.messaging.sasl;

import io.sluice.error.ErrorCode;

/** Why a SASL authentication did not succeed. */
public enum SaslErrorCode implements ErrorCode {
    /** The client asked for a mechanism the server does not offer. */
    MECHANISM_NOT_OFFERED("sasl.mechanism-not-offered", "The server does not offer the SASL mechanism asked for."),
    /** Wrong credentials, or an unknown user (the two are not told apart, on purpose). */
    AUTHENTICATION_FAILED("sasl.authentication-failed", "The credentials were not accepted."),
    /** The authenticated user may not act as the authorization identity (role) asked for. */
    NOT_AUTHORIZED("sasl.not-authorized", "The authenticated user may not act as the role asked for."),
    /** A mechanism that sends the password in the clear was refused on a connection without TLS. */
    PLAINTEXT_REFUSED("sasl.plaintext-refused", "The mechanism would send the password in the clear, and the connection has no TLS."),
    /** A SASL message broke the mechanism's syntax or the exchange's order. */
    MALFORMED("sasl.malformed", "A SASL message was malformed or out of order."),
    /** The server's proof did not verify: the server does not know the password (or is not the server). */
    SERVER_NOT_VERIFIED("sasl.server-not-verified", "The server could not prove it knows the credentials.");

    private final String code;
    private final String description;

    SaslErrorCode(String code, String description) {
        this.code = code;
        this.description = description;
    }

    /**
     * The stable number of this code, as it travels on the wire (1100 and up, in declaration order).
     *
     * @return the number
     */
    public int number() {
        return 1100 + ordinal();
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
