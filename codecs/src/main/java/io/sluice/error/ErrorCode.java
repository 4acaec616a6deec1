package io.sluice.error;

/**
 * A stable error code with a human description.
 *
 * <p>Each failure family defines its codes as an {@code enum} implementing this interface, so a
 * code is a constant that can be compared, switched on and logged. {@link #code()} is part of the
 * public contract: once released it never changes meaning, and applications may persist or match on
 * it. {@link #description()} is for people and may be reworded.
 *
 * <p>Implementations are immutable and thread-safe.
 */
public interface ErrorCode {

    /**
     * The stable code, lower-case words separated by dots and dashes, the family first: for
     * example {@code session.released} or {@code codec.limit-exceeded}.
     *
     * @return the code, never {@code null}
     */
    String code();

    /**
     * What the code means, in a sentence, for people.
     *
     * @return the description, never {@code null}
     */
    String description();
}
