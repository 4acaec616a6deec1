package io.sluice.coap;

/**
 * The state of a CoAP session ({@code coap_session_state_t}), plus {@link #CLOSED} for a session
 * that has been freed (in libcoap the handle is then gone; here the object remains and says so).
 */
public enum CoapSessionState {
    /** No connection: not yet connected, or {@linkplain CoapSession#disconnect disconnected}. */
    NONE,
    /** Connecting a reliable transport (RFC 8323 transports only). */
    CONNECTING,
    /** A DTLS handshake is in progress. */
    HANDSHAKE,
    /** Exchanging Capabilities and Settings Messages (RFC 8323 transports only). */
    CSM,
    /** Ready for requests. */
    ESTABLISHED,
    /** Freed: by its last release (client), its idle timeout (server) or its endpoint's end. Terminal. */
    CLOSED
}
