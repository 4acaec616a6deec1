package io.sluice.coap;

/**
 * The transport a CoAP session runs over ({@code coap_proto_t}): UDP and DTLS (RFC 7252), and
 * the reliable transports of RFC 8323.
 */
public enum CoapProtocol {
    /** {@code coap://} over UDP (RFC 7252). */
    UDP("coap", 5683, false),
    /** {@code coaps://} over DTLS (RFC 7252 §9). */
    DTLS("coaps", 5684, true),
    /** {@code coap+tcp://} (RFC 8323). */
    TCP("coap+tcp", 5683, false),
    /** {@code coaps+tcp://} (RFC 8323). */
    TLS("coaps+tcp", 5684, true),
    /** {@code coap+ws://} (RFC 8323). */
    WS("coap+ws", 80, false),
    /** {@code coaps+ws://} (RFC 8323). */
    WSS("coaps+ws", 443, true);

    private final String scheme;
    private final int defaultPort;
    private final boolean secure;

    CoapProtocol(String scheme, int defaultPort, boolean secure) {
        this.scheme = scheme;
        this.defaultPort = defaultPort;
        this.secure = secure;
    }

    /** @return the URI scheme, e.g. {@code coaps} */
    public String scheme() {
        return scheme;
    }

    /** @return the port a URI without one means */
    public int defaultPort() {
        return defaultPort;
    }

    /** @return whether the transport is one of RFC 8323's (TCP, TLS, WebSockets): ordered, no message IDs, no ACKs */
    public boolean isReliable() {
        return this != UDP && this != DTLS;
    }

    /** @return whether the transport is protected */
    public boolean isSecure() {
        return secure;
    }

    /**
     * @param scheme a URI scheme
     * @return the protocol it names
     * @throws IllegalArgumentException for a scheme that is not CoAP's
     */
    public static CoapProtocol ofScheme(String scheme) {
        for (CoapProtocol p : values()) {
            if (p.scheme.equalsIgnoreCase(scheme)) {
                return p;
            }
        }
        throw new IllegalArgumentException("'" + scheme + "' is not a CoAP URI scheme");
    }
}
