package io.sluice.peer;

import org.reactivestreams.Publisher;

/**
 * A non-blocking handler: it runs on the connection's event loop and must not block. It answers by
 * returning a publisher: a {@code Mono} for a unary call (completing later is lwmsg's
 * pend/complete), a {@code Flux} for a stream call, whose demand is the caller's. Cancellation by
 * the caller, or the connection closing, cancels the publisher. A failure reaches the caller as
 * {@link PeerStatus#HANDLER_FAILED}, or as the status of a {@link PeerException}.
 *
 * <p>Ownership: a decoded request that is a {@code ByteBuf} belongs to the handler, which releases
 * it.
 *
 * @param <Q> the request type
 * @param <R> the response type
 */
@FunctionalInterface
public interface CallHandler<Q, R> {

    /**
     * @param call the call
     * @param request the decoded request
     * @return the response(s)
     */
    Publisher<R> handle(IncomingCall call, Q request);
}
