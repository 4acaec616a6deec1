package io.sluice.coap;

import reactor.core.publisher.Mono;

/**
 * Answers one request. Runs on the endpoint's event loop and must not block: return a
 * {@code Mono} that completes later (from another scheduler if the work blocks). An empty
 * {@code Mono} answers 2.04 Changed for POST/PUT, 2.02 Deleted for DELETE, otherwise 2.05 with
 * no body; an error answers 5.00 with the error message as diagnostic payload.
 */
@FunctionalInterface
public interface CoapHandler {

    /**
     * @param request the request and its session
     * @return the response
     */
    Mono<CoapResponse> handle(CoapServerRequest request);
}
