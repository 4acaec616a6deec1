package io.sluice.tck;

import org.reactivestreams.tck.TestEnvironment;

/** One TCK environment for every verification here, with timeouts that hold on a loaded 2-core machine. */
final class TckEnvironment {

    /** How long the TCK waits for an expected signal. */
    static final long SIGNAL_TIMEOUT_MILLIS = 2_000;
    /**
     * How long the TCK waits for an expected signal from a publisher built on confirmable CoAP
     * messages: longer than the largest first retransmission wait (ACK_TIMEOUT 2 s x
     * ACK_RANDOM_FACTOR 1.5), so one datagram lost or late on a loaded machine is recovered by
     * the protocol instead of failing the check. Only a failing check waits this long.
     */
    static final long CONFIRMABLE_SIGNAL_TIMEOUT_MILLIS = 5_000;
    /** How long the TCK watches for a signal that must not come. */
    static final long NO_SIGNAL_TIMEOUT_MILLIS = 100;
    /** The most elements any verification asks a publisher for. */
    static final long MAX_ELEMENTS = 1_024;

    private TckEnvironment() {
    }

    static TestEnvironment create() {
        return new TestEnvironment(SIGNAL_TIMEOUT_MILLIS, NO_SIGNAL_TIMEOUT_MILLIS);
    }

    /**
     * The environment for a publisher whose signals ride on DTLS records over UDP: nothing
     * retransmits them, and on a loaded 2-core machine the handshake that makes each publisher and
     * the close_notify that completes it have been seen to take longer than 2 s (fresh-clone CI
     * failed spec107 and spec317 that way). Only a failing check waits this long.
     */
    static TestEnvironment datagram() {
        return new TestEnvironment(CONFIRMABLE_SIGNAL_TIMEOUT_MILLIS, NO_SIGNAL_TIMEOUT_MILLIS);
    }

    /** The environment for a publisher whose signals ride on confirmable CoAP messages. */
    static TestEnvironment confirmable() {
        return new TestEnvironment(CONFIRMABLE_SIGNAL_TIMEOUT_MILLIS, NO_SIGNAL_TIMEOUT_MILLIS);
    }
}
