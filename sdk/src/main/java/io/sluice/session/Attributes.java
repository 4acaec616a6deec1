package io.sluice.session;

import java.util.Collections;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Typed application data on a live object. Values are never {@code null}; absence is
 * {@link Optional#empty()}.
 *
 * <p>Thread-safe and lock-free for reads; a live object hands out one instance for its lifetime.
 * Values are the application's: the object does not close or release them when it ends.
 */
public final class Attributes {

    private final ConcurrentHashMap<AttributeKey<?>, Object> values = new ConcurrentHashMap<>();

    /**
     * @param key the key
     * @param <T> the value type
     * @return the value, if set
     */
    public <T> Optional<T> get(AttributeKey<T> key) {
        return Optional.ofNullable(key.type().cast(values.get(key)));
    }

    /**
     * Sets {@code key} to {@code value}.
     *
     * @param key the key
     * @param value the value, an instance of the key's type
     * @param <T> the value type
     * @return the previous value, if any
     */
    public <T> Optional<T> put(AttributeKey<T> key, T value) {
        return Optional.ofNullable(key.type().cast(values.put(key, key.type().cast(Objects.requireNonNull(value, "value")))));
    }

    /**
     * The value of {@code key}, set from {@code initial} first if absent (atomically).
     *
     * @param key the key
     * @param initial gives the value when there is none; runs at most once per call
     * @param <T> the value type
     * @return the value now set
     */
    public <T> T computeIfAbsent(AttributeKey<T> key, Supplier<? extends T> initial) {
        return key.type().cast(values.computeIfAbsent(key, k -> key.type().cast(Objects.requireNonNull(initial.get(), "initial value"))));
    }

    /**
     * Removes {@code key}.
     *
     * @param key the key
     * @param <T> the value type
     * @return the value it had, if any
     */
    public <T> Optional<T> remove(AttributeKey<T> key) {
        return Optional.ofNullable(key.type().cast(values.remove(key)));
    }

    /** @return the keys set now (a snapshot) */
    public Set<AttributeKey<?>> keys() {
        return Collections.unmodifiableSet(Set.copyOf(values.keySet()));
    }
}
