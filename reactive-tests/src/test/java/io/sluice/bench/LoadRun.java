package io.sluice.bench;

import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Drives asynchronous request/response calls with a fixed number in flight for a fixed time and
 * measures throughput and latency percentiles. The caller's thread only waits; calls complete on
 * the transports' own threads.
 */
final class LoadRun {

    /**
     * @param warmup time before measuring, per scenario and round
     * @param measure time measured, per scenario and round
     * @param rounds how many times each scenario is measured, interleaved with the others; the
     *     median round (by throughput) is reported, which keeps one noisy round on a small shared
     *     machine from deciding the comparison
     */
    record Settings(Duration warmup, Duration measure, int rounds) {
        static Settings fromSystemProperties() {
            return new Settings(Duration.ofSeconds(Long.getLong("bench.warmup", 2)),
                    Duration.ofSeconds(Long.getLong("bench.seconds", 4)), Integer.getInteger("bench.rounds", 3));
        }
    }

    /** A scenario to measure: a name, the calls in flight, and the call. */
    record Scenario(String name, int inFlight, Supplier<Mono<?>> call) { }

    /**
     * Measures every scenario {@code settings.rounds()} times, round-robin, and returns the median
     * round of each, in scenario order.
     */
    static java.util.List<Result> measureAll(java.util.List<Scenario> scenarios, Settings settings) {
        java.util.List<java.util.List<Result>> rounds = new java.util.ArrayList<>();
        scenarios.forEach(s -> rounds.add(new java.util.ArrayList<>()));
        for (int round = 0; round < settings.rounds(); round++) {
            for (int i = 0; i < scenarios.size(); i++) {
                Scenario s = scenarios.get(i);
                String only = System.getProperty("bench.only");
                if (only != null && java.util.Arrays.stream(only.split("\\|")).noneMatch(s.name()::contains)) {
                    rounds.get(i).add(new Result(s.name(), s.inFlight(), 0, 1, 0, 0, 0)); // not run (a profiling run of one scenario)
                    continue;
                }
                rounds.get(i).add(measure(s.name(), s.inFlight(), settings, s.call()));
            }
        }
        java.util.List<Result> medians = new java.util.ArrayList<>();
        for (java.util.List<Result> r : rounds) {
            r.sort(java.util.Comparator.comparingDouble(Result::perSecond));
            medians.add(r.get(r.size() / 2));
        }
        return medians;
    }

    /**
     * One measured scenario.
     *
     * @param cpuNanos CPU time the whole process used while it was measured (every thread: event
     *        loops, GC, JIT), so that {@link #cpuMicrosPerCall} compares the work per call of
     *        scenarios whose throughput the machine's noise moves
     */
    record Result(String scenario, int inFlight, long calls, double seconds, long p50Nanos, long p99Nanos, long cpuNanos) {
        double perSecond() {
            return calls / seconds;
        }

        double cpuMicrosPerCall() {
            return calls == 0 ? 0 : cpuNanos / 1000.0 / calls;
        }

        String row() {
            return String.format(Locale.ROOT, "| %-28s | %9d | %12.0f | %9.1f | %9.1f | %11.2f |", scenario, inFlight, perSecond(),
                    p50Nanos / 1000.0, p99Nanos / 1000.0, cpuMicrosPerCall());
        }
    }

    private LoadRun() {
    }

    static String header() {
        return "| scenario                     | in flight |      calls/s |   p50 µs |   p99 µs | CPU µs/call |\n"
                + "|------------------------------|-----------|--------------|----------|----------|-------------|";
    }

    static Result measure(String scenario, int inFlight, Settings settings, Supplier<Mono<?>> call) {
        drive(call, inFlight, settings.warmup(), null, null);
        long[] latencies = new long[4_000_000];
        AtomicInteger count = new AtomicInteger();
        long start = System.nanoTime();
        long cpuStart = processCpuNanos();
        drive(call, inFlight, settings.measure(), latencies, count);
        long cpu = processCpuNanos() - cpuStart;
        double seconds = (System.nanoTime() - start) / 1e9;
        int n = Math.min(count.get(), latencies.length);
        long[] sorted = Arrays.copyOf(latencies, n);
        Arrays.sort(sorted);
        return new Result(scenario, inFlight, count.get(), seconds, percentile(sorted, 0.50), percentile(sorted, 0.99), cpu);
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    private static void drive(Supplier<Mono<?>> call, int inFlight, Duration duration, long[] latencies, AtomicInteger count) {
        long deadline = System.nanoTime() + duration.toNanos();
        Flux.range(0, Integer.MAX_VALUE)
                .takeWhile(i -> System.nanoTime() < deadline)
                .flatMap(i -> {
                    long t0 = System.nanoTime();
                    return call.get().doOnNext(v -> {
                        if (count != null) {
                            int at = count.getAndIncrement();
                            if (at < latencies.length) {
                                latencies[at] = System.nanoTime() - t0;
                            }
                        }
                    });
                }, inFlight, 1)
                .blockLast(duration.plusSeconds(60));
    }

    private static long percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        return sorted[(int) Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
    }
}
