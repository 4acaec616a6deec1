package io.sluice.coap;

import reactor.core.publisher.Mono;

/**
 * The current state of a resource, for conditional requests (RFC 7252 §5.10.8): declared per path
 * with {@link CoapRoutes#etags}, it lets the server answer a request carrying If-Match or
 * If-None-Match with 4.12 Precondition Failed before the handler runs, as the RFC requires ("the
 * server MUST NOT perform the requested method").
 *
 * <p>Called for each conditional request on any thread, possibly the server's event loop: it must
 * not block (return a Mono that does the slow part elsewhere).
 */
@FunctionalInterface
public interface EtagLookup {

    /**
     * @param request the conditional request
     * @return the target resource's current ETag (an empty array when it exists without one), or an
     *     empty Mono when it does not exist
     */
    Mono<byte[]> current(CoapServerRequest request);
}
