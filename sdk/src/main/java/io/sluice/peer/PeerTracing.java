package io.sluice.peer;

import java.net.SocketAddress;
import java.util.Map;
import org.reactivestreams.Publisher;
import reactor.util.context.ContextView;

/**
 * Observations around peer calls, behind an interface so that nothing here loads Micrometer's
 * Observation API unless a spec was given an {@code ObservationRegistry}
 * ({@link Peer#observations}). Handles are opaque; every method is called on the connection's
 * event loop and must not block.
 */
interface PeerTracing {

    /** No observations: every call is a no-op. */
    PeerTracing NONE = new PeerTracing() {
    };

    /** @return whether calls are observed (callers skip building carriers when not) */
    default boolean enabled() {
        return false;
    }

    /**
     * Starts the caller's observation, child of the one in the subscriber's Reactor context (or the
     * current one), and writes the trace context to send into {@code carrier}.
     *
     * @return the handle, or null
     */
    default Object startOutgoing(CallType<?, ?> type, ContextView context, Map<String, String> carrier, SocketAddress remote) {
        return null;
    }

    /**
     * Starts the callee's observation, continuing the trace context the request carried.
     *
     * @return the handle, or null
     */
    default Object startIncoming(CallType<?, ?> type, Map<String, String> metadata, SocketAddress remote) {
        return null;
    }

    /** Ends an observation with the call's status (and failure, if any). Null handles are ignored. */
    default void stop(Object handle, PeerStatus status, Throwable error) {
    }

    /** Runs {@code invocation} (the handler building its publisher) with the observation current. */
    default <T> T inScope(Object handle, java.util.function.Supplier<T> invocation) {
        return invocation.get();
    }

    /** The handler's publisher, with the observation in its Reactor context so nested calls and context propagation see it. */
    default Publisher<?> withObservation(Object handle, Publisher<?> response) {
        return response;
    }
}
