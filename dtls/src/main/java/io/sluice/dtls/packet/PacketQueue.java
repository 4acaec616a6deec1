package io.sluice.dtls.packet;

import io.netty.util.ReferenceCountUtil;
import java.util.Queue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;
import reactor.core.publisher.Operators;
import reactor.util.concurrent.Queues;

/**
 * A bounded, single-subscriber buffer between a network reader and a subscriber, the building
 * block of every packet and record stream in this module: the reader
 * {@link #offer offers} packets from its event loop and never waits; the subscriber's demand
 * drains them. A packet that finds the buffer full is released and refused, so the caller can
 * count the overrun. Packets still buffered when the subscriber cancels, or when the queue is
 * {@link #discard discarded}, are released here; delivered packets belong to the subscriber.
 *
 * <p>Thread-safe: any thread may offer, complete or discard; signals to the subscriber are
 * serialized. A second subscriber gets an error. Invalid demand ({@code request(n <= 0)}) ends
 * the stream with {@link IllegalArgumentException} as Reactive Streams §3.9 requires.
 */
public final class PacketQueue<T> implements Publisher<T>, Subscription {

    private final int capacity;
    private final String name;
    private final Consumer<? super T> discarder;
    private final Queue<T> queue = Queues.<T>unboundedMultiproducer().get();
    private final AtomicInteger size = new AtomicInteger();
    private final AtomicInteger wip = new AtomicInteger();
    private final AtomicLong requested = new AtomicLong();
    private final AtomicBoolean subscribed = new AtomicBoolean();
    private volatile Subscriber<? super T> actual;
    private volatile boolean done;
    private volatile Throwable error;
    private volatile boolean cancelled;
    private volatile boolean discarded;
    private volatile long badRequest;
    private boolean terminated;

    /**
     * A queue for one subscriber.
     *
     * @param capacity packets held at most, at least 1
     * @param name what the queue carries, for error messages
     */
    public PacketQueue(int capacity, String name) {
        this(capacity, name, ReferenceCountUtil::release);
    }

    /**
     * A queue for one subscriber that hands refused and discarded items to {@code discarder}
     * (for items that are not reference-counted, such as sessions to close).
     *
     * @param capacity items held at most, at least 1
     * @param name what the queue carries, for error messages
     * @param discarder what to do with an item nobody will receive
     */
    public PacketQueue(int capacity, String name, Consumer<? super T> discarder) {
        if (capacity < 1) {
            throw new IllegalArgumentException("a packet buffer holds at least 1 packet, got " + capacity);
        }
        this.capacity = capacity;
        this.name = name;
        this.discarder = discarder;
    }

    /**
     * Buffers a packet. On the reader's thread; never blocks.
     *
     * @param packet the packet; ownership passes to the queue
     * @return false if the packet was refused (buffer full, stopped or cancelled); it was released
     */
    public boolean offer(T packet) {
        if (done || cancelled || discarded) {
            discarder.accept(packet);
            return false;
        }
        if (size.incrementAndGet() > capacity) {
            size.decrementAndGet();
            discarder.accept(packet);
            return false;
        }
        if (wip.get() == 0 && wip.compareAndSet(0, 1)) {
            // Nothing buffered and nobody draining: a subscriber with demand gets the packet at once,
            // without a trip through the queue (the common case of a keeping-up subscriber).
            Subscriber<? super T> a = actual;
            long r = requested.get();
            if (a != null && r != 0 && queue.isEmpty() && !cancelled && !terminated && !done && badRequest == 0) {
                size.decrementAndGet();
                a.onNext(packet);
                if (r != Long.MAX_VALUE) {
                    requested.decrementAndGet();
                }
            } else {
                queue.offer(packet);
            }
            if (wip.decrementAndGet() != 0) {
                drainLoop();
            }
            return true;
        }
        queue.offer(packet);
        drain();
        return true;
    }

    /** Completes after the buffered packets are delivered. */
    public void complete() {
        done = true;
        drain();
    }

    /**
     * Fails after the buffered packets are delivered.
     *
     * @param e the failure
     */
    public void error(Throwable e) {
        error = e;
        done = true;
        drain();
    }

    /** Releases what is buffered, refuses what comes, and completes the subscriber. */
    public void discard() {
        discarded = true;
        done = true;
        drain();
    }

    /**
     * Packets buffered now.
     *
     * @return the count
     */
    public int size() {
        return size.get();
    }

    /**
     * The most packets buffered.
     *
     * @return the capacity
     */
    public int capacity() {
        return capacity;
    }

    /**
     * Whether the queue was completed, failed or discarded.
     *
     * @return true once it takes no more packets
     */
    public boolean isTerminated() {
        return done;
    }

    @Override
    public void subscribe(Subscriber<? super T> subscriber) {
        if (subscriber == null) {
            throw new NullPointerException("subscriber");
        }
        if (!subscribed.compareAndSet(false, true)) {
            Operators.error(subscriber, new PacketEndpointException(PacketErrorCode.ENDPOINT_STATE,
                    name + " has a subscriber already; its packets go to one subscriber"));
            return;
        }
        subscriber.onSubscribe(this);
        actual = subscriber;
        drain();
    }

    @Override
    public void request(long n) {
        if (n <= 0) {
            badRequest = n == 0 ? -1 : n;
        } else {
            requested.getAndAccumulate(n, Operators::addCap);
        }
        drain();
    }

    @Override
    public void cancel() {
        cancelled = true;
        drain();
    }

    private void clear() {
        for (T t; (t = queue.poll()) != null; ) {
            size.decrementAndGet();
            discarder.accept(t);
        }
    }

    private void drain() {
        if (wip.getAndIncrement() != 0) {
            return;
        }
        drainLoop();
    }

    /** Delivers what demand allows; the caller has taken the drain (made {@code wip} non-zero). */
    private void drainLoop() {
        int missed = wip.get();
        for (;;) {
            Subscriber<? super T> a = actual;
            if (cancelled || terminated) {
                // §3.13: a cancelled or terminated subscriber is not referenced any more.
                actual = null;
                clear();
            } else if (discarded) {
                clear();
                if (a != null) {
                    terminated = true;
                    a.onComplete();
                }
            } else if (a != null) {
                if (badRequest != 0) {
                    terminated = true;
                    clear();
                    a.onError(new IllegalArgumentException("§3.9: request must be positive, got "
                            + (badRequest == -1 ? 0 : badRequest)));
                } else {
                    long r = requested.get();
                    long e = 0;
                    while (e != r && !cancelled && !discarded) {
                        T t = queue.poll();
                        if (t == null) {
                            break;
                        }
                        size.decrementAndGet();
                        a.onNext(t);
                        e++;
                    }
                    if (e != 0 && r != Long.MAX_VALUE) {
                        requested.addAndGet(-e);
                    }
                    if (!cancelled && !discarded && done && queue.isEmpty()) {
                        terminated = true;
                        Throwable ex = error;
                        if (ex != null) {
                            a.onError(ex);
                        } else {
                            a.onComplete();
                        }
                    }
                    if (cancelled) {
                        clear();
                    }
                }
            }
            missed = wip.addAndGet(-missed);
            if (missed == 0) {
                break;
            }
        }
    }
}
