package io.sluice.dtls.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.concurrent.DefaultPromise;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ImmediateEventExecutor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import reactor.test.publisher.TestPublisher;

/**
 * The send operator on its own, over a writer that stands for the socket and whose outbound buffer
 * the test fills and drains (a real session's sends are tested end to end in the session, interop
 * and TCK tests; a full UDP socket cannot be produced on demand).
 */
class RecordSenderTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    /** Records what it is given; while "full", each write is a promise the test completes. */
    private static final class SocketStandIn implements RecordSender.RecordWriter {
        final List<String> written = java.util.Collections.synchronizedList(new ArrayList<>());
        final ArrayDeque<DefaultPromise<Void>> waiting = new ArrayDeque<>();
        volatile boolean full;

        @Override
        public Future<Void> write(ByteBuf record) {
            try {
                if ("seal fails".equals(record.toString(StandardCharsets.UTF_8))) {
                    throw new DtlsException(DtlsErrorCode.CLOSED, "DTLS session with the test is closed");
                }
                written.add(record.toString(StandardCharsets.UTF_8));
            } finally {
                record.release();
            }
            if (!full) {
                return null;
            }
            DefaultPromise<Void> write = new DefaultPromise<>(ImmediateEventExecutor.INSTANCE);
            synchronized (waiting) {
                waiting.add(write);
            }
            return write;
        }

        @Override
        public Throwable writeFailed(Throwable cause) {
            return new DtlsException(DtlsErrorCode.SESSION_FAILED, "sending to the test failed", cause);
        }

        DefaultPromise<Void> next() {
            synchronized (waiting) {
                return waiting.poll();
            }
        }
    }

    private static ByteBuf record(String text) {
        return Unpooled.copiedBuffer(text, StandardCharsets.UTF_8);
    }

    @Test
    void recordsAreWrittenInOrderWithThirtyTwoRequestedAheadAndDemandReturnedInBatches() {
        SocketStandIn socket = new SocketStandIn();
        List<Long> requests = new CopyOnWriteArrayList<>();
        Flux<ByteBuf> data = Flux.range(0, 100).map(i -> record("r" + i)).doOnRequest(requests::add);
        StepVerifier.create(new RecordSender(data, socket)).expectComplete().verify(TIMEOUT);
        assertThat(socket.written).containsExactlyElementsOf(IntStream.range(0, 100).mapToObj(i -> "r" + i).toList());
        assertThat(requests.get(0)).isEqualTo(32);
        assertThat(requests.subList(1, requests.size())).containsOnly(24L);
        assertThat(requests.stream().mapToLong(Long::longValue).sum()).isLessThanOrEqualTo(100 + 32);
    }

    @Test
    void aWriteThatFindsTheSocketFullHoldsItsDemandUntilItCompletesAndTheSendWaitsForIt() {
        SocketStandIn socket = new SocketStandIn();
        socket.full = true;
        TestPublisher<ByteBuf> data = TestPublisher.create();
        StepVerifier.create(new RecordSender(data, socket))
                .then(() -> {
                    data.assertMinRequested(32).assertMaxRequested(32);
                    for (int i = 0; i < 32; i++) {
                        data.next(record("r" + i));
                    }
                    // Every record found the socket full: nothing more is asked for until a write completes.
                    data.assertMaxRequested(0);
                    socket.next().setSuccess(null);
                    data.assertMinRequested(1).assertMaxRequested(1);
                    data.complete();
                })
                // The publisher is done, 31 writes are not: the send is not.
                .expectNoEvent(Duration.ofMillis(50))
                .then(() -> {
                    DefaultPromise<Void> w;
                    while ((w = socket.next()) != null) {
                        w.setSuccess(null);
                    }
                })
                .expectComplete()
                .verify(TIMEOUT);
        assertThat(socket.written).hasSize(32);
    }

    @Test
    void aWriteThatFailsFailsTheSendAndCancelsThePublisher() {
        SocketStandIn socket = new SocketStandIn();
        socket.full = true;
        TestPublisher<ByteBuf> data = TestPublisher.create();
        StepVerifier.create(new RecordSender(data, socket))
                .then(() -> data.next(record("one")))
                .then(() -> socket.next().setFailure(new IOException("no route")))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(DtlsException.class).hasMessageContaining("failed")
                        .hasRootCauseMessage("no route"))
                .verify(TIMEOUT);
        data.assertCancelled();
    }

    @Test
    void aRecordThatCannotBeSealedFailsTheSendAndOneArrivingAfterwardsIsReleased() {
        SocketStandIn socket = new SocketStandIn();
        // A publisher that loses the race with the cancellation and emits once more.
        TestPublisher<ByteBuf> data = TestPublisher.createNoncompliant(TestPublisher.Violation.DEFER_CANCELLATION);
        ByteBuf late = record("late");
        StepVerifier.create(new RecordSender(data, socket))
                .then(() -> data.next(record("first"), record("seal fails")))
                .expectErrorSatisfies(e -> assertThat(((DtlsException) e).errorCode()).isEqualTo(DtlsErrorCode.CLOSED))
                .verify(TIMEOUT);
        data.next(late);
        assertThat(late.refCnt()).isZero();
        assertThat(socket.written).containsExactly("first");
    }

    @Test
    void buffersAnOperatorUpstreamDropsAreReleased() {
        SocketStandIn socket = new SocketStandIn();
        List<ByteBuf> made = new ArrayList<>();
        Flux<ByteBuf> data = Flux.range(0, 5).map(i -> {
            ByteBuf b = record("r" + i);
            made.add(b);
            return b;
        }).filter(b -> b.readableBytes() > 10); // filter hands what it drops to the context's discard hook
        StepVerifier.create(new RecordSender(data, socket)).expectComplete().verify(TIMEOUT);
        assertThat(made).hasSize(5).allSatisfy(b -> assertThat(b.refCnt()).isZero());
        assertThat(socket.written).isEmpty();
    }

    @Test
    void aSupplierIsCalledOncePerSubscriptionAndNotAtAllWhenCancelledFirst() {
        SocketStandIn socket = new SocketStandIn();
        AtomicInteger calls = new AtomicInteger();
        Mono<Void> send = new RecordSender(Mono.fromSupplier(() -> record("call " + calls.incrementAndGet())), socket);
        assertThat(calls).hasValue(0);
        StepVerifier.create(send).expectComplete().verify(TIMEOUT);
        StepVerifier.create(send).expectComplete().verify(TIMEOUT);
        assertThat(socket.written).containsExactly("call 1", "call 2");
        send.subscribe(new BaseSubscriber<Void>() {
            @Override
            protected void hookOnSubscribe(org.reactivestreams.Subscription subscription) {
                dispose();
            }
        });
        assertThat(calls).hasValue(2);
        StepVerifier.create(new RecordSender(Mono.empty(), socket)).expectComplete().verify(TIMEOUT);
        StepVerifier.create(new RecordSender(Mono.fromSupplier(() -> {
            throw new IllegalStateException("no payload");
        }), socket)).expectErrorMessage("no payload").verify(TIMEOUT);
    }

    /**
     * Writes complete on another thread (as on the event loop) while the publisher emits from inside
     * its request calls: every record is written in order, the send completes, and the calls on the
     * publisher's subscription never overlap (Rule 2.7).
     */
    @Test
    void writesCompletingOnAnotherThreadNeverMakeCallsOnThePublisherOverlap() throws Exception {
        SocketStandIn socket = new SocketStandIn();
        socket.full = true;
        int total = 20_000;
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger overlaps = new AtomicInteger();
        AtomicInteger emitted = new AtomicInteger();
        org.reactivestreams.Publisher<ByteBuf> data = subscriber -> subscriber.onSubscribe(new org.reactivestreams.Subscription() {
            private long demand;
            private boolean emitting;
            private boolean cancelled;

            @Override
            public void request(long n) {
                enter();
                try {
                    demand += n;
                    if (emitting) {
                        return; // a request from inside onNext: the loop below sends what it adds
                    }
                    emitting = true;
                    while (demand > 0 && !cancelled && emitted.get() < total) {
                        demand--;
                        subscriber.onNext(record("r" + emitted.getAndIncrement()));
                    }
                    emitting = false;
                    if (emitted.get() == total && !cancelled) {
                        cancelled = true;
                        subscriber.onComplete();
                    }
                } finally {
                    inside.decrementAndGet();
                }
            }

            @Override
            public void cancel() {
                enter();
                cancelled = true;
                inside.decrementAndGet();
            }

            private void enter() {
                if (inside.incrementAndGet() != 1) {
                    overlaps.incrementAndGet();
                }
            }
        });
        Thread loop = new Thread(() -> {
            int done = 0;
            while (done < total && !Thread.currentThread().isInterrupted()) {
                DefaultPromise<Void> w = socket.next();
                if (w == null) {
                    Thread.onSpinWait();
                } else {
                    w.setSuccess(null);
                    done++;
                }
            }
        }, "write-completions");
        loop.start();
        try {
            StepVerifier.create(new RecordSender(data, socket)).expectComplete().verify(Duration.ofSeconds(30));
        } finally {
            loop.interrupt();
            loop.join(10_000);
        }
        assertThat(overlaps).hasValue(0);
        assertThat(socket.written).hasSize(total);
        assertThat(socket.written.get(total - 1)).isEqualTo("r" + (total - 1));
        for (int i = 0; i < total; i += 997) {
            assertThat(socket.written.get(i)).isEqualTo("r" + i);
        }
    }

    @Test
    void aSingleRecordThatFindsTheSocketFullCompletesWithItsWrite() {
        SocketStandIn socket = new SocketStandIn();
        socket.full = true;
        StepVerifier.create(new RecordSender(Mono.just(record("one")), socket))
                .expectSubscription()
                .expectNoEvent(Duration.ofMillis(50))
                .then(() -> socket.next().setSuccess(null))
                .expectComplete()
                .verify(TIMEOUT);
        StepVerifier.create(new RecordSender(Mono.just(record("two")), socket))
                .then(() -> socket.next().setFailure(new IOException("gone")))
                .expectError(DtlsException.class)
                .verify(TIMEOUT);
    }
}
