package io.sluice.session;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/**
 * A reference count for an object shared between several users, with a hook when the count
 * reaches zero.
 *
 * <p>Unlike Netty's counts, zero is not the end: an object at zero is <em>idle</em> (libcoap's
 * server sessions start there, and a pooled object sits there until its idle timeout) and
 * {@link #retain()} revives it. The end is {@link #tryFree()} or {@link #free()}, after which every
 * {@code retain()} and {@code release()} fails with {@link SessionErrorCode#RELEASED} instead of
 * silently touching a dead object. A {@code release()} at zero fails with
 * {@link SessionErrorCode#OVER_RELEASED} and leaves the count at zero.
 *
 * <p>Lock-free and thread-safe. The {@link Listener} runs on the thread whose call moved the count,
 * outside any lock, and must not block.
 */
public final class RefCount {

    private static final int FREED = -1;

    private final Object owner;
    private final Listener listener;

    private volatile int count;
    private static final AtomicIntegerFieldUpdater<RefCount> COUNT =
            AtomicIntegerFieldUpdater.newUpdater(RefCount.class, "count");

    /** What an owner does when its count moves between zero and one. */
    public interface Listener {
        /** The count fell to zero: the object is idle. Typically frees it, or parks it in an {@link IdlePool}. */
        void onIdle();

        /** The count rose from zero to one: an idle object is in use again (for example, unpark it). */
        default void onRevived() {
        }
    }

    private RefCount(Object owner, int initial, Listener listener) {
        if (initial < 0) {
            throw new IllegalArgumentException("initial count must not be negative, was " + initial);
        }
        this.owner = Objects.requireNonNull(owner, "owner");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.count = initial;
    }

    /**
     * A count starting at {@code initial}. Starting at zero does not call {@link Listener#onIdle()}:
     * the owner decides what an object born idle does.
     *
     * @param owner names the object in error messages ({@code toString()} is used lazily)
     * @param initial the starting count, zero or more
     * @param listener told when the count reaches zero and when it leaves zero
     * @return the count
     */
    public static RefCount create(Object owner, int initial, Listener listener) {
        return new RefCount(owner, initial, listener);
    }

    /**
     * A count starting at one that runs {@code onFinalRelease} (typically a dispose) when it falls
     * to zero, and is freed at that moment.
     *
     * @param owner names the object in error messages
     * @param onFinalRelease what to do after the final release
     * @return the count
     */
    public static RefCount freeingOnZero(Object owner, Runnable onFinalRelease) {
        Objects.requireNonNull(onFinalRelease, "onFinalRelease");
        RefCount[] self = new RefCount[1];
        self[0] = new RefCount(owner, 1, () -> {
            if (self[0].tryFree()) {
                onFinalRelease.run();
            }
        });
        return self[0];
    }

    /**
     * Adds one reference.
     *
     * @throws SessionException {@link SessionErrorCode#RELEASED} when the object was freed
     */
    public void retain() {
        for (;;) {
            int c = count;
            if (c == FREED) {
                throw released("retain()");
            }
            if (c == Integer.MAX_VALUE) {
                throw new IllegalStateException(owner + ": reference count overflow");
            }
            if (COUNT.compareAndSet(this, c, c + 1)) {
                if (c == 0) {
                    listener.onRevived();
                }
                return;
            }
        }
    }

    /**
     * Drops one reference.
     *
     * @return {@code true} when this call took the count to zero (and ran {@link Listener#onIdle()})
     * @throws SessionException {@link SessionErrorCode#OVER_RELEASED} when the count was already
     *     zero; {@link SessionErrorCode#RELEASED} when the object was freed
     */
    public boolean release() {
        for (;;) {
            int c = count;
            if (c == FREED) {
                throw released("release()");
            }
            if (c == 0) {
                throw new SessionException(SessionErrorCode.OVER_RELEASED,
                        "release() on " + owner + " whose reference count is already 0: every release() must match a"
                                + " retain() (or the reference the object was created with)");
            }
            if (COUNT.compareAndSet(this, c, c - 1)) {
                if (c == 1) {
                    listener.onIdle();
                    return true;
                }
                return false;
            }
        }
    }

    /**
     * Frees the object if it is idle: the count moves from zero to freed.
     *
     * @return {@code true} if this call freed it; {@code false} if it is in use (or already freed)
     */
    public boolean tryFree() {
        return COUNT.compareAndSet(this, 0, FREED);
    }

    /**
     * Frees the object whatever its count (a forced close); later retains and releases fail.
     *
     * @return {@code true} if this call freed it, {@code false} if it was already freed
     */
    public boolean free() {
        return COUNT.getAndSet(this, FREED) != FREED;
    }

    /**
     * Fails unless the object is still live.
     *
     * @param operation what the caller was about to do, for the message
     * @throws SessionException {@link SessionErrorCode#RELEASED} when the object was freed
     */
    public void ensureLive(String operation) {
        if (count == FREED) {
            throw released(operation);
        }
    }

    /** @return the current count, or 0 once freed */
    public int get() {
        return Math.max(count, 0);
    }

    /** @return whether the object was freed */
    public boolean isFreed() {
        return count == FREED;
    }

    private SessionException released(String operation) {
        return new SessionException(SessionErrorCode.RELEASED,
                operation + " on " + owner + ", which was freed after its final release; retain it before"
                        + " handing it on, or look it up again");
    }

    @Override
    public String toString() {
        int c = count;
        return owner + "{refCount=" + (c == FREED ? "freed" : Integer.toString(c)) + '}';
    }
}
