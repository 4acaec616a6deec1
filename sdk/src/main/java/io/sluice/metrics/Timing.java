package io.sluice.metrics;

/**
 * A latency recorder: a Micrometer {@code Timer} when metrics are on, nothing otherwise. Safe to
 * call from any thread, including event loops (recording never blocks).
 */
@FunctionalInterface
public interface Timing {

    /** A recorder that records nothing. */
    Timing NONE = nanos -> { };

    /**
     * Records one event.
     *
     * @param nanos how long it took, in nanoseconds (negative values are ignored)
     */
    void record(long nanos);
}
