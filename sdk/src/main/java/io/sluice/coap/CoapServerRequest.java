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

    /**
     * Whether the request's conditions hold for a resource in the given state (RFC 7252 §5.10.8):
     * one of its If-Match options must be met (an empty one by any current representation, another by an
     * equal ETag) and an If-None-Match only by a resource that does not exist. A handler answers 4.12
     * Precondition Failed when they do not, without performing the method; a route with an
     * {@link EtagLookup} has this done before the handler runs.
     *
     * @param currentEtag the resource's current ETag, an empty array when it exists without one, or
     *     null when it does not exist
     * @return true when the method may be performed
     */
    public boolean preconditionsHold(byte[] currentEtag) {
        io.sluice.codec.coap.CoapOptions options = request.options();
        if (options.has(io.sluice.codec.coap.CoapOptions.IF_NONE_MATCH) && currentEtag != null) {
            return false;
        }
        java.util.List<io.sluice.codec.coap.CoapOptions.Option> ifMatch = options.all(io.sluice.codec.coap.CoapOptions.IF_MATCH);
        if (ifMatch.isEmpty()) {
            return true;
        }
        if (currentEtag == null) {
            return false;
        }
        // Several If-Match options: any one that matches is enough (§5.10.8.1).
        for (io.sluice.codec.coap.CoapOptions.Option o : ifMatch) {
            if (o.value().length == 0 || java.util.Arrays.equals(o.value(), currentEtag)) {
                return true;
            }
        }
        return false;
    }

    /** @return the requester's address */
    public InetSocketAddress remoteAddress() {
        return session.remoteAddress();
    }
}
