package io.sluice.dtls.session;

import io.netty.buffer.ByteBuf;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GenericFutureListener;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicLongFieldUpdater;
import java.util.function.Consumer;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;
import reactor.util.context.Context;

/**
 * {@link DtlsSession#send} for a session whose records may be sealed on any thread (AEAD suites,
 * which need no random numbers): each buffer the publisher emits is sealed and written on the
 * thread that emits it, in order, with at most {@value #PREFETCH} requested ahead and no queue
 * between the publisher and the socket. When a write finds the socket's outbound buffer full, that
 * record's share of the demand comes back only when its write completes, so a full socket slows
 * the publisher. A publisher that is a {@link Callable} ({@code Mono.just}, {@code fromSupplier},
 * {@code fromCallable}: one send per call is the common case) is called instead of subscribed to.
 *
 * <p>The {@code Mono} completes when the publisher has completed and every write that found the
 * socket full has completed; it fails with the first error of the publisher, of sealing, or of such
 * a write, and cancelling it cancels the publisher. Writes that left with the socket writable are
 * not waited for, as a datagram socket's sends are not.
 *
 * <p>Buffers: each one emitted becomes the writer's, which releases it once sealed; one that
 * arrives after the send has ended is released here. Operators upstream release the buffers they
 * drop on cancellation through the discard hook this subscriber's context carries.
 */
final class RecordSender extends Mono<Void> {

    /** Records requested ahead of the socket. */
    static final int PREFETCH = 32;
    /** Demand is returned in batches of this many records sent, as {@code limitRate} would. */
    private static final int REPLENISH = PREFETCH - PREFETCH / 4;

    private static final Consumer<Object> RELEASE = o -> {
        if (o instanceof ByteBuf b) {
            ReferenceCountUtil.release(b);
        }
    };

    /** Seals and writes one record. */
    interface RecordWriter {
        /**
         * @param record the plaintext; the writer releases it in every case
         * @return null when the socket can take more at once, else the write to wait for
         * @throws DtlsException when the session is closed or the record cannot be sealed
         */
        Future<Void> write(ByteBuf record);

        /**
         * @param cause why a write waited for failed
         * @return the error the send fails with
         */
        Throwable writeFailed(Throwable cause);
    }

    private final Publisher<? extends ByteBuf> data;
    private final RecordWriter writer;

    RecordSender(Publisher<? extends ByteBuf> data, RecordWriter writer) {
        this.data = data;
        this.writer = writer;
    }

    @Override
    public void subscribe(CoreSubscriber<? super Void> actual) {
        if (data instanceof Callable<?> one) {
            sendCalled(one, actual);
        } else {
            data.subscribe(new Sending(actual, writer));
        }
    }

    private void sendCalled(Callable<?> one, CoreSubscriber<? super Void> actual) {
        OneRecord subscription = new OneRecord(actual, writer);
        actual.onSubscribe(subscription);
        if (subscription.cancelled) {
            return;
        }
        ByteBuf record;
        try {
            record = (ByteBuf) one.call();
        } catch (Throwable e) {
            actual.onError(Operators.onOperatorError(e, actual.currentContext()));
            return;
        }
        if (record == null) {
            actual.onComplete();
            return;
        }
        Future<Void> write;
        try {
            write = writer.write(record);
        } catch (RuntimeException e) {
            actual.onError(e);
            return;
        }
        if (write != null) {
            write.addListener(subscription);
        } else if (!subscription.cancelled) {
            actual.onComplete();
        }
    }

    /** The single record's wait for a write that found the socket full. */
    private static final class OneRecord implements Subscription, GenericFutureListener<Future<Void>> {
        private final CoreSubscriber<? super Void> actual;
        private final RecordWriter writer;
        volatile boolean cancelled;

        OneRecord(CoreSubscriber<? super Void> actual, RecordWriter writer) {
            this.actual = actual;
            this.writer = writer;
        }

        @Override
        public void operationComplete(Future<Void> write) {
            if (cancelled) {
                return;
            }
            if (write.isSuccess()) {
                actual.onComplete();
            } else {
                actual.onError(writer.writeFailed(write.cause()));
            }
        }

        @Override
        public void request(long n) {
            // A Mono<Void>: nothing to deliver, nothing to request.
        }

        @Override
        public void cancel() {
            cancelled = true;
        }
    }

    /** Subscribed to the publisher: seals each record as it arrives. */
    private static final class Sending implements CoreSubscriber<ByteBuf>, Subscription, GenericFutureListener<Future<Void>> {

        private static final AtomicLongFieldUpdater<Sending> REQUESTS = AtomicLongFieldUpdater.newUpdater(Sending.class, "requests");
        private static final AtomicIntegerFieldUpdater<Sending> CALLING =
                AtomicIntegerFieldUpdater.newUpdater(Sending.class, "calling");
        private static final AtomicIntegerFieldUpdater<Sending> UNFINISHED =
                AtomicIntegerFieldUpdater.newUpdater(Sending.class, "unfinished");
        private static final AtomicIntegerFieldUpdater<Sending> ENDED = AtomicIntegerFieldUpdater.newUpdater(Sending.class, "ended");

        private final CoreSubscriber<? super Void> actual;
        private final RecordWriter writer;
        private final Context context;
        private Subscription upstream;
        /** Records sent since demand was last returned; on the publisher's (serial) thread only. */
        private int sentSinceRequest;
        /** Demand not yet requested from the publisher. */
        private volatile long requests;
        /**
         * Calls on the publisher's subscription (request, cancel) come from the publisher's thread
         * and from the event loop a write completes on; one thread at a time makes them (Rule 2.7),
         * the others leave their demand or cancellation for it: non-zero while one is at it.
         */
        private volatile int calling;
        /** Set once the publisher is to be cancelled; read by the thread making the calls. */
        private volatile boolean cancelUpstream;
        /** Whether the publisher was cancelled; by the thread making the calls only. */
        private boolean upstreamCancelled;
        /** Writes waited for, plus one while the publisher has not completed; zero: done. */
        private volatile int unfinished = 1;
        /** 1 once the Mono has completed, failed or been cancelled. */
        private volatile int ended;

        Sending(CoreSubscriber<? super Void> actual, RecordWriter writer) {
            this.actual = actual;
            this.writer = writer;
            this.context = Operators.enableOnDiscard(actual.currentContext(), RELEASE);
        }

        @Override
        public Context currentContext() {
            return context;
        }

        @Override
        public void onSubscribe(Subscription s) {
            if (!Operators.validate(upstream, s)) {
                return;
            }
            upstream = s;
            actual.onSubscribe(this);
            if (ended == 0) {
                requestUpstream(PREFETCH);
            }
        }

        @Override
        public void onNext(ByteBuf record) {
            Objects.requireNonNull(record, "onNext(null)"); // Rule 2.13, before any error handling swallows it
            if (ended != 0) {
                record.release();
                return;
            }
            Future<Void> write;
            try {
                write = writer.write(record);
            } catch (RuntimeException e) {
                fail(e);
                return;
            }
            if (write == null) {
                if (++sentSinceRequest == REPLENISH) {
                    sentSinceRequest = 0;
                    requestUpstream(REPLENISH);
                }
            } else {
                UNFINISHED.incrementAndGet(this);
                write.addListener(this);
            }
        }

        /** A write that found the socket full has completed: its record's demand comes back. */
        @Override
        public void operationComplete(Future<Void> write) {
            if (!write.isSuccess()) {
                fail(writer.writeFailed(write.cause()));
                return;
            }
            requestUpstream(1);
            if (UNFINISHED.decrementAndGet(this) == 0) {
                complete();
            }
        }

        @Override
        public void onError(Throwable t) {
            Objects.requireNonNull(t, "onError(null)");
            if (ENDED.compareAndSet(this, 0, 1)) {
                actual.onError(t);
            } else {
                Operators.onErrorDropped(t, context);
            }
        }

        @Override
        public void onComplete() {
            if (UNFINISHED.decrementAndGet(this) == 0) {
                complete();
            }
        }

        private void complete() {
            if (ENDED.compareAndSet(this, 0, 1)) {
                actual.onComplete();
            }
        }

        private void fail(Throwable e) {
            if (ENDED.compareAndSet(this, 0, 1)) {
                cancelUpstream();
                actual.onError(e);
            } else {
                Operators.onErrorDropped(e, context);
            }
        }

        private void requestUpstream(long n) {
            REQUESTS.getAndAdd(this, n);
            callUpstream();
        }

        private void cancelUpstream() {
            cancelUpstream = true;
            callUpstream();
        }

        /** Makes the pending calls on the publisher's subscription, unless another thread is making them. */
        private void callUpstream() {
            if (CALLING.getAndIncrement(this) != 0) {
                return;
            }
            int missed = 1;
            while (true) {
                if (upstreamCancelled) {
                    REQUESTS.set(this, 0);
                } else if (cancelUpstream) {
                    upstreamCancelled = true;
                    upstream.cancel();
                } else {
                    long r = REQUESTS.getAndSet(this, 0);
                    if (r != 0) {
                        upstream.request(r);
                    }
                }
                missed = CALLING.addAndGet(this, -missed);
                if (missed == 0) {
                    return;
                }
            }
        }

        @Override
        public void request(long n) {
            // A Mono<Void>: nothing to deliver; the publisher is driven by the socket.
        }

        @Override
        public void cancel() {
            if (ENDED.compareAndSet(this, 0, 1)) {
                cancelUpstream();
            }
        }
    }
}
