package io.sluice.peer;

import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * A dispatch table: per call type, the handler that serves it (lwmsg's {@code LWMsgDispatchSpec}).
 * Immutable: each method returns a new table. A peer without a handler for a tag answers calls
 * with it with {@link PeerStatus#UNKNOWN_TAG}.
 */
public final class Dispatch {

    private static final Dispatch EMPTY = new Dispatch(Map.of());

    private final Map<Integer, Entry> entries;

    /** One registered handler, as the connection invokes it. */
    record Entry(CallType<?, ?> type, boolean blocking, Invoker invoker) { }

    /** Turns a decoded request into the handler's publisher; {@code blocking} work is moved to the scheduler. */
    @FunctionalInterface
    interface Invoker {
        Publisher<?> invoke(IncomingCall call, Object request, Scheduler blockingScheduler);
    }

    private Dispatch(Map<Integer, Entry> entries) {
        this.entries = entries;
    }

    /** @return an empty table */
    public static Dispatch create() {
        return EMPTY;
    }

    /**
     * Registers a non-blocking handler, run on the event loop.
     *
     * @param type the call type (unary or stream)
     * @param handler returns a {@code Mono} (unary) or a {@code Flux} (stream)
     * @param <Q> the request type
     * @param <R> the response type
     * @return the new table
     */
    @SuppressWarnings("unchecked")
    public <Q, R> Dispatch handle(CallType<Q, R> type, CallHandler<? super Q, ? extends R> handler) {
        Objects.requireNonNull(handler, "handler");
        return with(new Entry(type, false, (call, request, scheduler) -> handler.handle(call, (Q) request)));
    }

    /**
     * Registers a blocking handler for a unary call type, run on the peer's blocking scheduler.
     *
     * @param type a unary call type
     * @param handler the handler
     * @param <Q> the request type
     * @param <R> the response type
     * @return the new table
     */
    @SuppressWarnings("unchecked")
    public <Q, R> Dispatch handleBlocking(CallType<Q, R> type, BlockingCallHandler<? super Q, ? extends R> handler) {
        Objects.requireNonNull(handler, "handler");
        requireKind(type, CallType.Kind.UNARY, "handleBlocking");
        return with(new Entry(type, true, (call, request, scheduler) ->
                Mono.fromCallable(() -> handler.handle(call, (Q) request)).subscribeOn(scheduler)));
    }

    /**
     * Registers a blocking handler for a stream call type; its stream is pulled on the peer's
     * blocking scheduler as demand arrives.
     *
     * @param type a stream call type
     * @param handler the handler
     * @param <Q> the request type
     * @param <R> the element type
     * @return the new table
     */
    @SuppressWarnings("unchecked")
    public <Q, R> Dispatch handleBlockingStream(CallType<Q, R> type, BlockingStreamHandler<? super Q, ? extends R> handler) {
        Objects.requireNonNull(handler, "handler");
        requireKind(type, CallType.Kind.STREAM, "handleBlockingStream");
        return with(new Entry(type, true, (call, request, scheduler) ->
                Flux.defer(() -> {
                    try {
                        return Flux.fromStream(handler.handle(call, (Q) request));
                    } catch (Exception e) {
                        return Flux.error(e);
                    }
                }).subscribeOn(scheduler)));
    }

    /**
     * Adds every handler of {@code other} (lwmsg lets a peer take several dispatch specs).
     *
     * @param other another table
     * @return the new table
     * @throws IllegalArgumentException when both tables handle a tag
     */
    public Dispatch merge(Dispatch other) {
        Dispatch result = this;
        for (Entry e : other.entries.values()) {
            result = result.with(e);
        }
        return result;
    }

    Entry entry(int tag) {
        return entries.get(tag);
    }

    Map<Integer, Entry> entries() {
        return entries;
    }

    private Dispatch with(Entry entry) {
        if (entries.containsKey(entry.type().tag())) {
            throw new IllegalArgumentException("a handler for " + entries.get(entry.type().tag()).type()
                    + " is already registered");
        }
        Map<Integer, Entry> copy = new HashMap<>(entries);
        copy.put(entry.type().tag(), entry);
        return new Dispatch(Collections.unmodifiableMap(copy));
    }

    private static void requireKind(CallType<?, ?> type, CallType.Kind kind, String method) {
        if (type.kind() != kind) {
            throw new IllegalArgumentException(method + " takes a " + kind + " call type; " + type + " is not");
        }
    }
}
