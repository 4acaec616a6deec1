package io.sluice.codec.fuzz;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The codecs' targets fuzzed briefly (see {@link BriefFuzzing}). */
class CodecBriefFuzzTest {

    @Test
    // Each target starts a JVM of its own: more than the build's default two minutes per test.
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void everyCodecTargetRunsTenThousandInputsWithoutAFinding() throws Exception {
        BriefFuzzing.check(FuzzTargets.class, "io/sluice/codec/fuzz/CodecFuzzTestInputs", "io.sluice.**");
    }
}
