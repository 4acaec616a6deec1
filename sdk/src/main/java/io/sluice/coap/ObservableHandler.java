package io.sluice.coap;

import reactor.core.publisher.Flux;

/**
 * An observable resource (RFC 7641): the states of the resource as a {@code Flux}. A GET with
 * Observe: 0 registers an observer, which receives every state the flux emits, as notifications,
 * until it deregisters or the flux ends; a plain GET receives the first state.
 *
 * <p>The flux is subscribed once per observer and consumed with demand: a notification is sent
 * only when the previous one has been sent (NON) or acknowledged (CON). States that pile up
 * meanwhile wait in a buffer of 32; beyond it the oldest give way to the newest, as RFC 7641
 * §4.5.2 lets a server do (an observer wants the current state, not a history). When the flux
 * completes, the observer receives a final 4.04 Not Found without Observe, which ends the
 * observation (RFC 7641 §3.2); an error ends it with 5.00.
 */
@FunctionalInterface
public interface ObservableHandler {

    /**
     * @param request the registering request and its session
     * @return the resource's states
     */
    Flux<CoapResponse> observe(CoapServerRequest request);

}
