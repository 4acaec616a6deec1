package io.sluice.metrics;

/**
 * A pushed counter for events that no live object counts by itself (authentications by mechanism
 * and outcome, pings sent). Safe from any thread, never blocks.
 */
@FunctionalInterface
public interface Count {

    /** A counter that counts nothing. */
    Count NONE = () -> { };

    /** Adds one. */
    void increment();
}
