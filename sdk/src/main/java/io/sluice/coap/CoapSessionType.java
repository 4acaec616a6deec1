package io.sluice.coap;

/** Which end of the session this side is ({@code coap_session_type_t}). */
public enum CoapSessionType {
    /** This side sends requests: opened by a {@link CoapClient}, or a server session after {@link CoapSession#becomeClient()}. */
    CLIENT,
    /** A peer connected to a {@link CoapServer}; this side answers its requests. */
    SERVER,
    /** A DTLS handshake is still being negotiated for the session. */
    HELLO
}
