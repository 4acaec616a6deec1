package io.sluice.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

class StateMachineTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    enum Link { IDLE, CONNECTING, ESTABLISHED, CLOSED }

    private static final Transitions<Link> LINK = Transitions.startingAt(Link.IDLE)
            .allow(Link.IDLE, Link.CONNECTING, Link.CLOSED)
            .allow(Link.CONNECTING, Link.ESTABLISHED, Link.IDLE, Link.CLOSED)
            .allow(Link.ESTABLISHED, Link.IDLE, Link.CLOSED)
            .terminal(Link.CLOSED)
            .build();

    @Test
    void statesReplayTheCurrentOneAndFollowEachChangeUntilTerminal() {
        StateMachine<Link> link = StateMachine.create("link 1", LINK);
        link.transition(Link.CONNECTING);
        StepVerifier.create(link.states())
                .expectNext(Link.CONNECTING)
                .then(() -> link.transition(Link.ESTABLISHED))
                .expectNext(Link.ESTABLISHED)
                .then(() -> link.transition(Link.CLOSED))
                .expectNext(Link.CLOSED)
                .expectComplete()
                .verify(TIMEOUT);
        assertThat(link.isTerminal()).isTrue();
    }

    @Test
    void aSubscriberAfterTheEndGetsTheTerminalStateAndCompletion() {
        StateMachine<Link> link = StateMachine.create("link 2", LINK);
        link.transition(Link.CLOSED);
        StepVerifier.create(link.states()).expectNext(Link.CLOSED).expectComplete().verify(TIMEOUT);
    }

    @Test
    void aMachineBornInATerminalStateCompletesAtOnce() {
        StateMachine<Link> done = StateMachine.create("stillborn", Transitions.startingAt(Link.CLOSED)
                .terminal(Link.CLOSED).build());
        StepVerifier.create(done.states()).expectNext(Link.CLOSED).expectComplete().verify(TIMEOUT);
    }

    @Test
    void illegalTransitionsAreRefusedAndChangeNothing() {
        StateMachine<Link> link = StateMachine.create("link 3", LINK);
        assertThatThrownBy(() -> link.transition(Link.ESTABLISHED))
                .isInstanceOfSatisfying(SessionException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(SessionErrorCode.ILLEGAL_TRANSITION))
                .hasMessage("[session.illegal-transition] link 3 cannot move from IDLE to ESTABLISHED;"
                        + " from IDLE it may move to [CONNECTING, CLOSED]");
        assertThat(link.current()).isEqualTo(Link.IDLE);
        link.transition(Link.CLOSED);
        assertThatThrownBy(() -> link.transition(Link.IDLE)).hasMessageContaining("CLOSED is terminal");
    }

    @Test
    void compareAndTransitionOnlyMovesFromTheExpectedState() {
        StateMachine<Link> link = StateMachine.create("link 4", LINK);
        assertThat(link.compareAndTransition(Link.CONNECTING, Link.ESTABLISHED)).isFalse();
        assertThat(link.compareAndTransition(Link.IDLE, Link.CONNECTING)).isTrue();
        assertThat(link.current()).isEqualTo(Link.CONNECTING);
        assertThatThrownBy(() -> link.compareAndTransition(Link.CONNECTING, Link.CONNECTING))
                .isInstanceOf(SessionException.class);
    }

    @Test
    void tablesMustEndAndTerminalStatesMustBeFinal() {
        assertThatThrownBy(() -> Transitions.startingAt(Link.IDLE).allow(Link.IDLE, Link.CLOSED).build())
                .hasMessageContaining("at least one terminal state");
        assertThatThrownBy(() -> Transitions.startingAt(Link.IDLE).allow(Link.CLOSED, Link.IDLE)
                .terminal(Link.CLOSED).build())
                .hasMessageContaining("terminal state CLOSED must not allow moves");
    }

    @Test
    void concurrentChangesReachEverySubscriberInTheOrderTheyWereMade() {
        int steps = 2_000;
        Transitions.Builder<Integer> counting = Transitions.startingAt(0);
        for (int i = 0; i < steps; i++) {
            counting.allow(i, i + 1);
        }
        StateMachine<Integer> counter = StateMachine.create("counter", counting.terminal(steps).build());
        List<Integer> seen = new CopyOnWriteArrayList<>();
        StepVerifier observer = StepVerifier.create(counter.states().doOnNext(seen::add))
                .thenConsumeWhile(s -> s < steps)
                .expectNext(steps)
                .expectComplete()
                .verifyLater();
        Flux.range(0, 2)
                .flatMap(t -> Mono.fromRunnable(() -> {
                    for (;;) {
                        Integer now = counter.current();
                        if (now == steps) {
                            return;
                        }
                        counter.compareAndTransition(now, now + 1);
                    }
                }).subscribeOn(Schedulers.parallel()))
                .blockLast(TIMEOUT);
        observer.verify(TIMEOUT);
        assertThat(seen).isSorted().doesNotHaveDuplicates().endsWith(steps);
    }
}
