package io.sluice.codec.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

/**
 * What {@code mvn verify} asks of every module's fuzz targets beyond replaying their committed
 * inputs: a brief coverage-guided run of each (10,000 executions from the committed inputs, a
 * fixed seed, each in a JVM of its own) that ends without a finding. Each module's test calls
 * {@link #check}.
 */
public final class BriefFuzzing {

    static final long RUNS = 10_000;

    private BriefFuzzing() {
    }

    /**
     * @param suite the module's suite of standalone targets
     * @param inputs its input folder under {@code src/test/resources}
     * @param instrument the packages to measure coverage in, comma-separated
     * @throws Exception if the fuzzer cannot be started
     */
    public static void check(Class<?> suite, String inputs, String instrument) throws Exception {
        List<FuzzRun.Outcome> outcomes = FuzzRun.briefly(suite, inputs, RUNS, instrument);
        assertThat(outcomes).isNotEmpty().allSatisfy(o -> {
            assertThat(o.findings()).as("findings of %s (see %s)", o.name(), o.log()).isZero();
            assertThat(o.exit()).as("exit status of the fuzzer on %s (see %s)", o.name(), o.log()).isZero();
            assertThat(o.executions()).as("executions of %s (see %s)", o.name(), o.log()).isEqualTo(RUNS);
        });
    }
}
