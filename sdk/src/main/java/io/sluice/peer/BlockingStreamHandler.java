package io.sluice.peer;

import java.util.stream.Stream;

/**
 * A blocking handler for a stream call: it returns a {@link Stream} that is pulled on the peer's
 * bounded blocking scheduler as the caller's demand arrives, and closed when the call ends.
 *
 * @param <Q> the request type
 * @param <R> the element type
 */
@FunctionalInterface
public interface BlockingStreamHandler<Q, R> {

    /**
     * @param call the call
     * @param request the decoded request
     * @return the elements, pulled lazily
     * @throws Exception any failure
     */
    Stream<R> handle(IncomingCall call, Q request) throws Exception;
}
