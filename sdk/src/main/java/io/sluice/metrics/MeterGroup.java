package io.sluice.metrics;

import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;
import reactor.core.Disposable;

/**
 * The read-on-scrape meters of one live object (a server, a client, a port). Each call adds a
 * source to a meter shared by every live object with the same name and tags in the same registry;
 * {@link #dispose()} takes this object's sources out (a counter keeps what its sources counted, a
 * gauge stops including them). Sources are called on the thread that scrapes the registry, so
 * they must be cheap and thread-safe: a {@code LongAdder::sum}, a volatile read, a count over a
 * concurrent map.
 */
public interface MeterGroup extends Disposable {

    /**
     * Adds a monotonic source to a counter.
     *
     * @param name the meter's name (dot-separated, Micrometer style)
     * @param description what it counts
     * @param baseUnit the unit ({@code "bytes"}, {@code "messages"}, ...) or {@code null}
     * @param source the running total, never decreasing
     * @param tags tag keys and values, alternating
     * @return this group
     */
    MeterGroup counter(String name, String description, String baseUnit, LongSupplier source, String... tags);

    /**
     * Adds a source to a gauge: the gauge shows the sum of its live sources.
     *
     * @param name the meter's name
     * @param description what it shows
     * @param source the current value
     * @param tags tag keys and values, alternating
     * @return this group
     */
    MeterGroup gauge(String name, String description, DoubleSupplier source, String... tags);
}
