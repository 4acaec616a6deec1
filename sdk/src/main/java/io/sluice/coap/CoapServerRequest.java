package io.sluice.coap;

import java.net.InetSocketAddress;

/**
 * What a handler is given: the request (its body reassembled if it came block-wise), the session
 * it arrived on and the path parameters of the route that matched.
 *
 * <p>Immutable. The session is live while the handler runs; a handler that keeps it longer
 * {@linkplain CoapSession#retain() retains} it.
 *
 * @param request the request
 * @param session the server session (or, after call-home, the client session) it arrived on
 * @param remainder for a route ending in {@code /**}, the rest of the path after the prefix; otherwise empty
 */
public record CoapServerRequest(CoapRequest request, CoapSession session, String remainder) {

    /** @return the requester's address */
    public InetSocketAddress remoteAddress() {
        return session.remoteAddress();
    }
}
