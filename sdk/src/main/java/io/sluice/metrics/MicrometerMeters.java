package io.sluice.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.function.Consumer;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;

/**
 * Meters in one Micrometer registry. The only class in Sluice that names Micrometer's meter types,
 * so nothing loads them unless a spec was given a registry.
 */
final class MicrometerMeters extends SluiceMeters {

    /** Per registry, the summed meters every Sluice object there feeds (weak: a dropped registry goes). */
    private static final Map<MeterRegistry, Sums> SUMS = Collections.synchronizedMap(new WeakHashMap<>());

    private final MeterRegistry registry;
    private final Sums sums;

    private MicrometerMeters(MeterRegistry registry) {
        this.registry = registry;
        this.sums = SUMS.computeIfAbsent(registry, r -> new Sums());
    }

    static SluiceMeters globalRegistry() {
        return in(Metrics.globalRegistry);
    }

    static SluiceMeters in(MeterRegistry registry) {
        return new MicrometerMeters(registry);
    }

    @Override
    public boolean enabled() {
        return true;
    }

    @Override
    public MeterGroup group() {
        return new Group();
    }

    @Override
    public Timing timer(String name, String description, String... tags) {
        checkTags(tags);
        Timer timer = Timer.builder(name).description(description).tags(tags).register(registry);
        return nanos -> {
            if (nanos >= 0) {
                timer.record(nanos, TimeUnit.NANOSECONDS);
            }
        };
    }

    @Override
    public Count counter(String name, String description, String... tags) {
        checkTags(tags);
        Counter counter = Counter.builder(name).description(description).tags(tags).register(registry);
        return counter::increment;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MicrometerMeters m && m.registry == registry;
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(registry);
    }

    @Override
    public String toString() {
        return "SluiceMeters[" + registry.getClass().getSimpleName() + "]";
    }

    private static String key(String kind, String name, String... tags) {
        StringBuilder b = new StringBuilder(kind).append(' ').append(name);
        for (String t : tags) {
            b.append('\u0000').append(t);
        }
        return b.toString();
    }

    /** The sums behind one registry's read-on-scrape meters. */
    private static final class Sums {
        final ConcurrentHashMap<String, Summed> byKey = new ConcurrentHashMap<>();
    }

    /** One meter's live sources, and what removed sources counted before they went. */
    private static final class Summed {
        /** A set, not a copy-on-write list: client sessions come and go by the thousand, each adding and removing sources. */
        final Set<DoubleSupplier> sources = ConcurrentHashMap.newKeySet();
        final DoubleAdder retired = new DoubleAdder();

        double value() {
            double v = retired.sum();
            for (DoubleSupplier s : sources) {
                v += s.getAsDouble();
            }
            return v;
        }
    }

    private final class Group implements MeterGroup {
        private final List<Runnable> removals = new ArrayList<>();
        private boolean disposed;

        @Override
        public synchronized MeterGroup counter(String name, String description, String baseUnit, LongSupplier source, String... tags) {
            DoubleSupplier each = () -> source.getAsLong();
            add(key("c", name, tags), each, tags, s -> FunctionCounter.builder(name, s, Summed::value).description(description)
                    .baseUnit(baseUnit).tags(tags).register(registry), summed -> summed.retired.add(source.getAsLong()));
            return this;
        }

        @Override
        public synchronized MeterGroup gauge(String name, String description, DoubleSupplier source, String... tags) {
            DoubleSupplier each = source::getAsDouble;
            add(key("g", name, tags), each, tags, s -> Gauge.builder(name, s, Summed::value).description(description).tags(tags)
                    .strongReference(true).register(registry), summed -> { });
            return this;
        }

        /**
         * Adds {@code each} to the meter under {@code key}, registering the meter with the first
         * source; {@code retire} runs when the group lets go of it (a counter keeps its last value).
         */
        private void add(String key, DoubleSupplier each, String[] tags, Consumer<Summed> register, Consumer<Summed> retire) {
            checkTags(tags);
            if (disposed) {
                return;
            }
            Summed summed = sums.byKey.computeIfAbsent(key, k -> {
                Summed s = new Summed();
                register.accept(s);
                return s;
            });
            summed.sources.add(each);
            removals.add(() -> {
                if (summed.sources.remove(each)) {
                    retire.accept(summed);
                }
            });
        }

        @Override
        public synchronized void dispose() {
            if (!disposed) {
                disposed = true;
                removals.forEach(Runnable::run);
                removals.clear();
            }
        }

        @Override
        public synchronized boolean isDisposed() {
            return disposed;
        }
    }
}
