package io.sluice.metrics;

import io.sluice.wiretap.Wiretap;
import java.util.Objects;

/**
 * What a spec says about watching its live objects: where they record meters and where they log
 * their messages. Sluice's specs hold one (their {@code metrics(...)} and {@code wiretap(...)}
 * setters replace a part); applications do not usually touch it. Immutable and thread-safe.
 *
 * @param meters where meters go ({@link SluiceMeters#none()} by default)
 * @param wiretap where messages are logged ({@link Wiretap#off()} by default)
 */
public record Telemetry(SluiceMeters meters, Wiretap wiretap) {

    /** No meters, no wiretap: what every spec starts with. */
    public static final Telemetry NONE = new Telemetry(SluiceMeters.none(), Wiretap.off());

    /**
     * Checks the parts.
     *
     * @param meters where meters go
     * @param wiretap where messages are logged
     */
    public Telemetry {
        Objects.requireNonNull(meters, "meters");
        Objects.requireNonNull(wiretap, "wiretap");
    }

    /**
     * @param m the meters
     * @return a copy with {@code m}
     */
    public Telemetry withMeters(SluiceMeters m) {
        return new Telemetry(m, wiretap);
    }

    /**
     * @param w the wiretap
     * @return a copy with {@code w}
     */
    public Telemetry withWiretap(Wiretap w) {
        return new Telemetry(meters, w);
    }
}
