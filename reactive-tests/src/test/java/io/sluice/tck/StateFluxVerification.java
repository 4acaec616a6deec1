package io.sluice.tck;

import io.sluice.session.StateMachine;
import io.sluice.session.Transitions;
import org.reactivestreams.Publisher;
import org.reactivestreams.tck.PublisherVerification;
import org.testng.SkipException;

/**
 * {@link StateMachine#states()} under the Reactive Streams TCK: a machine counting 0, 1, … n-1 with
 * n-1 terminal, so the flux carries exactly n states and completes.
 */
public class StateFluxVerification extends PublisherVerification<Integer> {

    public StateFluxVerification() {
        super(TckEnvironment.create());
    }

    @Override
    public Publisher<Integer> createPublisher(long elements) {
        if (elements == 0) {
            throw new SkipException("a state flux always carries the current state, so it cannot be empty");
        }
        int last = (int) elements - 1;
        Transitions.Builder<Integer> table = Transitions.startingAt(0);
        for (int i = 0; i < last; i++) {
            table.allow(i, i + 1);
        }
        StateMachine<Integer> machine = StateMachine.create("tck machine", table.terminal(last).build());
        return subscriber -> {
            machine.states().subscribe(subscriber);
            for (int i = 1; i <= last; i++) {
                machine.transition(i);
            }
        };
    }

    @Override
    public Publisher<Integer> createFailedPublisher() {
        // A state flux never fails: sessions end in a terminal state, not with an error.
        return null;
    }

    @Override
    public long maxElementsFromPublisher() {
        // Every state must reach a subscriber that requests them later, so stay within the buffer.
        return StateMachine.STATE_BUFFER;
    }
}
