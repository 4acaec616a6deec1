package io.sluice.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import java.util.Objects;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;

/**
 * Where a spec's live objects record their meters: a Micrometer registry, or nowhere.
 *
 * <p>Applications do not usually touch this type: they call a spec's {@code metrics(registry)} and
 * read the registry. Sluice's modules use it to register their meters. Immutable and thread-safe;
 * {@link #none()} and instances over the same registry share everything they register there.
 *
 * <p>Names follow Micrometer's conventions (dot-separated, base units, no {@code _total}); the
 * README's "Observing Sluice" lists every meter with its tags.
 */
public abstract class SluiceMeters {

    /**
     * Where an observation sits in a Reactor context: {@code ObservationThreadLocalAccessor.KEY},
     * written out so that reading it needs no context-propagation class. Sluice's observed
     * handlers find theirs here, and callers put a parent here.
     */
    public static final String OBSERVATION_KEY = "micrometer.observation";

    private static final SluiceMeters NONE = new None();

    SluiceMeters() {
    }

    /** @return meters that record nothing (the default on every spec) */
    public static SluiceMeters none() {
        return NONE;
    }

    /**
     * Micrometer's global registry ({@code Metrics.globalRegistry}), as reactor-netty's
     * {@code metrics(true)} uses.
     *
     * @return meters recording there
     * @throws UnsupportedOperationException without {@code io.micrometer:micrometer-core} on the class path
     */
    public static SluiceMeters global() {
        if (!micrometerPresent()) {
            throw new UnsupportedOperationException(
                    "metrics need io.micrometer:micrometer-core on the class path; add it as a dependency first");
        }
        return MicrometerMeters.globalRegistry();
    }

    /**
     * What a spec's {@code metrics(boolean)} means.
     *
     * @param enable Micrometer's global registry (true) or nowhere (false)
     * @return {@link #global()} or {@link #none()}
     * @throws UnsupportedOperationException when enabling without Micrometer on the class path
     */
    public static SluiceMeters global(boolean enable) {
        return enable ? global() : NONE;
    }

    /**
     * @param registry where to record
     * @return meters recording in {@code registry}
     */
    public static SluiceMeters of(MeterRegistry registry) {
        return MicrometerMeters.in(Objects.requireNonNull(registry, "registry"));
    }

    /** @return whether Micrometer is on the class path */
    public static boolean micrometerPresent() {
        try {
            Class.forName("io.micrometer.core.instrument.MeterRegistry", false, SluiceMeters.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /** @return whether anything is recorded (callers skip clock reads when not) */
    public abstract boolean enabled();

    /** @return a new, empty group for one live object's read-on-scrape meters */
    public abstract MeterGroup group();

    /**
     * A timer (look it up once per tag set and keep it: the lookup is a map search).
     *
     * @param name the meter's name
     * @param description what it times
     * @param tags tag keys and values, alternating; values from small fixed sets only
     * @return the timer, or {@link Timing#NONE}
     */
    public abstract Timing timer(String name, String description, String... tags);

    /**
     * A pushed counter (look it up once per tag set and keep it).
     *
     * @param name the meter's name
     * @param description what it counts
     * @param tags tag keys and values, alternating; values from small fixed sets only
     * @return the counter, or {@link Count#NONE}
     */
    public abstract Count counter(String name, String description, String... tags);

    static void checkTags(String... tags) {
        if (tags.length % 2 != 0) {
            throw new IllegalArgumentException("tags come in key/value pairs, got " + tags.length + " strings");
        }
    }

    private static final class None extends SluiceMeters {
        private static final MeterGroup EMPTY = new MeterGroup() {
            @Override
            public MeterGroup counter(String name, String description, String baseUnit, LongSupplier source, String... tags) {
                return this;
            }

            @Override
            public MeterGroup gauge(String name, String description, DoubleSupplier source, String... tags) {
                return this;
            }

            @Override
            public void dispose() {
            }
        };

        @Override
        public boolean enabled() {
            return false;
        }

        @Override
        public MeterGroup group() {
            return EMPTY;
        }

        @Override
        public Timing timer(String name, String description, String... tags) {
            return Timing.NONE;
        }

        @Override
        public Count counter(String name, String description, String... tags) {
            return Count.NONE;
        }

        @Override
        public String toString() {
            return "SluiceMeters[none]";
        }
    }
}
