package io.sluice.messaging;

import org.reactivestreams.Publisher;

/**
 * Serves one call type of a facility on a {@link MessagingServer}. Runs on the connection's event
 * loop and must not block (move blocking work with {@code subscribeOn(Schedulers.boundedElastic())}).
 * It is only called for an authenticated user authorized for the facility. It answers with a
 * {@code Mono} for a unary call and a {@code Flux} for a stream call, whose demand is the client's.
 * The answer is a subordinate object of the session: {@code clear} of its facility, or the
 * session ending, cancels it (the client sees {@link MessagingErrorCode#CLEARED}).
 *
 * <p>Ownership: a decoded request that is a {@code ByteBuf} belongs to the handler, which releases it.
 *
 * @param <Q> the request type
 * @param <R> the response type
 */
@FunctionalInterface
public interface FacilityHandler<Q, R> {

    /**
     * @param call who is calling, and where to track objects
     * @param request the request
     * @return the answer
     */
    Publisher<R> handle(FacilityCall call, Q request);
}
