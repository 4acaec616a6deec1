package io.sluice.session;

import java.util.function.Function;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A live object shared by reference count: whoever keeps it beyond the call that handed it over
 * calls {@link #retain()}, and {@link #release()} when done. Using it after the final release
 * fails with {@link SessionErrorCode#RELEASED}.
 *
 * <p>{@link #using} scopes a retain to a reactive pipeline, releasing on completion, error and
 * cancellation alike. Implementations are thread-safe.
 */
public interface Retainable {

    /**
     * Adds a reference.
     *
     * @return this object
     * @throws SessionException {@link SessionErrorCode#RELEASED} after the final release
     */
    Retainable retain();

    /**
     * Drops a reference.
     *
     * @return {@code true} if this was the last reference
     * @throws SessionException {@link SessionErrorCode#OVER_RELEASED} without a matching retain
     */
    boolean release();

    /** @return the current reference count */
    int refCount();

    /**
     * Retains {@code resource} for as long as {@code body}'s publisher runs, then releases it,
     * however that publisher ends (complete, error or cancel).
     *
     * @param resource the object to hold
     * @param body what to do with it
     * @param <T> the object type
     * @param <R> the element type of the body
     * @return the body's elements; the retain happens on subscription
     */
    static <T extends Retainable, R> Flux<R> using(T resource, Function<? super T, ? extends Publisher<R>> body) {
        return Flux.usingWhen(Mono.fromCallable(() -> {
            resource.retain();
            return resource;
        }), body, r -> Mono.fromRunnable(r::release));
    }
}
