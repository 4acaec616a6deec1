package io.sluice.session;

import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The legal state changes of a kind of session: an initial state, the allowed moves, and the
 * terminal states from which there is no move.
 *
 * <pre>{@code
 * Transitions<CoapState> table = Transitions.startingAt(CoapState.NONE)
 *         .allow(CoapState.NONE, CoapState.CONNECTING, CoapState.ESTABLISHED)
 *         .allow(CoapState.CONNECTING, CoapState.HANDSHAKE, CoapState.NONE)
 *         ...
 *         .terminal(CoapState.CLOSED)
 *         .build();
 * }</pre>
 *
 * <p>Immutable and thread-safe once built; one table serves every session of its kind.
 *
 * @param <S> the state type, usually an enum
 */
public final class Transitions<S> {

    private final S initial;
    private final Map<S, Set<S>> allowed;
    private final Set<S> terminal;

    private Transitions(S initial, Map<S, Set<S>> allowed, Set<S> terminal) {
        this.initial = initial;
        this.allowed = allowed;
        this.terminal = terminal;
    }

    /**
     * Starts a table whose sessions begin in {@code initial}.
     *
     * @param initial the state a new session is in
     * @param <S> the state type
     * @return a builder
     */
    public static <S> Builder<S> startingAt(S initial) {
        return new Builder<>(Objects.requireNonNull(initial, "initial"));
    }

    /** @return the state a new session is in */
    public S initial() {
        return initial;
    }

    /**
     * @param from the current state
     * @param to the state asked for
     * @return whether the move is legal
     */
    public boolean allows(S from, S to) {
        return allowed.getOrDefault(from, Set.of()).contains(to);
    }

    /**
     * @param state a state
     * @return whether it is terminal: a session there has ended for good
     */
    public boolean isTerminal(S state) {
        return terminal.contains(state);
    }

    /**
     * @param from a state
     * @return the states one may move to from {@code from}, in the order they were allowed
     */
    public Set<S> targets(S from) {
        return allowed.getOrDefault(from, Set.of());
    }

    /**
     * Collects moves; not thread-safe.
     *
     * @param <S> the state type
     */
    public static final class Builder<S> {
        private final S initial;
        private final Map<S, Set<S>> allowed = new HashMap<>();
        private final Set<S> terminal = new HashSet<>();

        private Builder(S initial) {
            this.initial = initial;
        }

        /**
         * Allows moving from {@code from} to each of {@code to}.
         *
         * @param from the source state
         * @param to the target states
         * @return this builder
         */
        @SafeVarargs
        public final Builder<S> allow(S from, S... to) {
            Set<S> targets = allowed.computeIfAbsent(Objects.requireNonNull(from, "from"), k -> new LinkedHashSet<>());
            for (S t : to) {
                targets.add(Objects.requireNonNull(t, "to"));
            }
            return this;
        }

        /**
         * Declares {@code states} terminal.
         *
         * @param states states with no way out
         * @return this builder
         */
        @SafeVarargs
        public final Builder<S> terminal(S... states) {
            terminal.addAll(Arrays.asList(states));
            return this;
        }

        /**
         * @return the table
         * @throws IllegalStateException when a terminal state has moves out of it, or no terminal state
         *     is declared
         */
        public Transitions<S> build() {
            if (terminal.isEmpty()) {
                throw new IllegalStateException("a transition table needs at least one terminal state");
            }
            for (S t : terminal) {
                if (!allowed.getOrDefault(t, Set.of()).isEmpty()) {
                    throw new IllegalStateException("terminal state " + t + " must not allow moves out of it");
                }
            }
            Map<S, Set<S>> copy = new HashMap<>();
            allowed.forEach((k, v) -> copy.put(k, Collections.unmodifiableSet(new LinkedHashSet<>(v))));
            return new Transitions<>(initial, Collections.unmodifiableMap(copy), Set.copyOf(terminal));
        }
    }
}
