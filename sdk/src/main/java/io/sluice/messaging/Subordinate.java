package io.sluice.messaging;

import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * An answer in progress, as a subordinate object of a session: disposing it ends the answer with
 * an error instead of leaving the subscriber waiting. Thread-safe.
 */
final class Subordinate implements Disposable {

    private final Sinks.Empty<Void> ended = Sinks.empty();
    private volatile Throwable reason;

    /**
     * Ends the answer with {@code why}.
     *
     * @param why what the subscriber sees
     */
    void end(Throwable why) {
        if (reason == null) {
            reason = why;
            ended.tryEmitEmpty();
        }
    }

    @Override
    public void dispose() {
        end(new MessagingException(MessagingErrorCode.CLEARED, "cleared"));
    }

    @Override
    public boolean isDisposed() {
        return reason != null;
    }

    /** Demand passes through untouched: {@code takeUntilOther} neither prefetches nor buffers. */
    <T> Flux<T> guard(Flux<T> answer) {
        return answer.takeUntilOther(ended.asMono())
                .concatWith(Mono.defer(() -> reason == null ? Mono.empty() : Mono.error(reason)));
    }
}
