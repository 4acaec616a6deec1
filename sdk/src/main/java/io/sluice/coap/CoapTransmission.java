package io.sluice.coap;

import java.time.Duration;
import java.util.Objects;

/**
 * The transmission parameters of RFC 7252 §4.8, from which the derived times of §4.8.2 follow.
 * Immutable; start from {@link #defaults()} (ACK_TIMEOUT 2 s, ACK_RANDOM_FACTOR 1.5,
 * MAX_RETRANSMIT 4, NSTART 1).
 *
 * @param ackTimeout the initial retransmission timeout
 * @param ackRandomFactor the initial timeout is drawn from [ackTimeout, ackTimeout × factor]; at least 1
 * @param maxRetransmit how often a CON is retransmitted before the exchange fails
 * @param nstart how many confirmable requests may be outstanding to one peer at a time; more wait in order
 */
public record CoapTransmission(Duration ackTimeout, double ackRandomFactor, int maxRetransmit, int nstart) {

    private static final CoapTransmission DEFAULTS = new CoapTransmission(Duration.ofSeconds(2), 1.5, 4, 1);

    /**
     * @param ackTimeout the initial retransmission timeout
     * @param ackRandomFactor at least 1
     * @param maxRetransmit 0–20
     * @param nstart at least 1
     */
    public CoapTransmission {
        Objects.requireNonNull(ackTimeout, "ackTimeout");
        if (ackTimeout.isNegative() || ackTimeout.isZero()) {
            throw new IllegalArgumentException("ackTimeout must be positive, was " + ackTimeout);
        }
        if (!(ackRandomFactor >= 1.0)) {
            throw new IllegalArgumentException("ackRandomFactor must be at least 1, was " + ackRandomFactor);
        }
        if (maxRetransmit < 0 || maxRetransmit > 20) {
            throw new IllegalArgumentException("maxRetransmit must be 0-20, was " + maxRetransmit);
        }
        if (nstart < 1) {
            throw new IllegalArgumentException("nstart must be at least 1, was " + nstart);
        }
    }

    /** @return the RFC 7252 defaults */
    public static CoapTransmission defaults() {
        return DEFAULTS;
    }

    /**
     * @param timeout ACK_TIMEOUT
     * @return a copy
     */
    public CoapTransmission withAckTimeout(Duration timeout) {
        return new CoapTransmission(timeout, ackRandomFactor, maxRetransmit, nstart);
    }

    /**
     * @param factor ACK_RANDOM_FACTOR
     * @return a copy
     */
    public CoapTransmission withAckRandomFactor(double factor) {
        return new CoapTransmission(ackTimeout, factor, maxRetransmit, nstart);
    }

    /**
     * @param count MAX_RETRANSMIT
     * @return a copy
     */
    public CoapTransmission withMaxRetransmit(int count) {
        return new CoapTransmission(ackTimeout, ackRandomFactor, count, nstart);
    }

    /**
     * @param count NSTART
     * @return a copy
     */
    public CoapTransmission withNstart(int count) {
        return new CoapTransmission(ackTimeout, ackRandomFactor, maxRetransmit, count);
    }

    /** @return MAX_TRANSMIT_SPAN: ACK_TIMEOUT × (2^MAX_RETRANSMIT − 1) × ACK_RANDOM_FACTOR */
    public Duration maxTransmitSpan() {
        return Duration.ofNanos((long) (ackTimeout.toNanos() * ((1L << maxRetransmit) - 1) * ackRandomFactor));
    }

    /** @return MAX_TRANSMIT_WAIT: ACK_TIMEOUT × (2^(MAX_RETRANSMIT + 1) − 1) × ACK_RANDOM_FACTOR */
    public Duration maxTransmitWait() {
        return Duration.ofNanos((long) (ackTimeout.toNanos() * ((1L << (maxRetransmit + 1)) - 1) * ackRandomFactor));
    }

    /** @return EXCHANGE_LIFETIME: MAX_TRANSMIT_SPAN + 2 × MAX_LATENCY (100 s) + PROCESSING_DELAY (ACK_TIMEOUT) */
    public Duration exchangeLifetime() {
        return maxTransmitSpan().plusSeconds(200).plus(ackTimeout);
    }
}
