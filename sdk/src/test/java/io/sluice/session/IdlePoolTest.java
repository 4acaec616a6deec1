package io.sluice.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.test.scheduler.VirtualTimeScheduler;

class IdlePoolTest {

    private final VirtualTimeScheduler time = VirtualTimeScheduler.create();
    private final List<PooledSession> freed = new ArrayList<>();
    private final IdlePool<PooledSession> pool = IdlePool.create(Duration.ofMinutes(5), time, s -> {
        if (s.rc.tryFree()) {
            freed.add(s);
            return true;
        }
        return false;
    });

    /** A session shaped like libcoap's server sessions: born idle, parked whenever unused. */
    final class PooledSession {
        final RefCount rc;

        PooledSession(String name) {
            rc = RefCount.create(name, 0, new RefCount.Listener() {
                @Override
                public void onIdle() {
                    pool.park(PooledSession.this);
                }

                @Override
                public void onRevived() {
                    pool.unpark(PooledSession.this);
                }
            });
            pool.park(this);
        }
    }

    @AfterEach
    void stopTime() {
        time.dispose();
    }

    @Test
    void anIdleSessionIsFreedAfterTheIdleTimeout() {
        PooledSession s = new PooledSession("peer 1");
        time.advanceTimeBy(Duration.ofMinutes(5).minusNanos(1));
        assertThat(freed).isEmpty();
        assertThat(pool.isParked(s)).isTrue();
        time.advanceTimeBy(Duration.ofNanos(1));
        assertThat(freed).containsExactly(s);
        assertThat(s.rc.isFreed()).isTrue();
        assertThat(pool.size()).isZero();
        assertThat(pool.evictedCount()).isEqualTo(1);
    }

    @Test
    void aRetainBeforeTheTimeoutKeepsTheSessionAndTheNextReleaseRestartsTheClock() {
        PooledSession s = new PooledSession("peer 2");
        time.advanceTimeBy(Duration.ofMinutes(4));
        s.rc.retain();
        assertThat(pool.isParked(s)).isFalse();
        time.advanceTimeBy(Duration.ofMinutes(10));
        assertThat(freed).isEmpty();
        s.rc.release();
        time.advanceTimeBy(Duration.ofMinutes(4));
        assertThat(freed).isEmpty();
        time.advanceTimeBy(Duration.ofMinutes(1));
        assertThat(freed).containsExactly(s);
    }

    @Test
    void theEvictorDeclinesASessionRevivedAsItsTimerFires() {
        PooledSession s = new PooledSession("peer 3");
        // Revive without going through the listener, as a racing thread would between timer and evictor.
        IdlePool<PooledSession> racing = IdlePool.create(Duration.ofSeconds(1), time, x -> {
            x.rc.retain();
            return x.rc.tryFree();
        });
        racing.park(s);
        time.advanceTimeBy(Duration.ofSeconds(1));
        assertThat(racing.evictedCount()).isZero();
        assertThat(s.rc.isFreed()).isFalse();
        assertThat(s.rc.get()).isEqualTo(1);
    }

    @Test
    void parkingAgainRestartsTheTimer() {
        PooledSession s = new PooledSession("peer 4");
        time.advanceTimeBy(Duration.ofMinutes(3));
        pool.park(s);
        time.advanceTimeBy(Duration.ofMinutes(3));
        assertThat(freed).isEmpty();
        time.advanceTimeBy(Duration.ofMinutes(2));
        assertThat(freed).containsExactly(s);
    }

    @Test
    void disposingEvictsEverythingNowAndLaterParksAtOnce() {
        PooledSession a = new PooledSession("a");
        PooledSession b = new PooledSession("b");
        pool.dispose();
        assertThat(freed).containsExactlyInAnyOrder(a, b);
        PooledSession c = new PooledSession("c");
        assertThat(freed).contains(c);
        assertThat(pool.isDisposed()).isTrue();
    }

    @Test
    void identityNotEqualityDecidesWhatIsParked() {
        IdlePool<String> strings = IdlePool.create(Duration.ofSeconds(1), time, x -> true);
        String one = new String("same");
        String two = new String("same");
        strings.park(one);
        assertThat(strings.isParked(two)).isFalse();
        assertThat(strings.unpark(two)).isFalse();
        assertThat(strings.unpark(one)).isTrue();
    }
}
