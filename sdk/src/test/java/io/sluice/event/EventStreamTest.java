package io.sluice.event;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;
import reactor.test.subscriber.TestSubscriber;

class EventStreamTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @Test
    void everySubscriberSeesEventsEmittedWhileSubscribed() {
        EventStream<String> stream = EventStream.create(8);
        stream.emit("before anyone listens");
        StepVerifier first = StepVerifier.create(stream.events()).expectNext("a", "b").expectComplete().verifyLater();
        StepVerifier second = StepVerifier.create(stream.events()).expectNext("a", "b").expectComplete().verifyLater();
        assertThat(stream.subscriberCount()).isEqualTo(2);
        stream.emit("a");
        stream.emit("b");
        stream.complete();
        first.verify(TIMEOUT);
        second.verify(TIMEOUT);
        assertThat(stream.subscriberCount()).isZero();
    }

    @Test
    void aSlowSubscriberLosesItsOldestEventsWithACountAndTheOthersLoseNothing() {
        EventStream<Integer> stream = EventStream.create(4);
        List<Integer> discarded = new ArrayList<>();
        TestSubscriber<Integer> slow = TestSubscriber.<Integer>builder().initialRequest(0).build();
        stream.events().doOnDiscard(Integer.class, discarded::add).subscribe(slow);
        List<Integer> fast = new ArrayList<>();
        stream.events().subscribe(fast::add);
        for (int i = 0; i < 10; i++) {
            stream.emit(i);
        }
        stream.complete();
        assertThat(slow.getReceivedOnNext()).isEmpty();
        assertThat(slow.isTerminated()).as("completion waits behind buffered events").isFalse();
        slow.request(10);
        assertThat(slow.getReceivedOnNext()).containsExactly(6, 7, 8, 9);
        assertThat(slow.isTerminatedComplete()).isTrue();
        assertThat(fast).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        assertThat(discarded).containsExactly(0, 1, 2, 3, 4, 5);
        assertThat(stream.dropped()).isEqualTo(6);
    }

    @Test
    void emittingNeverWaitsForAStalledSubscriber() {
        EventStream<Long> stream = EventStream.create(16);
        TestSubscriber<Long> stalled = TestSubscriber.<Long>builder().initialRequest(0).build();
        stream.events().subscribe(stalled);
        for (long i = 0; i < 100_000; i++) {
            stream.emit(i);
        }
        assertThat(stream.dropped()).isEqualTo(100_000 - 16);
        stalled.request(100);
        assertThat(stalled.getReceivedOnNext()).hasSize(16).startsWith(99_984L).endsWith(99_999L);
        stalled.cancel();
        assertThat(stream.subscriberCount()).isZero();
    }

    @Test
    void terminalSignalsFollowBufferedEventsAndReachLateSubscribers() {
        EventStream<String> stream = EventStream.create(8);
        IllegalStateException boom = new IllegalStateException("endpoint failed");
        StepVerifier early = StepVerifier.create(stream.events(), 0)
                .thenRequest(1).expectNext("x")
                .thenRequest(1).expectNext("y")
                .expectErrorMatches(e -> e == boom)
                .verifyLater();
        stream.emit("x");
        stream.emit("y");
        stream.error(boom);
        stream.emit("ignored");
        stream.complete();
        early.verify(TIMEOUT);
        StepVerifier.create(stream.events()).expectErrorMatches(e -> e == boom).verify(TIMEOUT);
        assertThat(stream.isTerminated()).isTrue();
    }

    @Test
    void replayingStreamGivesTheLatestEventFirst() {
        EventStream<String> stream = EventStream.replayingLatest(4);
        stream.emit("old");
        stream.emit("current");
        StepVerifier.create(stream.events().take(2)).expectNext("current")
                .then(() -> stream.emit("next"))
                .expectNext("next")
                .expectComplete()
                .verify(TIMEOUT);
        stream.complete();
        StepVerifier.create(stream.events()).expectNext("next").expectComplete().verify(TIMEOUT);
    }

    @Test
    void cancellingUnsubscribes() {
        EventStream<String> stream = EventStream.create(4);
        StepVerifier.create(stream.events()).then(() -> stream.emit("one")).expectNext("one").thenCancel().verify(TIMEOUT);
        assertThat(stream.subscriberCount()).isZero();
    }

    @Test
    void concurrentEmittersLoseNothingForASubscriberThatKeepsUp() throws InterruptedException {
        EventStream<Integer> stream = EventStream.create(1 << 20);
        int perThread = 50_000;
        CountDownLatch done = new CountDownLatch(1);
        AtomicLong received = new AtomicLong();
        stream.events().subscribe(e -> received.incrementAndGet(), e -> { }, done::countDown);
        Flux.range(0, 4)
                .flatMap(t -> Mono.fromRunnable(() -> {
                    for (int i = 0; i < perThread; i++) {
                        stream.emit(i);
                    }
                }).subscribeOn(Schedulers.parallel()))
                .then(Mono.fromRunnable(stream::complete))
                .block(TIMEOUT);
        assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(received).hasValue(4L * perThread);
        assertThat(stream.dropped()).isZero();
    }
}
