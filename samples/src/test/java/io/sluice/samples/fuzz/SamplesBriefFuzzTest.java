package io.sluice.samples.fuzz;

import io.sluice.codec.fuzz.BriefFuzzing;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The samples' targets fuzzed briefly (see {@link BriefFuzzing}). */
class SamplesBriefFuzzTest {

    @Test
    // Each target starts a JVM of its own: more than the build's default two minutes per test.
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void everySamplesTargetRunsTenThousandInputsWithoutAFinding() throws Exception {
        BriefFuzzing.check(SamplesFuzzTargets.class, "io/sluice/samples/fuzz/SamplesFuzzTestInputs", "io.sluice.**");
    }
}
