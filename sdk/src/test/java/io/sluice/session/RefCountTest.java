package io.sluice.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

class RefCountTest {

    private final AtomicInteger idle = new AtomicInteger();
    private final AtomicInteger revived = new AtomicInteger();

    private RefCount count(int initial) {
        return RefCount.create("session A", initial, new RefCount.Listener() {
            @Override
            public void onIdle() {
                idle.incrementAndGet();
            }

            @Override
            public void onRevived() {
                revived.incrementAndGet();
            }
        });
    }

    @Test
    void reachingZeroMakesTheObjectIdleAndARetainRevivesIt() {
        RefCount rc = count(1);
        rc.retain();
        assertThat(rc.release()).isFalse();
        assertThat(rc.release()).isTrue();
        assertThat(idle).hasValue(1);
        rc.retain();
        assertThat(revived).hasValue(1);
        assertThat(rc.get()).isEqualTo(1);
    }

    @Test
    void aServerSessionBornAtZeroIsIdleWithoutAHook() {
        RefCount rc = count(0);
        assertThat(rc.get()).isZero();
        assertThat(idle).hasValue(0);
        rc.retain();
        assertThat(revived).hasValue(1);
    }

    @Test
    void overReleaseIsAClearErrorAndLeavesTheCountAlone() {
        RefCount rc = count(1);
        rc.release();
        assertThatThrownBy(rc::release)
                .isInstanceOfSatisfying(SessionException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(SessionErrorCode.OVER_RELEASED))
                .hasMessageContaining("release() on session A whose reference count is already 0");
        assertThat(rc.get()).isZero();
        assertThat(rc.isFreed()).isFalse();
    }

    @Test
    void useAfterFreeIsAClearError() {
        RefCount rc = count(1);
        rc.release();
        assertThat(rc.tryFree()).isTrue();
        assertThat(rc.tryFree()).isFalse();
        assertThatThrownBy(rc::retain)
                .isInstanceOfSatisfying(SessionException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(SessionErrorCode.RELEASED))
                .hasMessageContaining("retain() on session A, which was freed after its final release");
        assertThatThrownBy(rc::release).hasMessageContaining("session.released");
        assertThatThrownBy(() -> rc.ensureLive("send()")).hasMessageContaining("send() on session A");
    }

    @Test
    void tryFreeRefusesAnObjectInUseButFreeForces() {
        RefCount rc = count(2);
        assertThat(rc.tryFree()).isFalse();
        assertThat(rc.free()).isTrue();
        assertThat(rc.free()).isFalse();
        assertThat(rc.isFreed()).isTrue();
        assertThat(rc.get()).isZero();
    }

    @Test
    void freeingOnZeroRunsTheFinalActionOnce() {
        AtomicInteger disposed = new AtomicInteger();
        RefCount rc = RefCount.freeingOnZero("peer", disposed::incrementAndGet);
        rc.retain();
        rc.release();
        assertThat(disposed).hasValue(0);
        rc.release();
        assertThat(disposed).hasValue(1);
        assertThat(rc.isFreed()).isTrue();
    }

    @Test
    void usingRetainsForThePipelineAndReleasesHoweverItEnds() {
        class Shared implements Retainable {
            final RefCount rc = RefCount.create("shared", 1, () -> { });

            @Override
            public Shared retain() {
                rc.retain();
                return this;
            }

            @Override
            public boolean release() {
                return rc.release();
            }

            @Override
            public int refCount() {
                return rc.get();
            }
        }
        Shared shared = new Shared();
        StepVerifier.create(Retainable.using(shared, s -> Flux.just(s.refCount())))
                .expectNext(2)
                .expectComplete()
                .verify();
        assertThat(shared.refCount()).isEqualTo(1);
        StepVerifier.create(Retainable.using(shared, s -> Flux.error(new IllegalStateException("boom"))))
                .expectError(IllegalStateException.class)
                .verify();
        StepVerifier.create(Retainable.using(shared, s -> Flux.never()))
                .thenCancel()
                .verify();
        assertThat(shared.refCount()).isEqualTo(1);
    }
}
