package io.sluice.bench;

import java.util.Locale;

/**
 * Entry point for the benchmarks:
 * {@code mvn -B -q -DskipTests package exec:java -pl reactive-tests -am -Dbench=peer}
 * ({@code -Dbench=all} runs every benchmark). System properties {@code bench.warmup} and
 * {@code bench.seconds} set the warm-up and measuring time per scenario (defaults 2 and 4), and
 * {@code bench.rounds} how many rounds each scenario runs (default 3; the median is reported).
 * {@code bench.only} runs only the scenarios whose name contains it, or one of its {@code |}-separated
 * parts (the others show 0), for a profiling run of one scenario, for example under JFR, or a
 * comparison of two.
 * {@code -Dbench=soak} runs the soak instead ({@link io.sluice.soak.SoakRun}; not part of {@code all}).
 */
public final class Benchmarks {

    private Benchmarks() {
    }

    /**
     * @param args the benchmark to run: {@code peer}, {@code dtls}, {@code coap}, {@code ice}, {@code all} or {@code soak}
     * @throws Exception if a benchmark fails
     */
    public static void main(String[] args) throws Exception {
        String which = args.length == 0 ? "all" : args[0].toLowerCase(Locale.ROOT);
        LoadRun.Settings settings = LoadRun.Settings.fromSystemProperties();
        switch (which) {
            case "peer" -> PeerBenchmark.run(settings);
            case "dtls" -> DtlsBenchmark.run(settings);
            case "coap" -> CoapBenchmark.run(settings);
            case "ice" -> IceBenchmark.run(settings);
            case "soak" -> io.sluice.soak.SoakRun.run();
            case "all" -> {
                PeerBenchmark.run(settings);
                DtlsBenchmark.run(settings);
                CoapBenchmark.run(settings);
                IceBenchmark.run(settings);
            }
            default -> throw new IllegalArgumentException("unknown benchmark " + which + "; known: peer, dtls, coap, ice, all, soak");
        }
        System.exit(0);
    }
}
