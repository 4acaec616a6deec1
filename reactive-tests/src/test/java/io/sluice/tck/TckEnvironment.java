package io.sluice.tck;

import org.reactivestreams.tck.TestEnvironment;

/** One TCK environment for every verification here, with timeouts that hold on a loaded 2-core machine. */
final class TckEnvironment {

    /** How long the TCK waits for an expected signal. */
    static final long SIGNAL_TIMEOUT_MILLIS = 2_000;
    /** How long the TCK watches for a signal that must not come. */
    static final long NO_SIGNAL_TIMEOUT_MILLIS = 100;
    /** The most elements any verification asks a publisher for. */
    static final long MAX_ELEMENTS = 1_024;

    private TckEnvironment() {
    }

    static TestEnvironment create() {
        return new TestEnvironment(SIGNAL_TIMEOUT_MILLIS, NO_SIGNAL_TIMEOUT_MILLIS);
    }
}
