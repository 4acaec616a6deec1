package io.sluice.messaging;

import io.sluice.error.ErrorCode;
import io.sluice.messaging.sasl.SaslErrorCode;
import java.util.Optional;

/**
 * Why a messaging operation failed: the stable codes of SOM's {@code SOMError}, each with a
 * number (1200 and up) and a description. SASL failures carry {@link SaslErrorCode}s (1100 and
 * up); {@link #describe(int)} names both.
 */
public enum MessagingErrorCode implements ErrorCode {
    /** No connection could be made to the server. */
    CONNECT_FAILED(1200, "messaging.connect-failed", "The server could not be reached."),
    /** The TLS handshake failed. */
    TLS_FAILED(1201, "messaging.tls-failed", "The TLS handshake failed: an untrusted or expired certificate, a host-name mismatch, or no common protocol."),
    /** The server does not serve the SASL service name the client asked for. */
    SERVICE_NOT_SERVED(1202, "messaging.service-not-served", "The server does not serve the SASL service name asked for."),
    /** A facility call on a session that has not authenticated. */
    NOT_AUTHENTICATED(1203, "messaging.not-authenticated", "The session is not authenticated."),
    /** The user may not use the facility. */
    FACILITY_NOT_AUTHORIZED(1204, "messaging.facility-not-authorized", "The authenticated user is not authorized for the facility."),
    /** The session was created without the facility. */
    FACILITY_NOT_REQUESTED(1205, "messaging.facility-not-requested", "The session was not created for the facility."),
    /** The server does not provide the facility. */
    UNKNOWN_FACILITY(1206, "messaging.unknown-facility", "The server does not provide the facility."),
    /** The session is closed. */
    CLOSED(1207, "messaging.closed", "The session is closed."),
    /** The connection was lost; the session is closed. */
    CONNECTION_LOST(1208, "messaging.connection-lost", "The connection to the server was lost."),
    /** A subordinate object was cleared by {@code clear(facilities)}. */
    CLEARED(1209, "messaging.cleared", "The object was cleared with its facility."),
    /** The server broke the session protocol. */
    PROTOCOL(1210, "messaging.protocol", "The other side broke the messaging session protocol."),
    /** The server did not answer a session step (connecting, authenticating, clearing) in time. */
    TIMEOUT(1211, "messaging.timeout", "The server did not answer in time.");

    private final int number;
    private final String code;
    private final String description;

    MessagingErrorCode(int number, String code, String description) {
        this.number = number;
        this.code = code;
        this.description = description;
    }

    /** @return the stable number, as it travels on the wire */
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

    /**
     * @param number a messaging or SASL error number
     * @return its code, if any
     */
    public static Optional<ErrorCode> of(int number) {
        for (MessagingErrorCode c : values()) {
            if (c.number == number) {
                return Optional.of(c);
            }
        }
        for (SaslErrorCode c : SaslErrorCode.values()) {
            if (c.number() == number) {
                return Optional.of(c);
            }
        }
        return Optional.empty();
    }

    /**
     * The description of an error number ({@code SOMError}).
     *
     * @param number a messaging or SASL error number
     * @return its description, or "unknown error N"
     */
    public static String describe(int number) {
        return of(number).map(ErrorCode::description).orElse("unknown error " + number);
    }
}
