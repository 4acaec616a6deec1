package io.sluice.coap;

import io.sluice.error.ErrorCode;

/** Why a CoAP operation failed. */
public enum CoapErrorCode implements ErrorCode {
    /** A confirmable message went unacknowledged, or no response came within the response timeout. */
    TIMEOUT("coap.timeout", "The peer did not acknowledge or answer in time."),
    /** The peer rejected a message with a Reset. */
    RESET("coap.reset", "The peer answered with a Reset."),
    /** The session was disconnected while the exchange was outstanding. */
    DISCONNECTED("coap.disconnected", "The session was disconnected."),
    /** The session was freed (its last release, its idle timeout, or its endpoint closing). */
    CLOSED("coap.closed", "The session is closed."),
    /** The operation needs a session of another type (for example a request on a server session). */
    WRONG_TYPE("coap.wrong-type", "The session's type does not allow this operation."),
    /** Too many requests are queued behind NSTART. */
    QUEUE_FULL("coap.queue-full", "Too many requests are waiting to be sent on this session."),
    /** A body exceeded the configured maximum. */
    TOO_LARGE("coap.too-large", "A body exceeds the configured maximum size."),
    /** The peer's answer broke the protocol (for example a block-wise transfer out of order). */
    BAD_RESPONSE("coap.bad-response", "The peer's answer breaks the protocol."),
    /** The DTLS handshake failed. */
    HANDSHAKE_FAILED("coap.handshake-failed", "The DTLS handshake failed."),
    /** A URI or address cannot be used. */
    BAD_URI("coap.bad-uri", "The URI or address cannot be used for CoAP."),
    /** Binding a socket failed. */
    BIND_FAILED("coap.bind-failed", "A UDP socket could not be bound.");

    private final String code;
    private final String description;

    CoapErrorCode(String code, String description) {
        this.code = code;
        this.description = description;
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
