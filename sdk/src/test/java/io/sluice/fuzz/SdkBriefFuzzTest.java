package io.sluice.fuzz;

import io.sluice.codec.fuzz.BriefFuzzing;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The SDK's targets fuzzed briefly (see {@link BriefFuzzing}). */
class SdkBriefFuzzTest {

    @Test
    // Each target starts a JVM of its own: more than the build's default two minutes per test.
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void everySdkTargetRunsTenThousandInputsWithoutAFinding() throws Exception {
        BriefFuzzing.check(SdkFuzzTargets.class, "io/sluice/fuzz/SdkFuzzTestInputs", "io.sluice.**");
    }
}
