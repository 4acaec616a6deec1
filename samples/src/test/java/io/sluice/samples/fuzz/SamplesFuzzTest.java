package io.sluice.samples.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.sluice.samples.xsmp.XsmpFuzzTargets;

/**
 * The samples' fuzz targets under JUnit: each replays its committed inputs under
 * {@code src/test/resources/io/sluice/samples/fuzz/SamplesFuzzTestInputs/<method>/}.
 */
class SamplesFuzzTest {

    @FuzzTest
    void xsmp(byte[] data) {
        XsmpFuzzTargets.xsmp(data);
    }
}
