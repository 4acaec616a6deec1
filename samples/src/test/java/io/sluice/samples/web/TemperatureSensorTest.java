package io.sluice.samples.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.coap.CoapResponse;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.BufferOverflowStrategy;

class TemperatureSensorTest {

    /**
     * Observers register and deregister, and GETs take one reading, while the sensor ticks every
     * millisecond: none of that may end the readings for the observer that stays (CI once saw the
     * shared sensor fail with "Could not emit tick" and every later observer get 5.00).
     */
    @Test
    void observersComingAndGoingNeverEndTheReadingsOfOneThatStays() {
        TemperatureSensor sensor = new TemperatureSensor(Duration.ofMillis(1));
        AtomicLong seen = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Disposable staying = sensor.readings().subscribe(r -> seen.incrementAndGet(), failure::set);
        try {
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (seen.get() < 1000 && failure.get() == null && System.nanoTime() < deadline) {
                // As the CoAP server consumes an observable resource: a bounded latest-state buffer per
                // observer, and the first reading for a plain GET.
                Disposable observer = sensor.readings().onBackpressureBuffer(32, r -> { }, BufferOverflowStrategy.DROP_OLDEST)
                        .subscribe(r -> { }, e -> { });
                Disposable get = sensor.readings().next().subscribe(r -> { }, e -> { });
                observer.dispose();
                get.dispose();
            }
            assertThat(failure.get()).as("the staying observer's readings ended").isNull();
            assertThat(seen.get()).isGreaterThanOrEqualTo(1000);
            assertThat(sensor.readings().next().map(CoapResponse::bodyText).block(Duration.ofSeconds(5))).matches("\\d+\\.\\d\\d");
        } finally {
            staying.dispose();
            sensor.dispose();
        }
    }
}
