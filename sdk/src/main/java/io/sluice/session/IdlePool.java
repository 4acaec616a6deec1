package io.sluice.session;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;
import reactor.core.Disposable;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Where objects wait, idle, to be disposed: each {@linkplain #park parked} object is evicted after
 * the idle timeout unless it is {@linkplain #unpark unparked} first.
 *
 * <p>Built for libcoap's server sessions: their reference count starts at zero and returns there
 * between uses; they then wait here, and a new datagram from the same peer revives them. Pair it with
 * a {@link RefCount} whose listener parks on idle and unparks on revival, and an evictor that frees
 * only an object still idle ({@code RefCount.tryFree()}), which makes a revival racing the timer
 * safe: the evictor sees the count and declines.
 *
 * <p>Identity decides which object is parked, not {@code equals}. Timers run on the given
 * {@link Scheduler} (a virtual-time scheduler in tests); the evictor runs on a timer thread, or on
 * the caller's thread for {@link #dispose()}, and must not block. Thread-safe.
 *
 * @param <T> the pooled type
 */
public final class IdlePool<T> implements Disposable {

    private final Duration idleTimeout;
    private final Scheduler timer;
    private final Predicate<? super T> evictor;
    private final ConcurrentHashMap<Identity, Entry<T>> parked = new ConcurrentHashMap<>();
    private final LongAdder evicted = new LongAdder();
    private volatile boolean disposed;

    private IdlePool(Duration idleTimeout, Scheduler timer, Predicate<? super T> evictor) {
        if (idleTimeout.isNegative()) {
            throw new IllegalArgumentException("idleTimeout must not be negative, was " + idleTimeout);
        }
        this.idleTimeout = idleTimeout;
        this.timer = timer;
        this.evictor = evictor;
    }

    /**
     * A pool evicting after {@code idleTimeout}, with timers on {@link Schedulers#parallel()}.
     *
     * @param idleTimeout how long an object may stay parked
     * @param evictor frees an object whose time is up; returns whether it really was freed
     * @param <T> the pooled type
     * @return the pool
     */
    public static <T> IdlePool<T> create(Duration idleTimeout, Predicate<? super T> evictor) {
        return create(idleTimeout, Schedulers.parallel(), evictor);
    }

    /**
     * A pool evicting after {@code idleTimeout}, with timers on {@code timer}.
     *
     * @param idleTimeout how long an object may stay parked
     * @param timer runs the idle timers
     * @param evictor frees an object whose time is up; returns whether it really was freed
     * @param <T> the pooled type
     * @return the pool
     */
    public static <T> IdlePool<T> create(Duration idleTimeout, Scheduler timer, Predicate<? super T> evictor) {
        return new IdlePool<>(Objects.requireNonNull(idleTimeout, "idleTimeout"), Objects.requireNonNull(timer, "timer"),
                Objects.requireNonNull(evictor, "evictor"));
    }

    /**
     * Parks {@code item}, starting (or restarting) its idle timer. On a disposed pool the item is
     * evicted at once.
     *
     * @param item the idle object
     */
    public void park(T item) {
        park(item, idleTimeout);
    }

    /**
     * Parks {@code item} with a timer of its own length: for an owner that tracks activity itself
     * and, when the evictor finds the object used meanwhile, parks it again for the time it still
     * has. On a disposed pool the item is evicted at once.
     *
     * @param item the idle object
     * @param delay how long until its eviction is considered, at most the idle timeout
     */
    public void park(T item, Duration delay) {
        Identity key = new Identity(item);
        Entry<T> entry = new Entry<>(item);
        Entry<T> previous = parked.put(key, entry);
        if (previous != null) {
            previous.timer.dispose();
        }
        entry.timer = timer.schedule(() -> expire(key, entry), Math.max(0, Math.min(delay.toNanos(), idleTimeout.toNanos())),
                java.util.concurrent.TimeUnit.NANOSECONDS);
        if (disposed) {
            expire(key, entry);
        }
    }

    /**
     * Takes {@code item} out of the pool, cancelling its timer.
     *
     * @param item the object in use again
     * @return {@code true} if it was parked
     */
    public boolean unpark(T item) {
        Entry<T> entry = parked.remove(new Identity(item));
        if (entry == null) {
            return false;
        }
        Disposable t = entry.timer;
        if (t != null) {
            t.dispose();
        }
        return true;
    }

    /**
     * @param item an object
     * @return whether it is parked now
     */
    public boolean isParked(T item) {
        return parked.containsKey(new Identity(item));
    }

    /** @return how many objects are parked */
    public int size() {
        return parked.size();
    }

    /** @return how many objects the evictor freed since creation */
    public long evictedCount() {
        return evicted.sum();
    }

    /** @return the idle timeout */
    public Duration idleTimeout() {
        return idleTimeout;
    }

    /** Evicts every parked object now; objects parked later are evicted at once. */
    @Override
    public void dispose() {
        disposed = true;
        parked.forEach(this::expire);
    }

    @Override
    public boolean isDisposed() {
        return disposed;
    }

    private void expire(Identity key, Entry<T> entry) {
        if (parked.remove(key, entry)) {
            Disposable t = entry.timer;
            if (t != null) {
                t.dispose();
            }
            if (evictor.test(entry.item)) {
                evicted.increment();
            }
        }
    }

    private static final class Entry<T> {
        final T item;
        volatile Disposable timer;

        Entry(T item) {
            this.item = item;
        }
    }

    private static final class Identity {
        private final Object item;

        Identity(Object item) {
            this.item = Objects.requireNonNull(item, "item");
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Identity other && other.item == item;
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(item);
        }
    }
}
