package io.sluice.event;

import java.util.Arrays;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicLongFieldUpdater;
import java.util.concurrent.atomic.LongAdder;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.Scannable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Operators;
import reactor.util.concurrent.Queues;

/**
 * A hot stream of events for many subscribers, bounded per subscriber.
 *
 * <p>{@link #emit} never blocks and never fails: from any thread, it records the event and hands it
 * to every current subscriber. Each subscriber has a buffer of {@link #bufferSize()} events; when a
 * subscriber has not requested enough and its buffer is full, its oldest buffered event is dropped,
 * counted in {@link #dropped()} and passed to the subscriber's discard hook
 * ({@code Flux.doOnDiscard}), so a subscriber that cares can count its own losses. Other subscribers
 * are not affected by a slow one.
 *
 * <p>A stream created {@linkplain #replayingLatest replaying the latest event} gives each new
 * subscriber the most recent event first (also after the stream has terminated), which suits
 * state: see {@code io.sluice.session.StateMachine}. Events emitted from one thread reach each
 * subscriber in emission order; emissions from several threads at once are ordered as they were
 * recorded.
 *
 * <p>{@link #complete()} and {@link #error(Throwable)} terminate every subscriber after its buffered
 * events, and any later subscriber at once; events emitted after termination are ignored.
 *
 * <p>Thread-safe and lock-free. Events are delivered on the emitting thread or on the thread that
 * requests; subscribers that need another thread use {@code publishOn}. Events should not hold
 * buffers: dropped events are not released.
 *
 * @param <T> the event type
 */
public final class EventStream<T> {

    private static final Object COMPLETE = new Object();

    private final int bufferSize;
    private final boolean replayLatest;
    private final LongAdder dropped = new LongAdder();
    private final Queue<Object> commands = Queues.unboundedMultiproducer().get();
    private final Flux<T> flux = new EventFlux();

    private volatile int wip;
    @SuppressWarnings("rawtypes")
    private static final AtomicIntegerFieldUpdater<EventStream> WIP =
            AtomicIntegerFieldUpdater.newUpdater(EventStream.class, "wip");

    // Written only by the thread that holds wip; read anywhere.
    private volatile Inner<T>[] subscribers = newArray(0);
    private volatile boolean terminated;
    private T latest;
    private Throwable failure;

    private EventStream(int bufferSize, boolean replayLatest) {
        if (bufferSize <= 0) {
            throw new IllegalArgumentException("bufferSize must be positive, was " + bufferSize);
        }
        this.bufferSize = bufferSize;
        this.replayLatest = replayLatest;
    }

    /**
     * A stream whose subscribers see the events emitted after they subscribed.
     *
     * @param bufferSize how many events each subscriber may have waiting before the oldest is dropped
     * @param <T> the event type
     * @return the stream
     */
    public static <T> EventStream<T> create(int bufferSize) {
        return new EventStream<>(bufferSize, false);
    }

    /**
     * A stream that also gives each new subscriber the latest event emitted before it subscribed.
     *
     * @param bufferSize how many events each subscriber may have waiting before the oldest is dropped
     * @param <T> the event type
     * @return the stream
     */
    public static <T> EventStream<T> replayingLatest(int bufferSize) {
        return new EventStream<>(bufferSize, true);
    }

    /**
     * Hands {@code event} to every subscriber. Never blocks; ignored after termination.
     *
     * @param event the event, not {@code null}
     */
    public void emit(T event) {
        commands.offer(Objects.requireNonNull(event, "event"));
        drainCommands();
    }

    /** Completes every subscriber once it has received its buffered events. Idempotent. */
    public void complete() {
        commands.offer(COMPLETE);
        drainCommands();
    }

    /**
     * Fails every subscriber with {@code error} once it has received its buffered events. Ignored
     * when already terminated.
     *
     * @param error the failure
     */
    public void error(Throwable error) {
        commands.offer(new Failure(Objects.requireNonNull(error, "error")));
        drainCommands();
    }

    /**
     * The events, hot: each subscriber sees what is emitted while it is subscribed (and, when
     * replaying, the latest event before). Cancelling unsubscribes.
     *
     * @return the event flux
     */
    public Flux<T> events() {
        return flux;
    }

    /** @return events dropped from subscribers' full buffers since creation, over all subscribers */
    public long dropped() {
        return dropped.sum();
    }

    /** @return how many subscribers are currently subscribed */
    public int subscriberCount() {
        return subscribers.length;
    }

    /** @return the per-subscriber buffer size */
    public int bufferSize() {
        return bufferSize;
    }

    /** @return whether {@link #complete()} or {@link #error(Throwable)} has taken effect */
    public boolean isTerminated() {
        return terminated;
    }

    private void drainCommands() {
        if (WIP.getAndIncrement(this) != 0) {
            return;
        }
        int missed = 1;
        for (;;) {
            for (Object command; (command = commands.poll()) != null; ) {
                execute(command);
            }
            missed = WIP.addAndGet(this, -missed);
            if (missed == 0) {
                return;
            }
        }
    }

    @SuppressWarnings("unchecked")
    private void execute(Object command) {
        if (command instanceof Subscribe s) {
            Inner<T> inner = (Inner<T>) s.inner;
            if (replayLatest && latest != null) {
                inner.offer(latest);
            }
            if (terminated) {
                inner.terminate(failure);
            } else if (!inner.cancelled) {
                Inner<T>[] current = subscribers;
                Inner<T>[] next = Arrays.copyOf(current, current.length + 1);
                next[current.length] = inner;
                subscribers = next;
            }
        } else if (command instanceof Unsubscribe u) {
            remove(u.inner);
        } else if (command == COMPLETE || command instanceof Failure) {
            if (!terminated) {
                failure = command instanceof Failure f ? f.error : null;
                terminated = true;
                Inner<T>[] current = subscribers;
                subscribers = newArray(0);
                for (Inner<T> inner : current) {
                    inner.terminate(failure);
                }
            }
        } else if (!terminated) {
            T event = (T) command;
            if (replayLatest) {
                latest = event;
            }
            for (Inner<T> inner : subscribers) {
                inner.offer(event);
            }
        }
    }

    private void remove(Inner<?> inner) {
        Inner<T>[] current = subscribers;
        for (int i = 0; i < current.length; i++) {
            if (current[i] == inner) {
                Inner<T>[] next = newArray(current.length - 1);
                System.arraycopy(current, 0, next, 0, i);
                System.arraycopy(current, i + 1, next, i, current.length - i - 1);
                subscribers = next;
                return;
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static <T> Inner<T>[] newArray(int length) {
        return (Inner<T>[]) new Inner<?>[length];
    }

    private record Subscribe(Inner<?> inner) { }

    private record Unsubscribe(Inner<?> inner) { }

    private record Failure(Throwable error) { }

    private final class EventFlux extends Flux<T> implements Scannable {
        @Override
        public void subscribe(CoreSubscriber<? super T> actual) {
            Inner<T> inner = new Inner<>(EventStream.this, actual);
            actual.onSubscribe(inner);
            commands.offer(new Subscribe(inner));
            drainCommands();
        }

        @Override
        public Object scanUnsafe(Attr key) {
            if (key == Attr.BUFFERED) {
                return bufferSize;
            }
            if (key == Attr.TERMINATED) {
                return terminated;
            }
            return null;
        }
    }

    /**
     * One subscriber. {@code offer} and {@code terminate} are called only by the stream's command
     * drain (one thread at a time); {@code request}, {@code cancel} and delivery run in this inner's
     * own drain.
     */
    static final class Inner<T> implements Subscription, Scannable {

        private final EventStream<T> parent;
        private final CoreSubscriber<? super T> actual;
        private final Queue<T> queue = new ConcurrentLinkedQueue<>();
        private final AtomicInteger size = new AtomicInteger();

        private volatile long requested;
        @SuppressWarnings("rawtypes")
        private static final AtomicLongFieldUpdater<Inner> REQUESTED =
                AtomicLongFieldUpdater.newUpdater(Inner.class, "requested");

        private volatile int wip;
        @SuppressWarnings("rawtypes")
        private static final AtomicIntegerFieldUpdater<Inner> WIP =
                AtomicIntegerFieldUpdater.newUpdater(Inner.class, "wip");

        volatile boolean cancelled;
        private volatile boolean done;
        private Throwable error;
        private long emitted;
        private boolean finished;

        Inner(EventStream<T> parent, CoreSubscriber<? super T> actual) {
            this.parent = parent;
            this.actual = actual;
        }

        void offer(T event) {
            if (cancelled || done) {
                return;
            }
            queue.offer(event);
            if (size.incrementAndGet() > parent.bufferSize) {
                T oldest = queue.poll();
                if (oldest != null) {
                    size.decrementAndGet();
                    parent.dropped.increment();
                    Operators.onDiscard(oldest, actual.currentContext());
                }
            }
            drain();
        }

        void terminate(Throwable failure) {
            if (!done) {
                error = failure;
                done = true;
                drain();
            }
        }

        @Override
        public void request(long n) {
            if (Operators.validate(n)) {
                Operators.addCap(REQUESTED, this, n);
                drain();
            }
        }

        @Override
        public void cancel() {
            if (!cancelled) {
                cancelled = true;
                parent.commands.offer(new Unsubscribe(this));
                parent.drainCommands();
                drain();
            }
        }

        private void drain() {
            if (WIP.getAndIncrement(this) != 0) {
                return;
            }
            int missed = 1;
            for (;;) {
                if (cancelled || finished) {
                    Operators.onDiscardQueueWithClear(queue, actual.currentContext(), null);
                } else {
                    deliver();
                }
                missed = WIP.addAndGet(this, -missed);
                if (missed == 0) {
                    return;
                }
            }
        }

        private void deliver() {
            for (;;) {
                if (cancelled) {
                    return;
                }
                boolean terminal = done;
                if (emitted != requested) {
                    T event = queue.poll();
                    if (event != null) {
                        size.decrementAndGet();
                        emitted++;
                        actual.onNext(event);
                        continue;
                    }
                }
                if (terminal && queue.isEmpty()) {
                    finished = true;
                    if (error == null) {
                        actual.onComplete();
                    } else {
                        actual.onError(error);
                    }
                }
                return;
            }
        }

        @Override
        public Object scanUnsafe(Attr key) {
            if (key == Attr.ACTUAL) {
                return actual;
            }
            if (key == Attr.BUFFERED) {
                return size.get();
            }
            if (key == Attr.CAPACITY) {
                return parent.bufferSize;
            }
            if (key == Attr.REQUESTED_FROM_DOWNSTREAM) {
                return requested;
            }
            if (key == Attr.CANCELLED) {
                return cancelled;
            }
            if (key == Attr.TERMINATED) {
                return done;
            }
            return null;
        }
    }
}
