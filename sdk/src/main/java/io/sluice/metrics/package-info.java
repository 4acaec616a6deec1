/**
 * Micrometer meters for every Sluice spec, with Micrometer as an optional dependency.
 *
 * <p>A spec's {@code metrics(MeterRegistry)} (or {@code metrics(true)} for Micrometer's global
 * registry) hands its live objects a {@link io.sluice.metrics.SluiceMeters}. Without it, or without
 * Micrometer on the class path, they get {@link io.sluice.metrics.SluiceMeters#none()}: every call
 * is a no-op and no Micrometer class is loaded.
 *
 * <p>Most meters are read, not pushed: a live object registers the counters it keeps anyway
 * (datagrams dropped, sessions refused, ...) as sources of a {@link io.sluice.metrics.MeterGroup},
 * and the registry reads them when it is scraped, so the hot path pays nothing extra. Several live
 * objects with the same meter name and tags add up into one meter, and a disposed object's counts
 * stay in its counters. Latencies are pushed through {@link io.sluice.metrics.Timing}.
 *
 * <p>Tags only ever take values from small fixed sets (protocol, role, state, reason, method,
 * response class, configured cipher suites, declared call types): never a remote address, a path or
 * anything else a remote party chooses, so a flood of peers cannot grow the registry.
 * This package does no I/O and starts no threads.
 */
package io.sluice.metrics;
