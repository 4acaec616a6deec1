package io.sluice.dtls.fuzz;

import io.sluice.codec.fuzz.BriefFuzzing;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The DTLS module's targets fuzzed briefly (see {@link BriefFuzzing}). */
class DtlsBriefFuzzTest {

    @Test
    // Each target starts a JVM of its own: more than the build's default two minutes per test.
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void everyDtlsTargetRunsTenThousandInputsWithoutAFinding() throws Exception {
        BriefFuzzing.check(DtlsFuzzTargets.class, "io/sluice/dtls/fuzz/DtlsFuzzTestInputs", "io.sluice.**,org.bouncycastle.**");
    }
}
