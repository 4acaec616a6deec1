package io.sluice.coap;

import io.sluice.codec.coap.CoapCode;
import reactor.core.publisher.Mono;
import reactor.util.context.ContextView;

/**
 * Observations around CoAP requests, behind an interface so that nothing here loads Micrometer's
 * Observation API unless a spec was given an {@code ObservationRegistry}
 * ({@link CoapServer#observations}, {@link CoapClient#observations}). Handles are opaque; called
 * on the endpoint's event loop (the client's start on the subscriber's thread), never blocking.
 */
interface CoapTracing {

    /** No observations. */
    CoapTracing NONE = new CoapTracing() {
    };

    /** @return whether requests are observed */
    default boolean enabled() {
        return false;
    }

    /** @return a started observation of a request this client sends, child of the subscriber's, or null */
    default Object startClient(CoapCode method, CoapProtocol protocol, ContextView context) {
        return null;
    }

    /** @return a started observation of a request this server answers, or null */
    default Object startServer(CoapCode method, CoapProtocol protocol) {
        return null;
    }

    /** Ends an observation with the response class (2, 4, 5, or {@link CoapTraffic#NO_RESPONSE}). */
    default void stop(Object handle, int responseClass, Throwable error) {
    }

    /** The handler's answer, with the observation current while it is built and in its Reactor context. */
    default Mono<CoapResponse> around(Object handle, java.util.function.Supplier<Mono<CoapResponse>> handler) {
        return handler.get();
    }
}
