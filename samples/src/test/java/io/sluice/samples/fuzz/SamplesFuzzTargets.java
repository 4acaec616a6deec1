package io.sluice.samples.fuzz;

import io.sluice.samples.xsmp.XsmpFuzzTargets;

/**
 * The samples' fuzz targets as the standalone fuzzer takes them. {@code io.sluice.codec.fuzz.FuzzRun}
 * finds them here ({@code fuzz.suite} in the samples pom).
 */
public final class SamplesFuzzTargets {

    private SamplesFuzzTargets() {
    }

    /** {@link XsmpFuzzTargets#xsmp}. */
    public static final class Xsmp {
        public static void fuzzerTestOneInput(byte[] data) {
            XsmpFuzzTargets.xsmp(data);
        }
    }
}
