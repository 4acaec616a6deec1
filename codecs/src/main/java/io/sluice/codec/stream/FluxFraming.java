package io.sluice.codec.stream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.sluice.codec.CodecException;
import io.sluice.codec.Framing;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicLongFieldUpdater;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.Scannable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxOperator;
import reactor.core.publisher.Operators;
import reactor.util.context.Context;

/**
 * The operator behind {@link StreamFramer}.
 *
 * <p>All state but the hand-over fields is touched only inside {@code drain}, which runs on one
 * thread at a time (work-in-progress counter); upstream signals and downstream requests from any
 * thread just record themselves and drain.
 */
final class FluxFraming extends FluxOperator<ByteBuf, ByteBuf> {

    private final Framing framing;
    private final int maxFrameBytes;
    private final ByteBufAllocator allocator;

    FluxFraming(Flux<ByteBuf> source, Framing framing, int maxFrameBytes, ByteBufAllocator allocator) {
        super(source);
        this.framing = framing;
        this.maxFrameBytes = maxFrameBytes;
        this.allocator = allocator;
    }

    @Override
    public void subscribe(CoreSubscriber<? super ByteBuf> actual) {
        source.subscribe(new FramingSubscriber(actual, framing, maxFrameBytes, allocator));
    }

    static final class FramingSubscriber implements CoreSubscriber<ByteBuf>, Subscription, Scannable {

        private final CoreSubscriber<? super ByteBuf> actual;
        private final Framing framing;
        private final int maxFrameBytes;
        private final ByteBufAllocator allocator;

        private Subscription upstream;

        private volatile long requested;
        private static final AtomicLongFieldUpdater<FramingSubscriber> REQUESTED =
                AtomicLongFieldUpdater.newUpdater(FramingSubscriber.class, "requested");

        private volatile int wip;
        private static final AtomicIntegerFieldUpdater<FramingSubscriber> WIP =
                AtomicIntegerFieldUpdater.newUpdater(FramingSubscriber.class, "wip");

        /** The chunk delivered by onNext and not yet merged; at most one, as one is requested at a time. */
        private volatile ByteBuf pending;
        private volatile boolean done;
        private Throwable error;
        private volatile boolean cancelled;

        // Owned by drain.
        private ByteBuf cumulation;
        private boolean awaitingChunk;
        private boolean terminated;
        private long emitted;
        private long streamOffset;

        FramingSubscriber(CoreSubscriber<? super ByteBuf> actual, Framing framing, int maxFrameBytes,
                          ByteBufAllocator allocator) {
            this.actual = actual;
            this.framing = framing;
            this.maxFrameBytes = maxFrameBytes;
            this.allocator = allocator;
        }

        @Override
        public Context currentContext() {
            return actual.currentContext();
        }

        @Override
        public void onSubscribe(Subscription s) {
            if (Operators.validate(upstream, s)) {
                upstream = s;
                actual.onSubscribe(this);
            }
        }

        @Override
        public void onNext(ByteBuf chunk) {
            if (done) {
                chunk.release();
                Operators.onNextDropped(chunk, actual.currentContext());
                return;
            }
            pending = chunk;
            drain();
        }

        @Override
        public void onError(Throwable t) {
            if (done) {
                Operators.onErrorDropped(t, actual.currentContext());
                return;
            }
            error = t;
            done = true;
            drain();
        }

        @Override
        public void onComplete() {
            if (done) {
                return;
            }
            done = true;
            drain();
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
                upstream.cancel();
                drain();
            }
        }

        private void drain() {
            if (WIP.getAndIncrement(this) != 0) {
                return;
            }
            int missed = 1;
            for (;;) {
                if (terminated || cancelled) {
                    releaseAll();
                } else {
                    drainLoop();
                }
                missed = WIP.addAndGet(this, -missed);
                if (missed == 0) {
                    return;
                }
            }
        }

        private void drainLoop() {
            for (;;) {
                if (cancelled) {
                    releaseAll();
                    return;
                }
                // Read before pending: once done is seen, no chunk can arrive any more.
                boolean upstreamDone = done;
                boolean demand = emitted != requested;
                ByteBuf frame = null;
                if (demand) {
                    try {
                        frame = nextFrame();
                        if (frame == null && pending != null) {
                            mergePending();
                            continue;
                        }
                    } catch (CodecException e) {
                        upstream.cancel();
                        terminate(e);
                        return;
                    }
                }
                if (frame != null) {
                    emitted++;
                    actual.onNext(frame);
                    continue;
                }
                boolean empty = pending == null && (cumulation == null || !cumulation.isReadable());
                if (upstreamDone && (empty || demand)) {
                    // Either nothing is held, or the subscriber wants more and no frame can be cut.
                    Throwable e = error;
                    if (e == null && !empty) {
                        e = CodecException.truncated(streamOffset + cumulation.readableBytes(),
                                "stream ended inside a frame, " + cumulation.readableBytes() + " bytes into it");
                    }
                    terminate(e);
                    return;
                }
                if (demand && !upstreamDone && !awaitingChunk) {
                    awaitingChunk = true;
                    upstream.request(1);
                    continue;
                }
                return;
            }
        }

        /** Cuts the next frame out of the cumulation, or returns null when it is not all there yet. */
        private ByteBuf nextFrame() {
            if (cumulation == null || !cumulation.isReadable()) {
                return null;
            }
            int length;
            try {
                length = framing.frameLength(cumulation);
            } catch (CodecException e) {
                throw e.offset() >= 0 ? CodecException.malformed(streamOffset + e.offset(), e.reason()) : e;
            }
            if (length == Framing.NEED_MORE) {
                if (cumulation.readableBytes() > maxFrameBytes) {
                    throw CodecException.limitExceeded(streamOffset,
                            "no frame boundary within the " + maxFrameBytes + "-byte frame limit");
                }
                return null;
            }
            if (length <= 0) {
                throw CodecException.malformed(streamOffset, "framing returned a length of " + length);
            }
            if (length > maxFrameBytes) {
                throw CodecException.limitExceeded(streamOffset,
                        "frame of " + length + " bytes exceeds the " + maxFrameBytes + "-byte frame limit");
            }
            if (cumulation.readableBytes() < length) {
                return null;
            }
            ByteBuf frame = cumulation.readRetainedSlice(length);
            streamOffset += length;
            if (!cumulation.isReadable()) {
                cumulation.release();
                cumulation = null;
            }
            return frame;
        }

        private void mergePending() {
            ByteBuf chunk = pending;
            pending = null;
            awaitingChunk = false;
            if (cumulation == null || !cumulation.isReadable()) {
                if (cumulation != null) {
                    cumulation.release();
                }
                cumulation = chunk;
                return;
            }
            // Bytes of a partial frame are copied once into a buffer that also takes the new chunk;
            // frames already sliced off the old cumulation keep their own references to it.
            ByteBuf merged = allocator.buffer(cumulation.readableBytes() + chunk.readableBytes());
            merged.writeBytes(cumulation).writeBytes(chunk);
            cumulation.release();
            chunk.release();
            cumulation = merged;
        }

        private void terminate(Throwable e) {
            terminated = true;
            releaseAll();
            if (e == null) {
                actual.onComplete();
            } else {
                actual.onError(e);
            }
        }

        private void releaseAll() {
            if (cumulation != null) {
                cumulation.release();
                cumulation = null;
            }
            ByteBuf chunk = pending;
            if (chunk != null) {
                pending = null;
                chunk.release();
            }
        }

        @Override
        public Object scanUnsafe(Attr key) {
            if (key == Attr.PARENT) {
                return upstream;
            }
            if (key == Attr.ACTUAL) {
                return actual;
            }
            if (key == Attr.REQUESTED_FROM_DOWNSTREAM) {
                return requested;
            }
            if (key == Attr.PREFETCH) {
                return 1;
            }
            if (key == Attr.CANCELLED) {
                return cancelled;
            }
            if (key == Attr.TERMINATED) {
                return done;
            }
            if (key == Attr.ERROR) {
                return error;
            }
            if (key == Attr.RUN_STYLE) {
                return Attr.RunStyle.SYNC;
            }
            return null;
        }
    }
}
