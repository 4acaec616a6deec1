package io.sluice.samples.web;

import io.sluice.coap.CoapResponse;
import java.time.Duration;
import java.util.Locale;
import reactor.core.Disposable;
import reactor.core.publisher.ConnectableFlux;
import reactor.core.publisher.Flux;

/**
 * The service's sample sensor: a temperature that changes every period, one source shared by
 * every CoAP observer and GET, the latest reading replayed to each newcomer. It runs from
 * construction until {@link #dispose()}, on Reactor's parallel scheduler; {@link #readings()} may
 * be subscribed from any thread, any number of times. Readings are immutable responses.
 */
final class TemperatureSensor implements Disposable {

    private final Flux<CoapResponse> readings;
    private final Disposable running;

    /** @param period how often the reading changes */
    TemperatureSensor(Duration period) {
        // replay(1) asks its source for no more than its subscribers can take, and a subscriber that
        // has just arrived (or is leaving) can take nothing for a moment; a tick then would fail the
        // interval ("Could not emit tick") and end the readings for everyone. A reading is a latest
        // state, so a tick nobody can take yet waits as the newest, replacing older ones.
        ConnectableFlux<CoapResponse> shared = Flux.interval(Duration.ZERO, period)
                .onBackpressureLatest()
                .map(i -> CoapResponse.content(String.format(Locale.ROOT, "%.2f", 20 + 5 * Math.sin(i / 10.0))))
                .replay(1);
        running = shared.connect();
        readings = shared;
    }

    /** @return the readings, starting with the latest one; they end only when the sensor is disposed */
    Flux<CoapResponse> readings() {
        return readings;
    }

    @Override
    public void dispose() {
        running.dispose();
    }

    @Override
    public boolean isDisposed() {
        return running.isDisposed();
    }
}
