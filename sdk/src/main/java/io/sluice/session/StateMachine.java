package io.sluice.session;

import io.sluice.event.EventStream;
import java.util.Objects;
import reactor.core.publisher.Flux;

/**
 * The current state of one session and its changes.
 *
 * <p>{@link #current()} reads the state at any time. {@link #states()} is a {@code Flux} that gives
 * each subscriber the current state at once, then every change, and completes after the session
 * reaches a terminal state (a subscriber arriving after that gets the terminal state and completion).
 * A subscriber that does not keep up with its demand keeps at most {@link #STATE_BUFFER} pending
 * states; beyond that its oldest pending states are dropped through the discard hook (the latest
 * and terminal states always arrive).
 *
 * <p>Changes follow a {@link Transitions} table; an illegal one is refused with a
 * {@link SessionException} ({@link SessionErrorCode#ILLEGAL_TRANSITION}) and leaves the state as it
 * was. Thread-safe: concurrent changes are applied one at a time, and every subscriber sees them in
 * that order. State changes are published on the thread that makes them.
 *
 * @param <S> the state type, usually an enum
 */
public final class StateMachine<S> {

    /** How many undelivered states one slow subscriber may hold. */
    public static final int STATE_BUFFER = 32;

    private final Transitions<S> transitions;
    private final Object name;
    private final EventStream<S> changes = EventStream.replayingLatest(STATE_BUFFER);
    private volatile S current;

    private StateMachine(Object name, Transitions<S> transitions) {
        this.name = name;
        this.transitions = transitions;
        this.current = transitions.initial();
        changes.emit(current);
        if (transitions.isTerminal(current)) {
            changes.complete();
        }
    }

    /**
     * A state machine in the table's initial state.
     *
     * @param name names the session in error messages (its {@code toString()} is used lazily)
     * @param transitions the legal changes
     * @param <S> the state type
     * @return the state machine
     */
    public static <S> StateMachine<S> create(Object name, Transitions<S> transitions) {
        return new StateMachine<>(Objects.requireNonNull(name, "name"), Objects.requireNonNull(transitions, "transitions"));
    }

    /** @return the current state */
    public S current() {
        return current;
    }

    /** @return whether the current state is terminal */
    public boolean isTerminal() {
        return transitions.isTerminal(current);
    }

    /** @return the current state, then each change; completes after a terminal state */
    public Flux<S> states() {
        return changes.events();
    }

    /** @return the table this machine follows */
    public Transitions<S> transitions() {
        return transitions;
    }

    /**
     * Moves to {@code to}.
     *
     * @param to the new state
     * @throws SessionException when the table does not allow moving from the current state to {@code to}
     */
    public void transition(S to) {
        Objects.requireNonNull(to, "to");
        synchronized (this) {
            S from = current;
            if (!transitions.allows(from, to)) {
                throw illegal(from, to);
            }
            apply(to);
        }
    }

    /**
     * Moves to {@code to} only if the current state is {@code expected}.
     *
     * @param expected the state the caller believes the session is in
     * @param to the new state
     * @return {@code true} if the state was {@code expected} and is now {@code to}; {@code false}
     *     if the state was something else (nothing changed)
     * @throws SessionException when the state was {@code expected} but the table does not allow the move
     */
    public boolean compareAndTransition(S expected, S to) {
        Objects.requireNonNull(to, "to");
        synchronized (this) {
            if (!Objects.equals(current, expected)) {
                return false;
            }
            if (!transitions.allows(expected, to)) {
                throw illegal(expected, to);
            }
            apply(to);
            return true;
        }
    }

    // Holding the monitor while emitting keeps the order of emissions that of the changes; emit
    // itself never blocks.
    private void apply(S to) {
        current = to;
        changes.emit(to);
        if (transitions.isTerminal(to)) {
            changes.complete();
        }
    }

    private SessionException illegal(S from, S to) {
        String detail = name + " cannot move from " + from + " to " + to;
        if (transitions.isTerminal(from)) {
            detail += ": " + from + " is terminal";
        } else {
            detail += "; from " + from + " it may move to " + transitions.targets(from);
        }
        return new SessionException(SessionErrorCode.ILLEGAL_TRANSITION, detail);
    }

    @Override
    public String toString() {
        return name + "[" + current + "]";
    }
}
