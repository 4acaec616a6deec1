package io.sluice.coap;

import io.sluice.codec.Limits;
import io.sluice.metrics.SluiceMeters;
import io.sluice.wiretap.Wiretap;
import java.time.Duration;
import java.util.Objects;

/** What one endpoint's message layer runs with; assembled by the server and client specs. */
record EndpointConfig(
        CoapTransmission transmission,
        int blockSize,
        int maxBodyBytes,
        Limits limits,
        int dedupCapacity,
        Duration responseTimeout,
        Duration separateResponseAfter,
        int maxQueuedRequests,
        CoapRoutes routes,
        Duration multicastLeisure,
        SluiceMeters meters,
        Wiretap wiretap,
        CoapTracing tracing) {

    static final int DEFAULT_BLOCK_SIZE = 1024;
    static final int DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024;
    static final int DEFAULT_DEDUP_CAPACITY = 16_384;
    static final int DEFAULT_MAX_QUEUED = 1024;
    static final int MAX_DATAGRAM_BYTES = 1500;

    static EndpointConfig defaults() {
        CoapTransmission t = CoapTransmission.defaults();
        return new EndpointConfig(t, DEFAULT_BLOCK_SIZE, DEFAULT_MAX_BODY_BYTES,
                Limits.defaults().withMaxMessageBytes(MAX_DATAGRAM_BYTES * 2).withMaxElements(64).withMaxStringBytes(1034),
                DEFAULT_DEDUP_CAPACITY, t.maxTransmitWait(), t.ackTimeout().dividedBy(2), DEFAULT_MAX_QUEUED, null,
                Duration.ofSeconds(5), SluiceMeters.none(), Wiretap.off(), CoapTracing.NONE);
    }

    int blockSzx() {
        return Integer.numberOfTrailingZeros(blockSize) - 4;
    }

    EndpointConfig withTransmission(CoapTransmission t) {
        return new EndpointConfig(t, blockSize, maxBodyBytes, limits, dedupCapacity, t.maxTransmitWait(),
                t.ackTimeout().dividedBy(2), maxQueuedRequests, routes, multicastLeisure, meters, wiretap, tracing);
    }

    EndpointConfig withBlockSize(int size) {
        return new EndpointConfig(transmission, size, maxBodyBytes, limits, dedupCapacity, responseTimeout,
                separateResponseAfter, maxQueuedRequests, routes, multicastLeisure, meters, wiretap, tracing);
    }

    EndpointConfig withMaxBodyBytes(int bytes) {
        return new EndpointConfig(transmission, blockSize, bytes, limits, dedupCapacity, responseTimeout,
                separateResponseAfter, maxQueuedRequests, routes, multicastLeisure, meters, wiretap, tracing);
    }

    EndpointConfig withLimits(Limits l) {
        return new EndpointConfig(transmission, blockSize, maxBodyBytes, l, dedupCapacity, responseTimeout,
                separateResponseAfter, maxQueuedRequests, routes, multicastLeisure, meters, wiretap, tracing);
    }

    EndpointConfig withDedupCapacity(int capacity) {
        return new EndpointConfig(transmission, blockSize, maxBodyBytes, limits, capacity, responseTimeout,
                separateResponseAfter, maxQueuedRequests, routes, multicastLeisure, meters, wiretap, tracing);
    }

    EndpointConfig withResponseTimeout(Duration timeout) {
        return new EndpointConfig(transmission, blockSize, maxBodyBytes, limits, dedupCapacity, timeout,
                separateResponseAfter, maxQueuedRequests, routes, multicastLeisure, meters, wiretap, tracing);
    }

    EndpointConfig withMaxQueuedRequests(int max) {
        return new EndpointConfig(transmission, blockSize, maxBodyBytes, limits, dedupCapacity, responseTimeout,
                separateResponseAfter, max, routes, multicastLeisure, meters, wiretap, tracing);
    }

    EndpointConfig withRoutes(CoapRoutes r) {
        return new EndpointConfig(transmission, blockSize, maxBodyBytes, limits, dedupCapacity, responseTimeout,
                separateResponseAfter, maxQueuedRequests, r, multicastLeisure, meters, wiretap, tracing);
    }

    EndpointConfig withMulticastLeisure(Duration leisure) {
        return new EndpointConfig(transmission, blockSize, maxBodyBytes, limits, dedupCapacity, responseTimeout,
                separateResponseAfter, maxQueuedRequests, routes, leisure, meters, wiretap, tracing);
    }

    EndpointConfig withMeters(SluiceMeters m) {
        return new EndpointConfig(transmission, blockSize, maxBodyBytes, limits, dedupCapacity, responseTimeout,
                separateResponseAfter, maxQueuedRequests, routes, multicastLeisure, Objects.requireNonNull(m, "meters"), wiretap, tracing);
    }

    EndpointConfig withWiretap(Wiretap w) {
        return new EndpointConfig(transmission, blockSize, maxBodyBytes, limits, dedupCapacity, responseTimeout,
                separateResponseAfter, maxQueuedRequests, routes, multicastLeisure, meters, Objects.requireNonNull(w, "wiretap"), tracing);
    }

    EndpointConfig withTracing(CoapTracing t) {
        return new EndpointConfig(transmission, blockSize, maxBodyBytes, limits, dedupCapacity, responseTimeout,
                separateResponseAfter, maxQueuedRequests, routes, multicastLeisure, meters, wiretap, Objects.requireNonNull(t, "tracing"));
    }
}
