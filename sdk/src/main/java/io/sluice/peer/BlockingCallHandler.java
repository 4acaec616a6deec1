package io.sluice.peer;

/**
 * A handler that may block; it runs on the peer's bounded blocking scheduler, never on an event
 * loop. Throwing a {@link PeerException} chooses the caller's status; any other exception becomes
 * {@link PeerStatus#HANDLER_FAILED}. If the caller cancels, the handler's thread is interrupted.
 *
 * @param <Q> the request type
 * @param <R> the response type
 */
@FunctionalInterface
public interface BlockingCallHandler<Q, R> {

    /**
     * @param call the call
     * @param request the decoded request
     * @return the response, not {@code null}
     * @throws Exception any failure
     */
    R handle(IncomingCall call, Q request) throws Exception;
}
