package io.sluice.coap;

/**
 * Why a session was disconnected or an exchange failed ({@code coap_nack_reason_t}). Carried by
 * {@link CoapException#reason()}.
 */
public enum CoapNackReason {
    /** A confirmable message was not acknowledged after MAX_RETRANSMIT retransmissions. */
    TOO_MANY_RETRIES,
    /** The message could not be delivered (the session or socket is closed). */
    NOT_DELIVERABLE,
    /** The peer answered with a Reset. */
    RST,
    /** The DTLS handshake or session failed. */
    TLS_FAILED,
    /** The network reported the peer unreachable. */
    ICMP_ISSUE,
    /** The peer's answer was malformed or out of protocol. */
    BAD_RESPONSE,
    /** The TLS layer reported an error (RFC 8323 transports). */
    TLS_LAYER,
    /** The WebSocket layer reported an error (RFC 8323 transports). */
    WS_LAYER,
    /** The WebSocket handshake failed (RFC 8323 transports). */
    WS_FAILED,
    /** The application disconnected the session. */
    APPLICATION
}
